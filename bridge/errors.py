"""The core's error hierarchy.

Services raise these; each facade owns one handler that maps them onto its wire shape
(WHMCS ``result=error``, Blesta ``400 {"errors": ...}``). Messages are written for an
operator: what failed, which record, what to do next.
"""

from __future__ import annotations

from collections.abc import Mapping


class BridgeError(Exception):
    """Base of every error the core raises on purpose."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(BridgeError):
    """A record named by id (or another key) does not exist."""

    code = "not_found"

    def __init__(self, entity: str, key: object, *, field: str = "id") -> None:
        super().__init__(f"{entity} {field}={key!r} not found")
        self.entity = entity
        self.key = key
        self.field = field


class ValidationFailed(BridgeError):
    """Input was rejected; ``errors`` maps field -> rule code -> human message."""

    code = "validation_failed"

    def __init__(self, errors: Mapping[str, Mapping[str, str]], message: str | None = None) -> None:
        self.errors: dict[str, dict[str, str]] = {k: dict(v) for k, v in errors.items()}
        if message is None:
            parts = [
                f"{field}: {text}"
                for field, rules in self.errors.items()
                for text in rules.values()
            ]
            message = "; ".join(parts) or "invalid input"
        super().__init__(message)

    @classmethod
    def single(cls, field: str, rule: str, text: str) -> ValidationFailed:
        """Shortcut for one failing field."""
        return cls({field: {rule: text}}, text)


class Conflict(BridgeError):
    """The request clashes with the current state (duplicate, wrong status, ...)."""

    code = "conflict"


class PermissionDenied(BridgeError):
    """The caller may not do this."""

    code = "permission_denied"


class ModuleError(BridgeError):
    """A plugin module could not even be asked (connection refused, bad config).

    A refusal by the remote side (declined card, domain taken) is a *result*, not this.
    """

    code = "module_error"


class ConfigError(BridgeError):
    """Configuration is missing or wrong; the message lists every problem at once."""

    code = "config_error"
