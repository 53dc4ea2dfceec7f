#!/usr/bin/env python3
"""Drive the authorization server's pages with headless Chromium, as a person does.

A real browser (Debian's chromium and chromium-driver, through selenium) follows a
client's authorization link, signs in with the dummy site's user, answers the
consent page (Allow, then Deny), takes the access back on /review, signs out, types
a wrong password, and signs in through crafted `return_to` links that must never
leave the server.  On every page it reads the browser's console and fails on any
error or Content Security Policy message, and it checks that every page the server
sent carries a Content-Security-Policy header.

The client's redirect URI is served by a tiny HTTP listener this script starts on
the URI's host and port, so the browser really lands there.

Usage:
  python3 browser_flows.py BASE_URL --client-id ID --redirect-uri URI [--client-name NAME] \\
      [--username NAME] [--password PASSWORD] [--work-dir DIR] [--screenshots DIR]

Prints one line per scenario that passed and "all N scenarios passed"; on the
first problem prints which scenario failed and why, and exits with status 1.
"""

import argparse
import base64
import hashlib
import http.server
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from selenium import webdriver
from selenium.common.exceptions import (
    NoAlertPresentException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

# Seconds one explicit wait (a page to load, a redirect to land) may take.
WAIT = 10
# Seconds the whole run may take (it takes about 20); past that it fails, and still
# closes the browser.
DEADLINE = 90

# return_to values that must not take a signed-in user off the server. Browsers drop tabs
# and newlines from URLs and read a backslash as a slash, so several of them would become
# //evil.example/ (another site) if the server passed them through.
HOSTILE_RETURN_TO = (
    "//evil.example/",
    "/\tevil.example",
    "/\t/evil.example/",
    "/%09/evil.example",
    "https://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    " //evil.example/",
)


class CheckFailed(Exception):
    """The browser saw something other than what a person should see."""


def check(condition, message):
    # Not `assert`: it must still check under `python -O`.
    if not condition:
        raise CheckFailed(message)


def origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def gone(element):
    """Whether ELEMENT's document has been replaced (the browser left the page). Asked
    while the old document is being swapped out, chromedriver may answer "Node with given
    id does not belong to the document" instead of "stale element": that is gone too."""
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        if "does not belong to the document" in str(error.msg):
            return True
        raise


# --------------------------------------------------------------------------
# The client's redirect URI: a tiny listener on 127.0.0.1
# --------------------------------------------------------------------------

class Callback:
    """Serves the client's redirect URI (any path on its host and port) with a small page,
    and remembers every request's path and query."""

    def __init__(self, redirect_uri):
        parts = urlsplit(redirect_uri)
        check(parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost") and parts.port,
              f"the redirect URI must be http://127.0.0.1:PORT/...: {redirect_uri}")
        self.requests = []
        seen = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/favicon.ico":
                    self.send_response(204)
                    self.end_headers()
                    return
                seen.append(self.path)
                body = b"<!DOCTYPE html><title>Client</title><p>Back at the client.</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        try:
            self.server = http.server.ThreadingHTTPServer((parts.hostname, parts.port), Handler)
        except OSError as error:
            raise CheckFailed(f"cannot listen on {parts.hostname}:{parts.port} for the redirect URI: {error}")
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------

class Browser:
    """Headless Chromium with the checks every page gets: no console error, no CSP
    violation, a Content-Security-Policy header on everything the server sent."""

    def __init__(self, base_url, work_dir, screenshots):
        self.base_url = base_url
        self.origin = origin(base_url)
        self.profile = os.path.join(work_dir, "profile")
        self.driver_log = os.path.join(work_dir, "chromedriver.log")
        self.screenshots = screenshots
        self.pages_checked = 0
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in (
            "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
            f"--user-data-dir={self.profile}", "--window-size=1280,900",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        # An explicit driver: selenium must not go looking for (or downloading) one.
        service = Service(CHROMEDRIVER, log_output=self.driver_log)
        self.driver = webdriver.Chrome(options=options, service=service)
        self.driver.set_page_load_timeout(WAIT)

    # -- navigation ---------------------------------------------------------

    def open(self, url, step, until, what):
        """Loads URL and waits until the page shows UNTIL (a CSS selector), then audits it."""
        self.driver.get(url)
        self.wait_for(until, what)
        self.audit(step)

    def submit(self, button, step, until=None, what="", status=None, audit=True):
        """Clicks a form's button, waits for the next page, and audits it (STATUS: the
        error status the next page is meant to answer with)."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        button.click()
        try:
            WebDriverWait(self.driver, WAIT).until(lambda driver: gone(page))
        except TimeoutException:
            raise CheckFailed(f"{step}: the form was submitted but no new page loaded ({self.here()})")
        self.wait_until_loaded(step)
        if until:
            self.wait_for(until, what)
        if audit:
            self.audit(step, status)

    def wait_for(self, selector, what):
        try:
            return WebDriverWait(self.driver, WAIT).until(
                EC.presence_of_element_located((By.CSS_SELECTOR, selector)))
        except TimeoutException:
            raise CheckFailed(f"expected {what} ({selector}), got {self.here()}")

    def wait_until_url(self, predicate, what):
        try:
            WebDriverWait(self.driver, WAIT).until(lambda driver: predicate(driver.current_url))
        except TimeoutException:
            raise CheckFailed(f"expected {what}, got {self.here()}")
        return self.driver.current_url

    def wait_until_loaded(self, step):
        try:
            # (A script run while a document is being swapped may fail: ask again.)
            WebDriverWait(self.driver, WAIT, ignored_exceptions=(WebDriverException,)).until(
                lambda driver: driver.execute_script("return document.readyState") == "complete")
        except TimeoutException:
            raise CheckFailed(f"{step}: the page did not finish loading ({self.here()})")

    def find(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def find_all(self, selector):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def text(self):
        return self.find("body").text

    def here(self):
        """Where the browser is and what it shows, for failure messages."""
        try:
            return f"{self.driver.current_url} showing {self.text()[:400]!r}"
        except Exception as error:  # a browser that died cannot say
            return f"(no page: {type(error).__name__})"

    def no_alert(self, step):
        try:
            alert = self.driver.switch_to.alert
        except NoAlertPresentException:
            return
        text = alert.text
        alert.dismiss()
        raise CheckFailed(f"{step}: a JavaScript alert opened: {text!r}")

    def shot(self, name):
        if self.screenshots:
            os.makedirs(self.screenshots, exist_ok=True)
            self.driver.save_screenshot(os.path.join(self.screenshots, f"{name}.png"))

    # -- checks every page gets ---------------------------------------------

    def audit(self, step, status=None):
        """Fails on any console error or CSP message, and on any page from the server
        without a Content-Security-Policy header, since the last audit. A page meant to
        answer with an error STATUS (a failed sign-in's 401) makes Chromium log that
        status as an error: that one entry is expected."""
        self.pages_checked += 1
        problems = []
        for entry in self.driver.get_log("browser"):
            message = entry.get("message", "")
            # (Chromium shows its own error page for an error answer without a body.)
            if (status and entry.get("level") == "SEVERE" and entry.get("source") == "network"
                    and (message.startswith(self.origin) or message.startswith("chrome-error://chromewebdata/"))
                    and f"responded with a status of {status} " in message):
                status = None  # expected once
                continue
            if entry.get("level") == "SEVERE" or "Content Security Policy" in message:
                problems.append(f"console {entry.get('level')}: {message}")
        for entry in self.driver.get_log("performance"):
            event = json.loads(entry["message"])["message"]
            if event.get("method") != "Network.responseReceived" or event["params"].get("type") != "Document":
                continue
            response = event["params"]["response"]
            # Every page: an HTML document from the server (a bare 404 is not a page).
            if origin(response["url"]) != self.origin or response.get("mimeType") != "text/html":
                continue
            headers = {name.lower(): value for name, value in response.get("headers", {}).items()}
            if not headers.get("content-security-policy", "").strip():
                problems.append(f"no Content-Security-Policy header on {response['url']} ({response['status']})")
        check(not problems, f"{step}: " + "; ".join(problems))


# --------------------------------------------------------------------------
# The person's steps
# --------------------------------------------------------------------------

class Run:
    def __init__(self, browser, callback, args):
        self.browser = browser
        self.callback = callback
        self.base_url = args.base_url
        self.client_id = args.client_id
        self.redirect_uri = args.redirect_uri
        self.username = args.username
        self.password = args.password
        self.client_name = args.client_name  # else read from the first consent page
        self.deny_state = None

    def authorization_link(self, state):
        """The link a client's page gives the person: code flow with PKCE S256."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode({
            "response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
            "state": state, "code_challenge": challenge, "code_challenge_method": "S256",
        })
        return f"{self.base_url}/authorize?{query}"

    def review_link(self):
        return f"{self.base_url}/review?" + urlencode({"client_id": self.client_id, "redirect_uri": self.redirect_uri})

    def sign_in(self, step, password, until, what, status=None, audit=True):
        b = self.browser
        b.find("input[name=username]").clear()
        b.find("input[name=username]").send_keys(self.username)
        b.find("input[name=password]").send_keys(password)
        b.submit(b.find("form[action='/login'] button[type=submit]"), step, until, what, status, audit)

    def consent_page(self, step):
        """Checks the consent page a person sees: who asks, for whom, both buttons."""
        b = self.browser
        b.wait_for("form[action='/authorize'] input[name=transaction_id]", "the consent page")
        text = b.text()
        check(self.client_name in text, f"{step}: the consent page does not name the client: {text!r}")
        check("Signed in as" in text, f"{step}: the consent page does not say who is signed in: {text!r}")
        labels = [button.text for button in b.find_all("form[action='/authorize'] button")]
        check(labels == ["Allow", "Deny"], f"{step}: consent buttons {labels}, expected Allow and Deny")

    def back_at_client(self, step):
        """Waits until the browser is on the redirect URI; returns its query parameters."""
        url = self.browser.wait_until_url(lambda url: url.startswith(self.redirect_uri + "?"),
                                          f"{step}: the browser back at {self.redirect_uri}")
        self.browser.wait_until_loaded(step)
        self.browser.audit(step)
        parts = urlsplit(url)
        check(self.callback.requests and self.callback.requests[-1] == parts.path + "?" + parts.query,
              f"{step}: the client's listener did not receive {url} (it saw {self.callback.requests[-1:]})")
        return {name: values[0] for name, values in parse_qs(parts.query).items()}

    # -- scenarios ----------------------------------------------------------

    def scenario_sign_in_and_allow(self):
        """A client's link, the sign-in page, the consent page, Allow, back at the client."""
        b = self.browser
        state = secrets.token_urlsafe(16)
        b.open(self.authorization_link(state), "authorization link",
               "form[action='/login'] input[name=password]", "the sign-in page")
        parts = urlsplit(b.driver.current_url)
        check(origin(b.driver.current_url) == b.origin and parts.path == "/login",
              f"the authorization link did not lead to /login: {b.driver.current_url}")
        return_to = b.find("input[name=return_to]").get_attribute("value")
        check(return_to.startswith("/authorize?"), f"the sign-in form does not return to /authorize: {return_to!r}")
        b.shot("01-sign-in")
        self.sign_in("sign-in", self.password, "form[action='/authorize'] input[name=transaction_id]", "the consent page")
        if self.client_name is None:
            self.client_name = self.discover_client_name()
        self.consent_page("consent page")
        b.shot("02-consent")
        b.submit(b.find("button[name=allow]"), "Allow")
        params = self.back_at_client("Allow")
        check("error" not in params, f"Allow ended in an error: {params}")
        check(params.get("code"), f"no code after Allow: {params}")
        check(params.get("state") == state, f"state {params.get('state')!r} is not the {state!r} sent")
        check(params.get("iss") == self.base_url, f"iss {params.get('iss')!r} is not {self.base_url!r}")
        b.shot("03-back-at-client")
        return "link -> /login -> sign in -> consent -> Allow -> redirect URI with code, same state and iss"

    def discover_client_name(self):
        # The consent page's heading is "Allow <client name> to use your account?".
        heading = self.browser.find("h1").text
        check(heading.startswith("Allow ") and heading.endswith(" to use your account?"),
              f"unexpected consent heading {heading!r}")
        return heading[len("Allow "):-len(" to use your account?")]

    def scenario_review_and_revoke(self):
        """/review lists the client's grant; unticking it and saving takes it away."""
        b = self.browser
        b.open(self.review_link(), "review page", "form[action='/review']", "the review page")
        boxes = self.review_boxes()
        check(list(boxes) == [self.client_name],
              f"/review should list exactly {self.client_name!r}, it lists {list(boxes)}")
        box = boxes[self.client_name]
        check(box.is_selected(), "the granted client's box is not ticked")
        b.shot("04-review")
        box.click()
        check(not box.is_selected(), "the box did not untick")
        save = b.find("form[action='/review'] button[type=submit]")
        check(self.client_name in save.text, f"the save button does not name the client: {save.text!r}")
        b.submit(save, "review save")
        b.wait_until_url(lambda url: url == self.redirect_uri, f"review save: back at {self.redirect_uri}")

        b.open(self.review_link(), "review page after revoking", "form[action='/review']", "the review page")
        check(not self.review_boxes(), f"the revoked grant is still listed: {b.text()!r}")
        check("No application has access" in b.text(), f"the empty review page says nothing: {b.text()!r}")
        return "the grant was listed, unticked and saved, back at the client, and is gone"

    def review_boxes(self):
        return {label.text.rsplit(" (", 1)[0].strip(): label.find_element(By.CSS_SELECTOR, "input[type=checkbox]")
                for label in self.browser.find_all("form[action='/review'] label")}

    def scenario_logout(self):
        """Logout ends the session: a protected page sends the person to /login again."""
        b = self.browser
        b.open(f"{self.base_url}/login", "sign-in page while signed in", "form[action='/login']", "the sign-in page")
        check("You are signed in" in b.text(), f"the sign-in page does not show the session: {b.text()!r}")
        b.driver.get(f"{self.base_url}/logout?" + urlencode({"redirect_uri": self.redirect_uri}))
        b.wait_until_url(lambda url: url == self.redirect_uri, f"logout: back at {self.redirect_uri}")
        b.wait_until_loaded("logout")
        b.audit("logout")
        b.open(self.review_link(), "review page after logout",
               "form[action='/login'] input[name=password]", "the sign-in page")
        check(urlsplit(b.driver.current_url).path == "/login", f"/review did not send to /login: {b.driver.current_url}")
        check("You are signed in" not in b.text(), f"still signed in after logout: {b.text()!r}")
        return_to = b.find("input[name=return_to]").get_attribute("value")
        check(return_to.startswith("/review?"), f"the sign-in form does not return to /review: {return_to!r}")
        return "/logout went back to the client; /review then asks to sign in again"

    def scenario_wrong_password(self):
        """A wrong password shows the error on the sign-in page, which still works."""
        b = self.browser
        self.deny_state = secrets.token_urlsafe(16)
        b.open(self.authorization_link(self.deny_state), "authorization link",
               "form[action='/login'] input[name=password]", "the sign-in page")
        self.sign_in("wrong password", "not-the-" + self.password, "[role=alert]", "an error message", status=401)
        message = b.find("[role=alert]").text
        check("Wrong username or password" in message, f"the error message reads {message!r}")
        check(b.find("[role=alert]").is_displayed(), "the error message is not visible")
        check(b.find("input[name=username]").get_attribute("value") == self.username,
              "the username was not kept in the form")
        check(b.find("input[name=password]").get_attribute("value") == "", "the password was kept in the form")
        return_to = b.find("input[name=return_to]").get_attribute("value")
        check(return_to.startswith("/authorize?"), f"the failed sign-in lost return_to: {return_to!r}")
        b.shot("05-wrong-password")
        self.sign_in("sign-in after a wrong password", self.password,
                     "form[action='/authorize'] input[name=transaction_id]", "the consent page")
        self.consent_page("consent page after a wrong password")
        return f"{message!r} shown, username kept, the next sign-in reaches the consent page"

    def scenario_deny(self):
        """Deny on the consent page (where the wrong-password scenario left the browser):
        back at the client with error=access_denied, and nothing granted."""
        b = self.browser
        b.submit(b.find("button[name=cancel]"), "Deny")
        params = self.back_at_client("Deny")
        check(params.get("error") == "access_denied", f"Deny did not answer error=access_denied: {params}")
        check("code" not in params, f"Deny gave a code: {params}")
        check(params.get("state") == self.deny_state, f"state {params.get('state')!r} is not {self.deny_state!r}")
        b.open(self.review_link(), "review page after Deny", "form[action='/review']", "the review page")
        check(not self.review_boxes(), f"Deny left a grant listed: {b.text()!r}")
        return "redirect URI with error=access_denied and the same state, no code, nothing on /review"

    def scenario_hostile_return_to(self):
        """Crafted return_to values, in the link and in the form, never leave the server."""
        b = self.browser
        elsewhere = []  # values followed to another page of the server
        for value in HOSTILE_RETURN_TO:
            for how in ("link", "form"):
                step = f"return_to {value!r} in the {how}"
                if how == "link":
                    url = f"{self.base_url}/login?return_to={quote(value, safe='')}"
                    b.open(url, step, "form[action='/login'] input[name=password]", "the sign-in page")
                else:
                    b.open(f"{self.base_url}/login", step, "form[action='/login'] input[name=password]", "the sign-in page")
                    b.driver.execute_script(
                        "document.querySelector('input[name=return_to]').value = arguments[0]", value)
                self.sign_in(step, self.password, None, "", audit=False)
                b.no_alert(step)
                landed = b.driver.current_url
                check(origin(landed) == b.origin, f"{step}: signing in led off the server to {landed}")
                path = urlsplit(landed).path
                if path == "/login":  # return_to refused: the sign-in page says who is signed in
                    b.audit(step)
                    check("You are signed in" in b.text(), f"{step}: not signed in at {b.here()}")
                else:  # a path on this server that does not exist is harmless
                    b.audit(step, status=404)
                    elsewhere.append(f"{value!r} in the {how} -> {path}")
        b.shot("06-after-hostile-return-to")
        followed = f"; followed on the server: {', '.join(elsewhere)}" if elsewhere else ""
        return (f"{len(HOSTILE_RETURN_TO)} values, each in a link and in a tampered form, "
                f"stayed on {b.origin}{followed}")


# --------------------------------------------------------------------------
# Processes: nothing of the browser may outlive the run
# --------------------------------------------------------------------------

def processes_mentioning(text):
    """Live processes whose command line contains TEXT (Linux /proc)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as file:
                command = file.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/stat") as file:
                state = file.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in command and state not in ("Z", "X") and int(pid) != os.getpid():
            found.append(int(pid))
    return found


def close_browser(browser, work_dir):
    """quit(), then make sure: chromedriver and every Chromium process (each names our
    work folder on its command line) are gone."""
    if browser is not None:
        try:
            browser.driver.quit()
        except Exception as error:  # a dead driver: the kill below still runs
            print(f"note: quit() failed: {error!r}", file=sys.stderr)
    deadline = time.monotonic() + 5
    while processes_mentioning(work_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in processes_mentioning(work_dir):
        print(f"note: killing leftover browser process {pid}", file=sys.stderr)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def on_deadline(signum, frame):
    raise CheckFailed(f"the run took longer than {DEADLINE} s")


def on_terminate(signum, frame):
    # Stopped from outside: still close the browser on the way out.
    raise CheckFailed(f"stopped by signal {signum}")


SCENARIOS = (
    ("sign in and Allow", Run.scenario_sign_in_and_allow),
    ("review and revoke", Run.scenario_review_and_revoke),
    ("logout", Run.scenario_logout),
    ("wrong password", Run.scenario_wrong_password),
    ("Deny", Run.scenario_deny),
    ("crafted return_to", Run.scenario_hostile_return_to),
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="the server, e.g. http://127.0.0.1:8081")
    parser.add_argument("--client-id", required=True, help="a client allowed the code grant")
    parser.add_argument("--redirect-uri", required=True,
                        help="one of its registered redirect URIs, http://127.0.0.1:PORT/...: this script listens there")
    parser.add_argument("--client-name",
                        help="the client's registered name, which the pages must show as written (markup and all)")
    parser.add_argument("--username", default=f"browser-{uuid.uuid4().hex[:12]}@example.com",
                        help="a user of the site (a fresh name by default, so earlier grants do not mix in)")
    parser.add_argument("--password", default="password", help="the user's password on the site")
    parser.add_argument("--work-dir", help="a folder for the browser profile and the driver's log (default: a temporary one)")
    parser.add_argument("--screenshots", help="save a screenshot of each page here")
    args = parser.parse_args()
    args.base_url = args.base_url.rstrip("/")

    own_work_dir = args.work_dir is None
    work_dir = tempfile.mkdtemp(prefix="browser-flows-") if own_work_dir else os.path.abspath(args.work_dir)
    signal.signal(signal.SIGALRM, on_deadline)
    signal.signal(signal.SIGTERM, on_terminate)
    signal.signal(signal.SIGINT, on_terminate)
    signal.alarm(DEADLINE)
    browser = callback = None
    scenario = "starting the browser"
    passed = False
    try:
        callback = Callback(args.redirect_uri)
        browser = Browser(args.base_url, work_dir, args.screenshots)
        run = Run(browser, callback, args)
        for number, (name, function) in enumerate(SCENARIOS, start=1):
            scenario = f"{number} {name}"
            print(f"PASS {scenario}: {function(run)}", flush=True)
        scenario = "the end"
        print(f"all {len(SCENARIOS)} scenarios passed ({browser.pages_checked} pages checked)")
        passed = True
    except CheckFailed as error:
        print(f"FAIL in scenario {scenario}: {error}", file=sys.stderr)
    except WebDriverException as error:
        where = browser.here() if browser else "(no browser)"
        print(f"FAIL in scenario {scenario}: browser error {error.msg or error!r} at {where}", file=sys.stderr)
    except Exception as error:
        print(f"FAIL in scenario {scenario}: {type(error).__name__}: {error}", file=sys.stderr)
    finally:
        signal.alarm(0)
        driver_log = os.path.join(work_dir, "chromedriver.log")
        if browser is None and os.path.exists(driver_log):  # the browser did not start
            with open(driver_log, errors="replace") as file:
                print(f"chromedriver log (tail):\n{file.read()[-2000:]}", file=sys.stderr)
        close_browser(browser, work_dir)
        if callback:
            callback.close()
        shutil.rmtree(os.path.join(work_dir, "profile"), ignore_errors=True)
        if own_work_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
