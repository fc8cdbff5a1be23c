import { randomBytes } from 'node:crypto';
import { createTokenClient, TokenEndpointError } from '@tessera/client';
import { decodeJwt } from 'jose';
import { call } from '../shared/http.js';
import {
  abbreviate,
  check,
  checkEqual,
  describeClaims,
  expectRejection,
  runExample,
  say,
  statusLine,
  step,
} from '../shared/narrate.js';
import { startTessera } from '../shared/start-tessera.js';
import { startPdfService } from './pdf-service.js';

/**
 * Seeds 002 and 003: the Payment Service gets a token with its client id
 * and secret, and calls the PDF Service to generate a receipt. Then: who
 * cannot get a token, a token for another audience, and the same flow with
 * an opaque token checked by introspection.
 */
await runExample('Payment Service → PDF Service (seeds 002 and 003)', async (cleanup) => {
  step('Start Tessera on a temporary embedded store');
  const tessera = await startTessera(cleanup);
  const { token_endpoint, revocation_endpoint } = tessera.metadata;
  say(`issuer ${tessera.issuer}, token_endpoint ${token_endpoint}`);

  step('Register the Payment Service (receipt.create for "pdf", ledger.write for "ledger")');
  const payment = await tessera.registerClient({
    client_name: 'Payment Service',
    scope: 'receipt.create ledger.write',
    audience: ['pdf', 'ledger'],
  });
  const paymentSecret = payment.client_secret ?? '';
  say(`client_id=${payment.client_id}  scope "${payment.scope}"  audience ${JSON.stringify(payment.audience)}`);
  check(paymentSecret !== '', 'a client_secret was returned, this once (not shown)');

  step('Register the PDF Service as a client that may only introspect ("grant_types": [])');
  const pdfClient = await tessera.registerClient({ client_name: 'PDF Service', grant_types: [] });
  say(`client_id=${pdfClient.client_id}  grant_types ${JSON.stringify(pdfClient.grant_types)}`);
  checkEqual(pdfClient.grant_types, [], 'registered without any grant');

  step('Start the PDF Service (node:http + @tessera/verify/node-http, audience "pdf")');
  const pdf = await startPdfService(
    {
      issuer: tessera.issuer,
      introspection: { clientId: pdfClient.client_id, clientSecret: pdfClient.client_secret ?? '' },
    },
    cleanup,
  );
  say(`${pdf}  POST /receipts needs receipt.create`);

  const paymentService = createTokenClient({
    issuer: tessera.issuer,
    clientId: payment.client_id,
    clientSecret: paymentSecret,
  });

  step('Payment Service gets a token: audience "pdf", scope "receipt.create"');
  const token = await paymentService.getToken({ audience: 'pdf', scope: 'receipt.create' });
  const claims = decodeJwt(token);
  say(`access_token ${abbreviate(token)}`);
  say(describeClaims(claims));
  checkEqual([claims.aud, claims.scope], ['pdf', 'receipt.create'], 'aud "pdf", scope "receipt.create"');

  step('Payment Service asks the PDF Service for the receipt of order 1001');
  const order = { order_id: '1001', amount: 'EUR 42.00' };
  const receipt = await call('POST', `${pdf}/receipts`, {
    token,
    json: order,
    show: ['content-type', 'x-token-check'],
  });
  say(`  ${receipt.bytes.length} bytes: ${JSON.stringify(receipt.bytes.subarray(0, 40).toString())}…`);
  checkEqual(receipt.status, 200, 'the PDF Service answered 200');
  checkEqual(receipt.headers.get('content-type'), 'application/pdf', 'with Content-Type application/pdf');
  check(receipt.bytes.subarray(0, 8).toString() === '%PDF-1.4', 'the body is a PDF (starts with %PDF-1.4)');
  checkEqual(receipt.headers.get('x-token-check'), 'jwt', 'the JWT was checked locally, with the JWKS');

  step('An unregistered caller cannot get a token');
  const stranger = createTokenClient({
    issuer: tessera.issuer,
    clientId: 'inventory-service',
    clientSecret: randomBytes(32).toString('base64url'),
  });
  const unknown = await expectRejection(
    () => stranger.getToken({ audience: 'pdf', scope: 'receipt.create' }),
    'the unregistered client gets no token',
  );
  const unknownOk = unknown instanceof TokenEndpointError;
  say(
    `getToken() as "inventory-service" → ${unknownOk ? `${statusLine(unknown.status ?? 0)} ${unknown.error}: ${unknown.errorDescription}` : String(unknown)}`,
  );
  check(
    unknownOk && unknown.status === 401 && unknown.error === 'invalid_client',
    'token endpoint: 401 invalid_client',
  );

  step('The Payment Service with a wrong secret cannot get a token either');
  const wrongSecret = await call('POST', token_endpoint, {
    basic: { clientId: payment.client_id, clientSecret: randomBytes(32).toString('base64url') },
    form: new URLSearchParams({ grant_type: 'client_credentials', audience: 'pdf', scope: 'receipt.create' }),
    show: ['www-authenticate'],
  });
  checkEqual(wrongSecret.status, 401, 'token endpoint: 401');
  checkEqual(wrongSecret.json?.error, 'invalid_client', 'error is invalid_client');
  check(wrongSecret.headers.get('www-authenticate') !== null, 'with a WWW-Authenticate challenge');
  check(
    unknownOk && wrongSecret.json?.error_description === unknown.errorDescription,
    'the same answer as for an unknown client: the caller cannot tell which was wrong',
  );

  step('A token for another audience ("ledger") sent to the PDF Service');
  const ledgerToken = await paymentService.getToken({ audience: 'ledger', scope: 'ledger.write' });
  say(describeClaims(decodeJwt(ledgerToken)));
  const wrongAudience = await call('POST', `${pdf}/receipts`, {
    token: ledgerToken,
    json: order,
    show: ['www-authenticate'],
  });
  checkEqual(wrongAudience.status, 401, 'the PDF Service answered 401');
  checkEqual(wrongAudience.json?.error, 'invalid_token', 'error is invalid_token');

  step('No token at all');
  const anonymous = await call('POST', `${pdf}/receipts`, { json: order, show: ['www-authenticate'] });
  checkEqual(anonymous.status, 401, 'the PDF Service answered 401');

  step('The PDF Service, registered without grants, cannot get a token for itself');
  const pdfOwn = await call('POST', token_endpoint, {
    basic: { clientId: pdfClient.client_id, clientSecret: pdfClient.client_secret ?? '' },
    form: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  checkEqual(
    [pdfOwn.status, pdfOwn.json?.error],
    [400, 'unauthorized_client'],
    'token endpoint: 400 unauthorized_client',
  );

  step('Opaque variant: a Payment Service client whose tokens are opaque references');
  const opaque = await tessera.registerClient({
    client_name: 'Payment Service (opaque tokens)',
    scope: 'receipt.create',
    audience: ['pdf'],
    access_token_format: 'opaque',
  });
  const opaqueSecret = opaque.client_secret ?? '';
  say(`client_id=${opaque.client_id}  access_token_format "${opaque.access_token_format}"`);
  const opaqueService = createTokenClient({
    issuer: tessera.issuer,
    clientId: opaque.client_id,
    clientSecret: opaqueSecret,
  });
  const reference = await opaqueService.getToken({ audience: 'pdf', scope: 'receipt.create' });
  say(`access_token ${abbreviate(reference)}`);
  check(!reference.includes('.'), 'the token is not a JWT: nothing to read in it');

  step('The PDF Service checks the opaque token by introspection, with its own credentials');
  const opaqueReceipt = await call('POST', `${pdf}/receipts`, {
    token: reference,
    json: { order_id: '1002', amount: 'EUR 7.50' },
    show: ['content-type', 'x-token-check'],
  });
  checkEqual(opaqueReceipt.status, 200, 'the PDF Service answered 200');
  checkEqual(opaqueReceipt.headers.get('x-token-check'), 'introspected', 'the token was introspected');
  check(opaqueReceipt.bytes.subarray(0, 8).toString() === '%PDF-1.4', 'the body is a PDF');

  step('The Payment Service revokes the opaque token; the PDF Service refuses it from then on');
  const revoked = await call('POST', revocation_endpoint, {
    basic: { clientId: opaque.client_id, clientSecret: opaqueSecret },
    form: new URLSearchParams({ token: reference }),
  });
  checkEqual(revoked.status, 200, 'revocation endpoint: 200');
  const afterRevocation = await call('POST', `${pdf}/receipts`, {
    token: reference,
    json: { order_id: '1003', amount: 'EUR 1.00' },
    show: ['www-authenticate'],
  });
  checkEqual(afterRevocation.status, 401, 'the PDF Service answered 401');
  checkEqual(afterRevocation.json?.error, 'invalid_token', 'error is invalid_token (introspection: active false)');
});
