#!/usr/bin/env python3
"""Drive the server as an OpenID Provider with Authlib's OpenID Connect client.

The relying party is Authlib's own OpenID client (the OAuth2Mixin + OpenIDMixin
that its Flask and Django integrations are made of, over its requests session):
it reads /.well-known/openid-configuration, sends code + PKCE + nonce, and
parse_id_token checks the ID token's signature against the JWKS, iss, aud, exp,
the nonce and at_hash.  The user's part (sign-in and consent forms) is done by
the Browser of authlib_flows.py.

Usage:  python3 authlib_oidc.py http://127.0.0.1:8081

Prints one line per scenario that passed; on the first problem prints what went
wrong and exits with status 1.
"""

import base64
import json
import sys
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import requests
from authlib.integrations.base_client.sync_app import BaseApp, OAuth2Mixin
from authlib.integrations.base_client.sync_openid import OpenIDMixin
from authlib.integrations.requests_client import OAuth2Session

from authlib_flows import TIMEOUT, Browser, check, describe, run_scenarios

# The relying parties the test server registers, by signing algorithm.
RELYING_PARTIES = {
    "ES256": ("rp", "rp-secret", "http://localhost:8080/rp"),
    "RS256": ("rp-rsa", "rp-rsa-secret", "http://localhost:8080/rp-rsa"),
    "EdDSA": ("rp-ed", "rp-ed-secret", "http://localhost:8080/rp-ed"),
}

# Pairwise clients: two in the sector 127.0.0.1, one in the sector localhost.
PAIRWISE = {
    "rp-pair": ("rp-pair", "rp-pair-secret", "http://127.0.0.1:8080/rp-pair"),
    "rp-pair-same": ("rp-pair-same", "rp-pair-same-secret", "http://127.0.0.1:8080/rp-pair-same"),
    "rp-pair-other": ("rp-pair-other", "rp-pair-other-secret", "http://localhost:8080/rp-pair-other"),
}

# Discovery 1.0, 3: the members an OpenID Provider must publish.
REQUIRED_DISCOVERY = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
    "userinfo_endpoint",
)


class _NoFramework:
    """What a web framework integration would do with refreshed tokens: nothing here."""

    def update_token(self, token, refresh_token=None, access_token=None):
        pass


class OpenIDClient(OAuth2Mixin, OpenIDMixin, BaseApp):
    """Authlib's OpenID Connect relying party, without a web framework."""

    client_cls = OAuth2Session


def relying_party(issuer, registered):
    client_id, secret, _ = registered
    return OpenIDClient(
        _NoFramework(),
        name=client_id,
        client_id=client_id,
        client_secret=secret,
        server_metadata_url=issuer + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": "openid profile email read-only",
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic",
            "timeout": TIMEOUT,
        },
    )


def unverified_parts(jwt):
    """The header and claims of a JWT, for checks after Authlib verified it."""
    def part(text):
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    header, claims, _ = jwt.split(".")
    return part(header), part(claims)


def sign_in(rp, browser, registered):
    """Code + PKCE + nonce; returns (token, nonce, verified claims)."""
    redirect_uri = registered[2]
    started = rp.create_authorization_url(redirect_uri=redirect_uri)
    query = parse_qs(urlsplit(started["url"]).query)
    check(query.get("nonce") == [started["nonce"]], f"Authlib sent no nonce: {started['url']}")
    check("code_challenge" in query, f"Authlib sent no PKCE challenge: {started['url']}")
    callback = browser.authorize(started["url"], redirect_uri)
    params = parse_qs(urlsplit(callback).query)
    check("error" not in params, f"authorization failed: {callback}")
    check(params.get("state") == [started["state"]], f"state not returned: {callback}")
    token = rp.fetch_access_token(
        redirect_uri=redirect_uri, code=params["code"][0], code_verifier=started["code_verifier"]
    )
    check("id_token" in token, f"no id_token in the token response: {dict(token)}")
    # Signature (against the JWKS), iss, aud, exp, iat, nonce and at_hash.
    claims = rp.parse_id_token(token, nonce=started["nonce"])
    return token, started["nonce"], claims


