import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A trace collector that keeps nothing: accepts OTLP/HTTP export requests on
 * 127.0.0.1 and answers 200 with an empty (valid) export response, so the
 * tracing cases measure what Tessera spends making and sending spans, not
 * what a collector spends storing them. It counts what it received: a
 * tracing case whose sink heard nothing measured nothing.
 */
export interface OtlpSink {
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  received(): { posts: number; bytes: number };
  close(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  let posts = 0;
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') posts++;
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => ({ posts, bytes }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
