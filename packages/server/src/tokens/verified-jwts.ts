import { BoundedCache } from '../clients/bounded-cache.js';
import type { TokenClaims } from './granted-token.js';
import { looksLikeJwt, readOwnJwt } from './jwt-access-token.js';
import type { SigningKeys } from './signing-keys.js';

/** How many verified JWTs are remembered: each is its token (about 1 KB) and its claims. */
const VERIFIED_JWTS = 4096;

/** Longer than any token we issue: refused before it is parsed. */
const MAX_JWT_LENGTH = 16 * 1024;

interface Verified {
  /** The whole token: the cache is keyed by its signature, which hashes faster, and a hit must be this token. */
  readonly token: string;
  readonly claims: TokenClaims;
  readonly kid: string;
}

/**
 * Our own access tokens as readOwnJwt reads them, each signature checked
 * once. Resource servers introspect the token they were called with, and
 * services exchange it, again and again until it expires: a JWT's claims are
 * kept for the exact token (a changed character is verified afresh) until
 * its `exp`, while its key is still published. Verifying an Ed25519 or ES256
 * signature cost as much as the rest of an introspection; what can change
 * (the denylist, the clients) is never cached here and is read every time
 * (core/read-token.ts).
 */
export class VerifiedJwts {
  readonly #cache = new BoundedCache<string, Verified>(VERIFIED_JWTS);

  constructor(
    private readonly keys: SigningKeys,
    private readonly issuer: string,
  ) {}

  /** The token's claims if it is a JWT we signed, unexpired; else undefined. */
  read(token: string, nowMs: number): TokenClaims | undefined {
    const signature = token.slice(token.lastIndexOf('.') + 1);
    const hit = this.#cache.get(signature, nowMs);
    if (hit !== undefined && hit.token === token && this.keys.publicKey(hit.kid) !== undefined) return hit.claims;
    if (token.length >= MAX_JWT_LENGTH || !looksLikeJwt(token)) return undefined;
    const claims = readOwnJwt(this.keys, this.issuer, token, nowMs);
    if (claims !== undefined) this.#cache.set(signature, { token, claims, kid: kidOf(token) }, claims.exp * 1000);
    return claims;
  }
}

/** The `kid` of a JWT readOwnJwt accepted (so its header is JSON with a string kid). */
function kidOf(token: string): string {
  const header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
  return String(header.kid);
}
