import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, request, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { requireToken as expressRequireToken } from '../middleware/express.js';
import { requireToken as fastifyRequireToken, tesseraVerify } from '../middleware/fastify.js';
import { requireToken } from '../middleware/node-http.js';
import { selfSigned, type TestCertificate } from '../testing/certificates.js';
import { type LocalIssuer, startLocalIssuer } from '../testing/local-issuer.js';
import { createVerifier } from '../verifier.js';

type Verifier = ReturnType<typeof createVerifier>;
/** Starts an https app answering GET /events with `{ x5t: req.auth.certificateThumbprint }`. */
type StartTls = (tls: ServerOptions, verifier: Verifier) => Promise<{ port: number; close(): Promise<void> }>;

const frameworks: [string, StartTls][] = [
  [
    'node:http',
    async (tls, verifier) => {
      const handler = requireToken({ verifier }, (_req, res, token) => {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ x5t: token.certificateThumbprint ?? null }));
      });
      return listen(createServer(tls, handler));
    },
  ],
  [
    'Express',
    async (tls, verifier) => {
      const app = express();
      app.get('/events', expressRequireToken({ verifier }), (req, res) => {
        res.json({ x5t: req.auth?.certificateThumbprint ?? null });
      });
      return listen(createServer(tls, app));
    },
  ],
  [
    'Fastify',
    async (tls, verifier) => {
      const app = Fastify({ https: tls });
      await app.register(tesseraVerify, { verifier });
      app.get('/events', { onRequest: fastifyRequireToken({ verifier }) }, async (request) => ({
        x5t: request.auth?.certificateThumbprint ?? null,
      }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
    },
  ],
];

async function listen(server: ReturnType<typeof createServer>) {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

for (const [name, start] of frameworks) {
  /** RFC 8705 §3 through a real TLS connection: the certificate comes from the socket. */
  describe(`certificate-bound tokens over TLS (${name} middleware)`, () => {
    let iss: LocalIssuer;
    let app: { port: number; close(): Promise<void> };
    let port: number;
    let serverCert: TestCertificate;
    let client: TestCertificate;
    let stranger: TestCertificate;

    before(async () => {
      iss = await startLocalIssuer();
      serverCert = selfSigned('calendar');
      client = selfSigned('task-service');
      stranger = selfSigned('someone-else');
      const verifier = createVerifier({ issuer: iss.issuer, audience: 'calendar', mtls: true });
      // Requested, not required: the binding, not the chain, is what the resource checks (RFC 8705 §3).
      app = await start(
        { cert: serverCert.cert, key: serverCert.key, requestCert: true, rejectUnauthorized: false },
        verifier,
      );
      port = app.port;
    });
    after(async () => {
      await app?.close();
      await iss?.close();
    });

    const get = (token: string, cert?: TestCertificate) =>
      new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/events',
            ca: serverCert.cert,
            servername: 'localhost',
            agent: false,
            headers: { authorization: `Bearer ${token}` },
            ...(cert ? { cert: cert.cert, key: cert.key } : {}),
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => {
              text += d;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
          },
        );
        req.on('error', reject);
        req.end();
      });

    const x5t = (der: Buffer) => createHash('sha256').update(der).digest('base64url');

    it('accepts the token over a connection with the certificate it is bound to', async () => {
      const token = iss.token({ cnf: { 'x5t#S256': x5t(client.der) } });
      const r = await get(token, client);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { x5t: x5t(client.der) });
    });

    it('refuses it with another certificate or none', async () => {
      const token = iss.token({ cnf: { 'x5t#S256': x5t(client.der) } });
      const other = await get(token, stranger);
      assert.equal(other.status, 401);
      assert.deepEqual(other.body, {
        error: 'invalid_token',
        error_description: 'The client certificate does not match the access token',
      });
      const none = await get(token);
      assert.equal(none.status, 401);
      assert.equal(
        none.body.error_description,
        'The access token is bound to a client certificate that was not presented',
      );
    });

    it('still serves unbound bearer tokens with or without a certificate', async () => {
      assert.equal((await get(iss.token(), client)).status, 200);
      assert.equal((await get(iss.token())).status, 200);
    });
  });
}
