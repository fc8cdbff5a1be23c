import { useState } from 'preact/hooks';
import { api, type Page } from '../api.js';
import { Confirm, ErrorNote, Notice } from '../components.js';
import { duration } from '../format.js';
import { message, useLoad } from '../hooks.js';
import type { TrustedIssuer } from '../types.js';

/** Platforms whose signed tokens clients may authenticate with (CONTRACT part two, trusted issuers). */
export function IssuersPage() {
  const list = useLoad(() => api<Page<TrustedIssuer> | TrustedIssuer[]>('GET', '/admin/trusted-issuers'), []);
  const [error, setError] = useState<string | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [removing, setRemoving] = useState<TrustedIssuer | undefined>(undefined);
  const [editing, setEditing] = useState<TrustedIssuer | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const items = Array.isArray(list.data) ? list.data : (list.data?.items ?? []);

  const add = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value.trim();
    const body: Record<string, unknown> = { issuer: value('issuer') };
    if (value('jwks_uri')) body.jwks_uri = value('jwks_uri');
    if (value('audience')) body.audience = value('audience');
    if (value('max_token_lifetime')) body.max_token_lifetime = Number(value('max_token_lifetime'));
    setBusy(true);
    try {
      await api('POST', '/admin/trusted-issuers', body);
      form.reset();
      setError(undefined);
      setNotice(`${body.issuer} is now trusted.`);
      list.reload();
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };
  const save = async (e: Event) => {
    e.preventDefault();
    const issuer = editing;
    if (!issuer) return;
    const form = e.currentTarget as HTMLFormElement;
    const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value.trim();
    const body: Record<string, unknown> = {};
    if (value('jwks_uri') !== (issuer.jwks_uri ?? '')) body.jwks_uri = value('jwks_uri') || null;
    if (value('audience') && value('audience') !== issuer.audience) body.audience = value('audience');
    const lifetime = Number(value('max_token_lifetime'));
    if (lifetime !== (issuer.max_token_lifetime ?? 3600)) body.max_token_lifetime = lifetime;
    if (Object.keys(body).length === 0) {
      setError('Nothing was changed.');
      return;
    }
    try {
      await api('PATCH', `/admin/trusted-issuers/${encodeURIComponent(issuer.id)}`, body);
      setEditing(undefined);
      setError(undefined);
      setNotice(`${issuer.issuer} was changed.`);
      list.reload();
    } catch (err) {
      setError(message(err));
    }
  };
  const remove = async () => {
    const issuer = removing;
    setRemoving(undefined);
    if (!issuer) return;
    try {
      await api('DELETE', `/admin/trusted-issuers/${encodeURIComponent(issuer.id)}`);
      setNotice(`${issuer.issuer} is no longer trusted.`);
      list.reload();
    } catch (err) {
      setError(message(err));
    }
  };

  return (
    <>
      <h1>Trusted issuers</h1>
      <p>
        Workloads that hold a signed identity from their platform (Kubernetes, SPIFFE, a CI system) can authenticate
        with it instead of a secret, when its issuer is trusted here.
      </p>
      <ErrorNote text={list.error ?? error} />
      <Notice text={notice} />
      {list.data &&
        (items.length === 0 ? (
          <p>No issuer is trusted yet.</p>
        ) : (
          <table>
            <caption class="visually-hidden">Trusted issuers</caption>
            <thead>
              <tr>
                <th scope="col">Issuer</th>
                <th scope="col">Keys from</th>
                <th scope="col">Audience</th>
                <th scope="col">Longest token</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((t) => (
                <tr key={t.id}>
                  <td class="mono">{t.issuer}</td>
                  <td class="mono">{t.jwks_uri ?? 'its discovery document'}</td>
                  <td class="mono">{t.audience ?? 'this server'}</td>
                  <td>{duration(t.max_token_lifetime ?? 3600)}</td>
                  <td class="row-actions">
                    <button type="button" class="link" onClick={() => setEditing(t)}>
                      Change <span class="visually-hidden">{t.issuer}</span>
                    </button>
                    <button type="button" class="link" onClick={() => setRemoving(t)}>
                      Remove <span class="visually-hidden">{t.issuer}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      {editing && (
        <form class="stack panel" onSubmit={save} aria-labelledby="edit-issuer" key={editing.id}>
          <h2 id="edit-issuer">
            Change <span class="mono">{editing.issuer}</span>
          </h2>
          <div class="field">
            <label for="te-jwks">Key set URL</label>
            <input id="te-jwks" name="jwks_uri" class="mono" type="url" defaultValue={editing.jwks_uri ?? ''} />
          </div>
          <div class="row">
            <div class="field">
              <label for="te-aud">Audience its tokens carry</label>
              <input id="te-aud" name="audience" class="mono" defaultValue={editing.audience ?? ''} />
            </div>
            <div class="field">
              <label for="te-life">Longest token lifetime, seconds</label>
              <input
                id="te-life"
                name="max_token_lifetime"
                type="number"
                min={1}
                step={1}
                defaultValue={String(editing.max_token_lifetime ?? 3600)}
              />
            </div>
          </div>
          <div class="actions">
            <button type="submit">Save changes</button>
            <button type="button" class="secondary" onClick={() => setEditing(undefined)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {!list.error && !editing && (
        <form class="stack panel" onSubmit={add} aria-labelledby="add-issuer">
          <h2 id="add-issuer">Trust an issuer</h2>
          <div class="field">
            <label for="ti-issuer">Issuer URL</label>
            <input id="ti-issuer" name="issuer" class="mono" type="url" required placeholder="https://" />
          </div>
          <div class="field">
            <label for="ti-jwks">Key set URL (optional)</label>
            <input id="ti-jwks" name="jwks_uri" class="mono" type="url" aria-describedby="ti-jwks-help" />
            <p id="ti-jwks-help" class="quiet">
              Left empty, the keys are found through the issuer’s discovery document.
            </p>
          </div>
          <div class="row">
            <div class="field">
              <label for="ti-aud">Audience its tokens carry (optional)</label>
              <input id="ti-aud" name="audience" class="mono" />
            </div>
            <div class="field">
              <label for="ti-life">Longest token lifetime, seconds (optional)</label>
              <input id="ti-life" name="max_token_lifetime" type="number" min={1} step={1} />
            </div>
          </div>
          <div class="actions">
            <button type="submit" disabled={busy}>
              Trust issuer
            </button>
          </div>
        </form>
      )}
      {removing && (
        <Confirm
          title="Stop trusting this issuer?"
          action="Remove"
          danger
          onConfirm={remove}
          onCancel={() => setRemoving(undefined)}
        >
          <p>
            Clients that authenticate with tokens from <span class="mono">{removing.issuer}</span> will be refused.
          </p>
        </Confirm>
      )}
    </>
  );
}
