import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Confirm, ErrorNote, Notice, SecretOnce } from '../components.js';
import { duration, when } from '../format.js';
import { go, message, useLoad } from '../hooks.js';
import type { Client } from '../types.js';
import { ClientForm } from './client-form.js';

const GRACE: [number, string][] = [
  [0, 'None: the old secret stops working now'],
  [3600, '1 hour'],
  [86400, '1 day'],
  [7 * 86400, '7 days'],
];

export function ClientPage({ id }: { id: string }) {
  const path = `/admin/clients/${encodeURIComponent(id)}`;
  const client = useLoad(() => api<Client>('GET', path), [id]);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [secret, setSecret] = useState<string | undefined>(undefined);
  const [confirm, setConfirm] = useState<'rotate' | 'delete' | undefined>(undefined);
  const [grace, setGrace] = useState(3600);

  const rotate = async () => {
    setConfirm(undefined);
    try {
      const c = await api<Client>('POST', `${path}/secrets`, { previous_secret_ttl: grace });
      setSecret(c.client_secret);
      setNotice(
        grace
          ? `New secret made. The old one keeps working for ${duration(grace)}.`
          : 'New secret made. The old one no longer works.',
      );
    } catch (e) {
      setError(message(e));
    }
  };
  const remove = async () => {
    setConfirm(undefined);
    try {
      await api('DELETE', path);
      go('/clients');
    } catch (e) {
      setError(message(e));
    }
  };

  return (
    <>
      <p>
        <a href="#/clients">← All clients</a>
      </p>
      <h1>
        Client <span class="mono">{id}</span>
      </h1>
      <ErrorNote text={client.error ?? error} />
      <Notice text={notice} />
      {secret && <SecretOnce clientId={id} secret={secret} onDone={() => setSecret(undefined)} />}
      {client.data && (
        <>
          <p class="quiet">
            Registered {when(client.data.client_id_issued_at)}; last changed {when(client.data.updated_at)}.
          </p>
          <h2>Settings</h2>
          <ClientForm
            key={client.data.updated_at}
            client={client.data}
            onSaved={() => {
              setNotice('Changes saved.');
              setError(undefined);
              client.reload();
            }}
          />
          {client.data.token_endpoint_auth_method.startsWith('client_secret') && (
            <section class="panel" aria-labelledby="rotate-title">
              <h2 id="rotate-title">Rotate the secret</h2>
              <p>
                A new secret is made and shown once. The old one can keep working for a while, so callers can switch.
              </p>
              <div class="field">
                <label for="grace">Old secret keeps working for</label>
                <select id="grace" value={String(grace)} onChange={(e) => setGrace(Number(e.currentTarget.value))}>
                  {GRACE.map(([s, label]) => (
                    <option key={s} value={String(s)}>
                      {label}
                    </option>
                  ))}
                </select>
              </div>
              <button type="button" onClick={() => setConfirm('rotate')}>
                Rotate secret
              </button>
            </section>
          )}
          <section class="panel" aria-labelledby="delete-title">
            <h2 id="delete-title">Delete the client</h2>
            <p>It can no longer get tokens, and the tokens it holds stop being accepted by introspection.</p>
            <button type="button" class="danger" onClick={() => setConfirm('delete')}>
              Delete client
            </button>
          </section>
        </>
      )}
      {confirm === 'rotate' && (
        <Confirm
          title="Rotate this client’s secret?"
          action="Rotate"
          onConfirm={rotate}
          onCancel={() => setConfirm(undefined)}
        >
          <p>
            {grace
              ? `The current secret keeps working for ${duration(grace)}.`
              : 'The current secret stops working at once.'}
          </p>
        </Confirm>
      )}
      {confirm === 'delete' && (
        <Confirm
          title="Delete this client?"
          action="Delete"
          danger
          onConfirm={remove}
          onCancel={() => setConfirm(undefined)}
        >
          <p>
            <span class="mono">{id}</span> is removed for good. This cannot be undone.
          </p>
        </Confirm>
      )}
    </>
  );
}
