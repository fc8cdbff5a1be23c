import { InvalidClientMetadata } from '../errors/index.js';

/**
 * The least estimated entropy an imported client secret must show. Well
 * below what random secrets score (200,000 samples each: 32 hex characters,
 * 128 random bits, never under 88; a UUID never under 108), so a random
 * secret is never refused by chance, and far above what typed patterns
 * score (32 × a: 0; abcabc…: 6; password × 4: 28; Password1! × 3: 39). At
 * the failure budget of TESSERA_AUTH_FAILURES_PER_CLIENT (300 a minute),
 * 2^72 guesses take some 10^16 years.
 */
export const MIN_SECRET_BITS = 72;

/**
 * A rough estimate of the entropy of `secret`, in bits: bits per character
 * times the characters that do not continue a pattern.
 *
 * Bits per character: the Chao–Shen estimate of the Shannon entropy of its
 * characters (plain Shannon on 32 characters under-counts a random string
 * by a quarter, as most characters are seen once), capped by the alphabet
 * its character classes span. A character continues a pattern when it keeps
 * a small step of the ones before it (aaaa, abcd, 0246, aabbcc) or ends a
 * run of three seen earlier (abcabc, password twice). Random strings lose
 * almost nothing to either rule (three characters repeat by chance about
 * once in ten 32-character hex strings; a pair, twice in each); typed
 * patterns lose nearly everything. Words and
 * keyboard walks are not recognised: this is a floor against placeholders
 * and mistakes, not a password meter.
 */
export function estimatedBits(secret: string): number {
  const chars = [...secret].map((c) => c.codePointAt(0) ?? 0);
  return Math.min(chaoShen(chars), Math.log2(alphabetSize(chars))) * unpatterned(chars);
}

/** Refuses an imported secret a guesser could find; its length is the schema's to check. */
export function checkSecretStrength(secret: string): void {
  const bits = Math.floor(estimatedBits(secret));
  if (bits < MIN_SECRET_BITS) {
    throw new InvalidClientMetadata(
      `client_secret: too predictable (about ${bits} bits estimated, at least ${MIN_SECRET_BITS} needed); use a random one, such as the output of openssl rand -base64 32`,
    );
  }
}

/** Chao & Shen (2003): Shannon entropy in bits per symbol, corrected for the symbols a small sample has not seen. */
function chaoShen(chars: readonly number[]): number {
  const n = chars.length;
  if (n === 0) return 0;
  const counts = new Map<number, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let singletons = 0;
  for (const k of counts.values()) if (k === 1) singletons++;
  // Coverage: the share of the alphabet's probability the sample has seen (never 0).
  const coverage = 1 - Math.min(singletons, n - 1) / n;
  let h = 0;
  for (const k of counts.values()) {
    const p = (coverage * k) / n;
    h -= (p * Math.log2(p)) / (1 - (1 - p) ** n);
  }
  return h;
}

const CLASSES: readonly [RegExp, number][] = [
  [/[a-z]/, 26],
  [/[A-Z]/, 26],
  [/[0-9]/, 10],
  [/[\x20-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E]/, 33],
  [/[^\x20-\x7E]/, 128],
];

/** The size of the alphabet the character classes of `chars` span (a-z, A-Z, 0-9, ASCII symbols, the rest). */
function alphabetSize(chars: readonly number[]): number {
  const text = String.fromCodePoint(...chars);
  let size = 1;
  for (const [re, n] of CLASSES) if (re.test(text)) size += n;
  return size;
}

/** How many characters do not continue a run, a small-step sequence or a run of three seen before. */
function unpatterned(chars: readonly number[]): number {
  const seen = new Set<string>();
  let count = 0;
  for (let i = 0; i < chars.length; i++) {
    const triple =
      i >= 2 ? String.fromCodePoint(chars[i - 2] as number, chars[i - 1] as number, chars[i] as number) : '';
    if (!(keepsStep(chars, i, 1) || keepsStep(chars, i, 2) || seen.has(triple))) count++;
    if (i >= 2) seen.add(triple);
  }
  return count;
}

/** Whether chars[i] continues, `gap` apart, a step of at most 3 (aaa, abc, a_c_e with gap 2 …). */
function keepsStep(chars: readonly number[], i: number, gap: number): boolean {
  const a = chars[i - 2 * gap];
  const b = chars[i - gap];
  const c = chars[i] as number;
  if (a === undefined || b === undefined || Math.abs(b - a) > 3 || c - b !== b - a) return false;
  // With a gap of 2 the characters in between must step alike too (aabbcc), or random text would match.
  return gap === 1 || (chars[i - 1] as number) - (chars[i - 1 - gap] ?? Number.NaN) === b - a;
}
