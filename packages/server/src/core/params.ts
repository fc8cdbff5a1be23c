import { InvalidRequest } from '../errors/index.js';
import { repeatedJsonKey } from './json-keys.js';

/**
 * Request parameters, from a form or a JSON body, as name → values. A Map, so
 * names like `__proto__` are plain keys. RFC 6749 §3.1: a parameter sent
 * without a value is treated as omitted.
 */
export type Params = ReadonlyMap<string, readonly string[]>;

/** Parameters that may repeat (RFC 8707 resource, and our audience). */
const REPEATABLE = new Set(['audience', 'resource']);

/** Names echoed in an error are cut short: the description is not a mirror. */
const named = (name: string): string => name.slice(0, 64);

export function parseForm(body: string): Params {
  const params = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(body)) {
    if (value === '') continue;
    const values = params.get(name);
    if (values) values.push(value);
    else params.set(name, [value]);
  }
  return params;
}

/**
 * A JSON body (CONTRACT.md): values are strings; `audience` and `resource`
 * may be arrays of strings (several values), and so may `scope`, whose
 * array is the scopes, joined as the form's space-delimited one. `text` is
 * the body as sent, read for keys JSON.parse let the last copy win.
 */
export function fromJson(body: unknown, text: string): Params {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequest('the JSON body must be an object');
  }
  const params = new Map<string, string[]>();
  let keys = 0;
  for (const [name, value] of Object.entries(body)) {
    keys++;
    if (value === null || value === undefined || value === '') continue;
    if (typeof value === 'string') {
      params.set(name, [value]);
    } else if (Array.isArray(value) && (REPEATABLE.has(name) || name === 'scope')) {
      const values = stringArray(name, value);
      if (values.length === 0) continue;
      params.set(name, name === 'scope' ? [values.join(' ')] : values);
    } else {
      throw new InvalidRequest(
        REPEATABLE.has(name) || name === 'scope'
          ? `parameter must be a string or an array of strings: ${named(name)}`
          : `parameter must be a string: ${named(name)}`,
      );
    }
  }
  const repeated = repeatedJsonKey(text, keys);
  if (repeated !== undefined) throw new InvalidRequest(`repeated parameter: ${named(repeated)}`);
  return params;
}

/** The non-empty strings of a JSON array; anything but strings is refused. */
function stringArray(name: string, value: unknown[]): string[] {
  const values: string[] = [];
  for (const v of value) {
    if (typeof v !== 'string') {
      throw new InvalidRequest(`parameter must be a string or an array of strings: ${named(name)}`);
    }
    if (v !== '') values.push(v);
  }
  return values;
}

/**
 * Refuses any repeated parameter that may not repeat (RFC 6749 §3.1):
 * `repeatable` names those that may (a grant's own; by default those above).
 */
export function rejectRepeated(params: Params, repeatable: ReadonlySet<string> = REPEATABLE): void {
  for (const [name, values] of params) {
    if (values.length > 1 && !repeatable.has(name)) {
      throw new InvalidRequest(`repeated parameter: ${named(name)}`);
    }
  }
}

export function single(params: Params, name: string): string | undefined {
  return params.get(name)?.[0];
}

export function all(params: Params, name: string): readonly string[] {
  return params.get(name) ?? [];
}
