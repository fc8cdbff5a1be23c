/**
 * JSON.parse keeps the last of two equal keys without a word, so
 * `{"grant_type":"a","grant_type":"b"}` would pass as one parameter. These
 * read the text of a JSON object that has already parsed (so it is valid
 * JSON) for its top-level keys: one pass of character codes, no allocation,
 * no regex.
 */

/**
 * Calls `onKey` (when given) with each top-level key as written, quotes
 * and escapes included, and returns how many there are.
 */
function scanTopLevelKeys(text: string, onKey?: (raw: string) => void): number {
  let depth = 0;
  let count = 0;
  // After `{` or a top-level `,` the next string is a key.
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
      if (keyNext && depth === 1) {
        count++;
        onKey?.(text.slice(start, i + 1));
      }
      keyNext = false;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      keyNext = c === 0x7b && depth === 1;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2c /* , */ && depth === 1) {
      keyNext = true;
    }
  }
  return count;
}

/**
 * The first top-level key written twice in `text`, a JSON object whose
 * parsed form has `parsedKeys` keys; undefined when none is. The usual body
 * costs one counting pass; only a body with a repeat has its keys decoded
 * (`"grant\u005ftype"` is `grant_type` too).
 */
export function repeatedJsonKey(text: string, parsedKeys: number): string | undefined {
  if (scanTopLevelKeys(text) === parsedKeys) return undefined;
  const seen = new Set<string>();
  let repeated: string | undefined;
  scanTopLevelKeys(text, (raw) => {
    const key = JSON.parse(raw) as string;
    if (seen.has(key)) repeated ??= key;
    seen.add(key);
  });
  return repeated;
}
