import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, type JsonWebKey, type KeyObject, randomUUID, sign } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { InvalidDpopProof, toWire } from '../errors/index.js';
import { DPOP_SIGNING_ALGS, MAX_PROOF_LENGTH, normalizedHtu, verifyDpopProof } from './dpop-proof.js';

const URL_ = 'https://as.example/oauth2/token';
const NOW_MS = Date.UTC(2026, 11, 6, 12, 0, 0);
const NOW = NOW_MS / 1000;
const expected = { method: 'POST', url: URL_, nowMs: NOW_MS };

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
interface Pair {
  privateKey: PrivateKey;
  jwk: JWK;
  privateJwk: JWK;
}

async function pair(alg: string, options?: Parameters<typeof generateKeyPair>[1]): Promise<Pair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...options });
  return { privateKey, jwk: await exportJWK(publicKey), privateJwk: await exportJWK(privateKey) };
}

interface ProofOptions {
  alg?: string;
  typ?: string | null;
  jwk?: JWK | null;
  key?: PrivateKey | Uint8Array;
  claims?: Record<string, unknown>;
  omit?: string[];
}

describe('verifyDpopProof (RFC 9449 §4.3)', () => {
  let es: Pair;

  async function proof(o: ProofOptions = {}): Promise<string> {
    const claims: Record<string, unknown> = { jti: randomUUID(), htm: 'POST', htu: URL_, iat: NOW, ...o.claims };
    for (const name of o.omit ?? []) delete claims[name];
    const header: Record<string, unknown> = { alg: o.alg ?? 'ES256' };
    if (o.typ !== null) header.typ = o.typ ?? 'dpop+jwt';
    if (o.jwk !== null) header.jwk = o.jwk ?? es.jwk;
    return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(o.key ?? es.privateKey);
  }

  /** The proof is refused, with this reason for the log and the generic description on the wire. */
  async function refused(p: string, reason: string | RegExp, exp = expected): Promise<void> {
    await assert.rejects(verifyDpopProof(p, exp), (err: unknown) => {
      assert.ok(err instanceof InvalidDpopProof, String(err));
      if (typeof reason === 'string') assert.equal(err.reason, reason);
      else assert.match(err.reason, reason);
      assert.deepEqual(toWire(err), {
        status: 400,
        headers: {},
        body: { error: 'invalid_dpop_proof', error_description: 'the DPoP proof is invalid' },
      });
      return true;
    });
  }

  before(async () => {
    es = await pair('ES256');
  });

  it('accepts a good proof and returns the RFC 7638 thumbprint of its key', async () => {
    const jti = randomUUID();
    const verified = await verifyDpopProof(await proof({ claims: { jti } }), expected);
    assert.equal(verified.jkt, await calculateJwkThumbprint(es.jwk, 'sha256'));
    assert.equal(verified.jti, jti);
    assert.equal(verified.nonce, undefined);
    assert.equal(verified.usableUntil, (NOW + 60) * 1000);
  });

  it('accepts every allowed asymmetric algorithm, with its key type', async () => {
    const cases: [string, Parameters<typeof generateKeyPair>[1]?][] = [
      ['ES384'],
      ['ES512'],
      ['RS256'],
      ['PS256'],
      ['EdDSA', { crv: 'Ed25519' }],
      ['Ed25519'],
    ];
    for (const [alg, options] of cases) {
      assert.ok(DPOP_SIGNING_ALGS.includes(alg), alg);
      const p = await pair(alg, options);
      const verified = await verifyDpopProof(await proof({ alg, jwk: p.jwk, key: p.privateKey }), expected);
      assert.equal(verified.jkt, await calculateJwkThumbprint(p.jwk, 'sha256'), alg);
    }
  });

  it('passes the nonce claim on for the nonce check', async () => {
    const verified = await verifyDpopProof(await proof({ claims: { nonce: 'n-1' } }), expected);
    assert.equal(verified.nonce, 'n-1');
    await refused(await proof({ claims: { nonce: 42 } }), 'nonce is not a string');
  });

  it('refuses a wrong or missing typ', async () => {
    await refused(await proof({ typ: 'JWT' }), 'typ is not dpop+jwt');
    await refused(await proof({ typ: 'at+jwt' }), 'typ is not dpop+jwt');
    await refused(await proof({ typ: null }), 'typ is not dpop+jwt');
    // A media type: `application/` may be spelled out, and case does not matter (RFC 7515 §4.1.9).
    assert.ok(await verifyDpopProof(await proof({ typ: 'application/DPoP+jwt' }), expected));
  });

  it('refuses alg none, whatever the rest says', async () => {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${enc({ alg: 'none', typ: 'dpop+jwt', jwk: es.jwk })}.${enc({
      jti: randomUUID(),
      htm: 'POST',
      htu: URL_,
      iat: NOW,
    })}.`;
    await refused(unsigned, 'alg none is not allowed');
  });

  it('refuses HMAC (HS256), even with the key in the header', async () => {
    const secret = new TextEncoder().encode('a-shared-secret-that-proves-nothing-0123');
    const oct = { kty: 'oct', k: Buffer.from(secret).toString('base64url') };
    await refused(await proof({ alg: 'HS256', jwk: oct, key: secret }), 'alg HS256 is not allowed');
  });

  it('refuses a private key in the jwk (every private member)', async () => {
    await refused(await proof({ jwk: es.privateJwk }), 'jwk holds a private or symmetric key');
    const rsa = await pair('RS256');
    for (const member of ['p', 'q', 'dp', 'dq', 'qi']) {
      const jwk = { ...rsa.jwk, [member]: rsa.privateJwk[member as keyof JWK] };
      await refused(await proof({ alg: 'RS256', jwk, key: rsa.privateKey }), 'jwk holds a private or symmetric key');
    }
  });

  it('refuses a missing jwk, a jwk of the wrong type, and a jwk that did not sign', async () => {
    await refused(await proof({ jwk: null }), 'no jwk in the header');
    await refused(await proof({ jwk: 'key' as unknown as JWK }), 'no jwk in the header');
    const rsa = await pair('RS256');
    await refused(await proof({ jwk: rsa.jwk }), 'jwk does not fit alg ES256');
    const p384 = await pair('ES384');
    await refused(await proof({ jwk: p384.jwk }), 'jwk does not fit alg ES256');
    const other = await pair('ES256');
    await refused(await proof({ jwk: other.jwk }), 'signature does not verify with the jwk');
  });

  it('refuses a jwk marked for another use or algorithm, or with members that are not strings', async () => {
    await refused(await proof({ jwk: { ...es.jwk, use: 'enc' } }), 'jwk use is not sig');
    await refused(await proof({ jwk: { ...es.jwk, alg: 'ES384' } }), 'jwk is for another alg than ES256');
    assert.ok(await verifyDpopProof(await proof({ jwk: { ...es.jwk, use: 'sig', alg: 'ES256', kid: 'k' } }), expected));
    await refused(
      await proof({ jwk: { ...es.jwk, x: 42 } as unknown as JWK }),
      'jwk is not a usable public key: jwk member x is not a string',
    );
    await refused(await proof({ jwk: { ...es.jwk, x: 'AAAA' } }), /^jwk is not a usable public key: /);
  });

  it('verifies each proof with the key it carries, however often that key was seen before', async () => {
    const rsa = await pair('RS256');
    // The same RSA key under two algorithms: each proof is checked with the algorithm it names.
    for (const alg of ['RS256', 'PS256', 'RS256']) {
      const key = (await importJWK(rsa.privateJwk, alg)) as PrivateKey;
      const verified = await verifyDpopProof(await proof({ alg, jwk: rsa.jwk, key }), expected);
      assert.equal(verified.jkt, await calculateJwkThumbprint(rsa.jwk, 'sha256'));
    }
    const other = await pair('ES256');
    await verifyDpopProof(await proof(), expected);
    await refused(await proof({ jwk: other.jwk }), 'signature does not verify with the jwk');
    await refused(await proof({ jwk: es.jwk, key: other.privateKey }), 'signature does not verify with the jwk');
  });

  it('refuses an oversized proof before parsing it', async () => {
    const big = await proof({ claims: { pad: 'x'.repeat(MAX_PROOF_LENGTH) } });
    assert.ok(big.length > MAX_PROOF_LENGTH);
    await refused(big, 'proof too large');
  });

  it('refuses two DPoP headers (joined by Node with a comma)', async () => {
    await refused(`${await proof()}, ${await proof()}`, 'more than one DPoP header');
  });

  it('refuses malformed JWTs', async () => {
    const good = await proof();
    await refused('not-a-jwt', 'not a JWS in canonical base64url');
    await refused(good.split('.').slice(0, 2).join('.'), 'not a JWS in canonical base64url');
    await refused(`${good} `, 'not a JWS in canonical base64url');
    await refused(`${good}=`, 'not a JWS in canonical base64url');
    await refused('e30.e30.AA', 'typ is not dpop+jwt');
    await refused(`${Buffer.from('nope').toString('base64url')}.e30.AA`, 'malformed protected header');
    await refused(`${Buffer.from('[1]').toString('base64url')}.e30.AA`, 'malformed protected header');
    // Not UTF-8 (RFC 7515 §5.2 step 3): refused, not read with U+FFFD in its place.
    const notUtf8 = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]).toString('base64url');
    await refused(`${notUtf8}.e30.AA`, 'malformed protected header');
    const [h, , s] = good.split('.');
    await refused(`${h}.${Buffer.from('[1]').toString('base64url')}.${s}`, 'signature does not verify with the jwk');
  });

  it('refuses an iat in the future or too old, and accepts a little skew', async () => {
    await refused(await proof({ claims: { iat: NOW + 11 } }), 'iat is in the future');
    await refused(await proof({ claims: { iat: NOW - 61 } }), 'iat is too old');
    await refused(await proof({ claims: { iat: NOW + 3600 } }), 'iat is in the future');
    await refused(await proof({ omit: ['iat'] }), 'iat is missing or not a number');
    await refused(await proof({ claims: { iat: String(NOW) } }), /iat/);
    assert.ok(await verifyDpopProof(await proof({ claims: { iat: NOW + 10 } }), expected));
    assert.ok(await verifyDpopProof(await proof({ claims: { iat: NOW - 60 } }), expected));
  });

  it('refuses an htu of another endpoint, and compares it without query and fragment', async () => {
    await refused(await proof({ claims: { htu: 'https://as.example/oauth2/introspect' } }), /^htu /);
    await refused(await proof({ claims: { htu: 'https://other.example/oauth2/token' } }), /^htu /);
    await refused(await proof({ claims: { htu: 'http://as.example/oauth2/token' } }), /^htu /);
    await refused(await proof({ claims: { htu: 'https://as.example/oauth2/token/' } }), /^htu /);
    await refused(await proof({ claims: { htu: 'not a url' } }), /^htu /);
    await refused(await proof({ omit: ['htu'] }), /^htu /);
    // Even spelt exactly as the endpoint's URL, an htu that is no http(s) URL matches nothing.
    const ftp = 'ftp://as.example/oauth2/token';
    await refused(await proof({ claims: { htu: ftp } }), /^htu /, { ...expected, url: ftp });
    for (const htu of [
      `${URL_}?x=1`,
      `${URL_}#frag`,
      'HTTPS://AS.EXAMPLE/oauth2/token',
      'https://as.example:443/oauth2/token',
    ]) {
      assert.ok(await verifyDpopProof(await proof({ claims: { htu } }), expected), htu);
    }
  });

  it('refuses an htm other than the request method', async () => {
    await refused(await proof({ claims: { htm: 'GET' } }), 'htm does not match the request method');
    await refused(await proof({ claims: { htm: 'post' } }), 'htm does not match the request method');
    await refused(await proof({ omit: ['htm'] }), 'htm does not match the request method');
  });

  it('refuses a missing, empty, non-string or overlong jti', async () => {
    await refused(await proof({ omit: ['jti'] }), 'jti is missing or not a string');
    await refused(await proof({ claims: { jti: '' } }), 'jti is missing or not a string');
    await refused(await proof({ claims: { jti: 12345 } }), 'jti is missing or not a string');
    await refused(await proof({ claims: { jti: 'x'.repeat(257) } }), 'jti is too long');
  });

  it('honours exp and nbf when a proof has them', async () => {
    await refused(await proof({ claims: { exp: NOW - 1 } }), 'proof expired');
    await refused(await proof({ claims: { exp: 'later' } }), 'proof expired');
    await refused(await proof({ claims: { nbf: NOW + 60 } }), 'proof not yet valid');
    assert.ok(await verifyDpopProof(await proof({ claims: { exp: NOW + 60, nbf: NOW } }), expected));
  });

  it('refuses claims that are not a JSON object, even when signed', async () => {
    const sign = (payload: string) =>
      new CompactSign(new TextEncoder().encode(payload))
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: es.jwk })
        .sign(es.privateKey);
    await refused(await sign('[1]'), 'claims are not a JSON object');
    await refused(await sign('null'), 'claims are not a JSON object');
    await refused(await sign('{"jti":'), 'claims are not JSON');
    await refused(
      await new CompactSign(Buffer.from([0x7b, 0xff, 0x7d]))
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: es.jwk })
        .sign(es.privateKey),
      'claims are not JSON',
    );
  });

  it('refuses crit extensions and RSA keys under 2048 bits', async () => {
    // Written by hand: jose signs neither of these.
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = enc({ jti: randomUUID(), htm: 'POST', htu: URL_, iat: NOW });
    const signed = (header: Record<string, unknown>, key: KeyObject, options: object = {}) => {
      const input = `${enc(header)}.${claims}`;
      return `${input}.${sign('sha256', Buffer.from(input), { key, ...options }).toString('base64url')}`;
    };
    const ec = createPrivateKey({ key: es.privateJwk as JsonWebKey, format: 'jwk' });
    const critical = { alg: 'ES256', typ: 'dpop+jwt', jwk: es.jwk, crit: ['b64'], b64: false };
    await refused(signed(critical, ec, { dsaEncoding: 'ieee-p1363' }), 'crit header parameters are not supported');

    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = small.publicKey.export({ format: 'jwk' });
    await refused(
      signed({ alg: 'RS256', typ: 'dpop+jwt', jwk }, small.privateKey),
      'jwk is not a usable public key: RSA keys must have at least 2048 bits',
    );
  });
});

describe('normalizedHtu', () => {
  it('normalises scheme, host and default port, and drops query and fragment', () => {
    assert.equal(normalizedHtu('HTTP://Example.COM:80/a/b?q#f'), 'http://example.com/a/b');
    assert.equal(normalizedHtu('https://example.com:8443/a'), 'https://example.com:8443/a');
    assert.equal(normalizedHtu('ftp://example.com/a'), undefined);
    assert.equal(normalizedHtu('/oauth2/token'), undefined);
  });
});
