import { createServer, type IncomingMessage } from 'node:http';
import { createVerifier } from '@tessera/verify';
import { requireToken } from '@tessera/verify/node-http';
import type { Cleanup } from '../shared/cleanup.js';
import { listen } from '../shared/http.js';

export interface PdfServiceOptions {
  issuer: string;
  /** The PDF Service's own credentials at Tessera, used only to introspect opaque tokens. */
  introspection: { clientId: string; clientSecret: string };
}

/**
 * The PDF Service of seed 003: plain node:http, audience `pdf`. POST
 * /receipts needs `receipt.create` and answers a (tiny, fake) PDF. JWTs are
 * checked locally; opaque tokens by introspection.
 */
export async function startPdfService(options: PdfServiceOptions, cleanup: Cleanup): Promise<string> {
  const verifier = createVerifier({
    issuer: options.issuer,
    audience: 'pdf',
    // Ask Tessera on every request, so a revocation shows at once in this
    // example; a real service keeps the default (up to 60 s).
    introspection: { ...options.introspection, mode: 'opaque', cacheMaxAgeMs: 0 },
  });

  const createReceipt = requireToken({ verifier, scope: 'receipt.create' }, async (req, res, token) => {
    const order = JSON.parse((await readBody(req)) || '{}') as { order_id?: string; amount?: string };
    const pdf = Buffer.from(
      `%PDF-1.4\n% Receipt for order ${order.order_id ?? '?'}: ${order.amount ?? '?'} (requested by ${token.clientId})\n%%EOF\n`,
    );
    res.writeHead(200, {
      'content-type': 'application/pdf',
      'content-length': pdf.length,
      // How the token was checked, so the example can show it.
      'x-token-check': token.format,
    });
    res.end(pdf);
  });

  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/receipts') return createReceipt(req, res);
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
  });
  return listen(server, 'PDF Service (node:http)', cleanup);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16_384) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString();
}
