import type { FetchLike } from '../fetch-json.js';
import type { JwksCache } from '../jwks-cache.js';
import {
  readListHeader,
  readStatusListToken,
  type StatusListChecks,
  type StatusListContent,
} from './status-list-token.js';

/** What `state` answers besides a status value (0 valid, 1 invalid, 2 suspended, …). */
export const NEEDS_FETCH = -1;
/** The token's `idx` is past the end of its list (draft-ietf-oauth-status-list §8.3: reject). */
export const OUT_OF_RANGE = -2;
/** No usable list: it cannot be fetched or was refused, and no earlier one may stand in. */
export const UNAVAILABLE = -3;

export interface StatusListsOptions {
  issuer: string;
  fetch: FetchLike;
  clock: () => number;
  jwks: JwksCache;
  timeoutMs: number;
  clockToleranceSec: number;
  /** Largest decompressed list, in bytes. */
  maxListBytes: number;
  /** How many lists are kept. */
  cacheSize: number;
  /** How long past its ttl the last good list still serves when no new one can be had; 0 fails closed. */
  maxStalenessMs: number;
  /** How long a list without `ttl` is used before it is fetched again. */
  defaultTtlMs: number;
  /** After a failed fetch, the least time before the next one a request waits for. */
  cooldownMs: number;
}

const EMPTY = new Uint8Array(0);

/**
 * One list, by uri. Its fields are what the hot path reads: while `now <
 * refreshAt` a status is one array lookup; everything else happens on the
 * slow path.
 */
class ListSlot {
  bytes: Uint8Array = EMPTY;
  bits = 1;
  mask = 1;
  /** How many statuses the list holds. */
  entries = 0;
  hasList = false;
  iat = Number.NEGATIVE_INFINITY;
  fetchedAt = Number.NEGATIVE_INFINITY;
  /** Until then the list is used without a second thought. */
  refreshAt = Number.NEGATIVE_INFINITY;
  /** Until then the list is within its ttl (and exp). */
  freshUntil = Number.NEGATIVE_INFINITY;
  /** Until then the list may stand in when no new one can be had (ttl plus the allowed staleness, within exp). */
  staleUntil = Number.NEGATIVE_INFINITY;
  failedAt = Number.NEGATIVE_INFINITY;
  /** Why the last fetch failed, for debugging. */
  failure: string | undefined;
  inFlight: Promise<void> | undefined;
  /** A change was announced while a fetch was in flight: fetch once more after it. */
  again = false;
  /** Evicted from the cache: references holding it look the uri up again. */
  detached = false;

  constructor(readonly uri: string) {}
}

/** Where a reference keeps its list's slot (a symbol property: a plain load on the hot path, unlike a `#private` one). */
const SLOT: unique symbol = Symbol('slot');

/**
 * A referenced token's `status.status_list` (draft-ietf-oauth-status-list
 * §6.2), checked: `idx` a non-negative integer, `uri` on the issuer's origin.
 * It holds on to its list's slot so that a cached token's status is read
 * without a Map lookup.
 */
export class StatusReference {
  readonly uri: string;
  readonly idx: number;
  declare readonly [SLOT]: ListSlot;

  constructor(uri: string, idx: number, slot: ListSlot) {
    this.uri = uri;
    this.idx = idx;
    // Not enumerable, and frozen with the rest: a cached token is shared by every request that presents it.
    Object.defineProperty(this, SLOT, { value: slot });
    Object.freeze(this);
  }

  toJSON(): { uri: string; idx: number } {
    return { uri: this.uri, idx: this.idx };
  }
}

/** The status at `idx`: `bits` bits from bit `idx * bits`, least significant bit of byte 0 first. */
function read(slot: ListSlot, idx: number): number {
  if (idx >= slot.entries) return OUT_OF_RANGE;
  const bit = idx * slot.bits;
  return ((slot.bytes[bit >>> 3] as number) >>> (bit & 7)) & slot.mask;
}

/**
 * The Status List Tokens of one issuer: fetched from the uri a token names,
 * checked with the issuer's keys, kept for their `ttl` in a bounded cache,
 * refreshed ahead of it, and refetched at once when the issuer announces a
 * change. Concurrent requests for one list share one fetch. A list that
 * fails any check is never used; the one held before it keeps serving only
 * within its ttl (and the allowed staleness).
 */
export class StatusLists {
  readonly #options: StatusListsOptions;
  readonly #slots = new Map<string, ListSlot>();
  readonly #issuerOrigin: string;

  constructor(options: StatusListsOptions) {
    this.#options = options;
    this.#issuerOrigin = new URL(options.issuer).origin;
  }

