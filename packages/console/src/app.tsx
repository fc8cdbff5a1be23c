import { useEffect, useState } from 'preact/hooks';
import { api, onSignedOut } from './api.js';
import { ErrorNote } from './components.js';
import { when } from './format.js';
import { go, message, useRoute } from './hooks.js';
import { ActivityPage } from './pages/activity.js';
import { AuditPage } from './pages/audit.js';
import { ClientPage } from './pages/client.js';
import { ClientsPage } from './pages/clients.js';
import { IssuersPage } from './pages/issuers.js';
import { KeysPage } from './pages/keys.js';
import { SignIn } from './pages/sign-in.js';
import type { Session } from './types.js';

const NAV: [string, string][] = [
  ['/clients', 'Clients'],
  ['/keys', 'Signing keys'],
  ['/issuers', 'Trusted issuers'],
  ['/audit', 'Audit log'],
  ['/activity', 'Activity'],
];

export function App() {
  // undefined: not known yet; null: signed out.
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [ended, setEnded] = useState<string | undefined>(undefined);
  useEffect(() => {
    api<Session>('GET', '/admin/session').then(setSession, () => setSession(null));
    return onSignedOut(() => {
      setSession(null);
      setEnded('Your session has ended. Sign in again to go on.');
    });
  }, []);
  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null) {
    return (
      <SignIn
        notice={ended}
        onSignedIn={(s) => {
          setEnded(undefined);
          setSession(s);
        }}
      />
    );
  }
  return <Shell session={session} onSignedOut={() => setSession(null)} />;
}

function Shell({ session, onSignedOut }: { session: Session; onSignedOut: () => void }) {
  const route = useRoute();
  const [error, setError] = useState<string | undefined>(undefined);
  const section = `/${route.split('/')[1] ?? ''}`;
  const signOut = async () => {
    try {
      await api('DELETE', '/admin/session');
      onSignedOut();
      go('/clients');
    } catch (e) {
      setError(message(e));
    }
  };
  useEffect(() => {
    const title = NAV.find(([path]) => path === section)?.[1];
    document.title = title ? `${title} · Tessera console` : 'Tessera console';
  }, [section]);
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">Tessera</span>
        <nav aria-label="Sections">
          <ul>
            {NAV.map(([path, name]) => (
              <li key={path}>
                <a href={`#${path}`} aria-current={section === path ? 'page' : undefined}>
                  {name}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class="quiet" title={`Session ends at ${when(session.expires_at)} at the latest`}>
            Signed in as {session.actor}
          </span>
          <button type="button" class="secondary" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorNote text={error} />
        <Page route={route} />
      </main>
    </>
  );
}

function Page({ route }: { route: string }) {
  const [, section, id] = route.split('/');
  switch (section) {
    case 'clients':
      return id ? <ClientPage id={decodeURIComponent(id)} /> : <ClientsPage />;
    case 'keys':
      return <KeysPage />;
    case 'issuers':
      return <IssuersPage />;
    case 'audit':
      return <AuditPage />;
    case 'activity':
      return <ActivityPage />;
    default:
      return <ClientsPage />;
  }
}
