import { createHash, timingSafeEqual } from 'node:crypto';
import { randomToken } from '../crypto/random.js';
import type { ChangeFeed, ConsoleSessionChange } from '../sync/change-feed.js';

/** How long a console session lasts: idle, and at most. */
export interface SessionLimits {
  idleMs: number;
  maxMs: number;
  /** Sessions kept at once; past it the oldest is ended (a flood of sign-ins cannot grow memory). */
  maxSessions: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = Object.freeze({
  idleMs: 30 * 60_000,
  maxMs: 8 * 3600_000,
  maxSessions: 1000,
});

/** How often a process tells the others that a session is still in use (their idle clocks lag by at most this). */
const SEEN_EVERY_MS = 60_000;

export interface ConsoleSession {
  /** Names the session in the audit log (`console:` and 12 hex digits of a keyed digest of its id); never the id. */
  readonly actor: string;
  readonly createdAt: number;
  lastSeenAt: number;
  /** When this process last told the others it was used. */
  sharedAt: number;
}

/**
 * How sessions reach the other workers and nodes: the change feed that
 * already carries client and key changes, and a MAC (a keyed digest under a
 * key derived from the encryption key, which every node shares) that makes
 * a session start unforgeable by anyone who can only publish on the feed.
 */
export interface SessionSharing {
  feed: ChangeFeed;
  mac: (text: string) => string;
}

const hashOf = (id: string) => createHash('sha256').update(id).digest('hex');
const HASH = /^[0-9a-f]{64}$/;

/**
 * The console's sign-in sessions, in memory: the browser holds a random id
 * (256 bits) in an HttpOnly cookie, and only its SHA-256 is kept here, so a
 * heap dump yields no usable cookie. With `sharing`, every worker and node
 * hears of a session's start, use and end, so any of them accepts the cookie;
 * a process that restarts knows only the sessions begun after it started.
 */
export class ConsoleSessions {
  readonly #byHash = new Map<string, ConsoleSession>();
  readonly limits: SessionLimits;
  readonly #sharing: SessionSharing | undefined;

  constructor(
    private readonly now: () => number,
    /** The session's name in the audit log, from its id (admin/audit-actor.ts: a keyed digest). */
    private readonly nameActor: (id: string) => string,
    { limits = DEFAULT_SESSION_LIMITS, sharing }: { limits?: SessionLimits; sharing?: SessionSharing } = {},
  ) {
    this.limits = limits;
    this.#sharing = sharing;
    sharing?.feed.subscribe((change) => {
      if (change.kind === 'console-session') this.#heard(change);
    });
  }

  /** A new session; the id goes to the browser and nowhere else. */
  create(): { id: string; session: ConsoleSession } {
    const id = randomToken(32);
    const hash = hashOf(id);
    const now = this.now();
    const session: ConsoleSession = { actor: this.nameActor(id), createdAt: now, lastSeenAt: now, sharedAt: now };
    this.#add(hash, session);
    if (this.#sharing) {
      const { actor } = session;
      const mac = this.#sharing.mac(startText(hash, actor, now));
      this.#sharing.feed.publish({ kind: 'console-session', event: 'start', hash, actor, created: now, mac });
    }
    return { id, session };
  }

  /** The live session for `id`, its idle time restarted; undefined when unknown or expired. */
  use(id: string): ConsoleSession | undefined {
    const hash = hashOf(id);
    const session = this.#byHash.get(hash);
    if (!session) return undefined;
    const now = this.now();
    if (this.#expired(session, now)) {
      this.#byHash.delete(hash);
      return undefined;
    }
    session.lastSeenAt = now;
    if (this.#sharing && now - session.sharedAt >= SEEN_EVERY_MS) {
      session.sharedAt = now;
      this.#sharing.feed.publish({ kind: 'console-session', event: 'seen', hash, at: now });
    }
    return session;
  }

  end(id: string): void {
    const hash = hashOf(id);
    this.#byHash.delete(hash);
    this.#sharing?.feed.publish({ kind: 'console-session', event: 'end', hash });
  }

  /** When the session ends if left alone (idle), and at the latest. */
  expiry(session: ConsoleSession): { idleAt: number; maxAt: number } {
    const maxAt = session.createdAt + this.limits.maxMs;
    return { idleAt: Math.min(session.lastSeenAt + this.limits.idleMs, maxAt), maxAt };
  }

  get size(): number {
    return this.#byHash.size;
  }

  /** What another process said; the feed is input like any other, checked field by field. */
  #heard(change: ConsoleSessionChange): void {
    if (typeof change.hash !== 'string' || !HASH.test(change.hash)) return;
    const now = this.now();
    if (change.event === 'end') {
      this.#byHash.delete(change.hash);
    } else if (change.event === 'seen') {
      const session = this.#byHash.get(change.hash);
      if (session && Number.isFinite(change.at))
        session.lastSeenAt = Math.max(session.lastSeenAt, Math.min(change.at, now));
    } else if (change.event === 'start' && this.#sharing) {
      const { hash, actor, created, mac } = change;
      if (typeof actor !== 'string' || typeof mac !== 'string' || !Number.isSafeInteger(created)) return;
      if (!sameText(mac, this.#sharing.mac(startText(hash, actor, created)))) return;
      const session: ConsoleSession = { actor, createdAt: created, lastSeenAt: Math.min(created, now), sharedAt: now };
      if (!this.#byHash.has(hash) && !this.#expired(session, now)) this.#add(hash, session);
    }
  }

  #add(hash: string, session: ConsoleSession): void {
    this.#sweep();
    while (this.#byHash.size >= this.limits.maxSessions) {
      const oldest = this.#byHash.keys().next().value;
      if (oldest === undefined) break;
      this.#byHash.delete(oldest);
    }
    this.#byHash.set(hash, session);
  }

  #expired(session: ConsoleSession, now: number): boolean {
    return now - session.lastSeenAt >= this.limits.idleMs || now - session.createdAt >= this.limits.maxMs;
  }

  #sweep(): void {
    const now = this.now();
    for (const [hash, session] of this.#byHash) if (this.#expired(session, now)) this.#byHash.delete(hash);
  }
}

function startText(hash: string, actor: string, created: number): string {
  return `console-session.start\n${hash}\n${actor}\n${created}`;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
