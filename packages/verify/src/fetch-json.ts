export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * One bounded HTTP exchange: a timeout that also covers reading the body,
 * no redirects (a metadata or key URL that redirects is a misconfiguration
 * or an attack), and a JSON object or an error.
 */
export async function fetchJson(
  fetchImpl: FetchLike,
  url: string,
  timeoutMs: number,
  init: RequestInit = {},
): Promise<Record<string, unknown>> {
  const response = await fetchImpl(url, {
    ...init,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: 'application/json', ...(init.headers as Record<string, string> | undefined) },
  });
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {});
    throw new Error(`${url} answered ${response.status}`);
  }
  const value: unknown = await response.json();
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${url} sent no JSON object`);
  return value as Record<string, unknown>;
}
