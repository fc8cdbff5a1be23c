import type { SubjectTokenReader } from '../grants/subject-token.js';
import { looksLikeJwt } from '../tokens/jwt-access-token.js';
import type { PlatformTokens } from './platform-tokens.js';

/**
 * RFC 8693 subject tokens from trusted issuers: a JWT whose `iss` is one is
 * read here (checked exactly as at client authentication: keys, `aud`,
 * lifetime), and a refused one is inactive. It names no client of ours and
 * cannot be revoked here, so its chain is empty; a `scope` it carries bounds
 * the exchange, and without one (the usual platform token) nothing does.
 */
export function platformSubjectTokens(tokens: PlatformTokens, now: () => number): SubjectTokenReader {
  return {
    read(token) {
      if (!looksLikeJwt(token)) return undefined;
      const nowMs = now();
      const claimed = tokens.claim(token, nowMs);
      if (claimed === undefined) return undefined;
      return Promise.resolve()
        .then(() => tokens.verify(claimed, nowMs))
        .then(
          ({ sub, payload, exp }) => ({
            sub,
            clientId: undefined,
            scope: typeof payload.scope === 'string' ? payload.scope : undefined,
            exp,
            act: undefined,
            chain: [],
          }),
          () => undefined,
        );
    },
  };
}
