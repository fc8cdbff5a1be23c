import { request } from 'node:http';
import { createVerifier } from '../../packages/verify/src/index.js';
import { rssMb } from './proc.js';
import type { RevocationResult, SubscriberMemory } from './report.js';
import { percentile } from './stats.js';
import { BODY, call, type TesseraTarget } from './targets.js';

/**
 * The server setting that turns status lists off, if the server has one (TESSERA_* variables); without one, the
 * on/off rows need BENCH_STATUS_OFF_MAIN, the main.js of a build without status lists.
 */
export const STATUS_LISTS_OFF: Record<string, string> | undefined = { TESSERA_STATUS_LISTS: 'false' };

/**
 * Status lists (CONTRACT part two): how soon a revocation reaches a verifier
 * subscribed to the events stream, and what each subscriber costs the
 * server. Both against one Tessera over plain HTTP on 127.0.0.1.
 */

interface Metadata {
  issuer: string;
  revocation_endpoint: string;
  status_list_events_endpoint?: string;
}

async function metadata(t: TesseraTarget): Promise<Metadata> {
  const r = await call(`${t.baseUrl}/.well-known/oauth-authorization-server`, {}, { ca: t.ca });
  return JSON.parse(r.text) as Metadata;
}

async function issue(t: TesseraTarget): Promise<string> {
  const r = await call(t.tokenUrl, {
    method: 'POST',
    headers: { authorization: t.creds.auth ?? '', 'content-type': 'application/x-www-form-urlencoded' },
    body: BODY,
  });
  const token = (JSON.parse(r.text) as { access_token?: string }).access_token;
  if (r.status !== 200 || !token) throw new Error(`no token from ${t.tokenUrl}: ${r.status} ${r.text.slice(0, 200)}`);
  return token;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `count` tokens, each first accepted by one @tessera/verify verifier (status
 * lists on, subscribed to the issuer's events stream, its defaults), then
 * revoked one at a time: the time from the start of the revoke call until
 * that verifier rejects the token as revoked, polled every millisecond.
 */
export async function revocationLatency(t: TesseraTarget, count: number): Promise<RevocationResult> {
  const meta = await metadata(t);
  if (!meta.status_list_events_endpoint) throw new Error('discovery has no status_list_events_endpoint');
  // The server runs with issuerAtAddress, so the verifier follows discovery to 127.0.0.1, never to ::1.
  const verifier = createVerifier({ issuer: meta.issuer, audience: 'calendar' });
  try {
    const tokens: string[] = [];
    for (let i = 0; i < count; i++) tokens.push(await issue(t));
    // Every token accepted first: its list is loaded, and the subscription opened with the first.
    for (const token of tokens) await verifier.verify(token);
    await sleep(500);
    const latencies: number[] = [];
    const revoke = meta.revocation_endpoint;
    for (const token of tokens) {
      const start = performance.now();
      const r = await call(revoke, {
        method: 'POST',
        headers: { authorization: t.creds.auth ?? '', 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${encodeURIComponent(token)}`,
      });
      if (r.status !== 200) throw new Error(`revocation answered ${r.status}: ${r.text.slice(0, 200)}`);
      for (;;) {
        try {
          await verifier.verify(token);
        } catch (err) {
          if ((err as { code?: string }).code === 'token_revoked') break;
          throw err;
        }
        if (performance.now() - start > 10_000) throw new Error('a revoked token was still accepted after 10 s');
        await sleep(1);
      }
      latencies.push(performance.now() - start);
    }
    const sorted = Float64Array.from(latencies).sort();
    return {
      count,
      p50_ms: percentile(sorted, 50),
      p99_ms: percentile(sorted, 99),
      max_ms: sorted[sorted.length - 1] ?? Number.NaN,
    };
  } finally {
    (verifier as { close?: () => void }).close?.();
  }
}

/** The server's RSS before and after `count` clients subscribe to its events stream (each answered 200 first). */
export async function subscriberMemory(t: TesseraTarget, count: number): Promise<SubscriberMemory> {
  const meta = await metadata(t);
  if (!meta.status_list_events_endpoint) throw new Error('discovery has no status_list_events_endpoint');
  const url = meta.status_list_events_endpoint;
  // A fresh server settles (its client cache filled, start-up garbage collected) before the first reading.
  await sleep(2000);
  const rssBeforeMb = rssMb(t.pid);
  const open: { destroy(): void }[] = [];
  try {
    for (let i = 0; i < count; i += 100) {
      await Promise.all(
        Array.from(
          { length: Math.min(100, count - i) },
          () =>
            new Promise<void>((resolve, reject) => {
              const req = request(url, { headers: { accept: 'text/event-stream' }, agent: false }, (res) => {
                if (res.statusCode !== 200) reject(new Error(`the events stream answered ${res.statusCode}`));
                else {
                  // Read, as a subscriber reads its stream, so nothing backs up in the server.
                  res.resume();
                  resolve();
                }
              });
              req.on('error', reject);
              req.setTimeout(10_000, () => req.destroy(new Error('the events stream did not answer in 10 s')));
              req.end();
              open.push(req);
            }),
        ),
      );
    }
    // Let the server settle (its per-connection buffers allocated, a collection done) before reading.
    await sleep(2000);
    return { subscribers: count, rssBeforeMb, rssAfterMb: rssMb(t.pid) };
  } finally {
    for (const req of open) req.destroy();
  }
}
