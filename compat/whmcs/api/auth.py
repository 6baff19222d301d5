"""Who is calling: API credentials, the legacy admin md5 login, access keys, IP allow-lists,
roles, and a per-IP limit on failed attempts."""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bridge.app import bridge_state
from bridge.context import Actor
from bridge.errors import PermissionDenied
from bridge.services.access import check_api_credential, verify_admin_api_login
from bridge.services.settings import get_setting

from .registry import ApiError

AUTH_FAILED = "Authentication Failed"


@dataclass(frozen=True)
class Caller:
    """The authenticated caller: a credential or a legacy admin login."""

    admin_id: int | None
    name: str
    credential_id: int | None = None


class FailureLimiter:
    """At most ``limit`` failed logins per source IP within ``window`` seconds.

    Only the offending IP is refused; every other caller keeps working.
    """

    def __init__(self, limit: int = 10, window: float = 300.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, ip: str) -> bool:
        """True when ``ip`` used up its failures in the current window."""
        with self._lock:
            recent = self._recent(ip)
            return len(recent) >= self.limit

    def failed(self, ip: str) -> None:
        """Count one failed attempt from ``ip``."""
        with self._lock:
            self._recent(ip).append(time.monotonic())

    def _recent(self, ip: str) -> deque[float]:
        queue = self._failures.setdefault(ip, deque())
        cutoff = time.monotonic() - self.window
        while queue and queue[0] < cutoff:
            queue.popleft()
        return queue


def authenticate(session: Session, params: dict[str, object], action: str, ip: str,
                 limiter: FailureLimiter) -> Caller:
    """Authenticate one request or raise ApiError with WHMCS's message at HTTP 403.

    A banned IP is refused first ("Invalid IP"); the ban is read in the credential's own
    statement (one statement fewer per call), separately only when no credential matched.
    """
    from bridge.services.blocklists import is_ip_banned

    if limiter.blocked(ip):
        if is_ip_banned(session, ip):  # a banned IP keeps its own message
            raise ApiError(f"Invalid IP {ip}", status=403)
        raise ApiError("Too many failed authentication attempts from this IP; try again later",
                       status=403)
    identifier = str(params.get("identifier") or params.get("username") or "")
    secret = str(params.get("secret") or params.get("password") or "")
    access_key = str(params.get("accesskey") or "")
    skip_ip = bool(access_key) and _access_key_ok(session, access_key)
    try:
        try:
            credential = check_api_credential(session, identifier, secret, ip,
                                              skip_ip_check=skip_ip, refuse_banned=True)
        except PermissionDenied as exc:
            if exc.message.startswith("Invalid IP"):
                raise
            admin = verify_admin_api_login(session, identifier, secret, ip,
                                           skip_ip_check=skip_ip)
            return Caller(admin.id, admin.username)
    except PermissionDenied as exc:
        if not exc.message.startswith("Invalid IP"):
            limiter.failed(ip)
            raise ApiError(AUTH_FAILED, status=403) from exc
        raise ApiError(exc.message, status=403) from exc
    if not credential.allows(action):
        raise ApiError(f'Invalid Permissions: API action "{action.lower()}" is not allowed',
                       status=403)
    return Caller(credential.admin_id, credential.identifier, credential.id)


def _access_key_ok(session: Session, given: str) -> bool:
    expected = get_setting(session, "api.access_key")
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


def keep_auth_writes(session: Session, write: bool, again: Callable[[Session], object],
                     actor: Actor) -> None:
    """Commit what authentication wrote (usage stamp, activity log) before the action runs,
    so a failing action does not undo it. In a read-only transaction the writes are dropped
    and authentication runs again in a write transaction of its own (rare: the stamp is due
    once a minute per IP), as a deferred SQLite transaction cannot safely start writing."""
    if write:
        session.commit()
        return
    session.rollback()
    with bridge_state().transaction(actor) as writer:
        again(writer)
