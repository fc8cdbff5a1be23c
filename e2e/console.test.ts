import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, seriousAccessibilityFindings, signIn } from './support/browser.js';
import { basicAuth, startTessera, type TesseraProcess } from './support/tessera-process.js';

/**
 * The admin console in a real browser (Debian's chromium, headless), against
 * the real server process: a person's whole session, from a wrong key to
 * signing out. Every wait is for something to appear, never a fixed sleep, with
 * timeouts generous enough for a busy two-core machine.
 */

const WAIT = 30_000;

describe('admin console in a browser', { timeout: 300_000 }, () => {
  let tessera: TesseraProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    [tessera, browser] = await Promise.all([startTessera(), launchBrowser()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: tessera.url });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    // Any CSP violation or script error fails the test at the end: the console must run under its own
    // policy. The browser's own line for each 4xx answer is expected (a wrong key, a refused edit).
    page.on('console', (m) => {
      if (m.type() === 'error' && !/^Failed to load resource: .* status of 4\d\d/.test(m.text())) {
        problems.push(`console: ${m.text()}`);
      }
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  });
  after(async () => {
    await browser?.close();
    await tessera?.stop();
  });

  const accessible = async (name: string) => {
    assert.deepEqual(await seriousAccessibilityFindings(page), [], `serious or critical axe findings on ${name}`);
  };
  const heading = (name: string) => page.getByRole('heading', { level: 1, name });
  const nav = (name: string) => page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name });

  let secret = '';
  let cookieValue = '';

  it('refuses a wrong admin key, in words', async () => {
    await page.goto(`${tessera.url}/console/`);
    await page.getByLabel('Admin key').waitFor();
    await accessible('the sign-in page');
    await signIn(page, 'not-the-admin-key-0123456789');
    await page.getByRole('alert').filter({ hasText: 'That admin key is not right' }).waitFor();
    assert.deepEqual(await context.cookies(), []);
  });

  it('signs in: an HttpOnly, SameSite=Strict cookie for /admin, the key kept nowhere in the browser', async () => {
    await signIn(page, tessera.adminKey);
    await heading('Clients').waitFor();
    const cookies = await context.cookies();
    assert.equal(cookies.length, 1);
    const [cookie] = cookies;
    assert.equal(cookie?.name, 'tessera_console');
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, 'Strict');
    assert.equal(cookie?.path, '/admin');
    assert.equal(cookie?.secure, false, 'plain http on localhost');
    assert.equal(cookie?.expires, -1, 'a browser-session cookie');
    cookieValue = cookie?.value ?? '';
    assert.ok(!page.url().includes(tessera.adminKey));
    // Run in the page (the DOM's types are not this file's): what a script there can read.
    const stored = await page.evaluate(`({
      local: localStorage.length,
      session: sessionStorage.length,
      cookie: document.cookie,
      field: document.querySelector('input[type=password]')?.value ?? null,
    })`);
    assert.deepEqual(stored, { local: 0, session: 0, cookie: '', field: null });
    await accessible('the clients page');
  });

  it('creates a client and shows its secret once, with a copy button; a reload shows it no more', async () => {
    await page.getByRole('button', { name: 'New client' }).click();
    await heading('New client').waitFor();
    await accessible('the new client form');
    await page.getByLabel('Client ID').fill('console-e2e');
    await page.getByLabel('Name').fill('Console test');
    await page.getByLabel('Allowed scopes').fill('reports.read reports.write');
    await page.getByLabel('Allowed audiences').fill('https://reports.example');
    await page.getByRole('button', { name: 'Create client' }).click();
    await heading('Client created').waitFor();
    secret = await page.getByRole('textbox', { name: 'Client secret' }).inputValue();
    assert.match(secret, /^tessera_cs_/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), secret);
    await accessible('the secret shown once');

    // The secret works at the token endpoint.
    const token = await fetch(`${tessera.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: basicAuth('console-e2e', secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=reports.read',
    });
    assert.equal(token.status, 200);

    await page.reload();
    await heading('Clients').waitFor();
    await page.getByRole('link', { name: 'console-e2e' }).waitFor();
    assert.ok(!(await page.content()).includes(secret), 'the secret is gone after a reload');
  });

  it('finds the client by search, and edits its scopes, lifetime and format', async () => {
    await tessera.createClient({ client_id: 'someone-else' });
    await page.reload();
    await page.getByLabel('Find a client by ID or name').fill('console test');
    await page.getByRole('button', { name: 'Search' }).click();
    // The full list stays until the search answers: wait for the client that does not match to go.
    await page.getByRole('link', { name: 'someone-else' }).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'console-e2e' }).click();
    await heading('Client console-e2e').waitFor();
    await page.getByLabel('Allowed scopes').fill('reports.read reports.write reports.admin');
    await page.getByLabel('Token lifetime (seconds)').fill('600');
    await page.getByLabel('Token format').selectOption('opaque');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Changes saved.' }).waitFor();
    const saved = await tessera.admin('GET', '/admin/clients/console-e2e');
    assert.equal(saved.body.scope, 'reports.read reports.write reports.admin');
    assert.equal(saved.body.access_token_ttl, 600);
    assert.equal(saved.body.access_token_format, 'opaque');
    await accessible('the client page');
  });

  it('says what went wrong in words, never as JSON', async () => {
    await page.getByLabel('Allowed scopes').fill('bad"scope');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The server did not accept this' });
    await alert.waitFor();
    assert.doesNotMatch((await alert.textContent()) ?? '', /[{}]|invalid_client_metadata/);
    await page.reload();
    await heading('Client console-e2e').waitFor();
  });

  it('rotates the secret with a grace period, showing the new one once', async () => {
    await page.getByLabel('Old secret keeps working for').selectOption({ label: '1 hour' });
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate this client’s secret?' });
    await dialog.waitFor();
    await accessible('the rotation dialog');
    await dialog.getByRole('button', { name: 'Rotate' }).click();
    await page.getByText('The old one keeps working for 1 hour.').waitFor();
    const rotated = await page.getByRole('textbox', { name: 'Client secret' }).inputValue();
    assert.match(rotated, /^tessera_cs_/);
    assert.notEqual(rotated, secret);
    secret = rotated;
  });

  it('rotates the signing key and shows which key signs and when the next rotation is', async () => {
    await nav('Signing keys').click();
    await heading('Signing keys').waitFor();
    await page.getByText('Next rotation:').waitFor();
    const before = (await tessera.admin('GET', '/admin/keys')).body.items.find(
      (k: { status: string }) => k.status === 'signing',
    ).kid;
    await page.getByRole('row', { name: new RegExp(`${before}.*Signs new tokens`) }).waitFor();
    await accessible('the signing keys page');
    await page.getByRole('button', { name: 'Rotate now' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
    await page.getByRole('status').filter({ hasText: 'now signs new tokens' }).waitFor();
    const after = (await tessera.admin('GET', '/admin/keys')).body.items.find(
      (k: { status: string }) => k.status === 'signing',
    ).kid;
    assert.notEqual(after, before);
    await page.getByRole('row', { name: new RegExp(`${after}.*Signs new tokens`) }).waitFor();
    await page.getByRole('row', { name: new RegExp(`${before}.*Retired`) }).waitFor();
  });

  it('adds, changes and removes a trusted issuer', async () => {
    await nav('Trusted issuers').click();
    await heading('Trusted issuers').waitFor();
    await page.getByText('No issuer is trusted yet.').waitFor();
    await accessible('the trusted issuers page');
    await page.getByLabel('Issuer URL').fill('https://ci.example');
    await page.getByLabel('Key set URL (optional)').fill('https://ci.example/keys');
    await page.getByRole('button', { name: 'Trust issuer' }).click();
    await page.getByRole('status').filter({ hasText: 'https://ci.example is now trusted.' }).waitFor();
    await page.getByRole('cell', { name: 'https://ci.example/keys' }).waitFor();
    await page.getByRole('button', { name: 'Change https://ci.example' }).click();
    await page.getByLabel('Longest token lifetime, seconds').fill('600');
    await accessible('the trusted issuer form');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'https://ci.example was changed.' }).waitFor();
    await page.getByRole('cell', { name: '10 minutes' }).waitFor();
    await page.getByRole('button', { name: 'Remove https://ci.example' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await page.getByText('No issuer is trusted yet.').waitFor();
  });

  it('shows tokens issued and failed authentications as charts', async () => {
    await fetch(`${tessera.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: basicAuth('console-e2e', 'wrong'),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    await nav('Activity').click();
    await heading('Activity').waitFor();
    await page.locator('#issued-chart').waitFor();
    await page.locator('#failures-chart').waitFor();
    await page.getByRole('table', { name: 'Tokens issued' }).getByRole('cell', { name: 'console-e2e' }).waitFor();
    await page.getByRole('table', { name: 'Failures' }).getByRole('cell', { name: 'Wrong secret' }).waitFor();
    await accessible('the activity page');
    await page.getByLabel('Last day').check();
    await page.getByText('in steps of 1 hour').waitFor();
  });

  it('lists every change in the audit log, by this console session', async () => {
    await nav('Audit log').click();
    await heading('Audit log').waitFor();
    const actor = ((await page.getByText(/^Signed in as console:/).textContent()) ?? '').replace('Signed in as ', '');
    for (const [what, on] of [
      ['Client created', 'console-e2e'],
      ['Client changed', 'console-e2e'],
      ['Client secret rotated', 'console-e2e'],
      ['Signing key rotated', ''],
    ]) {
      await page
        .getByRole('row')
        .filter({ hasText: what })
        .filter({ hasText: on })
        .filter({ hasText: actor })
        .first()
        .waitFor();
    }
    assert.ok(!(await page.content()).includes(secret), 'no secret in the audit log');
    await accessible('the audit log');
  });

  it('deletes the client after a confirmation', async () => {
    await nav('Clients').click();
    await page.getByRole('link', { name: 'console-e2e' }).click();
    await heading('Client console-e2e').waitFor();
    await page.getByRole('button', { name: 'Delete client' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this client?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await tessera.admin('GET', '/admin/clients/console-e2e')).status, 200, 'Cancel keeps it');
    await page.getByRole('button', { name: 'Delete client' }).click();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await heading('Clients').waitFor();
    await page.getByRole('link', { name: 'someone-else' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'console-e2e' }).count(), 0);
    assert.equal((await tessera.admin('GET', '/admin/clients/console-e2e')).status, 404);
    await nav('Audit log').click();
    await page.getByRole('row').filter({ hasText: 'Client deleted' }).first().waitFor();
  });

  it('signs out: the cookie is cleared and the old session refused', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin key').waitFor();
    assert.deepEqual(await context.cookies(), []);
    const replayed = await fetch(`${tessera.url}/admin/clients`, {
      headers: { cookie: `tessera_console=${cookieValue}` },
    });
    assert.equal(replayed.status, 401);
    await page.goto(`${tessera.url}/console/#/clients`);
    await page.getByLabel('Admin key').waitFor();
  });

  it('ran under its strict CSP without a violation or a script error', async () => {
    const r = await fetch(`${tessera.url}/console/`);
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.doesNotMatch(csp, /unsafe/);
    assert.deepEqual(problems, []);
  });
});
