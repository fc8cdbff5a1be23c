import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startTessera, type TesseraProcess } from './support/tessera-process.js';

/** One request on a new connection each time, so the cluster's round robin spreads them over the workers. */
function call(url: string, method: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; setCookie: string | undefined }>((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, connection: 'close' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie']?.[0] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('console sessions with TESSERA_WORKERS=2', { timeout: 120_000 }, () => {
  let tessera: TesseraProcess;
  before(async () => {
    tessera = await startTessera({ TESSERA_WORKERS: '2' });
  });
  after(() => tessera.stop());

  it('every worker accepts the session one of them began, and none after sign-out', async () => {
    const signIn = await call(
      `${tessera.url}/admin/session`,
      'POST',
      { 'content-type': 'application/json', 'x-tessera-console': '1' },
      JSON.stringify({ admin_key: tessera.adminKey }),
    );
    assert.equal(signIn.status, 200);
    const cookie = signIn.setCookie?.split(';')[0] as string;
    // The start reaches the other worker through the primary; then each of 20 connections is accepted.
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await call(`${tessera.url}/admin/clients`, 'GET', { cookie })).status);
    assert.deepEqual(new Set(statuses), new Set([200]));
    const out = await call(`${tessera.url}/admin/session`, 'DELETE', { cookie, 'x-tessera-console': '1' });
    assert.equal(out.status, 204);
    const after: number[] = [];
    for (let i = 0; i < 20; i++) after.push((await call(`${tessera.url}/admin/clients`, 'GET', { cookie })).status);
    assert.deepEqual(new Set(after), new Set([401]));
  });
});
