import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basicAuth, freePort, startTessera, type TesseraProcess } from './support/tessera-process.js';

/** TESSERA_METRICS_PORT with two workers: one scrape sums both workers' counters. */
describe('metrics on a separate port, TESSERA_WORKERS=2', () => {
  let t: TesseraProcess;
  let metricsUrl: string;
  before(async () => {
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    t = await startTessera({ TESSERA_WORKERS: '2', TESSERA_METRICS_PORT: String(port) });
  });
  after(() => t?.stop());

  it('serves the sum of every worker without authentication, and not on the main port', async () => {
    const c = await t.createClient({ client_id: 'scraped', scope: 'a' });
    const auth = basicAuth(c.client_id, c.client_secret);
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${t.url}/oauth2/token`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded', connection: 'close' },
        body: 'grant_type=client_credentials',
      });
      assert.equal(r.status, 200);
    }
    // A worker still starting cannot answer the primary yet (503): wait, bounded, for a complete scrape.
    let text = '';
    const started = Date.now();
    for (;;) {
      const scrape = await fetch(metricsUrl);
      if (scrape.status === 200) {
        text = await scrape.text();
        break;
      }
      assert.equal(scrape.status, 503);
      assert.ok(Date.now() - started < 30_000, 'no complete scrape in 30 s');
    }
    assert.match(text, /tessera_tokens_issued_total\{client_id="scraped",alg="RS256",format="jwt"\} 20/);
    // The latency histogram is summed too: every bucket line, +Inf and _count agree on the 20 requests.
    assert.match(
      text,
      /tessera_http_request_duration_seconds_count\{route="\/oauth2\/token",method="POST",outcome="2xx"\} 20/,
    );
    assert.match(
      text,
      /tessera_http_request_duration_seconds_bucket\{le="\+Inf",route="\/oauth2\/token",method="POST",outcome="2xx"\} 20/,
    );
    assert.equal((await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${t.adminKey}` } })).status, 404);
  });
});

describe('metrics on a separate port, one process', () => {
  let t: TesseraProcess;
  let metricsUrl: string;
  before(async () => {
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    t = await startTessera({ TESSERA_METRICS_PORT: String(port) });
  });
  after(() => t?.stop());

  it('serves the registry there, and stops with the server', async () => {
    const c = await t.createClient({ client_id: 'single', scope: 'a' });
    const r = await fetch(`${t.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: basicAuth(c.client_id, c.client_secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    assert.equal(r.status, 200);
    const scrape = await fetch(metricsUrl);
    assert.equal(scrape.status, 200);
    assert.match(await scrape.text(), /tessera_tokens_issued_total\{client_id="single",alg="RS256",format="jwt"\} 1/);
    assert.equal((await fetch(metricsUrl.replace('/metrics', '/other'))).status, 404);
    await t.stop();
    await assert.rejects(fetch(metricsUrl));
  });
});
