#!/usr/bin/env python3
"""Drive the OAuth 2.0 authorization server with a third-party client library.

Every OAuth step (authorization URL, token, refresh, revocation, introspection,
API calls with a token) goes through Authlib's requests integration
(authlib.integrations.requests_client.OAuth2Session), so the server is checked
against what a real, standard client sends and expects -- not against requests
shaped by hand to suit the server.  Only the user's part in the browser (the
sign-in form and the consent form) is done with a plain requests.Session that
fills in the HTML forms the way a browser would.

Usage:  python3 authlib_flows.py http://127.0.0.1:8081

Prints one line per scenario that passed; on the first problem prints what went
wrong and exits with status 1.
"""

import html
import re
import sys
import uuid
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

# Every request has a timeout, so a stuck server fails the run instead of hanging it.
TIMEOUT = 10

# The registered clients (see the clients file the server was started with).
TEST_CLIENT = ("test", "hunter2", "http://localhost:8080/")
SPA_CLIENT = ("spa", "http://localhost:8080/spa")
SERVICE_CLIENT = ("service", "service-secret")

# The dummy site accepts any username with this password.
PASSWORD = "password"

REQUIRED_METADATA = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "revocation_endpoint",
    "introspection_endpoint",
)


class CheckFailed(Exception):
    """A scenario saw something other than what the RFCs / the server's docs promise."""


def check(condition, message):
    # Not `assert`: it must still check under `python -O`.
    if not condition:
        raise CheckFailed(message)


def run_scenarios(body):
    """Runs `body(passed)`, which calls `passed(n)` after each n scenarios that passed; prints
    "all N scenarios passed", or on the first failed check what failed and exits with status 1."""
    count = [0]

    def passed(n=1):
        count[0] += n

    try:
        body(passed)
    except CheckFailed as failure:
        print(f"FAIL after {count[0]} scenarios: {failure}")
        sys.exit(1)
    print(f"all {count[0]} scenarios passed")


def describe(response):
    """One line about an HTTP answer, for failure messages."""
    return f"{response.request.method} {response.url} -> {response.status_code} {response.text[:300]!r}"


# --------------------------------------------------------------------------
# The user's browser: sign in and consent by following the HTML forms.
# --------------------------------------------------------------------------

def hidden_input(page, name):
    """The value of <input type="hidden" name=NAME value=...>, HTML-unescaped."""
    match = re.search(
        r'<input[^>]*\bname="' + re.escape(name) + r'"[^>]*\bvalue="([^"]*)"', page
    )
    check(match is not None, f"no hidden input {name!r} in the page:\n{page[:2000]}")
    return html.unescape(match.group(1))


def form_action(page, page_url, marker):
    """The absolute action URL of the POST form that contains MARKER."""
    for match in re.finditer(r'<form[^>]*\baction="([^"]*)"[^>]*>(.*?)</form>', page, re.S):
        if marker in match.group(2):
            return urljoin(page_url, html.unescape(match.group(1)))
    raise CheckFailed(f"no form with {marker!r} in the page at {page_url}")


