import type { OpaqueTokenRecord } from '../store/types.js';
import { readChain } from './chain.js';
import { type Actor, CHAIN_CLAIM, type ChainLink, type Confirmation, type GrantedToken } from './granted-token.js';
import { lifetime } from './lifetime.js';

/** The stored row of an opaque token: what introspection will answer, and never the token itself. */
export function opaqueTokenRow(token: GrantedToken, id: string, hash: string, iat: number): OpaqueTokenRecord {
  return {
    id,
    hash,
    clientId: token.clientId,
    jti: id,
    scope: token.scope,
    audience: token.audience,
    iat,
    exp: iat + lifetime(token, iat),
    extension: extensionOf(token),
  };
}

/** What the row's columns do not hold: a subject other than the client, `act`, `cnf`, the chain. Usually nothing. */
function extensionOf(token: GrantedToken): OpaqueTokenRecord['extension'] {
  if (token.subject === token.clientId && token.act === undefined && token.cnf === undefined) return undefined;
  return {
    ...(token.subject === token.clientId ? {} : { sub: token.subject }),
    ...(token.act === undefined ? {} : { act: token.act }),
    ...(token.cnf === undefined ? {} : { cnf: token.cnf }),
    ...(token.chain === undefined ? {} : { [CHAIN_CLAIM]: token.chain }),
  };
}

/** The claims a row's extension adds back: `sub`, `act`, `cnf`, the chain. */
export function extensionClaims(row: OpaqueTokenRecord): {
  sub?: string;
  act?: Actor;
  cnf?: Confirmation;
  chain?: readonly ChainLink[];
} {
  const e = row.extension;
  if (e === undefined) return {};
  return {
    ...(typeof e.sub === 'string' ? { sub: e.sub } : {}),
    ...(typeof e.act === 'object' && e.act !== null ? { act: e.act as Actor } : {}),
    ...(typeof e.cnf === 'object' && e.cnf !== null ? { cnf: e.cnf as Confirmation } : {}),
    ...(e[CHAIN_CLAIM] === undefined ? {} : { chain: readChain(e[CHAIN_CLAIM]) }),
  };
}