def scenario_discovery(issuer):
    with requests.get(issuer + "/.well-known/openid-configuration", timeout=TIMEOUT) as response:
        check(response.status_code == 200, f"discovery: {describe(response)}")
        document = response.json()
    with requests.get(issuer + "/.well-known/oauth-authorization-server", timeout=TIMEOUT) as response:
        oauth = response.json()
    for key in REQUIRED_DISCOVERY:
        check(document.get(key), f"discovery has no {key}: {document}")
    check(document["issuer"] == issuer, f"issuer {document['issuer']!r} != {issuer!r}")
    for key, value in oauth.items():
        check(document.get(key) == value, f"{key} differs from the RFC 8414 document: {document.get(key)!r} != {value!r}")
    check({"openid", "profile", "email"} <= set(document["scopes_supported"]), f"scopes: {document['scopes_supported']}")
    check("public" in document["subject_types_supported"], f"subject types: {document['subject_types_supported']}")
    check({"ES256", "RS256", "EdDSA"} <= set(document["id_token_signing_alg_values_supported"]),
          f"algorithms: {document['id_token_signing_alg_values_supported']}")
    with requests.get(document["jwks_uri"], timeout=TIMEOUT) as response:
        check(response.status_code == 200, f"jwks: {describe(response)}")
        max_age = response.headers.get("Cache-Control", "")
        check("max-age=" in max_age, f"the JWKS names no max-age: {max_age!r}")
        keys = response.json()["keys"]
    check(keys and all("d" not in key and "p" not in key for key in keys), f"the JWKS has no keys, or private ones: {keys}")
    print("PASS 1 discovery: every required member, consistent with RFC 8414; JWKS public keys only")
    return document


def scenario_code_flow(issuer, browser, algorithm, user_id):
    rp = relying_party(issuer, RELYING_PARTIES[algorithm])
    before = int(time.time())
    token, nonce, claims = sign_in(rp, browser, RELYING_PARTIES[algorithm])
    header, raw = unverified_parts(token["id_token"])
    check(header["alg"] == algorithm, f"signed with {header['alg']}, expected {algorithm}")
    jwks = requests.get(rp.load_server_metadata()["jwks_uri"], timeout=TIMEOUT).json()["keys"]
    check(header.get("kid") in [key["kid"] for key in jwks], f"kid {header.get('kid')} is not in the JWKS")
    check(claims["iss"] == issuer and claims["aud"] == RELYING_PARTIES[algorithm][0], f"iss/aud: {raw}")
    check(claims["sub"] == user_id, f"sub {claims['sub']!r} is not the site's user id {user_id!r}")
    check(raw.get("nonce") == nonce, f"nonce not echoed: {raw}")
    check("at_hash" in raw, f"no at_hash: {raw}")
    check(isinstance(raw.get("auth_time"), int) and raw["auth_time"] <= raw["iat"], f"auth_time: {raw}")
    check(raw["iat"] >= before - 5 and raw["exp"] > raw["iat"], f"iat/exp: {raw}")
    check(raw.get("sid"), f"no sid: {raw}")
    print(f"PASS {algorithm} code + PKCE + nonce: ID token verified with the JWKS; iss, sub, aud, nonce, at_hash, auth_time, sid")
    return rp, token, raw


def scenario_refresh(rp, token, first):
    with rp._get_oauth_client(**rp.load_server_metadata()) as session:
        session.token = token
        refreshed = session.refresh_token(rp.load_server_metadata()["token_endpoint"], refresh_token=token["refresh_token"])
    check("id_token" in refreshed, f"no id_token after refresh: {dict(refreshed)}")
    claims = rp.parse_id_token(refreshed, nonce=None)
    _, raw = unverified_parts(refreshed["id_token"])
    check(claims["sub"] == first["sub"] and raw.get("auth_time") == first["auth_time"],
          f"refresh changed sub or auth_time: {raw} vs {first}")
    check(raw["iat"] >= first["iat"], f"refresh ID token older than the first: {raw}")
    print("PASS refresh: a new verified ID token with the same sub and auth_time")
    return refreshed


def scenario_userinfo(rp, token, username):
    """/userinfo with the relying party's token: sub always, profile and email by scope."""
    info = rp.userinfo(token=token)
    expected = {"sub": username, "given_name": username.split(".")[0], "email": username}
    check(dict(info) == expected, f"userinfo {dict(info)} != {expected}")
    endpoint = rp.load_server_metadata()["userinfo_endpoint"]
    with requests.post(endpoint, headers={"Authorization": "Bearer " + token["access_token"]}, timeout=TIMEOUT) as response:
        check(response.status_code == 200 and response.json() == expected, f"POST userinfo: {describe(response)}")
    with requests.get(endpoint, timeout=TIMEOUT) as response:
        check(response.status_code == 401 and response.headers.get("WWW-Authenticate", "").startswith("Bearer"),
              f"userinfo without a token: {describe(response)}")
    with requests.get(endpoint, headers={"Authorization": "Bearer not-a-token"}, timeout=TIMEOUT) as response:
        check(response.status_code == 401 and 'error="invalid_token"' in response.headers.get("WWW-Authenticate", ""),
              f"userinfo with an unknown token: {describe(response)}")
    print("PASS userinfo: GET and POST, sub, given_name and email by scope; RFC 6750 errors")


