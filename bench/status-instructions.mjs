// Instructions per cached verification, with and without a status list, counted
// by valgrind's callgrind (timings on a shared machine drift; counts do not):
//
//   npm run build && node bench/status-instructions.mjs
//
// Each variant runs in its own process twice, with N and 2N verifications
// after the same warm-up; the difference divided by N is the cost of one
// verification, startup and warm-up cancelled out.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const [, , variant, opsArg] = process.argv;
if (variant) {
  const { createVerifier } = await import('../packages/verify/dist/index.js');
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid: 'k', alg: 'ES256', use: 'sig' };
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const jws = (header, claims) => {
    const input = `${b64(header)}.${b64(claims)}`;
    const signature = sign('sha256', Buffer.from(input), { key: pair.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  };
  const issuer = 'https://tessera.example';
  const uri = `${issuer}/status/1`;
  const now = Math.floor(Date.now() / 1000);
  const list = jws(
    { alg: 'ES256', typ: 'statuslist+jwt', kid: 'k' },
    {
      sub: uri,
      iat: now,
      exp: now + 86_400,
      ttl: 86_400,
      status_list: { bits: 1, lst: deflateSync(new Uint8Array(131_072)).toString('base64url') },
    },
  );
  const claims = {
    iss: issuer,
    sub: 'task-service',
    client_id: 'task-service',
    aud: 'calendar',
    iat: now,
    exp: now + 86_400,
    scope: 'event.view event.create',
  };
  const extra = variant === 'status' ? { status: { status_list: { idx: 524_287, uri } } } : { pad: 'x'.repeat(48) };
  const token = jws({ alg: 'ES256', typ: 'at+jwt', kid: 'k' }, { ...claims, ...extra });
  const verifier = createVerifier({
    issuer,
    audience: 'calendar',
    jwksUri: `${issuer}/jwks`,
    status: variant === 'off' ? false : { subscribe: false },
    fetch: async (url) => new Response(url === uri ? list : JSON.stringify({ keys: [jwk] })),
  });
  await verifier.verify(token);
  const scope = { scope: 'event.view' };
  let sink = 0;
  const run = (n) => {
    for (let i = 0; i < n; i++) if (verifier.verifySync(token, scope)) sink++;
  };
  run(200_000);
  run(Number(opsArg));
  if (sink === 0) throw new Error('nothing verified');
} else {
  const N = 200_000;
  const count = (v, n) => {
    const out = `/tmp/status-instructions-${process.pid}-${v}-${n}.out`;
    execFileSync(
      'valgrind',
      [
        '--tool=callgrind',
        `--callgrind-out-file=${out}`,
        '--smc-check=all-non-file',
        process.execPath,
        '--single-threaded',
        '--min-semi-space-size=16',
        '--max-semi-space-size=16',
        new URL(import.meta.url).pathname,
        v,
        String(n),
      ],
      { stdio: 'ignore' },
    );
    const total = Number(/^summary: (\d+)/m.exec(readFileSync(out, 'utf8'))?.[1]);
    rmSync(out);
    return total;
  };
  const variants = process.env.VARIANTS?.split(',') ?? ['off', 'plain', 'status'];
  const per = {};
  for (const v of variants) per[v] = (count(v, 2 * N) - count(v, N)) / N;
  console.log(
    `node ${process.version}, instructions per cached verifySync (ES256 token, scope check), callgrind, ${N} vs ${2 * N} calls`,
  );
  for (const v of variants)
    console.log(`  ${v.padEnd(7)} ${per[v].toFixed(1)}   ${(per.off / per[v]).toFixed(3)}× the speed of off, counted`);
}
