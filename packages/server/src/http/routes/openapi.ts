import type { FastifyInstance } from 'fastify';
import { openapi } from '../../admin/openapi.js';

/** Serialised once: the document never changes while the server runs. */
const body = JSON.stringify(openapi);

/**
 * The admin API's OpenAPI document. It is documentation, not a secret:
 * served without the admin key, like the discovery metadata.
 */
export async function openapiRoutes(app: FastifyInstance): Promise<void> {
  app.get('/openapi.json', async (_req, reply) =>
    reply.type('application/json; charset=utf-8').header('cache-control', 'public, max-age=300').send(body),
  );
}
