import { createServer } from 'node:http';
import { createVerifier } from '@tessera/verify';
import { requireToken } from '@tessera/verify/node-http';
import type { Cleanup } from '../shared/cleanup.js';
import { listen } from '../shared/http.js';
import { say } from '../shared/narrate.js';

/**
 * The Calendar Service: `node:http` and `@tessera/verify`, audience
 * `calendar`; listing events needs `event.view`. It checks Tessera's access
 * tokens, never the platform's: how the caller proved who it is to Tessera
 * (a secret, a key, a service-account token) is no concern of it.
 */
export async function startCalendarService(issuer: string, cleanup: Cleanup): Promise<string> {
  const verifier = createVerifier({ issuer, audience: 'calendar' });
  const listEvents = requireToken({ verifier, scope: 'event.view' }, (_req, res, token) => {
    say(`Calendar Service: ${token.clientId} lists events (scope ${token.scopes.join(' ')})`);
    const body = { caller: token.clientId, events: [{ id: 'evt_1', title: 'Sprint review' }] };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/events') return listEvents(req, res);
    res.writeHead(404).end();
  });
  return listen(server, 'Calendar Service (node:http)', cleanup);
}
