#!/usr/bin/env node
// The `tessera` bin. It is committed (not built) so that it exists when npm
// links bins during `npm ci`, which happens before `prepare` builds dist/:
// npm skips a bin whose file is missing at that moment.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('tessera: packages/server/dist is missing; run `npm run build` (npm ci does)');
  process.exit(1);
}
await import(main.href);
