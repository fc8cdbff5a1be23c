/** What a token is for. Either field may be a space-delimited string or a list. */
export interface TokenTarget {
  audience?: string | readonly string[] | undefined;
  scope?: string | readonly string[] | undefined;
}

export interface NormalizedTarget {
  key: string;
  audience: readonly string[];
  scope: string;
}

/**
 * Scope is a set (RFC 6749 §3.3) and so is the audience list, so order and
 * repeats must not split the cache: "b a" and "a b a" are one token.
 */
export function normalizeScope(scope: string | readonly string[] | undefined): string {
  if (scope === undefined) return '';
  if (typeof scope === 'string') {
    // The common single-scope case costs no allocation.
    if (!/\s/.test(scope)) return scope;
    return canonical(scope.split(/\s+/));
  }
  return canonical(scope.flatMap((s) => s.split(/\s+/)));
}

export function normalizeAudience(audience: string | readonly string[] | undefined): readonly string[] {
  if (audience === undefined) return [];
  if (typeof audience === 'string') return audience === '' ? [] : [audience];
  return [...new Set(audience.filter(Boolean))].sort();
}

function canonical(parts: readonly string[]): string {
  return [...new Set(parts.filter(Boolean))].sort().join(' ');
}

export function normalizeTarget(target: TokenTarget): NormalizedTarget {
  const audience = normalizeAudience(target.audience);
  const scope = normalizeScope(target.scope);
  // Control characters cannot occur in an RFC 6749 scope or a sane audience, so the key is unambiguous.
  return { key: `${audience.join('\u0001')}\u0000${scope}`, audience, scope };
}

/**
 * Remembers how raw (audience, scope) inputs normalise, so a cache hit costs
 * a string concatenation and a map lookup instead of split + sort + join.
 * Bounded: when full it starts over, which only costs re-normalising.
 */
export class TargetNormalizer {
  private readonly memo = new Map<string, NormalizedTarget>();

  /**
   * `binding` starts every key: how this client's tokens are bound (`dpop:`
   * and the key thumbprint, or `bearer`), so a cache can never hand a token
   * bound one way to a request made another.
   */
  constructor(
    private readonly maxEntries: number,
    private readonly binding = '',
  ) {}

  normalize(target: TokenTarget): NormalizedTarget {
    const { audience, scope } = target;
    // The type marker keeps the string "a\u0001b" apart from the list ["a", "b"].
    const rawAudience =
      audience === undefined ? '' : typeof audience === 'string' ? `s${audience}` : `a${audience.join('\u0001')}`;
    // Scope needs no marker: a string and a list of the same words normalise alike.
    const rawScope = scope === undefined ? '' : typeof scope === 'string' ? scope : scope.join(' ');
    const raw = `${rawAudience}\u0000${rawScope}`;
    let normalized = this.memo.get(raw);
    if (normalized === undefined) {
      const plain = normalizeTarget(target);
      normalized = this.binding ? { ...plain, key: `${this.binding}\u0002${plain.key}` } : plain;
      if (this.memo.size >= this.maxEntries) this.memo.clear();
      this.memo.set(raw, normalized);
    }
    return normalized;
  }
}
