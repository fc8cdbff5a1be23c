import type { FetchLike } from '../http-request.js';

export interface RecordedRequest {
  url: string;
  method: string;
  headers: Headers;
  body: string;
  form: URLSearchParams;
}

export type Reply = Response | Error | Promise<Response>;

/**
 * An injected `fetch` standing in for an authorization server: it records
 * every request and answers with whatever `reply` returns (an `Error` is
 * thrown, like a refused connection). Honours the abort signal, so request
 * timeouts can be tested.
 */
export function scriptedEndpoint(reply: (request: RecordedRequest, index: number) => Reply) {
  const requests: RecordedRequest[] = [];
  const fetch: FetchLike = async (input, init) => {
    const request = new Request(input, init);
    const body = await request.text();
    const recorded: RecordedRequest = {
      url: request.url,
      method: request.method,
      headers: request.headers,
      body,
      form: new URLSearchParams(body),
    };
    requests.push(recorded);
    const answer = reply(recorded, requests.length - 1);
    if (answer instanceof Error) throw answer;
    const signal = init?.signal;
    if (!signal) return answer;
    return Promise.race([
      answer,
      new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
    ]);
  };
  return { fetch, requests };
}

export function tokenResponse(accessToken: string, expiresIn = 3600, extra: Record<string, unknown> = {}): Response {
  return Response.json(
    { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, ...extra },
    { headers: { 'cache-control': 'no-store' } },
  );
}

export function errorResponse(
  status: number,
  error?: string,
  description?: string,
  headers?: Record<string, string>,
): Response {
  const body = error === undefined ? 'upstream trouble' : JSON.stringify({ error, error_description: description });
  return new Response(body, { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** A promise resolved from outside, to hold a response until the test releases it. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
