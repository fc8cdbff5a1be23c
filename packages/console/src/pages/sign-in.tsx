import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ErrorNote, Notice } from '../components.js';
import { message } from '../hooks.js';
import type { Session } from '../types.js';

/**
 * The admin key is read from the field when the form is sent, sent once in
 * the body of POST /admin/session, and the field emptied: it is kept in no
 * state, storage or URL. The server answers with an HttpOnly cookie.
 */
export function SignIn({ notice, onSignedIn }: { notice: string | undefined; onSignedIn: (s: Session) => void }) {
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const field = form.elements.namedItem('admin-key') as HTMLInputElement;
    const key = field.value.trim();
    if (!key) {
      setError('Enter the admin key.');
      return;
    }
    setBusy(true);
    try {
      const session = await api<Session>('POST', '/admin/session', { admin_key: key });
      field.value = '';
      onSignedIn(session);
    } catch (err) {
      setError(message(err));
      field.select();
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in" id="main">
      <h1>Tessera console</h1>
      <Notice text={notice} />
      <form onSubmit={submit} method="post" action="#">
        <label for="admin-key">Admin key</label>
        <input id="admin-key" name="admin-key" type="password" autoComplete="off" spellcheck={false} required />
        <p class="quiet">
          The key set in TESSERA_ADMIN_KEY, or the one printed when the server first started. It is exchanged for a
          session that ends after 30 minutes without use.
        </p>
        <ErrorNote text={error} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
