import type { Logger } from 'pino';
import type { StoredClient } from '../clients/client.js';
import type { ClientRegistry } from '../clients/client-registry.js';
import { MAX_ACCESS_TOKEN_TTL } from '../clients/metadata-fields.js';
import type { StatusLink, StatusListStore } from '../store/types.js';
import type { ChangeFeed } from '../sync/change-feed.js';
import type { ChainLink, GrantedToken, TokenStatus } from '../tokens/granted-token.js';
import type { SigningKeys } from '../tokens/signing-keys.js';
import { DEFAULT_EVENTS_OPTIONS, type EventsOptions, StatusEvents } from './status-events.js';
import { DEFAULT_INDEX_OPTIONS, type IndexOptions, StatusIndexes, type StatusSlot } from './status-indexes.js';
import { DEFAULT_LIST_TOKEN_OPTIONS, type ListTokenOptions, StatusListTokens } from './status-list-tokens.js';

/** Where the lists and their events stream are served, under the issuer. */
export const STATUS_PATHS = {
  list: '/oauth2/status-lists/:id',
  listPrefix: '/oauth2/status-lists/',
  events: '/oauth2/status-lists/events',
} as const;

export interface StatusListsOptions {
  indexes?: IndexOptions;
  tokens?: ListTokenOptions;
  events?: EventsOptions;
}

/**
 * Revocation that reaches verifiers (draft-ietf-oauth-status-list): every
 * JWT access token points into a list (StatusIndexes), `GET` on the list's
 * uri answers its signed Status List Token (StatusListTokens), and every
 * change is announced on the events stream of every node (StatusEvents,
 * through the change feed). The store keeps what must outlive a node:
 * block owners, revoked entries, exchanged tokens' links.
 */
export class StatusLists {
  readonly indexes: StatusIndexes;
  readonly tokens: StatusListTokens;
  readonly events: StatusEvents;
  /** Every list uri starts with this. */
  readonly listPrefix: string;
  readonly eventsUrl: string;

  constructor(
    private readonly store: StatusListStore,
    keys: SigningKeys,
    issuer: string,
    private readonly clients: Pick<ClientRegistry, 'find'>,
    private readonly feed: ChangeFeed,
    private readonly now: () => number,
    logger: Logger,
    options: StatusListsOptions = {},
  ) {
    this.listPrefix = issuer + STATUS_PATHS.listPrefix;
    this.eventsUrl = issuer + STATUS_PATHS.events;
    const uriOf = (id: string) => this.listPrefix + id;
    const indexOptions = options.indexes ?? DEFAULT_INDEX_OPTIONS;
    this.indexes = new StatusIndexes(store, uriOf, indexOptions, (err) =>
      logger.warn({ err }, 'opening a status list block ahead failed'),
    );
    this.tokens = new StatusListTokens(
      store,
      keys,
      issuer,
      uriOf,
      now,
      indexOptions.capacity,
      options.tokens ?? DEFAULT_LIST_TOKEN_OPTIONS,
    );
    this.events = new StatusEvents(options.events ?? DEFAULT_EVENTS_OPTIONS, now);
    feed.subscribe(
      (change) => {
        if (change.kind === 'status_list') this.#changed(change.listId);
      },
      // Changes may have been missed: every list this node served is read again, and its subscribers told.
      () => {
        for (const id of this.tokens.invalidateAll()) this.events.announce(uriOf(id));
      },
    );
  }

  /** The `status` claim of a new JWT (JSON members, leading comma); a promise only when a block must be opened. */
  claim(client: StoredClient, token: GrantedToken, now: number): string | Promise<string> {
    return this.indexes.claim(client, token.ttl, now);
  }

  /** As claim, with the slot, for an exchanged token that must then be linked (link). */
  slot(client: StoredClient, token: GrantedToken, now: number): StatusSlot | Promise<StatusSlot> {
    return this.indexes.slot(client, token.ttl, now);
  }

  /**
   * An exchanged token's entry under each of its ancestors, awaited before
   * the token is answered: revoking any of them, or deleting its client,
   * then sets the entry too.
   */
  async link(slot: StatusSlot, chain: readonly ChainLink[], expMs: number): Promise<void> {
    // A foreign subject token (a trusted issuer's) brings no chain: nothing to link, nothing to write.
    if (chain.length === 0) return;
    const links: StatusLink[] = [];
    for (const ancestor of chain) {
      const found = this.clients.find(ancestor.client_id);
      const client = found instanceof Promise ? await found : found;
      links.push({
        parentJti: ancestor.jti,
        parentClientId: ancestor.client_id,
        // Gone already: the token is inactive anyway; -1 matches no deleted client, the jti still links.
        parentClientCreatedAt: client?.createdAt ?? -1,
        listId: slot.list.id,
        idx: slot.idx,
        expiresAt: expMs,
      });
    }
    this.#announce(await this.store.linkStatusEntries(links));
  }

  /**
   * A revoked token's entry, and every entry linked under its jti, are set
   * durably; then every node's subscribers hear of the lists.
   */
  async revoke(jti: string, status: TokenStatus | undefined, expMs: number): Promise<void> {
    const entries =
      status?.uri.startsWith(this.listPrefix) === true
        ? [{ listId: status.uri.slice(this.listPrefix.length), idx: status.idx }]
        : [];
    this.#announce(await this.store.revokeStatus(jti, entries, expMs));
  }

  /** Before a client is deleted: every index it was given, and its tokens' descendants', reads as invalid. */
  async clientDeleted(clientId: string): Promise<void> {
    const expiresAt = this.now() + (MAX_ACCESS_TOKEN_TTL + 3600) * 1000;
    this.#announce(await this.store.revokeClientStatus(clientId, expiresAt));
  }

  /** Graceful shutdown: the events streams end. */
  close(): void {
    this.events.close();
  }

  #announce(listIds: readonly string[]): void {
    for (const id of listIds) {
      this.#changed(id);
      this.feed.publish({ kind: 'status_list', listId: id });
    }
  }

  #changed(listId: string): void {
    this.tokens.invalidate(listId);
    this.events.announce(this.listPrefix + listId);
  }
}
