#!/usr/bin/env python3
"""Drive the server as an OpenID Provider with a second library: pyoidc (`oic`).

Its Client reads the discovery document and the JWKS into its key jar, builds
the authorization request (code, PKCE S256, nonce, state), and verifies the ID
token of the token response itself (signature against the JWKS, iss, aud, exp,
nonce, at_hash) before the script looks at the claims; then it fetches
/userinfo.  The user's part is done by the Browser of authlib_flows.py.

Usage:  python3 oic_flows.py http://127.0.0.1:8081

Prints one line per client that passed, then "all N scenarios passed"; on the
first problem prints what went wrong and exits with status 1.
"""

import sys
import uuid
from urllib.parse import urlsplit

from oic import rndstr
from oic.oic import Client
from oic.oic.message import AuthorizationResponse, RegistrationResponse
from oic.utils.authn.client import CLIENT_AUTHN_METHOD

from authlib_flows import Browser, check, run_scenarios

CLIENTS = (
    ("rp", "rp-secret", "http://localhost:8080/rp", "ES256"),
    ("rp-rsa", "rp-rsa-secret", "http://localhost:8080/rp-rsa", "RS256"),
)


def sign_in(issuer, browser, username, client_id, secret, redirect_uri, algorithm):
    client = Client(client_authn_method=CLIENT_AUTHN_METHOD)
    client.provider_config(issuer)  # discovery, then the JWKS into the key jar
    client.store_registration_info(
        RegistrationResponse(client_id=client_id, client_secret=secret, redirect_uris=[redirect_uri]))
    client.redirect_uris = [redirect_uri]
    state, nonce = rndstr(), rndstr()
    pkce, verifier = client.add_code_challenge()
    request = client.construct_AuthorizationRequest(request_args={
        "client_id": client_id, "response_type": "code", "scope": ["openid", "email", "profile"],
        "nonce": nonce, "redirect_uri": redirect_uri, "state": state, **pkce})
    callback = browser.authorize(request.request(client.authorization_endpoint), redirect_uri)
    answer = client.parse_response(AuthorizationResponse, info=urlsplit(callback).query, sformat="urlencoded")
    check(answer["state"] == state, f"state changed: {answer.to_dict()}")
    # The library verifies the ID token here: signature with the JWKS, iss, aud, exp, nonce, at_hash.
    tokens = client.do_access_token_request(
        state=state, request_args={"code": answer["code"], "redirect_uri": redirect_uri, "code_verifier": verifier},
        authn_method="client_secret_basic")
    check("id_token" in tokens, f"no id_token: {tokens.to_dict()}")
    id_token = tokens["id_token"]
    check(id_token.jws_header["alg"] == algorithm, f"alg {id_token.jws_header['alg']} != {algorithm}")
    check(id_token["nonce"] == nonce and id_token["sub"] == username and id_token["aud"] == [client_id],
          f"claims: {id_token.to_dict()}")
    check("at_hash" in id_token and "auth_time" in id_token, f"no at_hash or auth_time: {id_token.to_dict()}")
    # pyoidc POSTs the token as a form field (RFC 6750 2.2).
    info = client.do_user_info_request(state=state)
    check(info["sub"] == username and info.get("email") == username, f"userinfo: {info.to_dict()}")
    print(f"PASS oic {client_id} ({algorithm}): code + PKCE + nonce, ID token verified by pyoidc, userinfo")


def main():
    issuer = sys.argv[1].rstrip("/")
    username = f"pyoidc.{uuid.uuid4().hex[:8]}@example.com"
    browser = Browser(issuer, username)

    def scenarios(passed):
        for client_id, secret, redirect_uri, algorithm in CLIENTS:
            sign_in(issuer, browser, username, client_id, secret, redirect_uri, algorithm)
            passed()

    run_scenarios(scenarios)


if __name__ == "__main__":
    main()
