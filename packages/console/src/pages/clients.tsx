import { useState } from 'preact/hooks';
import { api, type Page, query } from '../api.js';
import { ErrorNote, SecretOnce } from '../components.js';
import { authMethodName } from '../format.js';
import { go, useLoad } from '../hooks.js';
import type { Client } from '../types.js';
import { ClientForm } from './client-form.js';

const PAGE_SIZE = 20;
/** A search reads the registry page by page, up to this many clients. */
const SEARCH_LIMIT = 5000;

/** Clients whose id or name holds `text` (case-insensitive), read through the paged list. */
async function search(text: string): Promise<{ items: Client[]; complete: boolean }> {
  const needle = text.toLowerCase();
  const found: Client[] = [];
  let cursor: string | null = null;
  let read = 0;
  do {
    const page: Page<Client> = await api('GET', `/admin/clients${query({ limit: 100, cursor })}`);
    read += page.items.length;
    for (const c of page.items) {
      if (c.client_id.toLowerCase().includes(needle) || (c.client_name ?? '').toLowerCase().includes(needle)) {
        found.push(c);
      }
    }
    cursor = page.next_cursor;
  } while (cursor && read < SEARCH_LIMIT);
  return { items: found, complete: cursor === null };
}

export function ClientsPage() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [text, setText] = useState('');
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<Client | undefined>(undefined);
  const cursor = cursors.at(-1) ?? null;
  const list = useLoad(async () => {
    if (text.trim()) {
      const r = await search(text.trim());
      return { items: r.items, next_cursor: null, complete: r.complete };
    }
    const page = await api<Page<Client>>('GET', `/admin/clients${query({ limit: PAGE_SIZE, cursor })}`);
    return { ...page, complete: true };
  }, [cursor, text]);

  if (created?.client_secret) {
    return (
      <>
        <h1>Client created</h1>
        <SecretOnce
          clientId={created.client_id}
          secret={created.client_secret}
          onDone={() => {
            const id = created.client_id;
            setCreated(undefined);
            go(`/clients/${encodeURIComponent(id)}`);
          }}
        />
      </>
    );
  }
  if (creating) {
    return (
      <>
        <h1>New client</h1>
        <ClientForm
          onSaved={(c) => {
            setCreating(false);
            if (c.client_secret) setCreated(c);
            else go(`/clients/${encodeURIComponent(c.client_id)}`);
          }}
          onCancel={() => setCreating(false)}
        />
      </>
    );
  }
  return (
    <>
      <div class="heading">
        <h1>Clients</h1>
        <button type="button" onClick={() => setCreating(true)}>
          New client
        </button>
      </div>
      <form
        class="search"
        aria-label="Find clients"
        onSubmit={(e) => {
          e.preventDefault();
          const value = ((e.currentTarget as HTMLFormElement).elements.namedItem('q') as HTMLInputElement).value;
          setCursors([null]);
          setText(value);
        }}
      >
        <label for="q">Find a client by ID or name</label>
        <input id="q" name="q" type="search" defaultValue={text} />
        <button type="submit" class="secondary">
          Search
        </button>
        {text && (
          <button
            type="button"
            class="link"
            onClick={() => {
              setText('');
              setCursors([null]);
            }}
          >
            Show all
          </button>
        )}
      </form>
      <ErrorNote text={list.error} />
      <p role="status" class="quiet">
        {list.loading ? (text ? 'Searching…' : 'Loading…') : ''}
      </p>
      {list.data && (
        <>
          {list.data.items.length === 0 ? (
            <p>{text ? `No client matches “${text}”.` : 'No clients yet. Create one to get started.'}</p>
          ) : (
            <table>
              <caption class="visually-hidden">Registered clients</caption>
              <thead>
                <tr>
                  <th scope="col">Client ID</th>
                  <th scope="col">Name</th>
                  <th scope="col">Authentication</th>
                  <th scope="col">Token</th>
                  <th scope="col">Scopes</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((c) => (
                  <tr key={c.client_id}>
                    <td>
                      <a class="mono" href={`#/clients/${encodeURIComponent(c.client_id)}`}>
                        {c.client_id}
                      </a>
                    </td>
                    <td>{c.client_name ?? ''}</td>
                    <td>{authMethodName(c.token_endpoint_auth_method)}</td>
                    <td>{c.access_token_format === 'opaque' ? 'Opaque' : 'JWT'}</td>
                    <td class="mono">{c.scope}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {!list.data.complete && <p class="quiet">Only the first {SEARCH_LIMIT} clients were searched.</p>}
          {!text && (
            <nav class="pager" aria-label="Pages of clients">
              <button
                type="button"
                class="secondary"
                disabled={cursors.length === 1}
                onClick={() => setCursors(cursors.slice(0, -1))}
              >
                Previous page
              </button>
              <span class="quiet">Page {cursors.length}</span>
              <button
                type="button"
                class="secondary"
                disabled={!list.data.next_cursor}
                onClick={() => list.data?.next_cursor && setCursors([...cursors, list.data.next_cursor])}
              >
                Next page
              </button>
            </nav>
          )}
        </>
      )}
    </>
  );
}
