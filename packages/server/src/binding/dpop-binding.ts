import { createHash } from 'node:crypto';
import { InvalidDpopProof, UseDpopNonce } from '../errors/index.js';
import type { ReplayStore } from '../store/types.js';
import type { DpopNonces } from './dpop-nonce.js';
import { verifyDpopProof } from './dpop-proof.js';

/** What binding a token to a DPoP key needs of the server. */
export interface DpopDeps {
  /** The same single-use store as client assertions: SQLite, PostgreSQL or Redis, atomic across nodes. */
  readonly replay: ReplayStore;
  /** Set when TESSERA_DPOP_NONCE=required. */
  readonly nonces: DpopNonces | undefined;
  readonly now: () => number;
}

/** A token request's proven key. */
export interface DpopBinding {
  /** The key's RFC 7638 thumbprint: the token's `cnf.jkt`. */
  readonly jkt: string;
  /** A fresh nonce for the response's `DPoP-Nonce` header, when nonces are required. */
  readonly nonce: string | undefined;
}

/** The request a proof is checked against. */
export interface ProvenRequest {
  readonly dpop: string;
  readonly method: string;
  readonly url: string;
}

/**
 * The whole check of a token request's proof: the proof itself, then the
 * server nonce when one is required (RFC 9449 §8), and last its `jti`,
 * spent in the replay store (§11.1). Last, so that a proof refused for
 * anything else leaves its jti unspent; and the caller runs this only once
 * the client has authenticated, so nobody can spend another's jtis anonymously.
 */
export async function checkDpop(deps: DpopDeps, request: ProvenRequest): Promise<DpopBinding> {
  const nowMs = deps.now();
  const proof = await verifyDpopProof(request.dpop, { method: request.method, url: request.url, nowMs });
  const { nonces } = deps;
  if (nonces !== undefined) {
    if (proof.nonce === undefined) throw new UseDpopNonce('the proof has no nonce', nonces.current(nowMs));
    if (!nonces.accepts(proof.nonce, nowMs)) throw new UseDpopNonce('stale or unknown nonce', nonces.current(nowMs));
  }
  const firstUse = await deps.replay.useOnce(replayKey(proof.jkt, proof.jti), proof.usableUntil, nowMs);
  if (!firstUse) throw new InvalidDpopProof('jti already used', 'the DPoP proof was already used');
  return { jkt: proof.jkt, nonce: nonces?.current(nowMs) };
}

/**
 * A jti is unique per key (RFC 9449 §11.1 lets a server scope it so). The
 * `dpop:` prefix keeps these apart from client assertions' keys (bare
 * base64url digests, which never hold a colon); the jti is digested, so the
 * key has a fixed size and no byte a store may refuse.
 */
export function replayKey(jkt: string, jti: string): string {
  return `dpop:${jkt}:${createHash('sha256').update(jti).digest('base64url')}`;
}

/** RFC 9449 §5: a client registered with `dpop_bound_access_tokens` gets no token without a proof. */
export function proofRequired(): InvalidDpopProof {
  return new InvalidDpopProof('no DPoP proof from a client bound to DPoP', 'a DPoP proof is required for this client');
}
