export interface Challenge {
  /** Lower-cased auth scheme, e.g. `bearer`. */
  scheme: string;
  /** Parameters by lower-cased name. */
  params: Record<string, string>;
}

// One token of the header: a quoted string, `name=`, a plain token, or a comma.
const lexeme =
  /\s*(?:"((?:[^"\\]|\\.)*)"|([!#$%&'*+\-.^_`|~0-9A-Za-z/:]+)(?![!#$%&'*+\-.^_`|~0-9A-Za-z/:])\s*(=(?!=))?|(=+)|(,))/y;

/**
 * Parses RFC 9110 §11.6.1 `WWW-Authenticate`, which may hold several
 * challenges (`DPoP …, Bearer error="invalid_token"`) and quoted values with
 * commas in them, so a naive split on "," would misread it.
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let current: Challenge | undefined;
  let pendingName: string | undefined;
  let afterScheme = false;
  lexeme.lastIndex = 0;
  for (let match = lexeme.exec(header); match; match = lexeme.exec(header)) {
    const [, quoted, word, equals, padding, comma] = match;
    const wasAfterScheme = afterScheme;
    afterScheme = false;
    if (comma !== undefined || padding !== undefined) continue;
    if (pendingName !== undefined && current) {
      current.params[pendingName] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (word ?? '');
      pendingName = undefined;
    } else if (word !== undefined && equals !== undefined && current) {
      pendingName = word.toLowerCase();
    } else if (word !== undefined && !wasAfterScheme) {
      current = { scheme: word.toLowerCase(), params: {} };
      challenges.push(current);
      afterScheme = true;
    }
    // Anything else is a token68 credential (`Basic abc==`), which Bearer challenges never use.
  }
  return challenges;
}

/**
 * RFC 6750 §3.1, RFC 9449 §7.1: the resource server says the token itself
 * was bad (expired, revoked, bound to another key…), so a new one may help.
 */
export function isInvalidTokenChallenge(header: string | null, scheme: 'bearer' | 'dpop' = 'bearer'): boolean {
  if (!header) return false;
  // Only the challenge of the scheme the token was sent with speaks about it.
  return parseWwwAuthenticate(header).some((c) => c.scheme === scheme && c.params.error === 'invalid_token');
}

/** RFC 9449 §9: the resource server wants a proof with the nonce it sent in `DPoP-Nonce`. */
export function isDpopNonceChallenge(header: string | null): boolean {
  if (!header) return false;
  return parseWwwAuthenticate(header).some((c) => c.scheme === 'dpop' && c.params.error === 'use_dpop_nonce');
}