  /**
   * The reference in a token's `status` claim; undefined when it has none
   * (or only other status mechanisms), a string saying why it is malformed.
   */
  reference(status: unknown): StatusReference | undefined | string {
    if (status === undefined) return undefined;
    if (typeof status !== 'object' || status === null || Array.isArray(status)) return 'status';
    const list = (status as Record<string, unknown>).status_list;
    if (list === undefined) return undefined;
    if (typeof list !== 'object' || list === null || Array.isArray(list)) return 'status_list';
    const { idx, uri } = list as Record<string, unknown>;
    if (typeof idx !== 'number' || !Number.isSafeInteger(idx) || idx < 0) return 'idx';
    if (typeof uri !== 'string') return 'uri';
    const slot = this.#slots.get(uri) ?? this.#newSlot(uri);
    if (slot === undefined) return 'uri is not on the issuer origin';
    return new StatusReference(uri, idx, slot);
  }

  /**
   * The token's status, synchronously: 0 valid, a positive status value, or
   * `NEEDS_FETCH` (await `load`, then ask again with `afterFetch`),
   * `OUT_OF_RANGE`, `UNAVAILABLE`. The common case reads one byte.
   */
  state(ref: StatusReference, now: number, afterFetch = false): number {
    const slot = ref[SLOT];
    if (now < slot.refreshAt) return read(slot, ref.idx);
    return this.#slowState(ref, now, afterFetch);
  }

