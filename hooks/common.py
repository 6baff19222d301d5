"""Context pieces every module kind receives: the client and a result base."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ClientInfo:
    """The client a module works for (read-only copy; modules never touch the database)."""

    id: int
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    email: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    country: str = ""
    phone: str = ""
    language: str = ""
    currency: str = "USD"


@dataclass(frozen=True)
class ActionResult:
    """Outcome of a module operation.

    ``ok`` False with a ``message`` is a refusal by the remote side (account exists, domain
    taken): a result, not an exception. ``data`` carries values the core stores (for example a
    generated username) or shows; ``raw`` is the remote answer for the module log.
    """

    ok: bool
    message: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    raw: Any = None

    @classmethod
    def success(cls, message: str = "", **data: Any) -> ActionResult:
        """A successful result with optional data."""
        return cls(True, message, data)

    @classmethod
    def failure(cls, message: str, raw: Any = None) -> ActionResult:
        """A refusal with the reason an operator will read."""
        return cls(False, message, {}, raw)


NOT_SUPPORTED = "this module does not support that operation"
