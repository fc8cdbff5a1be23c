/**
 * @tessera/verify against raw node:crypto and jose, in one process, on one core:
 *
 *   npm run build && taskset -c 0 node --import tsx bench/verify.bench.ts
 *
 * `--dpop` runs only the DPoP rows (token + proof against raw node:crypto);
 * `--status` only cached verification with and without status lists;
 * `--rounds=N` takes the median of N rounds instead of 9.
 *
 * The keys are generated here and the JWKS is served in-process (an injected
 * fetch), so no network is in the loop. Each figure is the median ops/s of
 * several timed rounds after a warm-up.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomUUID, sign, verify } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { jwtVerify } from 'jose';
import { createVerifier, type Verifier } from '../packages/verify/src/index.js';

/** `--rounds=N` for more rounds on a noisy (shared) machine. */
const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 9);
const ROUND_MS = 200;
const WARMUP_MS = 300;
const ISSUER = 'https://tessera.example';

type Alg = 'RS256' | 'ES256' | 'EdDSA';

interface Case {
  alg: Alg;
  token: string;
  publicKey: KeyObject;
  privateKey: KeyObject;
  jwks: { keys: object[] };
  /** Another token of the same shape and length, with a different `jti` (and extra claims). */
  mint: (n: number, extra?: Record<string, unknown>) => string;
  /** Signs any JWS with the case's key. */
  signInput: (input: string) => string;
}

function makeCase(alg: Alg): Case {
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  const kid = `bench-${alg}`;
  const now = Math.floor(Date.now() / 1000);
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const signInput = (input: string) => {
    const data = Buffer.from(input);
    const signature =
      alg === 'RS256'
        ? sign('sha256', data, pair.privateKey)
        : alg === 'ES256'
          ? sign('sha256', data, { key: pair.privateKey, dsaEncoding: 'ieee-p1363' })
          : sign(null, data, pair.privateKey);
    return `${input}.${signature.toString('base64url')}`;
  };
  const mint = (n: number, extra: Record<string, unknown> = {}) => {
    const input = `${b64({ alg, typ: 'at+jwt', kid })}.${b64({
      iss: ISSUER,
      sub: 'task-service',
      client_id: 'task-service',
      aud: 'calendar',
      iat: now,
      nbf: now,
      exp: now + 86_400,
      jti: `5b8f0c52-6a4f-4f43-9f4e-${n.toString(16).padStart(12, '0')}`,
      scope: 'event.view event.create',
      scp: ['event.view', 'event.create'],
      ...extra,
    })}`;
    return signInput(input);
  };
  return {
    alg,
    token: mint(0x7d1f0d5d2a11),
    publicKey: pair.publicKey,
    privateKey: pair.privateKey,
    jwks: { keys: [{ ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' }] },
    mint,
    signInput,
  };
}

function verifierFor(c: Case, cacheSize: number): Verifier {
  return createVerifier({
    issuer: ISSUER,
    audience: 'calendar',
    jwksUri: 'https://tessera.example/jwks',
    cacheSize,
    fetch: async () => new Response(JSON.stringify(c.jwks), { headers: { 'content-type': 'application/json' } }),
  });
}

let sink = 0;

type Subject = { sync: () => unknown } | { async: () => Promise<unknown> };

async function runFor(subject: Subject, ms: number): Promise<number> {
  let n = 0;
  const end = performance.now() + ms;
  if ('sync' in subject) {
    const fn = subject.sync;
    while (performance.now() < end) {
      // Batches keep the clock reads out of the figure.
      for (let i = 0; i < 64; i++) if (fn()) sink++;
      n += 64;
    }
  } else {
    const fn = subject.async;
    while (performance.now() < end) {
      for (let i = 0; i < 64; i++) if (await fn()) sink++;
      n += 64;
    }
  }
  return n;
}

/**
 * Rounds of all subjects interleaved (a, b, c, a, b, c, …), so drift in the
 * machine's speed affects them alike; the median round of each is reported.
 */
async function measure(subjects: Subject[]): Promise<number[]> {
  for (const s of subjects) await runFor(s, WARMUP_MS);
  const rates: number[][] = subjects.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, s] of subjects.entries()) {
      const start = performance.now();
      const n = await runFor(s, ROUND_MS);
      rates[i]?.push(n / ((performance.now() - start) / 1000));
    }
  }
  return rates.map(median);
}

