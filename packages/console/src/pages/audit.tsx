import { useState } from 'preact/hooks';
import { api, type Page, query } from '../api.js';
import { ErrorNote } from '../components.js';
import { actionName, when } from '../format.js';
import { message, useLoad } from '../hooks.js';
import type { AuditEntry } from '../types.js';

const PAGE_SIZE = 50;

/** Every admin change, newest first; older pages are appended below. */
export function AuditPage() {
  const first = useLoad(() => api<Page<AuditEntry>>('GET', `/admin/audit${query({ limit: PAGE_SIZE })}`), []);
  const [more, setMore] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const next = cursor === undefined ? first.data?.next_cursor : cursor;
  const items = [...(first.data?.items ?? []), ...more];
  const older = async () => {
    try {
      const page = await api<Page<AuditEntry>>('GET', `/admin/audit${query({ limit: PAGE_SIZE, cursor: next })}`);
      setMore([...more, ...page.items]);
      setCursor(page.next_cursor);
    } catch (e) {
      setError(message(e));
    }
  };
  return (
    <>
      <div class="heading">
        <h1>Audit log</h1>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            setMore([]);
            setCursor(undefined);
            first.reload();
          }}
        >
          Refresh
        </button>
      </div>
      <p>
        Every change made through the admin API or this console: who, from where, and when. Secrets are never recorded.
      </p>
      <ErrorNote text={first.error ?? error} />
      {first.data &&
        (items.length === 0 ? (
          <p>Nothing has been changed yet.</p>
        ) : (
          <table>
            <caption class="visually-hidden">Admin changes, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">On</th>
                <th scope="col">By</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e, i) => (
                <tr key={`${e.at}-${i}`}>
                  <td>
                    <time dateTime={e.at}>{when(e.at)}</time>
                  </td>
                  <td>{actionName(e.action)}</td>
                  <td class="mono">{e.target}</td>
                  <td class="mono">{e.actor}</td>
                  <td class="mono">{e.address}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      {next && (
        <button type="button" class="secondary" onClick={older}>
          Older entries
        </button>
      )}
    </>
  );
}
