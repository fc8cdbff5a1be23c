import { call } from './http.js';
import { check, checkEqual, say, step } from './narrate.js';
import type { Tessera } from './start-tessera.js';

/**
 * A workload's bad platform tokens, each sent as `client_assertion`
 * without a client id: every one gets `401 invalid_client` with the same
 * body, and only Tessera's metrics say which check refused it, one of
 * each `reasons`.
 */
export async function showSameRefusals(
  tessera: Tessera,
  assertionType: string,
  cases: readonly (readonly [string, string | Promise<string>])[],
  reasons: readonly string[],
): Promise<void> {
  let firstBody: string | undefined;
  for (const [what, assertion] of cases) {
    say(what);
    const answer = await call('POST', tessera.metadata.token_endpoint, {
      form: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: assertionType,
        client_assertion: await assertion,
      }),
    });
    const body = answer.bytes.toString();
    firstBody ??= body;
    check(
      answer.status === 401 && answer.json?.error === 'invalid_client' && body === firstBody,
      '401 invalid_client, the same body',
    );
  }

  step('Which check refused each: Tessera’s metrics say, the wire never does');
  say('→ GET /metrics  Bearer «admin key»');
  const metrics = await tessera.admin('GET', '/metrics');
  const counted = new Map(
    [...metrics.text.matchAll(/^tessera_client_auth_failures_total\{reason="([^"]+)"\} (\d+)/gm)].map((m) => [
      m[1] as string,
      Number(m[2]),
    ]),
  );
  for (const [reason, count] of counted) say(`tessera_client_auth_failures_total{reason="${reason}"} ${count}`);
  for (const reason of reasons) checkEqual(counted.get(reason), 1, `one refused as ${reason}`);
}
