import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, type JWK, jwtVerify, SignJWT } from 'jose';
import { RemoteJwksCache } from './remote-jwks.js';

describe('RemoteJwksCache', () => {
  let served: unknown;
  let delayMs = 0;
  let fetches = 0;
  let base: string;
  const server = createServer((_req, res) => {
    fetches++;
    setTimeout(() => {
      res.setHeader('content-type', 'application/json');
      res.end(typeof served === 'string' ? served : JSON.stringify(served));
    }, delayMs);
  });

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function keyPair(kid: string) {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } as JWK };
  }
  const sign = (k: Awaited<ReturnType<typeof keyPair>>) =>
    new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: k.jwk.kid as string }).sign(k.privateKey);

  it('picks up a new kid once the cooldown has passed', async () => {
    const one = await keyPair('one');
    const two = await keyPair('two');
    served = { keys: [one.jwk] };
    fetches = 0;
    const cache = new RemoteJwksCache(0);
    const keys = cache.get(`${base}/rotating`);
    await jwtVerify(await sign(one), keys);
    served = { keys: [one.jwk, two.jwk] };
    await jwtVerify(await sign(two), keys);
    assert.equal(fetches, 2);
  });

  it('shares one key set per URI', () => {
    const cache = new RemoteJwksCache();
    assert.equal(cache.get(`${base}/a`), cache.get(`${base}/a`));
    assert.notEqual(cache.get(`${base}/a`), cache.get(`${base}/b`));
  });

  it('refuses a response over the size cap', async () => {
    const one = await keyPair('big');
    served = JSON.stringify({ keys: [one.jwk], padding: 'x'.repeat(70 * 1024) });
    const cache = new RemoteJwksCache(0);
    await assert.rejects(jwtVerify(await sign(one), cache.get(`${base}/big`)), /too large/);
  });

  it('gives up after the timeout instead of hanging', async () => {
    const one = await keyPair('slow');
    served = { keys: [one.jwk] };
    delayMs = 500;
    const cache = new RemoteJwksCache(0, 100);
    const started = Date.now();
    await assert.rejects(jwtVerify(await sign(one), cache.get(`${base}/slow`)));
    assert.ok(Date.now() - started < 450);
    delayMs = 0;
  });
});