/**
 * For ratios close to 1 on a shared machine: many short slices, the
 * subjects in turn (the order rotating), and each subject's rate divided by
 * the first subject's in the same round; the median of those ratios. Slow
 * phases of the machine then hit both sides of each ratio alike.
 */
async function measurePaired(
  subjects: Subject[],
  rounds: number,
  sliceMs: number,
): Promise<{ rates: number[]; ratios: number[] }> {
  for (const s of subjects) await runFor(s, WARMUP_MS);
  const rates: number[][] = subjects.map(() => []);
  const ratios: number[][] = subjects.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const round: number[] = [];
    for (let k = 0; k < subjects.length; k++) {
      const i = (k + r) % subjects.length;
      const start = performance.now();
      const n = await runFor(subjects[i] as Subject, sliceMs);
      round[i] = n / ((performance.now() - start) / 1000);
    }
    for (const [i, rate] of round.entries()) {
      rates[i]?.push(rate);
      ratios[i]?.push(rate / (round[0] as number));
    }
  }
  return { rates: rates.map(median), ratios: ratios.map(median) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** The least any verifier must do: split off the signature, decode it, verify. */
function rawVerify(c: Case): () => boolean {
  const check = rawCheck(c);
  return () => check(c.token);
}

function rawCheck(c: Case): (token: string) => boolean {
  const opts =
    c.alg === 'ES256'
      ? { hash: 'sha256', key: { key: c.publicKey, dsaEncoding: 'ieee-p1363' as const } }
      : c.alg === 'RS256'
        ? { hash: 'sha256', key: c.publicKey }
        : { hash: null, key: c.publicKey };
  return (token) => {
    const dot = token.lastIndexOf('.');
    return verify(
      opts.hash,
      Buffer.from(token.slice(0, dot), 'latin1'),
      opts.key,
      Buffer.from(token.slice(dot + 1), 'base64url'),
    );
  };
}

/**
 * A server gets each token as a new string, cut from its Authorization
 * header: unlike the one string reused above, V8 has not hashed it yet, and
 * a cache lookup hashes all of it. `(i) => token` as a request would hand it.
 */
function fromHeaders(tokens: string[]): () => string {
  // Flat strings, as an HTTP parser makes them; slice(7) is what extractBearer does.
  const headers = tokens.map((t) => Buffer.from(`Bearer ${t}`, 'latin1').toString('latin1'));
  let i = 0;
  return () => {
    const header = headers[i] as string;
    i = i + 1 === headers.length ? 0 : i + 1;
    return header.slice(7);
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(11);
const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(0)} %`.padStart(6);

async function main() {
  if (process.argv.includes('--dpop')) {
    await dpopRows();
    return;
  }
  if (process.argv.includes('--status')) {
    await statusRows();
    return;
  }
  console.log(
    `node ${process.version}, ${ROUNDS} rounds × ${ROUND_MS} ms after ${WARMUP_MS} ms warm-up, median ops/s\n`,
  );
  console.log(
    'alg     raw node:crypto   verifySync (uncached)  of raw   verify() (uncached)  of raw   jose jwtVerify  ours/jose',
  );
  let cachedCase: Case | undefined;
  for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
    const c = makeCase(alg);
    cachedCase ??= c;
    const uncached = verifierFor(c, 0);
    await uncached.verify(c.token); // loads the JWKS once
    const [raw = 0, sync = 0, async = 0, jose = 0] = await measure([
      { sync: rawVerify(c) },
      { sync: () => uncached.verifySync(c.token) },
      { async: () => uncached.verify(c.token) },
      {
        async: () =>
          jwtVerify(c.token, c.publicKey, { issuer: ISSUER, audience: 'calendar', typ: 'at+jwt', algorithms: [alg] }),
      },
    ]);
    console.log(
      `${alg.padEnd(6)}  ${fmt(raw)}       ${fmt(sync)}         ${pct(sync, raw)}   ${fmt(async)}          ${pct(async, raw)}   ${fmt(jose)}       ${(sync / jose).toFixed(2)}×`,
    );
  }
  if (!cachedCase) return;
  const c = cachedCase;
  const cached = verifierFor(c, 10_000);
  await cached.verify(c.token);
  const scope = { scope: 'event.view' };
  const [hitSync = 0, hitAsync = 0] = await measure([
    { sync: () => cached.verifySync(c.token, scope) },
    { async: () => cached.verify(c.token, scope) },
  ]);
  console.log(
    `\ncached (${c.alg}, same token, scope check): verifySync ${fmt(hitSync)} ops/s   verify() ${fmt(hitAsync)} ops/s`,
  );

  // The same two figures with each token a new string, as a server gets it.
  // First sight: more distinct tokens than the cache holds, in turn, so each
  // one misses (FIFO), is verified, and enters the cache, evicting another.
  const distinct = 512;
  const tokens = Array.from({ length: distinct }, (_, n) => c.mint(n));
  const firstSight = verifierFor(c, distinct / 2);
  await firstSight.verify(c.token);
  const rawNext = fromHeaders(tokens);
  const oursNext = fromHeaders(tokens);
  const check = rawCheck(c);
  const hitNext = fromHeaders([c.token]);
  const [rawFresh = 0, firstSync = 0, hitFresh = 0] = await measure([
    { sync: () => check(rawNext()) },
    { sync: () => firstSight.verifySync(oursNext(), scope) },
    { sync: () => cached.verifySync(hitNext(), scope) },
  ]);
  console.log(
    `\nwith a new token string per request (${c.alg}, as cut from an Authorization header, scope check):` +
      `\n  raw node:crypto ${fmt(rawFresh)} ops/s   first sight, cache on: verifySync ${fmt(firstSync)} ops/s ${pct(firstSync, rawFresh)} of raw` +
      `\n  cached: verifySync ${fmt(hitFresh)} ops/s`,
  );
  await dpopRows();
  if (sink === 0) console.log('(nothing verified?)');
}

/**
 * A DPoP-bound ES256 token with an ES256 proof per request (RFC 9449 §7):
 * the verifier (token uncached, so both signatures are checked) against raw
 * node:crypto doing the least any verifier must: both signature checks, the
 * SHA-256 of the token for `ath` and the SHA-256 of the key for its
 * thumbprint. Each call takes the next of many proofs minted beforehand,
 * since a proof's jti is single use and the verifier remembers it.
 */
async function dpopRows(): Promise<void> {
  const c = makeCase('ES256');
  const proofKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = proofKey.publicKey.export({ format: 'jwk' });
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  const jkt = createHash('sha256').update(canonical).digest('base64url');
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  // The case's token, re-minted with cnf.jkt: same issuer key, same shape.
  const [, payload = ''] = c.token.split('.');
  const claims = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), cnf: { jkt } };
  const input = `${b64({ alg: 'ES256', typ: 'at+jwt', kid: 'bench-ES256' })}.${b64(claims)}`;
  const token = `${input}.${sign('sha256', Buffer.from(input), { key: c.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  const url = 'https://calendar.example/events';
  const ath = createHash('sha256').update(token).digest('base64url');
  const header = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk });
  const iat = Math.floor(Date.now() / 1000);
  // Enough for the warm-up and every round at well over raw speed; a replayed one would throw.
  const proofs = Array.from({ length: 20_000 + ROUNDS * 4_000 }, () => {
    const proofInput = `${header}.${b64({ jti: randomUUID(), htm: 'GET', htu: url, iat, ath })}`;
    const signature = sign('sha256', Buffer.from(proofInput), { key: proofKey.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${proofInput}.${signature.toString('base64url')}`;
  });
  const uncached = verifierFor(c, 0);
  let next = 0;
  const presentation = () => ({ scheme: 'dpop' as const, proof: proofs[next++], method: 'GET', url });
  await uncached.verify(token, { presentation: presentation() });
  const checkToken = rawCheck(c);
  const checkProof = rawCheck({ ...c, publicKey: proofKey.publicKey });
  let p = 0;
  const raw = () => {
    const proof = proofs[p] as string;
    p = p + 1 === proofs.length ? 0 : p + 1;
    const hashes =
      createHash('sha256').update(token).digest('base64url') === ath &&
      createHash('sha256').update(canonical).digest('base64url') === jkt;
    return checkToken(token) && checkProof(proof) && hashes;
  };
  const [rawRate = 0, oursRate = 0] = await measure([
    { sync: raw },
    { sync: () => uncached.verifySync(token, { presentation: presentation() }) },
  ]);
  const used = next;
  // Another verifier, another replay cache: the proofs can be used once more.
  next = 0;
  const cached = verifierFor(c, 10_000);
  await cached.verify(token, { presentation: presentation() });
  const [cachedRate = 0] = await measure([{ sync: () => cached.verifySync(token, { presentation: presentation() }) }]);
  console.log(
    `\nDPoP-bound ES256 token + ES256 proof (a new proof per request, replay cache on):` +
      `\n  raw node:crypto (2 verifies + 2 SHA-256) ${fmt(rawRate)} ops/s` +
      `\n  verifier checking token + DPoP proof    ${fmt(oursRate)} ops/s ${pct(oursRate, rawRate)} of raw` +
      `\n  the same, token cached (proof still checked) ${fmt(cachedRate)} ops/s   (${used} and ${next} proofs used)`,
  );
}

/**
 * Cached verification (RS256, the verified-token cache on, scope check)
 * with a token that carries a status list reference, its list held (one
 * Uint8Array read per request), against the same without: a token without
 * `status`, and a verifier with status lists off. Same run, rounds
 * interleaved; both as the same string and as a new string per request.
 */
async function statusRows(): Promise<void> {
  const c = makeCase('RS256');
  const uri = 'https://tessera.example/status/1';
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  // A list of 1,048,576 one-bit statuses, a few set.
  const bytes = new Uint8Array(131_072);
  for (let i = 0; i < bytes.length; i += 997) bytes[i] = 0x10;
  const now = Math.floor(Date.now() / 1000);
  const listToken = c.signInput(
    `${b64({ alg: 'RS256', typ: 'statuslist+jwt', kid: `bench-${c.alg}` })}.${b64({
      sub: uri,
      iss: ISSUER,
      iat: now,
      exp: now + 86_400,
      ttl: 86_400,
      status_list: { bits: 1, lst: deflateSync(bytes).toString('base64url') },
    })}`,
  );
  const serve = async (url: string) =>
    url === uri
      ? new Response(listToken, { headers: { 'content-type': 'application/statuslist+jwt' } })
      : new Response(JSON.stringify(c.jwks), { headers: { 'content-type': 'application/json' } });
  const make = (status: boolean) =>
    createVerifier({
      issuer: ISSUER,
      audience: 'calendar',
      jwksUri: 'https://tessera.example/jwks',
      cacheSize: 10_000,
      fetch: serve,
      status: status ? { subscribe: false } : false,
    });
  // Same length for both tokens: the plain one carries padding in place of the status claim.
  const withStatus = c.mint(1, { status: { status_list: { idx: 524_287, uri } } });
  let plain = c.mint(2);
  for (let pad = 0; plain.length < withStatus.length; pad++) plain = c.mint(2, { pad: 'x'.repeat(pad) });
  const on = make(true);
  const off = make(false);
  await on.verify(withStatus);
  await on.verify(plain);
  await off.verify(plain);
  if (on.verifySync(withStatus)?.status?.idx !== 524_287) throw new Error('the status was not read');
  const scope = { scope: 'event.view' };
  const rounds = ROUNDS * 20;
  const sliceMs = 25;
  console.log(
    `node ${process.version}, ${rounds} rounds × 3 subjects × ${sliceMs} ms after ${WARMUP_MS} ms warm-up; ` +
      'median ops/s, and the median of the per-round ratios to "status off"\n' +
      `cached verification (${c.alg}, scope check), token lengths ${withStatus.length} / ${plain.length}\n`,
  );
  const same = await measurePaired(
    [
      { sync: () => off.verifySync(plain, scope) },
      { sync: () => on.verifySync(plain, scope) },
      { sync: () => on.verifySync(withStatus, scope) },
    ],
    rounds,
    sliceMs,
  );
  const nextOff = fromHeaders([plain]);
  const nextPlain = fromHeaders([plain]);
  const nextStatus = fromHeaders([withStatus]);
  const fresh = await measurePaired(
    [
      { sync: () => off.verifySync(nextOff(), scope) },
      { sync: () => on.verifySync(nextPlain(), scope) },
      { sync: () => on.verifySync(nextStatus(), scope) },
    ],
    rounds,
    sliceMs,
  );
  const ratio = (a = 0) => `${a.toFixed(3)}×`;
  for (const [label, { rates, ratios }] of [
    ['same token string      ', same],
    ['new string per request ', fresh],
  ] as const) {
    console.log(
      `${label} status off ${fmt(rates[0] ?? 0)}   no status claim ${fmt(rates[1] ?? 0)} (${ratio(ratios[1])})` +
        `   with status list ${fmt(rates[2] ?? 0)} (${ratio(ratios[2])} of off)`,
    );
  }
  if (sink === 0) console.log('(nothing verified?)');
}

await main();
