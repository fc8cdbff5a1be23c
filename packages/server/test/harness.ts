import { randomBytes, randomUUID } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { SignJWT } from 'jose';
import { type Config, loadConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/logging/logger.js';
import { createTessera, type Tessera } from '../src/server.js';

export const ISSUER = 'http://tessera.test';
export const ADMIN_KEY = 'test-admin-key-0123456789';
export const TOKEN_URL = `${ISSUER}/oauth2/token`;

/** A clock the test moves by hand: no sleeping. */
export class TestClock {
  constructor(public ms = Date.UTC(2026, 10, 23, 12, 0, 0)) {}
  now = (): number => this.ms;
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export interface Harness {
  tessera: Tessera;
  clock: TestClock;
  /** Everything logged, one JSON line per entry. */
  logs: string[];
  inject(opts: InjectOptions): Promise<LightMyRequestResponse>;
  admin(method: InjectOptions['method'], url: string, body?: unknown): Promise<LightMyRequestResponse>;
  createClient(
    metadata?: Record<string, unknown>,
  ): Promise<{ client_id: string; client_secret: string; [k: string]: unknown }>;
  /** POSTs a form to the token endpoint. */
  token(form: Record<string, string | string[]>, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export function basic(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

export function form(params: Record<string, string | string[]>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
  return p.toString();
}

export async function startHarness(overrides: Partial<Config> = {}, env: NodeJS.ProcessEnv = {}): Promise<Harness> {
  const clock = new TestClock();
  const logs: string[] = [];
  // The server's own logger options (censored paths, secret redaction), writing into `logs`.
  const logger = createLogger('debug', { write: (line: string) => logs.push(line) });
  const config = loadConfig(
    {
      TESSERA_DATABASE_URL: 'sqlite::memory:',
      TESSERA_ADMIN_KEY: ADMIN_KEY,
      TESSERA_ISSUER: ISSUER,
      TESSERA_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
      ...env,
    },
    overrides,
  );
  const tessera = await createTessera(config, { logger, now: clock.now });
  const inject = (opts: InjectOptions) => tessera.app.inject(opts);
  const admin = (method: InjectOptions['method'], url: string, body?: unknown) =>
    inject({
      method,
      url,
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
    });
  return {
    tessera,
    clock,
    logs,
    inject,
    admin,
    async createClient(metadata = {}) {
      const r = await admin('POST', '/admin/clients', metadata);
      if (r.statusCode !== 201) throw new Error(`createClient: ${r.statusCode} ${r.body}`);
      return r.json();
    },
    token(params, headers = {}) {
      return inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: form(params),
      });
    },
    close: () => tessera.close(),
  };
}

/** Decodes a JWT's header and payload (no verification: tests verify separately). */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h ?? '', 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p ?? '', 'base64url').toString()),
  };
}

/** A token request authenticated with client_secret_jwt (RFC 7523): an HS256 assertion under the client's secret. */
export async function tokenWithSecretJwt(
  h: Harness,
  c: { client_id: string; client_secret: string },
): Promise<LightMyRequestResponse> {
  const now = Math.floor(h.clock.ms / 1000);
  const assertion = await new SignJWT({ iss: c.client_id, sub: c.client_id, aud: ISSUER, jti: randomUUID() })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(new TextEncoder().encode(c.client_secret));
  return h.token({
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  });
}
