/**
 * The AAD a sealed value is bound to: each opens only where it was sealed
 * (a private key under its kid, a client secret under its client and row),
 * so a value copied to another row fails to open.
 */
export function keyContext(kid: string): string {
  return `signing-key:${kid}`;
}

export function secretContext(clientId: string, secretId: string): string {
  return `client-secret:${clientId}:${secretId}`;
}
