import type { Actor, Confirmation, TokenClaims } from './granted-token.js';
import { tokenType } from './token-response.js';

export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      sub: string;
      aud?: string | string[];
      iss: string;
      exp: number;
      iat: number;
      nbf?: number;
      jti: string;
      token_type: 'Bearer' | 'DPoP';
      act?: Actor;
      cnf?: Confirmation;
    };

/** RFC 7662 §2.2: an active token's answer, the same for every format. */
export function introspectionAnswer(t: TokenClaims): IntrospectionResponse {
  return {
    active: true,
    scope: t.scope,
    client_id: t.client_id,
    sub: t.sub,
    ...(t.aud === undefined ? {} : { aud: t.aud }),
    iss: t.iss,
    exp: t.exp,
    iat: t.iat,
    ...(t.nbf === undefined ? {} : { nbf: t.nbf }),
    jti: t.jti,
    token_type: tokenType(t),
    ...(t.act === undefined ? {} : { act: t.act }),
    ...(t.cnf === undefined ? {} : { cnf: t.cnf }),
  };
}
