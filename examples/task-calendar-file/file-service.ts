import { createVerifier } from '@tessera/verify';
import { requireToken, tesseraVerify } from '@tessera/verify/fastify';
import Fastify from 'fastify';
import type { Cleanup } from '../shared/cleanup.js';

/** The File Service of seed 000: Fastify, audience `file`. Reading a file needs `file.view`. */
export async function startFileService(issuer: string, cleanup: Cleanup): Promise<string> {
  const verifier = createVerifier({ issuer, audience: 'file' });
  const files = new Map([['42', { id: '42', name: 'agenda.md', size: 1284 }]]);

  const app = Fastify({ logger: false });
  await app.register(tesseraVerify, { verifier });
  app.get<{ Params: { id: string } }>(
    '/files/:id',
    { onRequest: requireToken({ verifier, scope: 'file.view' }) },
    async (request, reply) => {
      const file = files.get(request.params.id);
      if (!file) return reply.code(404).send({ error: 'not_found' });
      return { ...file, read_by: request.auth?.clientId };
    },
  );

  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  cleanup.defer('File Service (Fastify)', () => app.close());
  return address;
}
