import { createServer, type Server } from 'node:http';

/**
 * The separate metrics listener (TESSERA_METRICS_PORT): plain node:http,
 * GET /metrics only, no authentication: bind it to a private address.
 * `collect` gives the exposition text and its content type.
 */
export async function startMetricsServer(
  host: string,
  port: number,
  collect: () => Promise<{ body: string; contentType: string }>,
): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
      return;
    }
    collect().then(
      ({ body, contentType }) =>
        res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body),
      () => res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"temporarily_unavailable"}'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
