/**
 * True when `value` nests no deeper than `limit`. Iterative on purpose: a
 * recursive walk (or JSON.stringify) of a hostile 10,000-deep document
 * overflows the stack.
 */
export function withinDepth(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= limit) return false;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return true;
}
