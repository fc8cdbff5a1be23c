import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type Harness, startHarness } from './harness.js';

/** Opens a raw connection, writes `chunks` slowly, resolves with what came back and when it closed. */
function trickle(port: number, chunks: string[], gapMs: number): Promise<{ answer: string; closedAfterMs: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let i = 0;
    const timer = setInterval(() => {
      if (i < chunks.length && !socket.destroyed) socket.write(chunks[i++] as string);
    }, gapMs);
    socket.on('data', (d) => {
      answer += d.toString();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer, closedAfterMs: Date.now() - started });
    });
    // Bounded: the test fails rather than hangs if the server never closes.
    setTimeout(() => socket.destroy(), 15_000).unref();
  });
}

describe('HTTP hardening', () => {
  const harnesses: Harness[] = [];
  after(async () => {
    for (const h of harnesses) await h.close();
  });

  it('sends security headers on every answer', async () => {
    const h = await startHarness();
    harnesses.push(h);
    for (const url of ['/healthz', '/.well-known/jwks.json', '/oauth2/token', '/admin/clients', '/nope']) {
      const r = await h.inject({ method: url === '/oauth2/token' ? 'POST' : 'GET', url });
      assert.equal(r.headers['x-content-type-options'], 'nosniff', url);
      assert.equal(r.headers['x-frame-options'], 'DENY', url);
      assert.equal(r.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'", url);
      assert.equal(r.headers['referrer-policy'], 'no-referrer', url);
      assert.equal(r.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP');
      assert.match(String(r.headers['x-request-id']), /^[\w-]+$/);
    }
  });

  it('cuts off a client that trickles its headers (slowloris), and one that stalls its body', async () => {
    const h = await startHarness({ headersTimeoutMs: 1000, requestTimeoutMs: 2000 });
    harnesses.push(h);
    const port = Number(new URL(await h.tessera.app.listen({ port: 0, host: '127.0.0.1' })).port);
    const headers = [
      'POST /oauth2/token HTTP/1.1\r\n',
      'Host: x\r\n',
      ...Array.from({ length: 50 }, (_, i) => `X-Slow-${i}: y\r\n`),
    ];
    const slowHeaders = await trickle(port, headers, 200);
    assert.ok(slowHeaders.closedAfterMs < 3500, `headers: closed after ${slowHeaders.closedAfterMs} ms`);
    const body = [
      'POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\n',
      'grant_type=',
    ];
    const slowBody = await trickle(port, body, 100);
    assert.ok(slowBody.closedAfterMs < 5000, `body: closed after ${slowBody.closedAfterMs} ms`);
    assert.ok(!/^HTTP\/1\.1 5/.test(slowBody.answer), slowBody.answer.slice(0, 80));
    // Meanwhile, ordinary clients are served.
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  });

  it('refuses headers over 16 KiB with 431', async () => {
    const h = await startHarness();
    harnesses.push(h);
    const port = Number(new URL(await h.tessera.app.listen({ port: 0, host: '127.0.0.1' })).port);
    const r = await trickle(port, [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`], 1);
    assert.match(r.answer, /^HTTP\/1\.1 431/);
  });

  it('uses the forwarded client address only when TESSERA_TRUST_PROXY says so', async () => {
    for (const [trust, expected] of [
      ['false', '127.0.0.1'],
      ['true', '203.0.113.9'],
      ['127.0.0.1', '203.0.113.9'],
    ] as const) {
      const h = await startHarness({}, { TESSERA_TRUST_PROXY: trust });
      harnesses.push(h);
      await h.inject({
        method: 'GET',
        url: '/healthz',
        headers: { 'x-forwarded-for': '203.0.113.9' },
        remoteAddress: '127.0.0.1',
      });
      const line = h.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'request');
      assert.equal(line?.ip, expected, `TESSERA_TRUST_PROXY=${trust}`);
    }
  });

  it('serves HTTPS itself with TESSERA_TLS_CERT and TESSERA_TLS_KEY, with HSTS and an https issuer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-tls-'));
    try {
      const cert = join(dir, 'cert.pem');
      const key = join(dir, 'key.pem');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-keyout',
          key,
          '-out',
          cert,
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
        ],
        { stdio: 'ignore' },
      );
      const h = await startHarness({}, { TESSERA_TLS_CERT: cert, TESSERA_TLS_KEY: key, TESSERA_ISSUER: '' });
      harnesses.push(h);
      const port = Number(new URL(await h.tessera.app.listen({ port: 0, host: '127.0.0.1' })).port);
      const { status, hsts, body } = await new Promise<{ status: number; hsts: string | undefined; body: string }>(
        (resolve, reject) => {
          const req = request(
            { host: '127.0.0.1', port, path: '/.well-known/oauth-authorization-server', rejectUnauthorized: false },
            (res) => {
              let text = '';
              res.on('data', (d) => {
                text += d;
              });
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, hsts: res.headers['strict-transport-security'], body: text }),
              );
            },
          );
          req.on('error', reject);
          req.end();
        },
      );
      assert.equal(status, 200);
      assert.equal(hsts, 'max-age=31536000');
      assert.match(JSON.parse(body).issuer, /^https:\/\/localhost:/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
