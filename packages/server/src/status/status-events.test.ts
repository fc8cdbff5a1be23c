import * as assert from 'node:assert/strict';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { StatusEvents } from './status-events.js';

/** A real HTTP server whose every request subscribes to `events`, and clients that read or stall. */
describe('StatusEvents', () => {
  let server: Server;
  let events: StatusEvents;
  let url: string;
  const options = { maxSubscribers: 3, maxBufferedBytes: 4096, maxStalledMs: 200, heartbeatMs: 50 };

  before(async () => {
    events = new StatusEvents(options);
    server = createServer((_req, res) => {
      if (!events.hasRoom()) {
        res.writeHead(503).end();
        return;
      }
      events.subscribe(res, {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    events.close();
    await new Promise((r) => server.close(r));
  });

  const connect = () =>
    new Promise<IncomingMessage>((resolve, reject) => get(url, { agent: false }, resolve).on('error', reject));
  const until = async (what: string, ok: () => boolean, ms = 3000) => {
    const deadline = Date.now() + ms;
    while (!ok()) {
      assert.ok(Date.now() < deadline, what);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('sends the preamble, each announced uri as a status_list event, and heartbeats', async () => {
    const res = await connect();
    let text = '';
    res.setEncoding('utf8').on('data', (c: string) => {
      text += c;
    });
    await until('preamble', () => text.includes('retry: 1000\n'));
    events.announce('https://as.example/oauth2/status-lists/x');
    await until('event', () =>
      text.includes('event: status_list\ndata: {"uri":"https://as.example/oauth2/status-lists/x"}\n\n'),
    );
    await until('two heartbeats', () => text.split(':\n\n').length > 2);
    res.destroy();
    await until('subscriber gone', () => events.size === 0);
  });

  it('drops a subscriber that leaves more than maxBufferedBytes unread: memory stays bounded', async () => {
    const stuck = await connect();
    stuck.pause();
    const reader = await connect();
    let received = 0;
    reader.on('data', (c: Buffer) => {
      received += c.length;
    });
    await until('both subscribed', () => events.size === 2);
    // Far more than the socket buffers hold: the paused one must go, the reading one stays.
    const uri = `https://as.example/oauth2/status-lists/${'x'.repeat(1000)}`;
    const started = Date.now();
    // At a pace the reading subscriber keeps up with.
    while (events.size === 2 && Date.now() - started < 20_000) {
      for (let i = 0; i < 3; i++) events.announce(uri);
      await new Promise((r) => setTimeout(r, 1));
    }
    assert.equal(events.size, 1, 'the stuck subscriber is dropped, the reading one stays');
    assert.ok(received > 0);
    stuck.destroy();
    reader.destroy();
    await until('all gone', () => events.size === 0);
  });

  it('drops a subscriber whose socket took nothing for maxStalledMs, however much room it had', async () => {
    // A second hub, its buffer cap out of reach: only the stall rule can drop the paused reader.
    const roomy = new StatusEvents({ ...options, maxBufferedBytes: 256 * 1024 * 1024 });
    const other = createServer((_req, res) => roomy.subscribe(res, {}));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const port = (other.address() as AddressInfo).port;
      const stalled = await new Promise<IncomingMessage>((resolve, reject) =>
        get(`http://127.0.0.1:${port}/`, { agent: false }, resolve).on('error', reject),
      );
      stalled.pause();
      await until('subscribed', () => roomy.size === 1);
      const uri = `https://as.example/${'y'.repeat(10_000)}`;
      const started = Date.now();
      while (roomy.size === 1 && Date.now() - started < 10_000) {
        for (let i = 0; i < 20; i++) roomy.announce(uri);
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.equal(roomy.size, 0, 'the stalled subscriber is still there');
      stalled.destroy();
    } finally {
      roomy.close();
      await new Promise((r) => other.close(r));
    }
  });

  it('refuses subscribers past maxSubscribers', async () => {
    const open = [await connect(), await connect(), await connect()];
    await until('three subscribed', () => events.size === 3);
    assert.equal(events.hasRoom(), false);
    assert.equal((await connect()).statusCode, 503);
    for (const r of open) r.destroy();
    await until('all gone', () => events.size === 0);
  });
});
