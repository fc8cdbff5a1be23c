import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventStreamParser, type ServerSentEvent } from './event-stream.js';

function parse(chunks: string[], max?: number): { events: ServerSentEvent[]; ok: boolean; retry?: number } {
  const events: ServerSentEvent[] = [];
  const parser = new EventStreamParser((e) => events.push(e), max);
  const encoder = new TextEncoder();
  let ok = true;
  for (const chunk of chunks) ok &&= parser.push(encoder.encode(chunk));
  return { events, ok, ...(parser.retryMs === undefined ? {} : { retry: parser.retryMs }) };
}

describe('EventStreamParser', () => {
  it('reads named events, joins data lines, skips comments and unknown fields', () => {
    const { events, ok } = parse([
      ': heartbeat\n\n',
      'event: status_list\ndata: {"uri":\ndata: "x"}\nfoo: bar\n\n',
      'data:no space\n\n',
      'event: empty\n\n',
    ]);
    assert.ok(ok);
    assert.deepEqual(events, [
      { event: 'status_list', data: '{"uri":\n"x"}', id: undefined },
      { event: 'message', data: 'no space', id: undefined },
    ]);
  });

  it('takes CRLF, LF and CR line ends, split anywhere between chunks, and a leading BOM', () => {
    const text = '\uFEFFevent: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\revent: c\ndata: 3\n\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const { events } = parse([text.slice(0, cut), text.slice(cut)]);
      assert.deepEqual(
        events.map((e) => `${e.event}=${e.data}`),
        ['a=1', 'b=2', 'c=3'],
        `cut at ${cut}`,
      );
    }
    // One byte at a time, a multi-byte character split between chunks.
    const bytes = new TextEncoder().encode('data: é€\n\n');
    const events: ServerSentEvent[] = [];
    const parser = new EventStreamParser((e) => events.push(e));
    for (const b of bytes) parser.push(Uint8Array.of(b));
    assert.equal(events[0]?.data, 'é€');
  });

  it('keeps the last event id and the retry field', () => {
    const { events, retry } = parse(['id: 7\ndata: x\n\nretry: 1500\ndata: y\n\n']);
    assert.equal(events[1]?.id, '7');
    assert.equal(retry, 1500);
  });

  it('refuses a line or an event past its bound', () => {
    assert.equal(parse([`data: ${'x'.repeat(200)}`], 100).ok, false);
    assert.equal(parse(['data: 1234567890\n'.repeat(20)], 100).ok, false);
    assert.equal(parse([`${'data: 1234567890\n'.repeat(5)}\n`.repeat(10)], 100).ok, true);
  });
});
