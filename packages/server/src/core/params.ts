import { InvalidRequest } from '../errors/index.js';

/**
 * Request parameters, from a form or a JSON body, as name → values. A Map, so
 * names like `__proto__` are plain keys. RFC 6749 §3.1: a parameter sent
 * without a value is treated as omitted.
 */
export type Params = ReadonlyMap<string, readonly string[]>;

/** Parameters that may repeat (RFC 8707 resource, and our audience). */
const REPEATABLE = new Set(['audience', 'resource']);

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

/** A JSON body: values are strings, or arrays of strings for repeatable parameters. */
export function fromJson(body: unknown): Params {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequest('the JSON body must be an object');
  }
  const params = new Map<string, string[]>();
  for (const [name, value] of Object.entries(body)) {
    if (value === null || value === undefined || value === '') continue;
    if (typeof value === 'string') {
      params.set(name, [value]);
    } else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      const values = (value as string[]).filter((v) => v !== '');
      if (values.length > 0) params.set(name, values);
    } else {
      throw new InvalidRequest(`parameter "${name.slice(0, 64)}" must be a string or an array of strings`);
    }
  }
  return params;
}

/** Refuses any repeated parameter that may not repeat (RFC 6749 §3.1). */
export function rejectRepeated(params: Params): void {
  for (const [name, values] of params) {
    if (values.length > 1 && !REPEATABLE.has(name)) {
      throw new InvalidRequest(`parameter "${name.slice(0, 64)}" is repeated`);
    }
  }
}

export function single(params: Params, name: string): string | undefined {
  return params.get(name)?.[0];
}

export function all(params: Params, name: string): readonly string[] {
  return params.get(name) ?? [];
}