  #slowState(ref: StatusReference, now: number, afterFetch: boolean): number {
    const slot = this.#attached(ref);
    const coolingDown = now - slot.failedAt < this.#options.cooldownMs;
    if (slot.hasList && now < slot.freshUntil) {
      // Past refreshAt: fetch the next list in the background while this one still serves.
      if (slot.inFlight === undefined && !coolingDown) this.#refresh(slot);
      return read(slot, ref.idx);
    }
    const lastFailed = slot.failedAt > slot.fetchedAt;
    if (slot.hasList && now < slot.staleUntil && (lastFailed || afterFetch)) {
      // The list cannot be had right now: the last good one stands in, within the staleness allowed.
      if (slot.inFlight === undefined && !coolingDown) this.#refresh(slot);
      return read(slot, ref.idx);
    }
    if (!afterFetch && (slot.inFlight !== undefined || !coolingDown)) return NEEDS_FETCH;
    return UNAVAILABLE;
  }

  /** Fetches the reference's list, or joins the fetch in flight; never rejects. */
  load(ref: StatusReference): Promise<void> {
    const slot = this.#attached(ref);
    if (slot.inFlight) return slot.inFlight;
    if (this.#options.clock() - slot.failedAt < this.#options.cooldownMs) return Promise.resolve();
    return this.#refresh(slot);
  }

  /** The issuer announced a change to the list at `uri`: fetch it again now, if it is held. */
  changed(uri: string): void {
    const slot = this.#slots.get(uri);
    if (slot) this.#refreshNow(slot);
  }

  /** Every list held is fetched again (after the event stream reconnects: changes may have been missed). */
  changedAll(): void {
    for (const slot of this.#slots.values()) this.#refreshNow(slot);
  }

  /** Forgets every list (the issuer withdrew a key that may have signed them). */
  clear(): void {
    for (const slot of this.#slots.values()) this.#detach(slot);
    this.#slots.clear();
  }

  get size(): number {
    return this.#slots.size;
  }

  /** Why the last fetch of the list at `uri` failed, if it did; for debugging and tests. */
  failure(uri: string): string | undefined {
    return this.#slots.get(uri)?.failure;
  }

  #refreshNow(slot: ListSlot): void {
    if (slot.inFlight) slot.again = true;
    else this.#refresh(slot);
  }

  /**
   * The reference's slot, or, once that was evicted, the one in the cache
   * now (a reference cannot be re-pointed: it is frozen). The uri passed the
   * origin check when the first slot was made.
   */
  #attached(ref: StatusReference): ListSlot {
    const slot = ref[SLOT];
    if (!slot.detached) return slot;
    let current = this.#slots.get(ref.uri);
    if (current === undefined) {
      current = new ListSlot(ref.uri);
      this.#insert(current);
    }
    return current;
  }

  #newSlot(uri: string): ListSlot | undefined {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return undefined;
    }
    // Same origin as the issuer: a token must not send its verifier to fetch from anywhere else.
    if (url.origin !== this.#issuerOrigin || url.username || url.password || url.hash) return undefined;
    const slot = new ListSlot(uri);
    this.#insert(slot);
    return slot;
  }

  #insert(slot: ListSlot): void {
    while (this.#slots.size >= Math.max(1, this.#options.cacheSize)) {
      const oldest = this.#slots.values().next();
      if (oldest.done) break;
      this.#slots.delete(oldest.value.uri);
      this.#detach(oldest.value);
    }
    this.#slots.set(slot.uri, slot);
  }

  #detach(slot: ListSlot): void {
    slot.detached = true;
    slot.hasList = false;
    slot.bytes = EMPTY;
    slot.entries = 0;
    slot.refreshAt = slot.freshUntil = slot.staleUntil = Number.NEGATIVE_INFINITY;
  }

  #refresh(slot: ListSlot): Promise<void> {
    const pending = this.#fetchOnce(slot).finally(() => {
      slot.inFlight = undefined;
      if (slot.again && !slot.detached) {
        slot.again = false;
        this.#refresh(slot);
      }
    });
    slot.inFlight = pending;
    return pending;
  }

  async #fetchOnce(slot: ListSlot): Promise<void> {
    slot.again = false;
    const { clock } = this.#options;
    let failure: string;
    try {
      const result = await this.#fetchAndCheck(slot);
      if (typeof result !== 'string') {
        if (!slot.detached) this.#install(slot, result);
        return;
      }
      failure = result;
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
    slot.failedAt = clock();
    slot.failure = failure;
  }

  async #fetchAndCheck(slot: ListSlot): Promise<StatusListContent | string> {
    const o = this.#options;
    const jwt = await fetchListToken(o.fetch, slot.uri, o.timeoutMs, maxTokenChars(o.maxListBytes));
    const header = readListHeader(jwt);
    if (typeof header === 'string') return header;
    let key = o.jwks.lookup(header.kid);
    if (key === undefined && (!o.jwks.loaded || o.jwks.canRefresh())) {
      // Keys not fetched yet, or a rotation: at most one JWKS fetch per cooldown, as for access tokens.
      await o.jwks.refresh();
      key = o.jwks.lookup(header.kid);
    }
    if (key === undefined) return 'signed with an unknown key';
    const checks: StatusListChecks = {
      uri: slot.uri,
      issuer: o.issuer,
      clockToleranceSec: o.clockToleranceSec,
      maxListBytes: o.maxListBytes,
    };
    const content = readStatusListToken(jwt, header, key, checks, o.clock());
    if (typeof content === 'string') return content;
    // An older list than the one held (a replay) would bring back tokens revoked since.
    if (content.iat < slot.iat) return 'older than the list held';
    return content;
  }

  #install(slot: ListSlot, list: StatusListContent): void {
    const o = this.#options;
    const now = o.clock();
    const expMs = list.exp === undefined ? Number.POSITIVE_INFINITY : (list.exp + o.clockToleranceSec) * 1000;
    // At least the cooldown: a tiny ttl must not turn every request into a fetch.
    const ttlMs = Math.max(o.cooldownMs, list.ttl === undefined ? o.defaultTtlMs : list.ttl * 1000);
    const freshUntil = Math.min(now + ttlMs, expMs);
    // Assigned before the deadlines that let the hot path read them.
    slot.bytes = list.bytes;
    slot.bits = list.bits;
    slot.mask = (1 << list.bits) - 1;
    slot.entries = Math.floor((list.bytes.length * 8) / list.bits);
    slot.iat = list.iat;
    slot.hasList = true;
    slot.fetchedAt = now;
    slot.failure = undefined;
    slot.freshUntil = freshUntil;
    slot.staleUntil = Math.min(freshUntil + o.maxStalenessMs, expMs);
    // Refreshed ahead of the ttl, so that busy tokens never wait for their list.
    slot.refreshAt = now + (freshUntil - now) * 0.8;
  }
}

/** Room for the compressed list (base64url, incompressible at worst) plus header, claims and signature. */
function maxTokenChars(maxListBytes: number): number {
  return Math.ceil(maxListBytes * 1.4) + 16_384;
}

/**
 * GETs a Status List Token (draft-ietf-oauth-status-list §8.1): no
 * redirects (the uri was checked against the issuer's origin, a redirect
 * could lead anywhere), a timeout covering the body, and a body bounded
 * while it is read.
 */
async function fetchListToken(fetchImpl: FetchLike, uri: string, timeoutMs: number, maxChars: number) {
  const response = await fetchImpl(uri, {
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: 'application/statuslist+jwt' },
  });
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {});
    throw new Error(`the list answered ${response.status}`);
  }
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > maxChars || !response.body) {
    await response.body?.cancel().catch(() => {});
    throw new Error('the list is too large');
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (text.length > maxChars) {
      await reader.cancel().catch(() => {});
      throw new Error('the list is too large');
    }
  }
  return (text + decoder.decode()).trim();
}
