import { parse } from 'yaml';

/**
 * compose.yaml as Docker Compose reads it: YAML with merge keys (`<<: *x`),
 * then variable interpolation of every string: `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `$$` for a literal `$`.
 */

export interface ComposeService {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  environment?: Record<string, string> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: string[];
  healthcheck?: { test: string | string[] };
  command?: string | string[];
  [key: string]: unknown;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  [key: string]: unknown;
}

/** The file as written, anchors and merge keys resolved, `${…}` left as they are. */
export function parseCompose(text: string): ComposeFile {
  return parse(text, { merge: true }) as ComposeFile;
}

/** Interpolates one string as Compose does; a missing `:?`/`?` variable throws with its message. */
export function interpolate(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, name?: string, op?: string, arg?: string, bare?: string) => {
      if (match === '$$') return '$';
      if (bare) return vars[bare] ?? '';
      const value = vars[name as string];
      const unset = op?.startsWith(':') ? value === undefined || value === '' : value === undefined;
      if (op?.endsWith('?') && unset) throw new Error(`required variable ${name} is missing a value: ${arg}`);
      if (op?.endsWith('-') && unset) return arg ?? '';
      return value ?? '';
    },
  );
}

/** Every string in the parsed file interpolated. */
export function interpolateAll<T>(value: T, vars: Record<string, string | undefined>): T {
  if (typeof value === 'string') return interpolate(value, vars) as T;
  if (Array.isArray(value)) return value.map((v) => interpolateAll(v, vars)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateAll(v, vars)])) as T;
  return value;
}

/** A service's environment as a map, from either of Compose's two forms. */
export function environment(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  return Object.fromEntries(
    env.map((e) => {
      const i = e.indexOf('=');
      return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
    }),
  );
}
