"""Drives a running Tessera with the Python clients users have: Authlib,
requests-oauthlib and PyJWT. Usage: clients.py ISSUER ADMIN_KEY.
Prints one `PASS <name>` line per check; any failure raises (exit 1)."""
import json
import sys
import time
import uuid

import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import ClientSecretJWT, PrivateKeyJWT
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session as RequestsOAuth2Session

issuer, admin_key = sys.argv[1], sys.argv[2]
meta = requests.get(issuer + "/.well-known/oauth-authorization-server", timeout=5).json()
assert meta["issuer"] == issuer
token_url, introspect_url, revoke_url = meta["token_endpoint"], meta["introspection_endpoint"], meta["revocation_endpoint"]


def register(**metadata):
    r = requests.post(issuer + "/admin/clients", json=metadata, headers={"Authorization": "Bearer " + admin_key}, timeout=5)
    assert r.status_code == 201, r.text
    return r.json()


def ok(name):
    print("PASS " + name, flush=True)


def verify_with_pyjwt(access_token, audience):
    signing_key = jwt.PyJWKClient(meta["jwks_uri"]).get_signing_key_from_jwt(access_token)
    assert jwt.get_unverified_header(access_token)["typ"] == "at+jwt"
    return jwt.decode(access_token, signing_key.key, algorithms=["RS256", "PS256", "ES256", "EdDSA"], audience=audience, issuer=issuer)


# Authlib, client_secret_basic, then PyJWT verifies the token from the JWKS.
c = register(scope="event.view event.create", audience=["event"])
s = OAuth2Session(c["client_id"], c["client_secret"], token_endpoint_auth_method="client_secret_basic", scope="event.create")
token = s.fetch_token(token_url, grant_type="client_credentials")
assert token["token_type"].lower() == "bearer" and token["scope"] == "event.create"
claims = verify_with_pyjwt(token["access_token"], "event")
assert claims["client_id"] == c["client_id"] and claims["scp"] == ["event.create"]
ok("authlib client_secret_basic + pyjwt verify")

# Authlib introspection and revocation with the same session.
info = s.introspect_token(introspect_url, token=token["access_token"]).json()
assert info["active"] is True and info["client_id"] == c["client_id"], info
assert s.revoke_token(revoke_url, token=token["access_token"]).status_code == 200
assert s.introspect_token(introspect_url, token=token["access_token"]).json() == {"active": False}
ok("authlib introspect + revoke")

# Authlib, client_secret_post.
c = register(scope="a", token_endpoint_auth_method="client_secret_post")
s = OAuth2Session(c["client_id"], c["client_secret"], token_endpoint_auth_method="client_secret_post")
assert "access_token" in s.fetch_token(token_url, grant_type="client_credentials")
ok("authlib client_secret_post")

# Authlib, client_secret_jwt (aud = the token endpoint, exp an hour ahead).
c = register(scope="a", token_endpoint_auth_method="client_secret_jwt")
s = OAuth2Session(c["client_id"], c["client_secret"], token_endpoint_auth_method=ClientSecretJWT(token_url))
assert "access_token" in s.fetch_token(token_url, grant_type="client_credentials")
ok("authlib client_secret_jwt")

# Authlib, private_key_jwt with an RSA key (no shared secret).
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
public_jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
public_jwk["kid"] = "py-1"
c = register(scope="a", token_endpoint_auth_method="private_key_jwt", jwks={"keys": [public_jwk]})
s = OAuth2Session(c["client_id"], pem, token_endpoint_auth_method=PrivateKeyJWT(token_url, headers={"kid": "py-1"}))
token = s.fetch_token(token_url, grant_type="client_credentials")
assert "access_token" in token
ok("authlib private_key_jwt")

# A replayed assertion is refused (jti single use).
now = int(time.time())
assertion = jwt.encode(
    {"iss": c["client_id"], "sub": c["client_id"], "aud": token_url, "iat": now, "exp": now + 60, "jti": str(uuid.uuid4())},
    pem, algorithm="RS256", headers={"kid": "py-1"})
form = {"grant_type": "client_credentials", "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion": assertion}
assert requests.post(token_url, data=form, timeout=5).status_code == 200
replay = requests.post(token_url, data=form, timeout=5)
assert replay.status_code == 401 and replay.json()["error"] == "invalid_client", replay.text
ok("pyjwt-built assertion single use")

# requests-oauthlib BackendApplicationClient (the client credentials flow of its docs).
c = register(scope="pdf.render", audience=["pdf"])
oauth = RequestsOAuth2Session(client=BackendApplicationClient(client_id=c["client_id"]))
token = oauth.fetch_token(token_url=token_url, client_id=c["client_id"], client_secret=c["client_secret"])
assert token["scope"] == ["pdf.render"] or token["scope"] == "pdf.render", token
assert verify_with_pyjwt(token["access_token"], "pdf")["sub"] == c["client_id"]
ok("requests-oauthlib BackendApplicationClient")

# Wrong secret: the RFC 6749 error reaches the client library.
bad = RequestsOAuth2Session(client=BackendApplicationClient(client_id=c["client_id"]))
try:
    bad.fetch_token(token_url=token_url, client_id=c["client_id"], client_secret="wrong")
    raise AssertionError("a wrong secret got a token")
except Exception as e:  # oauthlib raises InvalidClientError
    assert "invalid_client" in str(e) or type(e).__name__ == "InvalidClientError", repr(e)
ok("requests-oauthlib invalid_client")
