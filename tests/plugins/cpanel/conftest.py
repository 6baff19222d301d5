"""A loopback fake of WHM API 1 for the cpanel plugin's tests.

It follows the documented wire format of WHM API 1 (api.docs.cpanel.net: "Introduction to WHM
API 1", "WHM API 1 - Return Data", "Guide to API Authentication - API Tokens in WHM", and the
function pages of createacct, suspendacct, unsuspendacct, removeacct, changepackage, passwd,
listpkgs, listaccts, accountsummary, create_user_session, version):

- requests go to ``/json-api/<function>?api.version=1``; parameters may come in the query string
  or a form-encoded POST body; without ``api.version=1`` WHM falls back to API 0, whose answers
  have no ``metadata`` envelope;
- the header ``Authorization: whm <user>:<token>`` authenticates; a wrong one gets HTTP 403;
- every API 1 answer is ``{"data": {...}, "metadata": {"result": 1|0, "reason": ...,
  "command": <function>, "version": 1}}`` (``data`` absent for functions without output);
- ``listaccts`` / ``accountsummary`` return ``data.acct`` (a list) with ``user``, ``domain``,
  ``plan``, ``diskused`` / ``disklimit`` as strings like ``"14M"`` or ``"unlimited"``,
  ``suspended`` 0/1 and ``suspendreason``; ``listpkgs`` returns ``data.pkg`` with ``name``;
  ``create_user_session`` returns ``data.url``; ``createacct`` returns ``data.ip`` /
  ``data.package`` and a raw creation log in ``metadata.output.raw``.

The fake keeps accounts in memory and records every request it receives.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from hooks import ServerInfo

WHM_USER = "root"
WHM_TOKEN = "U7HMR63FHY282DQZ4H5BIH16JLYSO01M"


@dataclass
class Seen:
    """One request as the fake received it."""

    method: str
    function: str
    query: dict[str, str]
    form: dict[str, str]
    authorization: str

    @property
    def params(self) -> dict[str, str]:
        """Query and body parameters together, as WHM reads them."""
        return {**self.query, **self.form}


@dataclass
class FakeWhm:
    """State and behaviour of the fake WHM server."""

    port: int = 0
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    packages: dict[str, str] = field(
        default_factory=lambda: {"default": "unlimited", "gold": "5000", "silver": "1000"}
    )
    seen: list[Seen] = field(default_factory=list)
    mode: str = "normal"  # normal | bad_json | http_500 | slow | api0
    delay: float = 1.0

    def server(self, **overrides: Any) -> ServerInfo:
        """A ServerInfo pointing at this fake (plain HTTP on its loopback port)."""
        values: dict[str, Any] = {
            "id": 7, "name": "whm-test", "hostname": "127.0.0.1", "port": self.port,
            "secure": False, "username": WHM_USER, "access_hash": WHM_TOKEN,
        }
        values.update(overrides)
        return ServerInfo(**values)

    def add_account(self, user: str, domain: str, **extra: Any) -> dict[str, Any]:
        """Put an account on the server directly (as if created earlier)."""
        acct = {
            "user": user, "domain": domain, "plan": "default", "email": "",
            "password": "x", "suspended": 0, "suspendreason": "not suspended",
            "diskused": "0M", "disklimit": "unlimited", "ip": "192.0.2.1", "reseller": "0",
        }
        acct.update(extra)
        self.accounts[user] = acct
        return acct

    # -- the API -------------------------------------------------------------------------------

    def answer(self, function: str, p: dict[str, str]) -> tuple[bool, Any, str, Any]:
        """(ok, data, reason, output) of a call; ``ok`` False is WHM's ``result: 0``."""
        handler = getattr(self, f"fn_{function}", None)
        if handler is None:
            unknown = f"Unknown app (“{function}”) requested for this version (1) of the API."
            return False, None, unknown, None
        result: tuple[bool, Any, str, Any] = handler(p)
        return result

    def _account(self, p: dict[str, str]) -> dict[str, Any] | None:
        return self.accounts.get(p.get("user", ""))

    def fn_version(self, p: dict[str, str]) -> Any:
        return True, {"version": "11.118.0.5"}, "OK", None

    def fn_listpkgs(self, p: dict[str, str]) -> Any:
        pkgs = [{"name": name, "QUOTA": quota} for name, quota in sorted(self.packages.items())]
        return True, {"pkg": pkgs}, "OK", None

    def fn_createacct(self, p: dict[str, str]) -> Any:
        user, domain, plan = p.get("username", ""), p.get("domain", ""), p.get("plan", "default")
        if not user or not domain:
            return False, None, "You must specify a username and a domain.", None
        if len(user) > 8 or not user[0].isalpha() or not user.isalnum() or user != user.lower():
            return False, None, f"“{user}” is not a valid username.", None
        if user.startswith("test"):
            return False, None, "Usernames cannot begin with “test”.", None
        if user in self.accounts:
            return False, None, f"The account “{user}” already exists.", None
        if any(a["domain"] == domain for a in self.accounts.values()):
            return False, None, f"The domain “{domain}” already exists in the userdata.", None
        if plan not in self.packages:
            return False, None, f"The package “{plan}” does not exist.", None
        ip = "192.0.2.10" if p.get("ip") == "y" else "192.0.2.1"
        quota = self.packages[plan]
        self.add_account(
            user, domain, plan=plan, email=p.get("contactemail", ""), password=p.get("password"),
            disklimit="unlimited" if quota == "unlimited" else f"{quota}M", ip=ip,
            reseller=p.get("reseller", "0"),
        )
        log = (f"+===================================+\n| UserName: {user}\n"
               f"| PassWord: {p.get('password', '')}\n| Package: {plan}\n")
        data = {"ip": ip, "nameserver": "ns1.example.test", "package": plan}
        return True, data, "Account Creation Ok", log

    def fn_suspendacct(self, p: dict[str, str]) -> Any:
        acct = self._account(p)
        if acct is None:
            return False, None, f"The user “{p.get('user', '')}” does not exist.", None
        acct.update(suspended=1, suspendreason=p.get("reason", "Unknown"))
        return True, None, "OK", f"{acct['user']}'s account has been suspended\n"

    def fn_unsuspendacct(self, p: dict[str, str]) -> Any:
        acct = self._account(p)
        if acct is None:
            return False, None, f"The user “{p.get('user', '')}” does not exist.", None
        acct.update(suspended=0, suspendreason="not suspended")
        return True, None, "OK", f"{acct['user']}'s account is now active\n"

    def fn_removeacct(self, p: dict[str, str]) -> Any:
        if self.accounts.pop(p.get("user", ""), None) is None:
            return False, None, f"The user “{p.get('user', '')}” does not exist.", None
        return True, None, "OK", "Account Removal Ok.\n"

    def fn_changepackage(self, p: dict[str, str]) -> Any:
        acct = self._account(p)
        if acct is None:
            return False, None, f"The user “{p.get('user', '')}” does not exist.", None
        if p.get("pkg") not in self.packages:
            return False, None, f"The package “{p.get('pkg')}” does not exist.", None
        acct["plan"] = p["pkg"]
        return True, None, "OK", f"Changing plan to {p['pkg']}\n"

    def fn_passwd(self, p: dict[str, str]) -> Any:
        acct = self._account(p)
        if acct is None:
            return False, None, f"The user “{p.get('user', '')}” does not exist.", None
        if not p.get("password"):
            return False, None, "You must specify a password.", None
        acct["password"] = p["password"]
        reason = f"Password changed for user “{acct['user']}”."
        return True, {"app": ["system", "ftp", "mail"]}, reason, None

    def _summary(self, acct: dict[str, Any], want: str = "") -> dict[str, Any]:
        public = {k: v for k, v in acct.items() if k not in ("password", "reseller")}
        if want:
            return {k: v for k, v in public.items() if k in want.split(",")}
        return public

    def fn_listaccts(self, p: dict[str, str]) -> Any:
        want = p.get("want", "")
        return True, {"acct": [self._summary(a, want) for a in self.accounts.values()]}, "OK", None

    def fn_accountsummary(self, p: dict[str, str]) -> Any:
        acct = self._account(p)
        if acct is None:
            return False, None, f"Account “{p.get('user', '')}” does not exist.", None
        return True, {"acct": [self._summary(acct)]}, "OK", None

    def fn_create_user_session(self, p: dict[str, str]) -> Any:
        acct = self._account(p)
        if acct is None:
            return False, None, f"The user “{p.get('user', '')}” does not exist.", None
        if p.get("service") not in ("cpaneld", "whostmgrd", "webmaild"):
            return False, None, "Invalid service.", None
        session = f"{acct['user']}:SeSsIoN{len(self.seen)}"
        url = f"https://127.0.0.1:2083/cpsess0123456789/login/?session={session}"
        data = {"url": url, "session": session, "expires": 1401993893,
                "service": p["service"], "cp_security_token": "/cpsess0123456789"}
        return True, data, "Created session", None


