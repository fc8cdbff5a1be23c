import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import { basicAuth, startTessera, type TesseraProcess } from './support/tessera-process.js';

/**
 * The Calendar Service protected by express-oauth2-jwt-bearer, configured
 * only with Tessera's issuer URL and its own audience: discovery, JWKS,
 * RFC 9068 checks and scopes are the library's, unchanged.
 */
describe('express-oauth2-jwt-bearer in front of a Calendar Service', () => {
  let t: TesseraProcess;
  let server: Server;
  let calendar: string;
  let task: { client_id: string; client_secret?: string };

  before(async () => {
    t = await startTessera();
    task = await t.createClient({ scope: 'event.view event.create file.view', audience: ['event', 'file'] });
    const app = express();
    app.use(auth({ issuerBaseURL: t.url, audience: 'event' }));
    app.post('/events', requiredScopes('event.create'), (req, res) => {
      // Read as express-oauth2-jwt-bearer types it (@tessera/verify augments req.auth differently).
      const { auth: result } = req as unknown as { auth?: { payload: { client_id?: string } } };
      res.status(201).json({ created_by: result?.payload.client_id });
    });
    app.delete('/events/1', requiredScopes('event.delete'), (_req, res) => {
      res.status(204).end();
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    calendar = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await t?.stop();
  });

  const tokenFor = async (params: string) => {
    const r = await fetch(`${t.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: basicAuth(task.client_id, task.client_secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `grant_type=client_credentials&${params}`,
    });
    return ((await r.json()) as { access_token: string }).access_token;
  };
  const call = (method: string, path: string, token?: string) =>
    fetch(calendar + path, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('accepts a token for audience event with the needed scope', async () => {
    const r = await call('POST', '/events', await tokenFor('audience=event&scope=event.create'));
    assert.equal(r.status, 201);
    assert.deepEqual(await r.json(), { created_by: task.client_id });
  });

  it('answers 403 insufficient_scope when the scope is missing', async () => {
    const r = await call('DELETE', '/events/1', await tokenFor('audience=event&scope=event.view'));
    assert.equal(r.status, 403);
    assert.match(String(r.headers.get('www-authenticate')), /insufficient_scope/);
  });

  it('answers 401 to a token for another audience, and to none', async () => {
    const forFiles = await call('POST', '/events', await tokenFor('audience=file&scope=file.view'));
    assert.equal(forFiles.status, 401);
    assert.match(String(forFiles.headers.get('www-authenticate')), /invalid_token/);
    assert.equal((await call('POST', '/events')).status, 401);
  });
});
