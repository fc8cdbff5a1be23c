import type { StoredClient } from '../clients/client.js';
import { uuidV7Millis } from '../crypto/random.js';
import type { ChainLink, TokenClaims } from '../tokens/granted-token.js';
import { looksOpaque, readOpaque } from '../tokens/opaque-access-token.js';
import type { ServerContext } from './context.js';

export type ActiveToken = TokenClaims & { format: 'jwt' | 'opaque'; opaqueId?: string | undefined };

/** What reading a token needs: the stores it may live in, our keys, and the clients it must still belong to. */
export type ActiveTokenDeps = Pick<
  ServerContext,
  'store' | 'tokenHasher' | 'issuer' | 'verifiedJwts' | 'revocations' | 'clients' | 'now'
>;

/**
 * Reads any access token we issued and returns its claims if it is active
 * right now: valid, unexpired, not revoked, and its client still exists (and
 * is the same client: one deleted and recreated under the same id does not
 * revive old tokens). The shape decides the reader; a type hint never does.
 */
export async function readActiveToken(ctx: ActiveTokenDeps, token: string): Promise<ActiveToken | undefined> {
  const now = ctx.now();
  let claims: ActiveToken | undefined;
  if (looksOpaque(token)) {
    const t = await readOpaque(ctx.store, ctx.tokenHasher, ctx.issuer, token, now);
    claims = t && { ...t, format: 'opaque' };
  } else {
    const t = ctx.verifiedJwts.read(token, now);
    claims = t && { ...t, format: 'jwt' };
  }
  return claims && (await stillActive(ctx, claims, now)) ? claims : undefined;
}

/**
 * What a token's signature or row cannot say: a JWT's jti is not on the
 * denylist (an opaque token's row is gone once revoked), its client still
 * exists and is the one it was issued to, and so do its ancestors. Written
 * with `then` rather than `await`: a token exchange reads its subject token
 * here, and each await cost a microtask its hot path could see.
 */
export function stillActive(ctx: ActiveTokenDeps, claims: ActiveToken, now: number): Promise<boolean> {
  if (claims.format !== 'jwt') return Promise.resolve(clientStillThere(ctx, claims, now));
  return ctx.revocations
    .isJtiRevoked(claims.jti, now)
    .then((revoked) => !revoked && clientStillThere(ctx, claims, now));
}

function clientStillThere(ctx: ActiveTokenDeps, claims: ActiveToken, now: number): boolean | Promise<boolean> {
  const issuedMs = issuedAtMs(claims);
  const check = (client: StoredClient | undefined): boolean | Promise<boolean> => {
    if (!client || client.createdAt > issuedMs) return false;
    return claims.chain === undefined || ancestorsActive(ctx, claims.chain, issuedMs, now);
  };
  // The id comes from our own token or row, so it passed isClientId once: find answers from the cache without a promise.
  const found = ctx.clients.find(claims.client_id);
  return found instanceof Promise ? found.then(check) : check(found);
}

/**
 * An exchanged token (RFC 8693) is active only while every token it was
 * exchanged from is: none of their jtis on the denylist (revoking an opaque
 * token denylists its jti too), and each one's client still there and not
 * re-created since. The chain rides in the token, so issuing it wrote
 * nothing; the cost is here, one lookup per ancestor, all at once.
 */
async function ancestorsActive(
  ctx: ActiveTokenDeps,
  chain: readonly ChainLink[],
  issuedMs: number,
  now: number,
): Promise<boolean> {
  const checks = chain.map(async (link) => {
    if (await ctx.revocations.isJtiRevoked(link.jti, now)) return false;
    const client = await ctx.clients.get(link.client_id);
    // An ancestor was issued no later than its descendant: without a time in its jti, that bounds it.
    return client !== undefined && client.createdAt <= (uuidV7Millis(link.jti) ?? issuedMs);
  });
  return (await Promise.all(checks)).every(Boolean);
}

/**
 * When a token was issued, to the millisecond its jti (a UUIDv7) tells: with
 * `iat` alone, a client deleted and re-created within the second its old
 * token was issued in revived that token. A token whose jti carries no time
 * (issued before jtis were UUIDv7) counts as issued at the start of its
 * second, so it is inactive if its client is that second's or younger.
 */
function issuedAtMs(claims: ActiveToken): number {
  const ms = uuidV7Millis(claims.jti);
  return ms !== undefined && Math.floor(ms / 1000) === claims.iat ? ms : claims.iat * 1000;
}
