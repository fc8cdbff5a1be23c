import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, createRemoteJWKSet, exportJWK, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { type RegisteredClient, startTessera, type TesseraProcess } from './support/tessera-process.js';

/**
 * Token exchange (RFC 8693) against a real Tessera process, with
 * oauth4webapi as the independent client (genericTokenEndpointRequest, its
 * request for any grant; the brief's `genericGrantRequest` is the same
 * function's name in other releases): Task → Calendar → Drive, the tokens
 * verified with jose, introspected and revoked through oauth4webapi.
 */

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const insecure = { [oauth.allowInsecureRequests]: true };

describe('token exchange with oauth4webapi against a real Tessera process', () => {
  let t: TesseraProcess;
  let as: oauth.AuthorizationServer;
  let task: RegisteredClient;
  let calendar: RegisteredClient;
  let drive: RegisteredClient;
  let files: RegisteredClient;

  const cl = (c: RegisteredClient): oauth.Client => ({ client_id: c.client_id });
  const secret = (c: RegisteredClient) => oauth.ClientSecretBasic(c.client_secret as string);
  const taskToken = async () => {
    const r = await oauth.clientCredentialsGrantRequest(as, cl(task), secret(task), { audience: 'calendar' }, insecure);
    return (await oauth.processClientCredentialsResponse(as, cl(task), r)).access_token;
  };
  const exchange = async (
    c: RegisteredClient,
    subject: string,
    params: Record<string, string> = {},
    options: oauth.TokenEndpointRequestOptions = {},
  ) => {
    const r = await oauth.genericTokenEndpointRequest(
      as,
      cl(c),
      secret(c),
      GRANT,
      { subject_token: subject, subject_token_type: AT, ...params },
      { ...options, ...insecure },
    );
    return oauth.processGenericTokenEndpointResponse(as, cl(c), r);
  };
  const introspect = async (token: string) =>
    oauth.processIntrospectionResponse(
      as,
      cl(files),
      await oauth.introspectionRequest(as, cl(files), secret(files), token, insecure),
    );

  before(async () => {
    t = await startTessera();
    const issuer = new URL(t.url);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
    task = await t.createClient({ client_id: 'task', scope: 'files.read files.write', audience: ['calendar'] });
    const exchanger = { scope: 'files.read files.write', audience: ['files'], grant_types: [GRANT] };
    calendar = await t.createClient({ client_id: 'calendar', ...exchanger });
    drive = await t.createClient({ client_id: 'drive', access_token_format: 'opaque', ...exchanger });
    files = await t.createClient({ client_id: 'files', grant_types: [] });
  });
  after(() => t.stop());

  it('discovery lists the grant', () => {
    assert.ok(as.grant_types_supported?.includes(GRANT));
  });

  it('Calendar exchanges the Task token for a narrower one for Files; it verifies with jose', async () => {
    const subject = await taskToken();
    const tokens = await exchange(calendar, subject, { audience: 'files', scope: 'files.read' });
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.issued_token_type, AT);
    assert.equal(tokens.scope, 'files.read');
    const jwks = createRemoteJWKSet(new URL(as.jwks_uri as string));
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: t.url, audience: 'files', typ: 'at+jwt' });
    assert.equal(payload.sub, 'task');
    assert.equal(payload.client_id, 'calendar');
    assert.deepEqual(payload.act, { sub: 'calendar' });
    assert.equal(payload.exp, (await jwtVerify(subject, jwks, { issuer: t.url })).payload.exp);
  });

  it('Drive exchanges again, with DPoP: act.act, cnf.jkt; revoking the Task token ends the whole chain', async () => {
    const t0 = await taskToken();
    const t1 = (await exchange(calendar, t0)).access_token;
    const keyPair = await oauth.generateKeyPair('ES256');
    const DPoP = oauth.DPoP(cl(drive), keyPair);
    const t2 = await exchange(drive, t1, {}, { DPoP });
    assert.equal(t2.token_type, 'dpop');
    assert.equal(t2.issued_token_type, AT);
    const seen = await introspect(t2.access_token);
    assert.equal(seen.active, true);
    assert.equal(seen.sub, 'task');
    assert.equal(seen.client_id, 'drive');
    assert.deepEqual(seen.act, { sub: 'drive', act: { sub: 'calendar' } });
    assert.deepEqual(seen.cnf, { jkt: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)) });

    await oauth.processRevocationResponse(await oauth.revocationRequest(as, cl(task), secret(task), t0, insecure));
    for (const token of [t0, t1, t2.access_token]) assert.equal((await introspect(token)).active, false);
  });

  it('refusals arrive as RFC 6749 errors oauth4webapi reads', async () => {
    const subject = await taskToken();
    const refused = async (c: RegisteredClient, token: string, params: Record<string, string>) => {
      const err = await exchange(c, token, params).then(
        () => assert.fail('issued a token'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof oauth.ResponseBodyError, String(err));
      return { status: err.status, error: err.error, error_description: err.error_description };
    };
    assert.deepEqual(await refused(calendar, subject, { scope: 'files.delete' }), {
      status: 400,
      error: 'invalid_scope',
      error_description: "scope not within the client's and the subject token's: files.delete",
    });
    assert.deepEqual(await refused(calendar, subject, { audience: 'calendar' }), {
      status: 400,
      error: 'invalid_target',
      error_description: 'audience not allowed for this client: calendar',
    });
    assert.deepEqual(await refused(calendar, `${subject.slice(0, -4)}AAAA`, {}), {
      status: 400,
      error: 'invalid_request',
      error_description: 'subject_token is not active',
    });
    assert.deepEqual(await refused(task, subject, {}), {
      status: 400,
      error: 'unauthorized_client',
      error_description: `the client is not allowed the ${GRANT} grant`,
    });
  });
});
