"""The method table: (model segment, method) -> handler, bound from Appendix A's signatures.

Every catalogue method is registered: implemented ones by their handler, the rest answer a
clear 400 ("not supported by hostbridge") instead of 404, as the issue asks. The table renders
``docs/api/blesta.md`` and drives the coverage test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from .catalogue import CATALOGUE

Handler = Callable[["MethodCall"], Any]


class BlestaError(Exception):
    """A Blesta error response: ``status`` with ``errors`` {field: {rule: text}}."""

    def __init__(self, status: int, errors: dict[str, dict[str, str]] | None = None,
                 message: str | None = None) -> None:
        super().__init__(message or str(errors))
        self.status = status
        self.errors = errors
        self.message = message


def invalid(field: str, rule: str, text: str) -> BlestaError:
    """A 400 validation error on one field."""
    return BlestaError(400, {field: {rule: text}})


@dataclass(frozen=True)
class MethodSpec:
    """One registered method."""

    model: str
    name: str
    params: tuple[tuple[str, str | None], ...]
    handler: Handler
    status: str = "implemented"  # implemented, partial, not_supported
    notes: str = ""


METHODS: dict[tuple[str, str], MethodSpec] = {}


@dataclass
class MethodCall:
    """A bound call: arguments by Blesta parameter name, the session and the caller's company."""

    model: str
    method: str
    args: dict[str, Any]
    session: Session
    company_id: int

    def arg(self, name: str, default: Any = None) -> Any:
        """A bound argument (its PHP default when the caller did not send it)."""
        value = self.args.get(name, default)
        return default if value is None else value

    def vars(self, name: str = "vars") -> dict[str, Any]:
        """An array argument as a dict ({} when absent or not an array)."""
        value = self.args.get(name)
        return dict(value) if isinstance(value, dict) else {}


def method(model: str, name: str, *, status: str = "implemented",
           notes: str = "") -> Callable[[Handler], Handler]:
    """Register ``handler`` for ``model/name`` with the parameters Appendix A lists."""
    params = CATALOGUE.get(model, {}).get(name, ())

    def register(handler: Handler) -> Handler:
        METHODS[(model, name.lower())] = MethodSpec(model, name, params, handler, status, notes)
        return handler

    return register


def _unsupported(model: str, name: str) -> Handler:
    def refuse(call: MethodCall) -> Any:
        raise BlestaError(400, {"method": {"unsupported": (
            f"{model}/{name} is not supported by hostbridge")}})
    return refuse


def register_fallbacks() -> None:
    """Register every catalogue method not implemented yet as a clear 400."""
    for model, methods in CATALOGUE.items():
        for name, params in methods.items():
            key = (model, name.lower())
            if key not in METHODS:
                METHODS[key] = MethodSpec(model, name, params, _unsupported(model, name),
                                          "not_supported", "not implemented in hostbridge")


def lookup(model: str, name: str) -> MethodSpec | None:
    """The method ``model/name`` (method matched case-insensitively, model as Blesta writes)."""
    return METHODS.get((model, name.lower()))
