import { createServer } from 'node:http';
import { createVerifier } from '@tessera/verify';
import { requireToken } from '@tessera/verify/express';
import express from 'express';
import type { Cleanup } from '../shared/cleanup.js';
import { listen } from '../shared/http.js';

/**
 * The Calendar Service of seed 000: Express, audience `event`. Creating an
 * event needs `event.create`, listing them `event.view`.
 */
export async function startCalendarService(issuer: string, cleanup: Cleanup): Promise<string> {
  const verifier = createVerifier({ issuer, audience: 'event' });
  const events: { id: string; title: string; created_by: string }[] = [];

  const app = express();
  app.use(express.json());
  app.post('/events', requireToken({ verifier, scope: 'event.create' }), (req, res) => {
    const title = typeof req.body?.title === 'string' ? req.body.title : 'untitled';
    const event = { id: `evt_${events.length + 1}`, title, created_by: req.auth?.clientId ?? '' };
    events.push(event);
    res.status(201).json(event);
  });
  app.get('/events', requireToken({ verifier, scope: 'event.view' }), (_req, res) => {
    res.json({ events });
  });

  return listen(createServer(app), 'Calendar Service (Express)', cleanup);
}