def scenario_pairwise(issuer, browser, username):
    """Pairwise subjects: one per sector, stable, not the site's user id."""
    subjects = {}
    for name, registered in PAIRWISE.items():
        rp = relying_party(issuer, registered)
        token, _, claims = sign_in(rp, browser, registered)
        check(rp.userinfo(token=token)["sub"] == claims["sub"], f"{name}: userinfo and ID token disagree on sub")
        subjects[name] = claims["sub"]
    again = sign_in(relying_party(issuer, PAIRWISE["rp-pair"]), browser, PAIRWISE["rp-pair"])[2]["sub"]
    check(again == subjects["rp-pair"], f"pairwise sub changed between sign-ins: {again} != {subjects['rp-pair']}")
    check(username not in subjects.values(), f"a pairwise client saw the site's user id: {subjects}")
    check(subjects["rp-pair"] == subjects["rp-pair-same"], f"one sector, two subjects: {subjects}")
    check(subjects["rp-pair"] != subjects["rp-pair-other"], f"two sectors, one subject: {subjects}")
    other = Browser(issuer, "someone." + username)
    someone = sign_in(relying_party(issuer, PAIRWISE["rp-pair"]), other, PAIRWISE["rp-pair"])[2]["sub"]
    check(someone != subjects["rp-pair"], "two users, one pairwise subject")
    print("PASS pairwise: stable per sector, different across sectors and users, never the user id")


def scenario_plain_oauth_unchanged(issuer, browser):
    """A client that does not ask for openid gets what it always got: no id_token."""
    client_id, secret, redirect_uri = RELYING_PARTIES["ES256"]
    metadata = requests.get(issuer + "/.well-known/openid-configuration", timeout=TIMEOUT).json()
    client = OAuth2Session(
        client_id=client_id, client_secret=secret, redirect_uri=redirect_uri, scope="read-only",
        code_challenge_method="S256", default_timeout=TIMEOUT)
    verifier = uuid.uuid4().hex * 2
    url, state = client.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier)
    callback = browser.authorize(url, redirect_uri)
    token = client.fetch_token(metadata["token_endpoint"], authorization_response=callback, state=state, code_verifier=verifier)
    check("id_token" not in token, f"an id_token without openid: {dict(token)}")
    check(token.get("scope") == "read-only", f"scope changed: {dict(token)}")
    with requests.get(metadata["userinfo_endpoint"], headers={"Authorization": "Bearer " + token["access_token"]},
                      timeout=TIMEOUT) as response:
        check(response.status_code == 403 and 'error="insufficient_scope"' in response.headers.get("WWW-Authenticate", ""),
              f"userinfo with a token without openid: {describe(response)}")
    print("PASS plain OAuth: no openid, no id_token, scope as before; userinfo 403 insufficient_scope")


def main():
    issuer = sys.argv[1].rstrip("/")
    user_id = sys.argv[2] if len(sys.argv) > 2 else None
    username = f"oidc.{uuid.uuid4().hex[:8]}@example.com"
    browser = Browser(issuer, username)

    def scenarios(passed):
        scenario_discovery(issuer)
        passed()
        subjects = set()
        for algorithm in ("ES256", "RS256", "EdDSA"):
            rp, token, first = scenario_code_flow(issuer, browser, algorithm, user_id or username)
            subjects.add(first["sub"])
            passed()
            if algorithm == "ES256":
                refreshed = scenario_refresh(rp, token, first)
                scenario_userinfo(rp, refreshed, username)
                passed(2)
        check(len(subjects) == 1, f"public subjects differ per client: {subjects}")
        scenario_pairwise(issuer, browser, username)
        passed()
        scenario_plain_oauth_unchanged(issuer, browser)
        passed()

    run_scenarios(scenarios)


if __name__ == "__main__":
    main()
