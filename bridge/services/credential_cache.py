"""Verified API credentials cached per worker process, dropped the moment anything changes.

Reading the credential with its roles as ORM objects was about half of a served read call's
time. A worker keeps what a successful check established (credential id, identifier, admin,
company, allowed actions) keyed by identifier, a digest of the secret, the caller's IP and
the door's options; an entry is only used while the shared generation counter
(:mod:`bridge.security.generation`) still holds the value read when the request's transaction
began, so a disabled, re-keyed, deleted or re-roled credential, a changed allow-list or a new
IP ban is refused on the very next call in every worker. Only successes are cached; every
refusal is decided by the database. The usage stamp stays at most once a minute per IP: an
entry expires when its stamp is due and the next call takes the uncached path, which stamps.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bridge.security.generation import Generation

# session.info keys set by BridgeState.transaction
CACHE_KEY = "bridge.credential_cache"
GENERATION_AT_BEGIN = "bridge.credential_generation"
MAX_ENTRIES = 4096  # one per (credential, secret, IP, options): emptied when full


@dataclass(frozen=True)
class ApiCaller:
    """What a successful API credential check established (the doors need nothing else)."""

    id: int
    identifier: str
    admin_id: int | None
    company_id: int | None
    # lower-cased actions of the credential's roles; None = no roles, every action allowed
    allowed_actions: frozenset[str] | None

    def allows(self, action: str) -> bool:
        """Whether the caller may run ``action`` (same rule as ``credential_allows``)."""
        if self.allowed_actions is None:
            return True
        return "*" in self.allowed_actions or action.strip().lower() in self.allowed_actions


@dataclass(frozen=True)
class _Entry:
    generation: bytes
    caller: ApiCaller
    stamp_due: float  # time.time() after which the usage stamp must be written again


class CredentialCache:
    """One worker's verified credentials for one database."""

    def __init__(self, generation: Generation) -> None:
        self.generation = generation
        self._entries: dict[tuple[str, bytes, str, bool, bool], _Entry] = {}

    @staticmethod
    def key(identifier: str, secret: str, ip: str, skip_ip_check: bool,
            refuse_banned: bool) -> tuple[str, bytes, str, bool, bool]:
        """The entry key; the secret only as its SHA-256 digest (never kept in memory)."""
        digest = hashlib.sha256(secret.encode()).digest()
        return identifier, digest, ip, skip_ip_check, refuse_banned

    def get(self, key: tuple[str, bytes, str, bool, bool]) -> ApiCaller | None:
        """The cached caller, or None when absent, out of date or its stamp is due."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.generation != self.generation.read():
            self._entries.clear()  # something changed: every entry may be wrong now
            return None
        if time.time() >= entry.stamp_due:
            self._entries.pop(key, None)  # (another thread may have emptied it)
            return None
        return entry.caller

    def put(self, key: tuple[str, bytes, str, bool, bool], caller: ApiCaller,
            generation: bytes, stamp_due: float) -> None:
        """Remember ``caller`` as established under ``generation`` (read before the rows)."""
        if generation != self.generation.read():
            return  # changed while checking: the rows read may already be stale
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = _Entry(generation, caller, stamp_due)

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()


def session_cache(session: Session) -> tuple[CredentialCache, bytes] | None:
    """The cache of the app that opened ``session`` with the generation read when its
    transaction began, or None (cache switched off, or a session opened outside an app)."""
    cache = session.info.get(CACHE_KEY)
    generation = session.info.get(GENERATION_AT_BEGIN)
    if isinstance(cache, CredentialCache) and isinstance(generation, bytes):
        return cache, generation
    return None
