/**
 * What a cached getToken() costs, and how many token requests 1,000
 * concurrent callers on a cold key make.
 *
 *   node --import tsx bench/client-get-token.bench.ts
 *
 * The token endpoint is a real node:http server on loopback that counts the
 * requests it answers. Each timed round awaits every call, as a service
 * would, so promise resolution is part of the cost.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenClient } from '../packages/client/src/index.js';

const WARMUP = 200_000;
const ITERATIONS = 1_000_000;
const ROUNDS = 7;

let tokenRequests = 0;
const server = createServer((_request, response) => {
  tokenRequests++;
  // A little latency, so the cold callers really overlap with the request in flight.
  setTimeout(() => {
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify({ access_token: `token-${tokenRequests}`, token_type: 'Bearer', expires_in: 3600 }));
  }, 20);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const client = createTokenClient({
  issuer: base,
  tokenEndpoint: `${base}/token`,
  clientId: 'task-service',
  clientSecret: 'bench-secret',
});

// 1,000 concurrent cold callers
const cold = await Promise.all(
  Array.from({ length: 1000 }, () => client.getToken({ audience: 'calendar', scope: 'event.view event.create' })),
);
const distinct = new Set(cold).size;
console.log(`1,000 concurrent cold callers: ${tokenRequests} token request(s), ${distinct} distinct token(s)`);

async function measure(label: string, call: () => Promise<string>): Promise<void> {
  for (let i = 0; i < WARMUP; i++) await call();
  const perOp: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < ITERATIONS; i++) await call();
    perOp.push(Number(process.hrtime.bigint() - start) / ITERATIONS);
  }
  perOp.sort((a, b) => a - b);
  const median = perOp[Math.floor(ROUNDS / 2)] ?? 0;
  const best = perOp[0] ?? 0;
  const worst = perOp.at(-1) ?? 0;
  console.log(
    `${label.padEnd(48)} ${median.toFixed(1).padStart(7)} ns/op (median of ${ROUNDS} × ${ITERATIONS.toLocaleString('en')}; ` +
      `best ${best.toFixed(1)}, worst ${worst.toFixed(1)})  ${Math.round(1e9 / median).toLocaleString('en')} ops/s`,
  );
}

const requestsBefore = tokenRequests;
await measure('cached getToken (string audience, two scopes)', () =>
  client.getToken({ audience: 'calendar', scope: 'event.view event.create' }),
);
await measure('cached getToken (string audience, one scope)', () =>
  client.getToken({ audience: 'calendar', scope: 'event.view' }),
);
await measure('cached getToken (array audience and scope)', () =>
  client.getToken({ audience: ['calendar'], scope: ['event.create', 'event.view'] }),
);
console.log(
  `token requests during the timed loops: ${tokenRequests - requestsBefore - 1} (after one cold fetch for the one-scope key)`,
);

server.close();
