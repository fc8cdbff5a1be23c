import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { middlewareSuite } from '../testing/middleware-suite.js';
import { requireToken, serveProtectedResourceMetadata } from './node-http.js';

middlewareSuite('node:http', async ({ verifier, down, strict }) => {
  const json = (res: import('node:http').ServerResponse, body: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const listEvents = requireToken({ verifier, scope: 'event.view' }, (_req, res, token) =>
    json(res, { clientId: token.clientId, scopes: token.scopes }),
  );
  const deleteEvents = requireToken({ verifier, scope: 'event.delete' }, (_req, res) => json(res, {}));
  const downRoute = requireToken({ verifier: down }, (_req, res) => json(res, {}));
  const strictRoute = requireToken({ verifier: strict }, (_req, res, token) =>
    json(res, { clientId: token.clientId, jkt: token.dpop?.jkt, x5t: token.certificateThumbprint }),
  );
  const server = createServer((req, res) => {
    if (serveProtectedResourceMetadata(verifier, req, res)) return;
    const path = req.url?.split('?')[0];
    if (path === '/events' && req.method === 'GET') return listEvents(req, res);
    if (path === '/events' && req.method === 'DELETE') return deleteEvents(req, res);
    if (path === '/down') return downRoute(req, res);
    if (path === '/strict') return strictRoute(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
});
