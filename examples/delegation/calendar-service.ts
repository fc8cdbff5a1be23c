import { createServer } from 'node:http';
import { createTokenClient, type TokenClient, type TokenClientHooks, TokenEndpointError } from '@tessera/client';
import { createVerifier, extractAccessToken } from '@tessera/verify';
import { requireToken } from '@tessera/verify/express';
import express from 'express';
import type { Cleanup } from '../shared/cleanup.js';
import { listen } from '../shared/http.js';
import { say } from '../shared/narrate.js';

export interface CalendarService {
  url: string;
  /** The Calendar Service's own token client, which does its exchanges. */
  tokens: TokenClient;
}

/**
 * The Calendar Service: Express, audience `calendar`. An event's attachment
 * lives in the File Service, so `GET /events/:id/attachment` (scope
 * `calendar.read`) exchanges the caller's token for one to the File Service
 * (RFC 8693) and reads the file on the caller's behalf.
 */
export async function startCalendarService(
  issuer: string,
  credentials: { clientId: string; clientSecret: string },
  fileService: string,
  cleanup: Cleanup,
  hooks: TokenClientHooks = {},
): Promise<CalendarService> {
  const verifier = createVerifier({ issuer, audience: 'calendar' });
  const tokens = createTokenClient({ issuer, ...credentials, hooks });
  const attachments = new Map([['evt_1', '42']]);

  const app = express();
  app.get('/events/:id/attachment', requireToken({ verifier, scope: 'calendar.read' }), async (req, res) => {
    const fileId = attachments.get(String(req.params.id));
    if (!fileId) return void res.status(404).json({ error: 'not_found' });
    // The middleware accepted this very token; it is the subject of the exchange.
    const presented = extractAccessToken({ authorization: req.headers.authorization });
    if (!('token' in presented)) return void res.status(401).json({ error: 'invalid_token' });
    say(`Calendar Service: called by ${req.auth?.subject}; exchanging its token for one to the File Service`);
    let fileToken: string;
    try {
      fileToken = await tokens.exchangeToken({ subjectToken: presented.token, audience: 'file', scope: 'file.read' });
    } catch (err) {
      const reason = err instanceof TokenEndpointError ? (err.error ?? `HTTP ${err.status}`) : 'unavailable';
      return void res.status(502).json({ error: 'exchange_failed', reason });
    }
    const answer = await fetch(`${fileService}/files/${fileId}`, {
      headers: { authorization: `Bearer ${fileToken}` },
      signal: AbortSignal.timeout(10_000),
    });
    res.status(answer.status).json(await answer.json());
  });

  return { url: await listen(createServer(app), 'Calendar Service (Express)', cleanup), tokens };
}
