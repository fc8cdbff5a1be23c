import { TokenClientConfigError } from './errors.js';
import type { FetchLike } from './http-request.js';

/** The client's TLS certificate, for mutual TLS (RFC 8705): PEM strings or Buffers. */
export interface TlsClientOptions {
  cert: string | Buffer;
  key: string | Buffer;
  /** The CAs to trust for the servers' certificates, when not the system's. */
  ca?: string | Buffer | readonly (string | Buffer)[];
  /** For an encrypted `key`. */
  passphrase?: string;
}

/**
 * A fetch whose connections present the client certificate. Node's global
 * fetch is undici inside, but Node 20 does not expose undici's `Agent`, the
 * only way to give fetch a client certificate; so the `undici` package
 * provides both the Agent and the fetch it belongs with (same major as
 * Node 20's). It is loaded only by clients that use `tls`. A `fetch` of
 * your own gets the Agent as `init.dispatcher`, as undici-based fetches
 * understand.
 */
export function tlsFetch(tls: TlsClientOptions, custom: FetchLike | undefined): FetchLike {
  if (!tls.cert || !tls.key) throw new TokenClientConfigError('tls needs cert and key');
  let ready: Promise<{ fetch: FetchLike; dispatcher: unknown }> | undefined;
  const load = async () => {
    const undici = await import('undici');
    const dispatcher = new undici.Agent({
      connect: {
        cert: tls.cert,
        key: tls.key,
        ...(tls.ca === undefined ? {} : { ca: tls.ca as string | Buffer | (string | Buffer)[] }),
        ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
      },
    });
    return { fetch: custom ?? (undici.fetch as unknown as FetchLike), dispatcher };
  };
  return async (input, init) => {
    ready ??= load();
    const { fetch, dispatcher } = await ready;
    return fetch(input, { ...init, dispatcher } as RequestInit);
  };
}