class _Handler(BaseHTTPRequestHandler):
    fake: FakeWhm

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._serve("")

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        length = int(self.headers.get("Content-Length") or 0)
        self._serve(self.rfile.read(length).decode())

    def _serve(self, body: str) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        form = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
        function = parts.path.removeprefix("/json-api/")
        auth = self.headers.get("Authorization", "")
        fake.seen.append(Seen(self.command, function, query, form, auth))
        if auth != f"whm {WHM_USER}:{WHM_TOKEN}":
            return self._send(403, "text/html", b"<html><body>Access denied</body></html>")
        if not parts.path.startswith("/json-api/"):
            return self._send(404, "text/html", b"<html><body>Not Found</body></html>")
        if fake.mode == "slow":
            time.sleep(fake.delay)
        if fake.mode == "http_500":
            return self._send(500, "text/html", b"<html><body>Internal Server Error</body></html>")
        if fake.mode == "bad_json":
            return self._send(200, "application/json", b'{"metadata": {"result": 1, ')
        params = {**query, **form}
        if params.get("api.version") != "1" or fake.mode == "api0":
            # API 0 shape: no metadata envelope
            return self._json({"status": 1, "statusmsg": "Ok"})
        ok, data, reason, output = fake.answer(function, params)
        meta: dict[str, Any] = {"command": function, "reason": reason, "result": 1 if ok else 0,
                                "version": 1}
        if output is not None:
            meta["output"] = {"raw": output}
        payload: dict[str, Any] = {"metadata": meta}
        if data is not None:
            payload["data"] = data
        return self._json(payload)

    def _json(self, payload: dict[str, Any]) -> None:
        self._send(200, "application/json", json.dumps(payload).encode())

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def whm() -> Iterator[FakeWhm]:
    """A running fake WHM on 127.0.0.1 (free port), stopped after the test."""
    fake = FakeWhm()
    handler = type("Handler", (_Handler,), {"fake": fake})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    fake.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
