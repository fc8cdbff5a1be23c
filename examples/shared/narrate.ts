import { STATUS_CODES } from 'node:http';
import { Cleanup } from './cleanup.js';

/**
 * Step-by-step output for the examples: numbered steps, indented details,
 * and a check (✓ or ✗) for every expected outcome. A failed check ends the
 * example with a non-zero exit code. Nothing printed here may carry a
 * secret or a whole token: use `abbreviate` and `redact`.
 */

let stepCount = 0;
let checkCount = 0;

/** A check that did not hold. */
export class ExpectationFailed extends Error {
  override name = 'ExpectationFailed';
}

export function step(title: string): void {
  stepCount += 1;
  console.log(`\n${String(stepCount).padStart(2)}. ${title}`);
}

/** A detail line under the current step. */
export function say(text: string): void {
  for (const line of text.split('\n')) console.log(`    ${line}`);
}

/** Prints ✓ what, or throws if `ok` is false. */
export function check(ok: boolean, what: string, detail?: string): void {
  if (!ok) {
    console.log(`    ✗ ${what}${detail ? ` (${detail})` : ''}`);
    throw new ExpectationFailed(what);
  }
  checkCount += 1;
  console.log(`    ✓ ${what}`);
}

/** `check` on equality (deep, through JSON), showing both values on failure. */
export function checkEqual(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, what, `expected ${e}, got ${a}`);
}

/** Runs `action`, which must throw; returns what it threw. */
export async function expectRejection(action: () => Promise<unknown>, what: string): Promise<unknown> {
  try {
    await action();
  } catch (err) {
    return err;
  }
  check(false, what, 'it succeeded');
  return undefined;
}

/** `eyJhbGciOiJS…(805 chars)`: enough to tell tokens apart, not enough to use one. */
export function abbreviate(token: string): string {
  return token.length <= 16 ? '…' : `${token.slice(0, 12)}…(${token.length} chars)`;
}

const SECRET_FIELDS = new Set(['client_secret', 'admin_key', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'k']);
const TOKEN_FIELDS = new Set(['access_token', 'token', 'client_assertion']);

/** A copy of a JSON value safe to print: secrets hidden, tokens abbreviated. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => {
      if (SECRET_FIELDS.has(k)) return [k, '«hidden»'];
      if (TOKEN_FIELDS.has(k) && typeof v === 'string') return [k, abbreviate(v)];
      return [k, redact(v)];
    }),
  );
}

/** One-line JSON for details, shortened if long. */
export function brief(value: unknown, max = 220): string {
  const text = JSON.stringify(redact(value));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? ''}`.trim();
}

/** The claims worth showing for an access token, in a fixed order. */
export function describeClaims(claims: Record<string, unknown>, now = Date.now()): string {
  const shown: string[] = [];
  for (const name of ['iss', 'sub', 'client_id', 'aud', 'scope', 'scp', 'stt']) {
    if (claims[name] !== undefined) shown.push(`${name}=${JSON.stringify(claims[name])}`);
  }
  if (typeof claims.exp === 'number') shown.push(`exp=in ${Math.round(claims.exp - now / 1000)} s`);
  return shown.join('  ');
}

/**
 * Runs an example: prints its title, runs the scenario with a fresh
 * `Cleanup`, undoes everything on success, failure or a signal, and sets the
 * exit code (0 only if every check held).
 */
export async function runExample(title: string, scenario: (cleanup: Cleanup) => Promise<void>): Promise<void> {
  const cleanup = new Cleanup();
  const stopAll = async () => {
    console.log('\nCleaning up');
    await cleanup.run((line) => say(line));
  };
  const onSignal = (signal: NodeJS.Signals) => {
    console.log(`\nReceived ${signal}: stopping everything this example started`);
    void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  console.log(title);
  console.log('='.repeat(title.length));
  let failure: unknown;
  try {
    await scenario(cleanup);
  } catch (err) {
    failure = err;
  }
  await stopAll();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  if (failure === undefined) {
    console.log(`\nPASS: ${stepCount} steps, ${checkCount} checks, every outcome as expected`);
    process.exitCode = 0;
  } else {
    const reason = failure instanceof ExpectationFailed ? `expectation not met: ${failure.message}` : describe(failure);
    console.log(`\nFAIL at step ${stepCount}: ${reason}`);
    process.exitCode = 1;
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return `${err.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${err.message}`;
}
