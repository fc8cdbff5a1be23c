import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Confirm, ErrorNote, Notice } from '../components.js';
import { when } from '../format.js';
import { message, useLoad } from '../hooks.js';
import type { KeyList, SigningKey } from '../types.js';

function role(k: SigningKey, now: number): string {
  if (k.status === 'signing') return 'Signs new tokens';
  if (k.activates_at > now) return `Next: signs from ${when(k.activates_at)}`;
  if (k.status === 'retiring') return `Retired: published until ${when(k.retires_at)}`;
  return 'Published';
}

export function KeysPage() {
  const keys = useLoad(() => api<KeyList>('GET', '/admin/keys'), []);
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const now = Date.now() / 1000;
  const rotate = async () => {
    setConfirm(false);
    try {
      const jwk = await api<{ kid: string }>('POST', '/admin/keys/rotate');
      setNotice(`Key ${jwk.kid} now signs new tokens. The previous key stays published until its tokens expire.`);
      keys.reload();
    } catch (e) {
      setError(message(e));
    }
  };
  const next = keys.data?.next_rotation_at;
  return (
    <>
      <div class="heading">
        <h1>Signing keys</h1>
        <button type="button" onClick={() => setConfirm(true)}>
          Rotate now
        </button>
      </div>
      <ErrorNote text={keys.error ?? error} />
      <Notice text={notice} />
      {keys.data && (
        <>
          <p>
            Next rotation:{' '}
            <strong>{next ? when(next) : 'only when rotated by hand (TESSERA_KEY_ROTATION_DAYS is 0)'}</strong>
          </p>
          <table>
            <caption class="visually-hidden">Published signing keys</caption>
            <thead>
              <tr>
                <th scope="col">Key ID</th>
                <th scope="col">Algorithm</th>
                <th scope="col">Role</th>
                <th scope="col">Signs from</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.items.map((k) => (
                <tr key={k.kid} class={k.status === 'signing' ? 'current' : ''}>
                  <td class="mono">{k.kid}</td>
                  <td>{k.alg}</td>
                  <td>{role(k, now)}</td>
                  <td>{when(k.activates_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {confirm && (
        <Confirm
          title="Rotate the signing key now?"
          action="Rotate"
          onConfirm={rotate}
          onCancel={() => setConfirm(false)}
        >
          <p>
            A new key signs every token from now on. Verifiers that cached the key set find the new key when they next
            fetch it; tokens signed by the old key stay valid until they expire.
          </p>
        </Confirm>
      )}
    </>
  );
}
