/** Seconds since the epoch, or an RFC 3339 string, as the reader's local date and time. */
export function when(t: number | string | null | undefined): string {
  if (t === null || t === undefined || t === '') return '—';
  const d = typeof t === 'number' ? new Date(t * 1000) : new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** 3600 → "1 hour", 90 → "1 minute 30 seconds". */
export function duration(seconds: number): string {
  const parts: string[] = [];
  const units: [number, string][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  let rest = seconds;
  for (const [size, name] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
    rest -= n * size;
  }
  return parts.slice(0, 2).join(' ') || '0 seconds';
}

const ACTIONS: Record<string, string> = {
  'client.create': 'Client created',
  'client.update': 'Client changed',
  'client.delete': 'Client deleted',
  'client.secret.rotate': 'Client secret rotated',
  'key.rotate': 'Signing key rotated',
  'trusted_issuer.create': 'Trusted issuer added',
  'trusted_issuer.update': 'Trusted issuer changed',
  'trusted_issuer.delete': 'Trusted issuer removed',
};

export function actionName(action: string): string {
  return ACTIONS[action] ?? action;
}

const AUTH_METHODS: Record<string, string> = {
  client_secret_basic: 'Secret, HTTP Basic',
  client_secret_post: 'Secret, in the form',
  client_secret_jwt: 'Secret-signed JWT',
  private_key_jwt: 'Private key JWT',
  tls_client_auth: 'Mutual TLS (CA-issued)',
  self_signed_tls_client_auth: 'Mutual TLS (self-signed)',
  federated_jwt: 'Platform token (trusted issuer)',
  none: 'None',
};

export function authMethodName(method: string): string {
  return AUTH_METHODS[method] ?? method;
}
