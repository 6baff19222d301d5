"""A small WHM API 1 client: one JSON call, its envelope, and the errors an operator can act on.

WHM API 1 (https://api.docs.cpanel.net/whm/introduction) is called as
``https://<host>:2087/json-api/<function>?api.version=1`` (2086 without TLS) with the header
``Authorization: whm <user>:<api token>``. Every answer is ``{"data": {...}, "metadata":
{"result": 1|0, "reason": "...", "command": "<function>", "version": 1}}``; ``result`` 0 means
WHM refused and ``reason`` says why.

Parameters travel as a form-encoded POST body rather than in the query string, so passwords sent
to ``createacct`` and ``passwd`` never land in a web server access log. The token is only ever
in the header and is never part of an error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from bridge.errors import ModuleError
from hooks import ServerInfo

DEFAULT_TIMEOUT = 30.0
SECURE_PORT = 2087
PLAIN_PORT = 2086


@dataclass(frozen=True)
class WhmAnswer:
    """A parsed WHM API 1 answer: ``ok`` is ``metadata.result == 1``."""

    ok: bool
    reason: str
    data: Any = None
    raw: Mapping[str, Any] = field(default_factory=dict)


def server_label(server: ServerInfo) -> str:
    """How error messages name a server: ``'name' (host:port)``."""
    host = server.hostname or server.ip_address or "<no host>"
    port = server.port or (SECURE_PORT if server.secure else PLAIN_PORT)
    name = f"{server.name!r} " if server.name else f"#{server.id} "
    return f"cPanel server {name}({host}:{port})"


def api_root(server: ServerInfo) -> str:
    """``http(s)://host:port`` of WHM; the port defaults to 2087 (TLS) or 2086 (plain)."""
    host = server.hostname or server.ip_address
    if not host:
        raise ModuleError(
            f"{server_label(server)} has neither a hostname nor an IP address; "
            "set one on the server record"
        )
    scheme = "https" if server.secure else "http"
    port = server.port or (SECURE_PORT if server.secure else PLAIN_PORT)
    return f"{scheme}://{host}:{port}"


class WhmClient:
    """Calls WHM API 1 functions on one server with bounded timeouts."""

    def __init__(
        self,
        server: ServerInfo,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        verify_tls: bool = True,
        session: requests.Session | None = None,
    ) -> None:
        """``timeout`` bounds connect and read (seconds); ``verify_tls`` checks certificates."""
        self.server = server
        self.timeout = timeout
        self.verify_tls = verify_tls
        self.root = api_root(server)
        # without a shared session each call opens and closes its own connection
        self._http = session
        # cPanel's legacy access hash is stored with line breaks; the token itself has none
        token = "".join((server.access_hash or server.password or "").split())
        if not token:
            raise ModuleError(
                f"{server_label(server)} has no API token (access hash) or password; "
                "create an API token in WHM (Development >> Manage API Tokens) and store it"
            )
        self._auth = f"whm {server.username or 'root'}:{token}"

    def call(self, function: str, params: Mapping[str, Any] | None = None) -> WhmAnswer:
        """Call ``function`` with ``params``; WHM's refusals come back as ``ok=False``.

        Raises ModuleError when WHM could not be asked or did not answer in API 1 form:
        connection refused, timeout, TLS failure, HTTP error status, a body that is not JSON,
        or JSON without the ``metadata`` envelope.
        """
        where = f"{server_label(self.server)}, WHM function {function!r}"
        body = {k: _wire_value(v) for k, v in (params or {}).items()}
        try:
            post = self._http.post if self._http is not None else requests.post
            response = post(
                f"{self.root}/json-api/{function}",
                params={"api.version": "1"},
                data=body,
                headers={"Authorization": self._auth, "Accept": "application/json"},
                timeout=self.timeout,
                verify=self.verify_tls,
                allow_redirects=False,
            )
        except requests.Timeout:
            raise ModuleError(
                f"{where}: no answer within {self.timeout:g} s; check that WHM is up "
                "or raise the plugin's timeout setting"
            ) from None
        except requests.exceptions.SSLError as exc:
            raise ModuleError(
                f"{where}: TLS handshake failed ({_short(exc)}); install a valid certificate "
                "or set the plugin's verify_tls setting to false"
            ) from None
        except requests.ConnectionError as exc:
            raise ModuleError(
                f"{where}: could not connect ({_short(exc)}); check the host, port and firewall"
            ) from None
        except requests.RequestException as exc:
            raise ModuleError(f"{where}: request failed ({_short(exc)})") from None

        if response.status_code in (401, 403):
            raise ModuleError(
                f"{where}: WHM refused the credentials (HTTP {response.status_code}); check the "
                "server's username and API token"
            )
        if response.status_code != 200:
            raise ModuleError(f"{where}: WHM answered HTTP {response.status_code}")
        try:
            payload = response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "unknown type")
            raise ModuleError(
                f"{where}: the answer is not JSON ({kind}, {len(response.content)} bytes); "
                "is this a WHM server on its WHM port?"
            ) from None
        meta = payload.get("metadata") if isinstance(payload, dict) else None
        if not isinstance(meta, dict) or "result" not in meta:
            raise ModuleError(f"{where}: the answer has no WHM API 1 metadata envelope")
        ok = str(meta.get("result")) == "1"
        reason = str(meta.get("reason") or ("OK" if ok else "WHM gave no reason"))
        return WhmAnswer(ok=ok, reason=reason, data=payload.get("data"), raw=payload)


def _wire_value(value: Any) -> str:
    """WHM's booleans are 1/0 (it does not accept true/false)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _short(exc: BaseException) -> str:
    """A one-line description of a transport error, without request details."""
    text = " ".join(str(exc).split())
    return text[:200] if text else type(exc).__name__
