import type { FastifyRequest } from 'fastify';
import { SecretHasher } from '../crypto/secret-hasher.js';
import type { AuditOrigin } from '../store/types.js';

/** Hex digits of the keyed digest that name an actor: 48 bits, enough to tell keys and sessions apart. */
const NAME_LENGTH = 12;

/**
 * Names for who made an admin change, without revealing a credential. The
 * digest is keyed (HMAC under a key derived from the encryption key, never
 * stored in the database): an admin key of 16 characters may be a guessable
 * phrase, and a plain hash in the log would let anyone with a database dump
 * test guesses offline. The same key gives the same name on every node
 * sharing the encryption key; rotating the encryption key renames actors.
 */
export class AuditActors {
  readonly #hasher: SecretHasher;

  constructor(encryptionKey: Buffer) {
    this.#hasher = new SecretHasher(encryptionKey, 'audit-actor');
  }

  /** `admin-key:<12 hex>`: whoever presented this admin key. */
  adminKey(key: string): string {
    return `admin-key:${this.#name(key)}`;
  }

  /** `console:<12 hex>`: the console session with this id (the console's own sign-in sets it: setAuditActor). */
  consoleSession(sessionId: string): string {
    return `console:${this.#name(sessionId)}`;
  }

  #name(secret: string): string {
    return Buffer.from(this.#hasher.digest(secret), 'base64url').toString('hex').slice(0, NAME_LENGTH);
  }
}

const actors = new WeakMap<FastifyRequest, string>();

/**
 * Names the actor of an admin request authenticated otherwise than by the
 * admin key in `Authorization` (a console session cookie): call it in the
 * hook that authenticates the request, before the route runs.
 */
export function setAuditActor(req: FastifyRequest, actor: string): void {
  actors.set(req, actor);
}

/** The actor setAuditActor named for this request (a console session), if any. */
export function setActorOf(req: FastifyRequest): string | undefined {
  return actors.get(req);
}

/** Who made the request and from where: the address is `req.ip`, TESSERA_TRUST_PROXY applied. */
export function auditOrigin(req: FastifyRequest, names: AuditActors): AuditOrigin {
  return { actor: actors.get(req) ?? actorFromHeader(req.headers.authorization, names), address: req.ip };
}

/** The admin key the onRequest hook has already checked. */
function actorFromHeader(header: string | undefined, names: AuditActors): string {
  const key = header && /^Bearer +(\S{1,512})\s*$/i.exec(header)?.[1];
  return key ? names.adminKey(key) : 'unknown';
}
