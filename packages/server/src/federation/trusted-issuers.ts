import { randomUUID } from 'node:crypto';
import { Conflict, InvalidClientMetadata, NotFound } from '../errors/index.js';
import { auditEntry } from '../store/audit-entry.js';
import type { AuditOrigin, TrustedIssuerStore } from '../store/types.js';
import { type ChangeFeed, LocalFeed } from '../sync/change-feed.js';
import { DEFAULT_KEY_FETCH, IssuerKeys, type KeyFetchOptions } from './issuer-keys.js';
import { DuplicateIssuerError, type TrustedIssuerConfig, type TrustedIssuerRecord } from './trusted-issuer.js';
import { applyTrustedIssuerPatch, parseTrustedIssuerCreate } from './trusted-issuer-input.js';

/** A trusted issuer as the token endpoint uses it: one object per stored version, so caches can key on it. */
export interface ActiveIssuer {
  readonly record: TrustedIssuerRecord;
  readonly config: TrustedIssuerConfig;
  /** The `aud` its tokens must carry: its own, or Tessera's issuer. */
  readonly audience: string;
  readonly keys: IssuerKeys;
}

/** What an admin change did, for the audit log (the lead hooks issue 31's there). */
export interface TrustedIssuerChange {
  action: 'trusted_issuer.create' | 'trusted_issuer.update' | 'trusted_issuer.delete';
  id: string;
}

const PAGE = 200;

/**
 * The trusted issuers: admin writes go to the store, and every node keeps
 * them all in memory (they are few), reloaded when any node changes one
 * (the change feeds of sync/). The token endpoint asks `find(iss)`, a Map
 * lookup.
 */
export class TrustedIssuers {
  #byIssuer = new Map<string, ActiveIssuer>();
  #byTrustDomain = new Map<string, ActiveIssuer>();
  /** Bumped by every reload, so a slow reload that finishes after a newer one is dropped. */
  #loads = 0;
  readonly #listeners: ((change: TrustedIssuerChange) => void)[] = [];

  constructor(
    private readonly store: TrustedIssuerStore,
    private readonly now: () => number,
    /** Tessera's issuer: the audience of an issuer that names none (and never a trusted issuer itself). */
    private readonly defaultAudience: string,
    private readonly feed: ChangeFeed = new LocalFeed(),
    private readonly keyOptions: KeyFetchOptions = DEFAULT_KEY_FETCH,
    /** Hears when an issuer's keys could not be fetched: `keptKeysAgeMs` says how old the keys still in use are (undefined: none). */
    private readonly onKeyFetchFailure: (
      issuer: string,
      reason: string,
      keptKeysAgeMs: number | undefined,
    ) => void = () => {},
  ) {}

