"""A small client of the LogicBoxes / ResellerClub HTTP API.

Every call is ``<api root>/<category>/<action>.json`` with ``auth-userid`` (the reseller id)
and ``api-key``; array parameters repeat the name (``ns=a&ns=b``); booleans are
``true``/``false``. Answers are JSON; an error is ``{"status": "ERROR", "message": ...}``,
and action answers carry ``actionstatus`` / ``actionstatusdesc``.

Two outcomes are told apart: :class:`Refused` (LogicBoxes answered no: the module turns it
into ``ActionResult.failure``) and ``bridge.errors.ModuleError`` (no usable answer at all:
connection refused, timeout, not JSON, HTTP error without an error body, missing settings).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus, urlsplit

import requests

from bridge.errors import ModuleError

LIVE_URL = "https://httpapi.com/api"
TEST_URL = "https://test.httpapi.com/api"
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})

Params = Mapping[str, str | int | bool | list[str] | tuple[str, ...]]


class Refused(Exception):
    """LogicBoxes answered with an error status; ``raw`` is its answer for the module log."""

    def __init__(self, message: str, raw: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.raw = raw


def is_true(value: object) -> bool:
    """Read a config or API flag ("1", "true", True, ...)."""
    return str(value).strip().lower() in TRUE_WORDS


def error_of(answer: Any) -> str | None:
    """The error message in a LogicBoxes answer, or None when it is not an error."""
    if not isinstance(answer, Mapping):
        return None
    status = str(answer.get("status", "")).strip().lower()
    if status == "error":
        return str(answer.get("message") or answer.get("error") or "LogicBoxes reported an error")
    if status == "failed" or str(answer.get("actionstatus", "")).strip().lower() == "failed":
        return str(answer.get("actionstatusdesc") or answer.get("message") or "the action failed")
    return None


def _pairs(params: Params) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            text = ("true" if item else "false") if isinstance(item, bool) else str(item)
            pairs.append((key, text))
    return pairs


class LogicBoxesApi:
    """Calls the HTTP API with the reseller credentials from the registrar ``config``.

    ``config`` keys: ``reseller_id`` and ``api_key`` (required), ``test_mode`` (use
    https://test.httpapi.com), ``api_url`` (an explicit API root such as
    ``https://httpapi.com/api``; wins over ``test_mode``).
    """

    def __init__(
        self,
        config: Mapping[str, str],
        *,
        timeout: float = 30.0,
        session: requests.Session | None = None,
    ) -> None:
        self.reseller_id = str(config.get("reseller_id", "")).strip()
        self._api_key = str(config.get("api_key", "")).strip()
        if not self.reseller_id or not self._api_key:
            raise ModuleError(
                "LogicBoxes: reseller_id and api_key must be set in the registrar settings "
                "(Reseller ID and API key from the LogicBoxes control panel, Settings > API)"
            )
        override = str(config.get("api_url", "")).strip().rstrip("/")
        self.root = override or (TEST_URL if is_true(config.get("test_mode", "")) else LIVE_URL)
        self.timeout = timeout
        self._session = session or requests.Session()

    def get(self, path: str, params: Params) -> Any:
        """GET ``<root>/<path>.json`` (reads: availability, details, customer lookup)."""
        return self._call("GET", path, params)

    def post(self, path: str, params: Params) -> Any:
        """POST ``<root>/<path>.json`` with a form body (every change)."""
        return self._call("POST", path, params)

    def _scrub(self, text: str) -> str:
        # requests puts the full URL in its exception text; for a GET that includes the key
        for secret in {self._api_key, quote_plus(self._api_key)}:
            text = text.replace(secret, "***")
        return text

    def _call(self, method: str, path: str, params: Params) -> Any:
        url = f"{self.root}/{path}.json"
        pairs = [("auth-userid", self.reseller_id), ("api-key", self._api_key), *_pairs(params)]
        host = urlsplit(self.root).netloc
        try:
            if method == "GET":
                response = self._session.get(url, params=pairs, timeout=self.timeout)
            else:
                response = self._session.post(url, data=pairs, timeout=self.timeout)
        except requests.Timeout:
            raise ModuleError(
                f"LogicBoxes {path}: no answer from {host} within {self.timeout:g}s"
            ) from None
        except requests.RequestException as exc:
            # ``from None``: the cause's text would carry the API key of a GET URL into logs
            raise ModuleError(
                f"LogicBoxes {path}: could not reach {host}: "
                f"{type(exc).__name__}: {self._scrub(str(exc))}"
            ) from None
        try:
            answer = response.json()
        except ValueError:
            raise ModuleError(
                f"LogicBoxes {path}: HTTP {response.status_code} with a body that is not JSON "
                f"({self._scrub(response.text[:120])!r}); check api_url / test_mode"
            ) from None
        message = error_of(answer)
        if message is not None:
            raise Refused(message, answer)
        if response.status_code >= 400:
            raise ModuleError(f"LogicBoxes {path}: HTTP {response.status_code}")
        return answer
