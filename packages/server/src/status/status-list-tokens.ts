import type { StatusListStore } from '../store/types.js';
import type { SigningKey, SigningKeys } from '../tokens/signing-keys.js';
import { encodeStatusList } from './bitstring.js';
import { LIST_ID } from './status-indexes.js';

export interface ListTokenOptions {
  /** The list token's `ttl` (seconds): how long a verifier may use it without fetching again. */
  ttlSeconds: number;
  /** The list token's lifetime (seconds, `exp` - `iat`). */
  lifetimeSeconds: number;
  /** Re-signed once less than this is left of it (seconds), even when nothing changed. */
  renewBeforeSeconds: number;
  /**
   * The store is read again after this long (ms) even without a change
   * heard: a backstop for a notification lost between nodes, and for a
   * verifier that heard of a change from another node before this one did.
   * At most one read per list per this long, shared by every request; the
   * token is re-signed only if the list differs.
   */
  recheckMs: number;
}

export const DEFAULT_LIST_TOKEN_OPTIONS: ListTokenOptions = Object.freeze({
  ttlSeconds: 300,
  // An hour, renewed at half-life: a rotated-out key then stays published about as long for its lists as for
  // its access tokens (SigningKeys.noteSigned).
  lifetimeSeconds: 3600,
  renewBeforeSeconds: 1800,
  recheckMs: 1000,
});

interface Cached {
  jwt: string;
  lst: string;
  kid: string;
  exp: number;
  checkedAt: number;
  /** Bumped by every change heard: a read that began before it is not trusted after. */
  version: number;
  rendering: Promise<string | undefined> | undefined;
}

/**
 * Status List Tokens (draft-ietf-oauth-status-list §5.1): a JWT with
 * `typ: statuslist+jwt`, signed by the current key, whose `sub` is the
 * list's uri. Kept per list and signed again only when the list changed,
 * the signing key changed, or it nears its `exp`. One read of the store
 * at a time per list: a burst of verifiers after a revocation costs one.
 */
export class StatusListTokens {
  readonly #cache = new Map<string, Cached>();
  /** Ids the store does not know, briefly: made-up ids cost one read each, not one per request. */
  readonly #unknown = new Map<string, number>();
  readonly #headers = new Map<string, string>();

  constructor(
    private readonly store: Pick<StatusListStore, 'getStatusList'>,
    private readonly keys: SigningKeys,
    private readonly issuer: string,
    private readonly uriOf: (listId: string) => string,
    private readonly now: () => number,
    /** Statuses per list (IndexOptions.capacity). */
    private readonly capacity: number,
    private readonly options: ListTokenOptions = DEFAULT_LIST_TOKEN_OPTIONS,
  ) {}

  /** The list's token, or undefined when there is no such list (404). */
  get(listId: string): Promise<string | undefined> {
    if (!LIST_ID.test(listId)) return Promise.resolve(undefined);
    const now = this.now();
    const unknownUntil = this.#unknown.get(listId);
    if (unknownUntil !== undefined) {
      if (now < unknownUntil) return Promise.resolve(undefined);
      this.#unknown.delete(listId);
    }
    const c = this.#cache.get(listId);
    if (c?.rendering) return c.rendering;
    if (c && this.#fresh(c, now)) return Promise.resolve(c.jwt);
    return this.#render(listId, c, now);
  }

  /** A change was made or heard: the next request reads the list again. */
  invalidate(listId: string): void {
    this.#unknown.delete(listId);
    const c = this.#cache.get(listId);
    if (c) {
      c.version++;
      c.checkedAt = Number.NEGATIVE_INFINITY;
      // A read under way began before this change: a verifier told of it must not be handed that read.
      c.rendering = undefined;
    }
  }

  /** Changes may have been missed (the feed reconnected): every list is read again. Returns their ids. */
  invalidateAll(): string[] {
    this.#unknown.clear();
    for (const id of this.#cache.keys()) this.invalidate(id);
    return [...this.#cache.keys()];
  }

  #fresh(c: Cached, now: number): boolean {
    return (
      now - c.checkedAt < this.options.recheckMs &&
      c.exp - now / 1000 > this.options.renewBeforeSeconds &&
      c.kid === this.keys.current().kid
    );
  }

  #render(listId: string, previous: Cached | undefined, now: number): Promise<string | undefined> {
    if (this.#cache.size > 1000) this.#sweep(now);
    const version = previous?.version ?? 0;
    const rendering = this.store.getStatusList(listId, now).then(
      (contents) => {
        const c = this.#cache.get(listId);
        if (contents === undefined) {
          this.#cache.delete(listId);
          this.#remember404(listId, now);
          return undefined;
        }
        // Every list is as long as its capacity: a block opened later never makes a cached list too short.
        const lst = encodeStatusList({ ...contents, size: this.capacity });
        const key = this.keys.current();
        const reusable =
          c !== undefined && c.lst === lst && c.kid === key.kid && c.exp - now / 1000 > this.options.renewBeforeSeconds;
        const next: Cached = reusable
          ? c
          : { ...this.#sign(listId, lst, key, now), lst, kid: key.kid, version, checkedAt: now, rendering: undefined };
        // A change heard while reading may be missing from what was read: served now, read again next time.
        next.checkedAt = (c?.version ?? version) === version ? now : Number.NEGATIVE_INFINITY;
        next.version = c?.version ?? version;
        next.rendering = undefined;
        this.#cache.set(listId, next);
        return next.jwt;
      },
      (err: unknown) => {
        const c = this.#cache.get(listId);
        if (c) c.rendering = undefined;
        throw err;
      },
    );
    if (previous) previous.rendering = rendering;
    else
      this.#cache.set(listId, {
        jwt: '',
        lst: '',
        kid: '',
        exp: 0,
        checkedAt: Number.NEGATIVE_INFINITY,
        version,
        rendering,
      });
    return rendering;
  }

  /** Lists nobody asked for during a whole list token's lifetime: read again if anyone ever does. */
  #sweep(now: number): void {
    for (const [id, c] of this.#cache) if (c.rendering === undefined && c.exp < now / 1000) this.#cache.delete(id);
  }

  #remember404(listId: string, now: number): void {
    // Bounded: a flood of made-up ids forgets the oldest rather than growing.
    if (this.#unknown.size >= 10_000) this.#unknown.delete(this.#unknown.keys().next().value as string);
    this.#unknown.set(listId, now + 5_000);
  }

  #sign(listId: string, lst: string, key: SigningKey, now: number): { jwt: string; exp: number } {
    const iat = Math.floor(now / 1000);
    const exp = iat + this.options.lifetimeSeconds;
    const payload = JSON.stringify({
      iss: this.issuer,
      sub: this.uriOf(listId),
      iat,
      exp,
      ttl: this.options.ttlSeconds,
      status_list: { bits: 1, lst },
    });
    const input = `${this.#header(key)}.${Buffer.from(payload).toString('base64url')}`;
    const signature = this.keys.sign(key, Buffer.from(input));
    // The key stays published until this list token has expired too.
    this.keys.noteSigned(key.kid, exp);
    return { jwt: `${input}.${signature.toString('base64url')}`, exp };
  }

  #header(key: SigningKey): string {
    let h = this.#headers.get(key.kid);
    if (h === undefined) {
      h = Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ: 'statuslist+jwt' })).toString('base64url');
      this.#headers.set(key.kid, h);
    }
    return h;
  }
}
