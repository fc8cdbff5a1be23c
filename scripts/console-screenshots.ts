/**
 * Regenerates docs/console-clients.png and docs/console-activity.png:
 * `npm run console:screenshots` (after `npm run build`). A throwaway server
 * with a few example clients, real token requests, and an hour of earlier
 * activity written to its store first (a real process cannot be an hour old
 * on demand), photographed in Debian's chromium.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, signIn } from '../e2e/support/browser.js';
import { basicAuth, startTessera } from '../e2e/support/tessera-process.js';
import { openStore } from '../packages/server/src/store/open-store.js';
import type { ActivityCount } from '../packages/server/src/store/types.js';

const DOCS = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs');
const CLIENTS: [id: string, name: string, scope: string, perMinute: number][] = [
  ['billing-api', 'Billing API', 'invoices.read invoices.write', 14],
  ['reports-worker', 'Nightly reports', 'reports.read', 6],
  ['calendar-sync', 'Calendar sync', 'calendar.read calendar.write', 9],
  ['pdf-renderer', 'PDF renderer', 'files.read', 3],
  ['search-indexer', 'Search indexer', 'search.write documents.read', 4],
];

const dir = mkdtempSync(join(tmpdir(), 'tessera-screenshots-'));
const databaseUrl = `sqlite:${join(dir, 'tessera.db')}`;
try {
  // An hour of earlier minutes, a little uneven, and a burst of wrong secrets.
  const { store } = await openStore(databaseUrl);
  const minute = 60_000;
  const now = Math.floor(Date.now() / minute) * minute;
  const counts: ActivityCount[] = [];
  for (let m = 59; m >= 1; m--) {
    const start = now - m * minute;
    const wave = 1 + 0.5 * Math.sin(m / 6);
    for (const [id, , , perMinute] of CLIENTS) {
      counts.push({ start, kind: 'issued', key: id, n: Math.max(1, Math.round(perMinute * wave)) });
    }
    if (m % 7 === 0) counts.push({ start, kind: 'failure', key: 'unknown_client', n: 1 + (m % 3) });
    if (m >= 20 && m <= 26) counts.push({ start, kind: 'failure', key: 'wrong_secret', n: 4 + (m % 4) });
    if (m % 11 === 0) counts.push({ start, kind: 'failure', key: 'bad_assertion', n: 1 });
  }
  await store.addActivity(counts);
  await store.close();

  const tessera = await startTessera({ TESSERA_DATABASE_URL: databaseUrl });
  const browser = await launchBrowser();
  try {
    for (const [client_id, client_name, scope] of CLIENTS) {
      const c = await tessera.createClient({ client_id, client_name, scope });
      // This minute's requests are real ones.
      await fetch(`${tessera.url}/oauth2/token`, {
        method: 'POST',
        headers: {
          authorization: basicAuth(client_id, c.client_secret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
    }
    await tessera.createClient({
      client_id: 'partner-gateway',
      client_name: 'Partner gateway',
      scope: 'orders.read',
      access_token_format: 'opaque',
      token_endpoint_auth_method: 'client_secret_post',
    });

    const page = await browser.newPage({ viewport: { width: 1280, height: 760 }, deviceScaleFactor: 1 });
    page.setDefaultTimeout(30_000);
    await page.goto(`${tessera.url}/console/`);
    await signIn(page, tessera.adminKey);
    await page.getByRole('link', { name: 'billing-api' }).waitFor();
    await page.screenshot({ path: join(DOCS, 'console-clients.png') });

    await page.getByRole('link', { name: 'Activity' }).click();
    await page.locator('#failures-chart').waitFor();
    // Chart.js draws on the next animation frame.
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
    await page.screenshot({ path: join(DOCS, 'console-activity.png'), fullPage: true });
    console.log(`wrote ${join(DOCS, 'console-clients.png')} and console-activity.png`);
  } finally {
    await browser.close();
    await tessera.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
