import { createServer } from 'node:http';
import { createVerifier } from '@tessera/verify';
import { requireToken } from '@tessera/verify/node-http';
import type { Cleanup } from '../shared/cleanup.js';
import { listen } from '../shared/http.js';
import { say } from '../shared/narrate.js';

/**
 * The File Service: `node:http`, audience `file`; reading a file needs
 * `file.read`. It accepts at most one hop of delegation
 * (`maxDelegationDepth: 1`), and tells whose file it reads (`sub`) apart
 * from who asks for it (`act.sub`).
 */
export async function startFileService(issuer: string, cleanup: Cleanup): Promise<string> {
  const verifier = createVerifier({ issuer, audience: 'file', maxDelegationDepth: 1 });
  const files = new Map([['42', { id: '42', name: 'sprint-review.md', size: 2048 }]]);

  const readFile = requireToken({ verifier, scope: 'file.read' }, (req, res, token) => {
    say(`File Service: reading for ${token.subject}, acting: ${token.actor ?? '(nobody: the caller itself)'}`);
    const file = files.get(req.url?.split('/')[2] ?? '');
    const status = file ? 200 : 404;
    const body = file
      ? { ...file, read_for: token.subject, acting: token.actor ?? null, actor_chain: token.actorChain }
      : { error: 'not_found' };
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });

  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.startsWith('/files/')) return readFile(req, res);
    res.writeHead(404).end();
  });
  return listen(server, 'File Service (node:http)', cleanup);
}
