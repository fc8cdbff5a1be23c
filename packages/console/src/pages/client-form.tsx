import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ErrorNote } from '../components.js';
import { authMethodName } from '../format.js';
import { message, useLoad } from '../hooks.js';
import type { Client } from '../types.js';

const FALLBACK_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt'];
/** Methods that check a signature or a certificate with the client's public keys. */
const KEYED = new Set(['private_key_jwt', 'self_signed_tls_client_auth']);

/** The methods this server offers, from its discovery document (public, same origin). */
function useAuthMethods(): string[] {
  const discovery = useLoad(async () => {
    const r = await fetch('/.well-known/oauth-authorization-server', { credentials: 'omit' });
    if (!r.ok) return FALLBACK_METHODS;
    const doc = (await r.json()) as { token_endpoint_auth_methods_supported?: string[] };
    return doc.token_endpoint_auth_methods_supported ?? FALLBACK_METHODS;
  }, []);
  return discovery.data ?? FALLBACK_METHODS;
}

const words = (s: string) => s.split(/[\s,]+/).filter(Boolean);

/**
 * Create (no `client`) or edit a client. Edits send only the fields that
 * changed, so a PATCH never rewrites what the form does not show.
 */
export function ClientForm({
  client,
  onSaved,
  onCancel,
}: {
  client?: Client;
  onSaved: (c: Client) => void;
  onCancel?: () => void;
}) {
  const methods = useAuthMethods();
  const [method, setMethod] = useState(client?.token_endpoint_auth_method ?? 'client_secret_basic');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const prefix = client ? 'edit' : 'new';

  const submit = async (e: Event) => {
    e.preventDefault();
    const f = (e.currentTarget as HTMLFormElement).elements;
    const value = (name: string) => (f.namedItem(name) as HTMLInputElement | null)?.value.trim() ?? '';
    const body: Record<string, unknown> = {};
    const set = (name: string, v: unknown, current: unknown) => {
      if (JSON.stringify(v) !== JSON.stringify(current)) body[name] = v;
    };
    if (!client && value('client_id')) body.client_id = value('client_id');
    if (value('client_name') || client?.client_name) set('client_name', value('client_name'), client?.client_name);
    set('scope', words(value('scope')).join(' '), client?.scope ?? '');
    set('audience', words(value('audience')), client?.audience ?? []);
    const ttl = Number(value('access_token_ttl'));
    if (!Number.isInteger(ttl) || ttl <= 0) {
      setError('Token lifetime must be a whole number of seconds, above zero.');
      return;
    }
    set('access_token_ttl', ttl, client?.access_token_ttl ?? 3600);
    set('access_token_format', value('access_token_format'), client?.access_token_format ?? 'jwt');
    set('token_endpoint_auth_method', method, client?.token_endpoint_auth_method ?? 'client_secret_basic');
    if (KEYED.has(method)) {
      const jwks = value('jwks');
      const jwksUri = value('jwks_uri');
      if (jwks) {
        try {
          set('jwks', JSON.parse(jwks), client?.jwks);
        } catch {
          setError('The public keys are not valid JSON: paste a JWK Set such as {"keys": [ … ]}.');
          return;
        }
      }
      if (jwksUri) set('jwks_uri', jwksUri, client?.jwks_uri);
      if (!jwks && !jwksUri) {
        setError('This authentication method needs the client’s public keys: a JWK Set, or the URL where it is.');
        return;
      }
    }
    if (method === 'federated_jwt') {
      const text = value('federated_identities');
      try {
        const identities = text ? JSON.parse(text) : [];
        set('federated_identities', identities, client?.federated_identities);
      } catch {
        setError('The platform identities are not valid JSON: paste a list such as [{"issuer": "…", "subject": "…"}].');
        return;
      }
    }
    if (client && Object.keys(body).length === 0) {
      setError('Nothing was changed.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const saved = client
        ? await api<Client>('PATCH', `/admin/clients/${encodeURIComponent(client.client_id)}`, body)
        : await api<Client>('POST', '/admin/clients', body);
      onSaved(saved);
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="stack" onSubmit={submit} aria-label={client ? 'Client settings' : 'New client'}>
      {!client && (
        <div class="field">
          <label for={`${prefix}-client_id`}>Client ID</label>
          <input id={`${prefix}-client_id`} name="client_id" class="mono" aria-describedby={`${prefix}-id-help`} />
          <p id={`${prefix}-id-help`} class="quiet">
            Optional: left empty, one is generated.
          </p>
        </div>
      )}
      <div class="field">
        <label for={`${prefix}-client_name`}>Name</label>
        <input id={`${prefix}-client_name`} name="client_name" defaultValue={client?.client_name ?? ''} />
      </div>
      <div class="field">
        <label for={`${prefix}-scope`}>Allowed scopes</label>
        <input
          id={`${prefix}-scope`}
          name="scope"
          class="mono"
          defaultValue={client?.scope ?? ''}
          aria-describedby={`${prefix}-scope-help`}
        />
        <p id={`${prefix}-scope-help`} class="quiet">
          Separated by spaces, e.g. <span class="mono">invoices.read invoices.write</span>
        </p>
      </div>
      <div class="field">
        <label for={`${prefix}-audience`}>Allowed audiences</label>
        <input
          id={`${prefix}-audience`}
          name="audience"
          class="mono"
          defaultValue={(client?.audience ?? []).join(' ')}
          aria-describedby={`${prefix}-audience-help`}
        />
        <p id={`${prefix}-audience-help`} class="quiet">
          The services its tokens may be for, separated by spaces.
        </p>
      </div>
      <div class="row">
        <div class="field">
          <label for={`${prefix}-ttl`}>Token lifetime (seconds)</label>
          <input
            id={`${prefix}-ttl`}
            name="access_token_ttl"
            type="number"
            min={1}
            step={1}
            defaultValue={String(client?.access_token_ttl ?? 3600)}
          />
        </div>
        <div class="field">
          <label for={`${prefix}-format`}>Token format</label>
          <select
            id={`${prefix}-format`}
            name="access_token_format"
            defaultValue={client?.access_token_format ?? 'jwt'}
          >
            <option value="jwt">JWT (checked by signature)</option>
            <option value="opaque">Opaque (checked by introspection)</option>
          </select>
        </div>
        <div class="field">
          <label for={`${prefix}-method`}>Authentication method</label>
          <select
            id={`${prefix}-method`}
            name="token_endpoint_auth_method"
            value={method}
            onChange={(e) => setMethod(e.currentTarget.value)}
          >
            {[...new Set([...methods, method])].map((m) => (
              <option key={m} value={m}>
                {authMethodName(m)}
              </option>
            ))}
          </select>
        </div>
      </div>
      {KEYED.has(method) && (
        <fieldset>
          <legend>Client’s public keys</legend>
          <div class="field">
            <label for={`${prefix}-jwks`}>JWK Set (JSON)</label>
            <textarea
              id={`${prefix}-jwks`}
              name="jwks"
              class="mono"
              rows={5}
              defaultValue={client?.jwks ? JSON.stringify(client.jwks, null, 2) : ''}
            />
          </div>
          <div class="field">
            <label for={`${prefix}-jwks_uri`}>or the URL of its JWK Set</label>
            <input id={`${prefix}-jwks_uri`} name="jwks_uri" class="mono" defaultValue={client?.jwks_uri ?? ''} />
          </div>
        </fieldset>
      )}
      {method === 'federated_jwt' && (
        <div class="field">
          <label for={`${prefix}-federated`}>Platform identities it accepts (JSON)</label>
          <textarea
            id={`${prefix}-federated`}
            name="federated_identities"
            class="mono"
            rows={4}
            aria-describedby={`${prefix}-federated-help`}
            defaultValue={client?.federated_identities ? JSON.stringify(client.federated_identities, null, 2) : ''}
          />
          <p id={`${prefix}-federated-help`} class="quiet">
            A list of {'{"issuer": …, "subject": …}'}, each issuer a trusted issuer; an entry may add claims that must
            match.
          </p>
        </div>
      )}
      <ErrorNote text={error} />
      <div class="actions">
        <button type="submit" disabled={busy}>
          {client ? 'Save changes' : 'Create client'}
        </button>
        {onCancel && (
          <button type="button" class="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
