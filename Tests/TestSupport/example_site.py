"""A small stand-in for a real existing website, for the "http" resource-server type tests.

Behind a gateway that wants HTTP Basic auth (gateway:s3cret) on every request, it has:
  POST /session    form email & password (PASSWORD) -> JSON user, Set-Cookie remember_me=<token>
  POST /api-login  form email & password -> JSON user with a "token" field (no cookie)
  GET  /user/info  the user for the remember_me cookie or the X-Site-Token header; with
                   ?hold=PATH a slow site: creates PATH.received, answers once PATH.release exists
  POST /user/<id>/avatar  echoes what it received
  GET  /healthcheck
Usage: python3 example_site.py PORT [PASSWORD]   (PASSWORD defaults to "hunter2")
"""
import base64, json, os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

USERS = {"bob@example.com": {"id": 42, "firstName": "Bob", "email": "bob@example.com"}}
TOKENS = {"tok-42": "bob@example.com"}
GATEWAY = "Basic " + base64.b64encode(b"gateway:s3cret").decode()
PASSWORD = sys.argv[2] if len(sys.argv) > 2 else "hunter2"


class Site(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_json(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def gateway_ok(self):
        if self.headers.get("Authorization") != GATEWAY:
            self.send_json(401, {"error": "gateway authentication required"})
            return False
        return True

    def user_from_token(self):
        cookies = dict(c.strip().split("=", 1) for c in (self.headers.get("Cookie") or "").split(";") if "=" in c)
        token = cookies.get("remember_me") or self.headers.get("X-Site-Token")
        return USERS.get(TOKENS.get(token or ""))

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/healthcheck":
            return self.send_json(200, {"ok": True})
        if not self.gateway_ok():
            return
        if url.path == "/user/info":
            user = self.user_from_token()
            if user is None:
                return self.send_json(401, {"error": "not logged in"})
            hold = parse_qs(url.query).get("hold", [None])[0]
            if hold:
                open(hold + ".received", "w").close()
                deadline = time.monotonic() + 30
                while not os.path.exists(hold + ".release") and time.monotonic() < deadline:
                    time.sleep(0.01)
            return self.send_json(200, dict(user, query=parse_qs(url.query)))
        self.send_json(404, {"error": "not found"})

    def do_POST(self):
        url = urlsplit(self.path)
        if not self.gateway_ok():
            return
        body = self.body()
        if url.path in ("/session", "/api-login"):
            form = parse_qs(body.decode())
            email, password = form.get("email", [""])[0], form.get("password", [""])[0]
            if email not in USERS or password != PASSWORD:
                return self.send_json(401, {"error": "bad credentials"})
            if url.path == "/session":
                return self.send_json(200, USERS[email], [("Set-Cookie", "remember_me=tok-42; Path=/; HttpOnly")])
            return self.send_json(200, dict(USERS[email], token="tok-42"))
        if url.path.startswith("/user/") and url.path.endswith("/avatar"):
            if self.user_from_token() is None:
                return self.send_json(401, {"error": "not logged in"})
            return self.send_json(200, {"success": 1, "path": url.path, "received": body.decode(),
                                        "content_type": self.headers.get("Content-Type")})
        self.send_json(404, {"error": "not found"})


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Site).serve_forever()
