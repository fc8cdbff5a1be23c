// Instructions per cached verification, with and without a status list, counted
// by valgrind's callgrind (timings on a shared machine drift; counts do not):
//
//   npm run build && node bench/status-instructions.mjs
//
// Each variant runs in its own process under callgrind with counting off;
// after a warm-up of 200,000 verifications, counting is switched on
// (callgrind_control) for the next N, then off again.
import { execFileSync, spawn } from 'node:child_process';
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
  // The parent switches counting on, then tells us to go.
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  run(Number(opsArg));
  process.stdout.write('done\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.pause();
  if (sink === 0) throw new Error('nothing verified');
} else {
  const N = 200_000;
  const control = (pid, arg) => execFileSync('callgrind_control', [arg, String(pid)], { stdio: 'ignore' });
  const count = async (v) => {
    const out = `/tmp/status-instructions-${process.pid}-${v}.out`;
    const child = spawn(
      'valgrind',
      [
        '--tool=callgrind',
        `--callgrind-out-file=${out}`,
        '--smc-check=all-non-file',
        '--instr-atstart=no',
        process.execPath,
        '--single-threaded',
        '--min-semi-space-size=16',
        '--max-semi-space-size=16',
        new URL(import.meta.url).pathname,
        v,
        String(N),
      ],
      { stdio: ['pipe', 'pipe', 'ignore'] },
    );
    const lines = child.stdout.setEncoding('utf8');
    const next = () => new Promise((resolve) => lines.once('data', resolve));
    await next(); // ready
    control(child.pid, '--instr=on');
    child.stdin.write('go\n');
    await next(); // done
    control(child.pid, '--instr=off');
    child.stdin.end('exit\n');
    await new Promise((resolve) => child.on('exit', resolve));
    const total = Number(/^totals: (\d+)/m.exec(readFileSync(out, 'utf8'))?.[1]);
    if (!process.env.KEEP) rmSync(out);
    return total / N;
  };
  const variants = process.env.VARIANTS?.split(',') ?? ['off', 'plain', 'status'];
  const per = {};
  for (const v of variants) per[v] = await count(v);
  console.log(
    `node ${process.version}, instructions per cached verifySync (ES256 token, scope check), callgrind, ${N} calls counted after 200,000`,
  );
  for (const v of variants)
    console.log(`  ${v.padEnd(7)} ${per[v].toFixed(1)}   ${(per.off / per[v]).toFixed(3)}× the speed of off, counted`);
}
