import Fastify from 'fastify';
import { middlewareSuite } from '../testing/middleware-suite.js';
import { requireToken, tesseraVerify } from './fastify.js';

middlewareSuite('Fastify', async ({ verifier, down, strict }) => {
  const app = Fastify();
  await app.register(tesseraVerify, { verifier });
  app.get('/events', { onRequest: requireToken({ verifier, scope: 'event.view' }) }, async (request) => ({
    clientId: request.auth?.clientId,
    scopes: request.auth?.scopes,
  }));
  app.delete('/events', { onRequest: requireToken({ verifier, scope: 'event.delete' }) }, async () => ({}));
  app.get('/down', { onRequest: requireToken({ verifier: down }) }, async () => ({}));
  app.get('/strict', { onRequest: requireToken({ verifier: strict }) }, async (request) => ({
    clientId: request.auth?.clientId,
    jkt: request.auth?.dpop?.jkt,
    x5t: request.auth?.certificateThumbprint,
  }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
});
