import type { ClientMetadata } from '../clients/client.js';
import type { ClientStore } from '../store/types.js';
import type { FederatedIdentity } from './federated-identities.js';

/** One client accepting one identity, with the claims it also asks for. */
export interface Candidate {
  readonly clientId: string;
  readonly claims: Readonly<Record<string, unknown>> | undefined;
}

const NONE: readonly Candidate[] = Object.freeze([]);
const PAGE = 1000;

/**
 * Which clients accept a platform identity: issuer → subject → clients, for
 * every federated_jwt client of the registry (the client cache may hold only
 * some), so a token request without a client_id finds its client with two
 * Map lookups whatever the number of clients. Built from the store at
 * start; each client change (here, or on another node through the change
 * feed) re-reads that one client, and a feed reset rebuilds it all.
 */
export class IdentityIndex {
  #byIssuer = new Map<string, Map<string, Candidate[]>>();
  /** What each client is filed under, to take it out again. */
  #byClient = new Map<string, readonly FederatedIdentity[]>();
  /** Per client, the latest re-read asked for: an older one finishing late is dropped. */
  readonly #pending = new Map<string, number>();
  #reads = 0;
  /** Clients changed while a rebuild was reading: re-read once it is in place. */
  #changedDuringBuild: Set<string> | undefined;

  constructor(private readonly store: Pick<ClientStore, 'listClients' | 'getClient'>) {}

  /** Reads every client, a page at a time, and swaps the index in whole. Returns how many clients accept an identity. */
  async build(): Promise<number> {
    const changed = new Set<string>();
    this.#changedDuringBuild = changed;
    const next = new IdentityIndex(this.store);
    let after: string | undefined;
    try {
      for (;;) {
        const page = await this.store.listClients(after, PAGE);
        for (const c of page) next.#set(c.clientId, c.metadata);
        if (page.length < PAGE) break;
        after = page.at(-1)?.clientId;
      }
    } finally {
      this.#changedDuringBuild = undefined;
    }
    this.#byIssuer = next.#byIssuer;
    this.#byClient = next.#byClient;
    await Promise.all([...changed].map((id) => this.refresh(id)));
    return this.#byClient.size;
  }

  /** The clients that accept `subject` from `issuer` (before their claims are compared). */
  candidates(issuer: string, subject: string): readonly Candidate[] {
    return this.#byIssuer.get(issuer)?.get(subject) ?? NONE;
  }

  get size(): number {
    return this.#byClient.size;
  }

  /** Re-reads one client from the store (it changed); never throws. */
  async refresh(clientId: string): Promise<void> {
    this.#changedDuringBuild?.add(clientId);
    const read = ++this.#reads;
    this.#pending.set(clientId, read);
    // Filed as it was until the read returns: the match is only a hint, as
    // authentication checks the client's own identities (a deleted client is not found at all).
    let metadata: ClientMetadata | undefined;
    try {
      metadata = (await this.store.getClient(clientId))?.metadata;
    } catch {
      // The store did not answer: the client stays filed as it was until its next change or a rebuild.
      if (this.#pending.get(clientId) === read) this.#pending.delete(clientId);
      return;
    }
    if (this.#pending.get(clientId) !== read) return;
    this.#pending.delete(clientId);
    if (metadata) this.#set(clientId, metadata);
    else this.#remove(clientId);
  }

  #set(clientId: string, metadata: ClientMetadata): void {
    this.#remove(clientId);
    const identities =
      metadata.token_endpoint_auth_method === 'federated_jwt' ? metadata.federated_identities : undefined;
    if (!identities || identities.length === 0) return;
    this.#byClient.set(clientId, identities);
    for (const identity of identities) {
      let bySubject = this.#byIssuer.get(identity.issuer);
      if (!bySubject) {
        bySubject = new Map();
        this.#byIssuer.set(identity.issuer, bySubject);
      }
      const list = bySubject.get(identity.subject);
      const candidate: Candidate = { clientId, claims: identity.claims };
      if (list) list.push(candidate);
      else bySubject.set(identity.subject, [candidate]);
    }
  }

  #remove(clientId: string): void {
    const identities = this.#byClient.get(clientId);
    if (!identities) return;
    this.#byClient.delete(clientId);
    for (const identity of identities) {
      const bySubject = this.#byIssuer.get(identity.issuer);
      const list = bySubject?.get(identity.subject);
      if (!bySubject || !list) continue;
      const rest = list.filter((c) => c.clientId !== clientId);
      if (rest.length > 0) bySubject.set(identity.subject, rest);
      else bySubject.delete(identity.subject);
      if (bySubject.size === 0) this.#byIssuer.delete(identity.issuer);
    }
  }
}
