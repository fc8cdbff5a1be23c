/**
 * Memory per 1,000 subscribers of the status list events stream: the
 * server's VmRSS idle, then with N streams open (each a real socket, read
 * by this process), then after they close. Runs packages/server/dist/main.js.
 *
 *   npm run build && node --import tsx bench/status-events-memory.ts [N=1000]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, SERVER_MAIN, waitUntilServing } from '../e2e/support/tessera-process.js';

const n = Number(process.argv[2] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'tessera-sse-'));
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
let out = '';
const child = spawn(process.execPath, [SERVER_MAIN], {
  env: {
    PATH: process.env.PATH,
    TESSERA_PORT: String(port),
    TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
    TESSERA_ADMIN_KEY: 'bench-admin-key-0123456789',
    TESSERA_LOG_LEVEL: 'warn',
    TESSERA_SHUTDOWN_DRAIN_MS: '0',
    TESSERA_STATUS_EVENTS_MAX_SUBSCRIBERS: String(n + 10),
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
child.stdout?.on('data', (d) => {
  out += d;
});
child.stderr?.on('data', (d) => {
  out += d;
});
await waitUntilServing(
  child,
  () => out,
  async () => (await fetch(`${url}/healthz`)).ok,
);
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024;
const settle = () => new Promise((r) => setTimeout(r, 2000));

await settle();
const idle = rssMb();
const streams: IncomingMessage[] = [];
for (let i = 0; i < n; i++) {
  const s = await new Promise<IncomingMessage>((resolve, reject) =>
    get(`${url}/oauth2/status-lists/events`, { agent: false }, resolve).on('error', reject),
  );
  if (s.statusCode !== 200) throw new Error(`subscriber ${i}: ${s.statusCode}`);
  s.resume();
  streams.push(s);
}
await settle();
const open = rssMb();
for (const s of streams) s.destroy();
await settle();
const closed = rssMb();
process.stdout.write(
  `${n} subscribers: server VmRSS idle ${idle.toFixed(1)} MB, with them open ${open.toFixed(1)} MB ` +
    `(+${(open - idle).toFixed(1)} MB, ${(((open - idle) * 1024) / n).toFixed(1)} KiB each), after they closed ${closed.toFixed(1)} MB\n`,
);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
rmSync(dir, { recursive: true, force: true });
