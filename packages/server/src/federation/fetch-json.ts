/** Largest document read from an issuer (discovery or JWKS), as for a client's jwks_uri. */
export const MAX_DOCUMENT_BYTES = 64 * 1024;

/** Why a document could not be read: a few words for the log, never for the wire. */
export class FetchFailed extends Error {
  override name = 'FetchFailed';
}

/**
 * GETs a JSON object under the rules of a client's jwks_uri
 * (client-auth/remote-jwks.ts): no redirects, a size cap read as it
 * streams (a lying or absent content-length changes nothing), and `signal`
 * bounding the whole exchange, body included, so a slow issuer cannot hold
 * a request.
 */
export async function fetchJson(url: string, signal: AbortSignal): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'error', signal, headers: { accept: 'application/json' } });
  } catch (err) {
    throw new FetchFailed(`${url}: ${signal.aborted ? 'timed out' : describe(err)}`);
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {});
    throw new FetchFailed(`${url}: HTTP ${response.status}`);
  }
  if (Number(response.headers.get('content-length') ?? 0) > MAX_DOCUMENT_BYTES) {
    await response.body?.cancel().catch(() => {});
    throw new FetchFailed(`${url}: larger than ${MAX_DOCUMENT_BYTES} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    const reader = response.body?.getReader();
    if (reader) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > MAX_DOCUMENT_BYTES) {
          await reader.cancel().catch(() => {});
          throw new FetchFailed(`${url}: larger than ${MAX_DOCUMENT_BYTES} bytes`);
        }
        chunks.push(value);
      }
    }
  } catch (err) {
    if (err instanceof FetchFailed) throw err;
    throw new FetchFailed(`${url}: ${signal.aborted ? 'timed out' : describe(err)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new FetchFailed(`${url}: not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FetchFailed(`${url}: not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message.slice(0, 200);
  return err instanceof Error ? err.message.slice(0, 200) : 'fetch failed';
}
