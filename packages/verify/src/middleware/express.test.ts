import type { AddressInfo } from 'node:net';
import express from 'express';
import { middlewareSuite } from '../testing/middleware-suite.js';
import { protectedResourceMetadata, requireToken } from './express.js';

middlewareSuite('Express', async ({ verifier, down, strict }) => {
  const app = express();
  app.use(protectedResourceMetadata(verifier));
  app.get('/events', requireToken({ verifier, scope: 'event.view' }), (req, res) => {
    res.json({ clientId: req.auth?.clientId, scopes: req.auth?.scopes });
  });
  app.delete('/events', requireToken({ verifier, scope: 'event.delete' }), (_req, res) => {
    res.json({});
  });
  app.get('/down', requireToken({ verifier: down }), (_req, res) => {
    res.json({});
  });
  // In a router, as services mount them: the proof names the full path.
  const router = express.Router();
  router.get('/', requireToken({ verifier: strict }), (req, res) => {
    res.json({ clientId: req.auth?.clientId, jkt: req.auth?.dpop?.jkt, x5t: req.auth?.certificateThumbprint });
  });
  app.use('/strict', router);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
});