class Browser:
    """A user agent with a cookie jar.

    It follows redirects itself (allow_redirects=False) so that it stops at the
    redirect back to the client: nothing listens on localhost:8080, and the
    client reads the code from that Location header as its callback.
    """

    def __init__(self, issuer, username):
        self.issuer = issuer
        self.username = username
        self.http = requests.Session()

    def _on_server(self, url):
        # Only follow redirects that stay on the authorization server.
        own = urlsplit(self.issuer)
        target = urlsplit(url)
        return (target.scheme, target.netloc) == (own.scheme, own.netloc)

    def authorize(self, authorization_url, redirect_uri, allow=True):
        """Open the authorization URL, sign in if asked, answer the consent page.

        Returns the URL the server redirected back to (redirect_uri?code=...).
        """
        url = authorization_url
        for _ in range(10):  # bounded: a redirect loop fails instead of spinning
            response = self.http.get(url, allow_redirects=False, timeout=TIMEOUT)
            if response.status_code in (301, 302, 303, 307, 308):
                location = urljoin(url, response.headers["Location"])
                if location.startswith(redirect_uri):
                    return location
                check(self._on_server(location),
                      f"redirected off the server to {location!r}: {describe(response)}")
                url = location
                continue
            check(response.status_code == 200, f"unexpected answer: {describe(response)}")
            page = response.text
            if 'name="password"' in page:
                url = self._sign_in(url, page)
            elif 'name="transaction_id"' in page:
                return self._consent(url, page, redirect_uri, allow)
            else:
                raise CheckFailed(f"neither a sign-in nor a consent page at {url}:\n{page[:2000]}")
        raise CheckFailed(f"too many redirects starting from {authorization_url}")

    def _sign_in(self, url, page):
        # The sign-in page is where /authorize sent us (login?return_to=...).
        check(urlsplit(url).path.endswith("/login"), f"password form at an unexpected URL {url}")
        action = form_action(page, url, 'name="password"')
        response = self.http.post(
            action,
            data={
                "_csrf": hidden_input(page, "_csrf"),
                "return_to": hidden_input(page, "return_to"),
                "username": self.username,
                "password": PASSWORD,
            },
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        check(response.status_code == 303 and "Location" in response.headers,
              f"sign-in did not answer 303 with a Location: {describe(response)}")
        return urljoin(action, response.headers["Location"])

    def _consent(self, url, page, redirect_uri, allow):
        action = form_action(page, url, 'name="transaction_id"')
        data = {
            "transaction_id": hidden_input(page, "transaction_id"),
            "scope": hidden_input(page, "scope"),
        }
        if allow:
            data["allow"] = "Allow"
        else:
            data["cancel"] = "Deny"
        response = self.http.post(action, data=data, allow_redirects=False, timeout=TIMEOUT)
        location = response.headers.get("Location", "")
        check(response.status_code == 302 and location.startswith(redirect_uri),
              f"consent did not redirect to {redirect_uri}: {describe(response)} Location={location!r}")
        return location


# --------------------------------------------------------------------------
# Helpers around Authlib
# --------------------------------------------------------------------------

def new_session(metadata, **kwargs):
    """An Authlib session that knows the discovered endpoints (it uses
    token_endpoint by itself for fetch_token / refresh_token)."""
    return OAuth2Session(
        default_timeout=TIMEOUT,
        authorization_endpoint=metadata["authorization_endpoint"],
        token_endpoint=metadata["token_endpoint"],
        **kwargs,
    )


def api_status(metadata, token):
    """Status of GET /api/profile with TOKEN, sent by Authlib (Bearer header)."""
    with new_session(metadata, token=token) as client:
        response = client.get(api_url(metadata, "profile"))
    return response


def api_url(metadata, function):
    # /api is the resource server on the same host as the issuer; it is not an
    # OAuth endpoint, so it is not in the metadata document.
    return metadata["issuer"].rstrip("/") + "/api/" + function


def code_flow(metadata, client, browser, redirect_uri):
    """Authorization code + PKCE S256 with Authlib; returns the token.

    Checks the state (Authlib does, given state=) and the RFC 9207 `iss`
    parameter of the callback (Authlib does not, so we do).
    """
    code_verifier = generate_token(64)
    state = generate_token(24)
    url, sent_state = client.create_authorization_url(
        metadata["authorization_endpoint"], state=state, code_verifier=code_verifier
    )
    check(sent_state == state, "Authlib did not use the given state")
    query = parse_qs(urlsplit(url).query)
    check(query.get("code_challenge_method") == ["S256"] and "code_challenge" in query,
          f"Authlib did not add a S256 code challenge: {url}")

    callback = browser.authorize(url, redirect_uri)
    params = parse_qs(urlsplit(callback).query)
    check("error" not in params, f"authorization failed: {callback}")
    check(params.get("state") == [state], f"state not returned unchanged: {callback}")
    # RFC 9207: the callback names the issuer, so a client can detect mix-up attacks.
    check(params.get("iss") == [metadata["issuer"]],
          f"callback iss {params.get('iss')} != issuer {metadata['issuer']!r}: {callback}")

    # fetch_token parses the callback and raises MismatchingStateError on a bad state.
    token = client.fetch_token(
        authorization_response=callback, state=state, code_verifier=code_verifier
    )
    check(token.get("access_token"), f"no access_token in {dict(token)}")
    check(str(token.get("token_type", "")).lower() == "bearer", f"token_type not Bearer: {dict(token)}")
    return token


# --------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------

def scenario_metadata(base_url):
    """1. RFC 8414 discovery; everything afterwards uses the discovered endpoints."""
    with OAuth2Session(default_timeout=TIMEOUT) as anonymous:
        response = anonymous.get(
            base_url + "/.well-known/oauth-authorization-server", withhold_token=True
        )
    check(response.status_code == 200, f"metadata: {describe(response)}")
    metadata = response.json()
    for key in REQUIRED_METADATA:
        check(isinstance(metadata.get(key), str) and metadata[key],
              f"metadata has no {key}: {metadata}")
    check(metadata["issuer"] == base_url, f"issuer {metadata['issuer']!r} != {base_url!r}")
    for key in REQUIRED_METADATA[1:]:
        check(metadata[key].startswith(base_url + "/"),
              f"{key} {metadata[key]!r} is not on the issuer {base_url!r}")
    check("S256" in metadata.get("code_challenge_methods_supported", []),
          f"S256 not in code_challenge_methods_supported: {metadata}")
    check(metadata.get("authorization_response_iss_parameter_supported") is True,
          "authorization_response_iss_parameter_supported is not true")
    print("PASS 1 metadata discovery: issuer and all endpoints present")
    return metadata


def scenario_confidential_code(metadata, browser):
    """2. Confidential client, code + PKCE S256, client_secret_basic."""
    client_id, secret, redirect_uri = TEST_CLIENT
    client = new_session(
        metadata,
        client_id=client_id,
        client_secret=secret,
        token_endpoint_auth_method="client_secret_basic",
        redirect_uri=redirect_uri,
        scope="read-only",
        code_challenge_method="S256",
    )
    token = code_flow(metadata, client, browser, redirect_uri)
    check(token.get("refresh_token"), f"no refresh_token for client test: {dict(token)}")
    response = client.get(api_url(metadata, "profile"))
    check(response.status_code == 200, f"API with the code-flow token: {describe(response)}")
    check("id" in response.json(), f"profile has no id: {response.text}")
    print("PASS 2 confidential client: code + PKCE S256, state, iss, client_secret_basic, API 200")
    return client


def scenario_public_code(metadata, browser):
    """3. Public client: PKCE S256, no secret, token_endpoint_auth_method none."""
    client_id, redirect_uri = SPA_CLIENT
    client = new_session(
        metadata,
        client_id=client_id,
        token_endpoint_auth_method="none",
        redirect_uri=redirect_uri,
        scope="read-only",
        code_challenge_method="S256",
    )
    token = code_flow(metadata, client, browser, redirect_uri)
    response = client.get(api_url(metadata, "profile"))
    check(response.status_code == 200, f"API with the public client's token: {describe(response)}")
    print("PASS 3 public client: code + PKCE S256, auth method none, API 200")
    return client, token


def scenario_refresh(metadata, client):
    """4. Refresh: the new access token works, the replaced one no longer does."""
    old = dict(client.token)
    new = client.refresh_token(refresh_token=old["refresh_token"])
    check(new.get("access_token") and new["access_token"] != old["access_token"],
          f"refresh gave no new access token: {dict(new)}")
    response = client.get(api_url(metadata, "profile"))
    check(response.status_code == 200, f"API with the refreshed token: {describe(response)}")
    response = api_status(metadata, old)
    check(response.status_code == 401, f"API with the replaced access token: {describe(response)}")
    print("PASS 4 refresh: new access token 200, old access token 401")
    return dict(client.token)


def scenario_revocation(metadata, client, token):
    """5. RFC 7009: revoking the refresh token ends the whole grant."""
    response = client.revoke_token(
        metadata["revocation_endpoint"],
        token=token["refresh_token"],
        token_type_hint="refresh_token",
    )
    check(response.status_code == 200, f"revocation: {describe(response)}")
    response = api_status(metadata, token)
    check(response.status_code == 401,
          f"API with the access token of a revoked grant: {describe(response)}")
    try:
        refreshed = client.refresh_token(refresh_token=token["refresh_token"])
    except OAuthError as error:
        check(error.error == "invalid_grant",
              f"refresh with a revoked refresh token: error {error.error!r}, expected invalid_grant")
    else:
        raise CheckFailed(f"refresh with a revoked refresh token succeeded: {dict(refreshed)}")
    print("PASS 5 revocation: refresh token revoked, its access token 401, refresh invalid_grant")


def scenario_introspection(metadata, active_token, active_client_id, revoked_token):
    """6. RFC 7662 as the resource-server client "service" (client_secret_basic)."""
    client_id, secret = SERVICE_CLIENT
    service = new_session(
        metadata,
        client_id=client_id,
        client_secret=secret,
        token_endpoint_auth_method="client_secret_basic",
    )
    response = service.introspect_token(
        metadata["introspection_endpoint"],
        token=active_token["access_token"],
        token_type_hint="access_token",
    )
    check(response.status_code == 200, f"introspection: {describe(response)}")
    info = response.json()
    check(info.get("active") is True, f"live token not active: {info}")
    check(info.get("scope") == active_token.get("scope", "read-only"), f"scope: {info}")
    check(info.get("client_id") == active_client_id, f"client_id: {info}")
    check(isinstance(info.get("sub"), str) and info["sub"], f"sub: {info}")
    check(info.get("iss") == metadata["issuer"], f"iss: {info}")
    for key in ("exp", "iat"):
        check(isinstance(info.get(key), int), f"{key} not an integer: {info}")
    check(info["iat"] < info["exp"], f"iat not before exp: {info}")

    response = service.introspect_token(
        metadata["introspection_endpoint"],
        token=revoked_token["access_token"],
        token_type_hint="access_token",
    )
    check(response.status_code == 200, f"introspection of a revoked token: {describe(response)}")
    check(response.json() == {"active": False},
          f"revoked token must show exactly {{'active': false}}: {response.text}")
    print("PASS 6 introspection: live token active with scope/client_id/sub/exp/iat/iss, revoked {active: false}")


def scenario_client_credentials(metadata):
    """7. Client credentials: a token for the client itself, no user."""
    client_id, secret = SERVICE_CLIENT
    service = new_session(
        metadata,
        client_id=client_id,
        client_secret=secret,
        token_endpoint_auth_method="client_secret_basic",
        scope="read-only",
    )
    token = service.fetch_token(grant_type="client_credentials")
    check(token.get("access_token"), f"no access_token: {dict(token)}")
    check(token.get("scope") == "read-only", f"scope not read-only: {dict(token)}")
    # RFC 6749 4.4.3: a refresh token SHOULD NOT be included.
    check("refresh_token" not in token, f"client credentials gave a refresh_token: {dict(token)}")
    response = service.get(api_url(metadata, "profile"))
    check(response.status_code == 403, f"/api/profile needs a user: {describe(response)}")
    print("PASS 7 client credentials: read-only token, no refresh token, /api/profile 403")


def main():
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} BASE_URL", file=sys.stderr)
        return 1
    base_url = sys.argv[1].rstrip("/")

    metadata = scenario_metadata(base_url)
    # A fresh user per run, so earlier runs' grants do not mix in.
    username = f"authlib-{uuid.uuid4().hex[:12]}"
    browser = Browser(metadata["issuer"], username)

    test_client = scenario_confidential_code(metadata, browser)
    spa_client, _ = scenario_public_code(metadata, browser)
    refreshed = scenario_refresh(metadata, test_client)
    scenario_revocation(metadata, test_client, refreshed)
    scenario_introspection(metadata, dict(spa_client.token), SPA_CLIENT[0], refreshed)
    scenario_client_credentials(metadata)
    print("all 7 scenarios passed")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except CheckFailed as error:
        print(f"FAIL: {error}", file=sys.stderr)
    except OAuthError as error:
        print(f"FAIL: OAuth error from the server: {error.error}: {error.description}", file=sys.stderr)
    except requests.RequestException as error:
        print(f"FAIL: HTTP problem: {error!r}", file=sys.stderr)
    except Exception as error:  # anything else (Authlib state mismatch, bad JSON...) is a failure too
        print(f"FAIL: {type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(1)
