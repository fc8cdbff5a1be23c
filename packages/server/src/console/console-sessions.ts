import { createHash } from 'node:crypto';
import { randomToken } from '../crypto/random.js';

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

export interface ConsoleSession {
  /** Names the session in the audit log (`console:` and 12 hex digits of a keyed digest of its id); never the id. */
  readonly actor: string;
  readonly createdAt: number;
  lastSeenAt: number;
}

const hashOf = (id: string) => createHash('sha256').update(id).digest('hex');

/**
 * The console's sign-in sessions, in this process's memory: the browser holds
 * a random id (256 bits) in an HttpOnly cookie, and only its SHA-256 is kept
 * here, so a heap dump yields no usable cookie. A restart signs everyone out;
 * docs/console.md says what that means with several workers or nodes.
 */
export class ConsoleSessions {
  readonly #byHash = new Map<string, ConsoleSession>();

  constructor(
    private readonly now: () => number,
    /** The session's name in the audit log, from its id (admin/audit-actor.ts: a keyed digest). */
    private readonly nameActor: (id: string) => string,
    readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS,
  ) {}

  /** A new session; the id goes to the browser and nowhere else. */
  create(): { id: string; session: ConsoleSession } {
    this.#sweep();
    while (this.#byHash.size >= this.limits.maxSessions) {
      const oldest = this.#byHash.keys().next().value;
      if (oldest === undefined) break;
      this.#byHash.delete(oldest);
    }
    const id = randomToken(32);
    const hash = hashOf(id);
    const now = this.now();
    const session: ConsoleSession = { actor: this.nameActor(id), createdAt: now, lastSeenAt: now };
    this.#byHash.set(hash, session);
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
    return session;
  }

  end(id: string): void {
    this.#byHash.delete(hashOf(id));
  }

  /** When the session ends if left alone (idle), and at the latest. */
  expiry(session: ConsoleSession): { idleAt: number; maxAt: number } {
    const maxAt = session.createdAt + this.limits.maxMs;
    return { idleAt: Math.min(session.lastSeenAt + this.limits.idleMs, maxAt), maxAt };
  }

  get size(): number {
    return this.#byHash.size;
  }

  #expired(session: ConsoleSession, now: number): boolean {
    return now - session.lastSeenAt >= this.limits.idleMs || now - session.createdAt >= this.limits.maxMs;
  }

  #sweep(): void {
    const now = this.now();
    for (const [hash, session] of this.#byHash) if (this.#expired(session, now)) this.#byHash.delete(hash);
  }
}