  /** Reads every trusted issuer from the store; the keys of unchanged ones are kept. */
  async load(): Promise<void> {
    const load = ++this.#loads;
    const records: TrustedIssuerRecord[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.store.listTrustedIssuers(after, PAGE);
      records.push(...page);
      if (page.length < PAGE) break;
      after = page.at(-1)?.id;
    }
    if (load !== this.#loads) return;
    const byIssuer = new Map<string, ActiveIssuer>();
    const byTrustDomain = new Map<string, ActiveIssuer>();
    for (const record of records) {
      const previous = this.#byIssuer.get(record.config.issuer);
      const active =
        previous?.record.id === record.id && previous.record.updatedAt === record.updatedAt
          ? previous
          : this.#activate(record);
      byIssuer.set(record.config.issuer, active);
      if (record.config.trust_domain !== undefined) byTrustDomain.set(record.config.trust_domain, active);
    }
    this.#byIssuer = byIssuer;
    this.#byTrustDomain = byTrustDomain;
  }

  /** Reloads when another node or worker changes a trusted issuer, and after a feed reconnects. */
  follow(onError: (err: unknown) => void): void {
    const reload = () => {
      this.load().catch(onError);
    };
    this.feed.subscribe((change) => {
      if (change.kind === 'trusted-issuers') reload();
    }, reload);
  }

  /** The trusted issuer whose tokens carry this `iss`. */
  find(iss: string): ActiveIssuer | undefined {
    return this.#byIssuer.get(iss);
  }

  /** The SPIFFE issuer of a trust domain (a JWT-SVID need not carry `iss`). */
  forTrustDomain(trustDomain: string): ActiveIssuer | undefined {
    return this.#byTrustDomain.get(trustDomain);
  }

  get size(): number {
    return this.#byIssuer.size;
  }

  /** Hears every admin change made here (the audit log hooks in here). */
  onChange(listener: (change: TrustedIssuerChange) => void): void {
    this.#listeners.push(listener);
  }

  async list(after: string | undefined, limit: number): Promise<TrustedIssuerRecord[]> {
    return this.store.listTrustedIssuers(after, limit);
  }

  async get(id: string): Promise<TrustedIssuerRecord> {
    const record = isId(id) ? await this.store.getTrustedIssuer(id) : undefined;
    if (!record) throw notFound();
    return record;
  }

  async create(body: unknown, by?: AuditOrigin): Promise<TrustedIssuerRecord> {
    const config = this.#notOurselves(parseTrustedIssuerCreate(body));
    const now = this.now();
    const record: TrustedIssuerRecord = { id: randomUUID(), config, createdAt: now, updatedAt: now };
    try {
      await this.store.insertTrustedIssuer(record, auditEntry(by, 'trusted_issuer.create', record.id, now));
    } catch (err) {
      throw duplicate(err);
    }
    await this.#changed({ action: 'trusted_issuer.create', id: record.id });
    return record;
  }

  async update(id: string, body: unknown, by?: AuditOrigin): Promise<TrustedIssuerRecord> {
    const current = await this.get(id);
    const config = this.#notOurselves(applyTrustedIssuerPatch(current.config, body));
    // Never the same updatedAt twice: it tells a changed issuer from an unchanged one on reload.
    const record: TrustedIssuerRecord = { ...current, config, updatedAt: Math.max(this.now(), current.updatedAt + 1) };
    let updated: boolean;
    try {
      updated = await this.store.updateTrustedIssuer(record, auditEntry(by, 'trusted_issuer.update', id, this.now()));
    } catch (err) {
      throw duplicate(err);
    }
    if (!updated) throw notFound();
    await this.#changed({ action: 'trusted_issuer.update', id });
    return record;
  }

  async delete(id: string, by?: AuditOrigin): Promise<void> {
    const deleted =
      isId(id) && (await this.store.deleteTrustedIssuer(id, auditEntry(by, 'trusted_issuer.delete', id, this.now())));
    if (!deleted) throw notFound();
    await this.#changed({ action: 'trusted_issuer.delete', id });
  }

  /** The admin view's `audience`: what is in force. */
  audienceOf(config: TrustedIssuerConfig): string {
    return config.audience ?? this.defaultAudience;
  }

  /**
   * Tessera's own tokens are read as its own (signature, denylist, the
   * client still there): trusted as a platform's, a revoked access token
   * would still authenticate and still be exchanged.
   */
  #notOurselves(config: TrustedIssuerConfig): TrustedIssuerConfig {
    if (config.issuer === this.defaultAudience) {
      throw new InvalidClientMetadata("issuer: Tessera's own issuer cannot be a trusted issuer");
    }
    return config;
  }

  async #changed(change: TrustedIssuerChange): Promise<void> {
    this.feed.publish({ kind: 'trusted-issuers' });
    await this.load();
    for (const listener of this.#listeners) listener(change);
  }

  #activate(record: TrustedIssuerRecord): ActiveIssuer {
    return Object.freeze({
      record,
      config: record.config,
      audience: this.audienceOf(record.config),
      keys: new IssuerKeys(record.config, this.now, this.keyOptions, (reason, age) =>
        this.onKeyFetchFailure(record.config.issuer, reason, age),
      ),
    });
  }
}

/** Ids are UUIDs; anything else is not looked up. */
function isId(id: string): boolean {
  return /^[0-9a-f-]{36}$/.test(id);
}

function notFound(): NotFound {
  return new NotFound('no such trusted issuer');
}

function duplicate(err: unknown): unknown {
  return err instanceof DuplicateIssuerError ? new Conflict('a trusted issuer with this issuer exists') : err;
}
