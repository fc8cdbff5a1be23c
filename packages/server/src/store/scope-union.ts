/** The distinct scopes in space-delimited scope strings, sorted, without empties. */
export function scopeUnion(scopeStrings: Iterable<string>): string[] {
  const scopes = new Set<string>();
  for (const s of scopeStrings) for (const scope of s.split(' ')) if (scope) scopes.add(scope);
  return [...scopes].sort();
}
