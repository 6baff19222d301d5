"""Wire helpers shared by the invoice, transaction, account, support and domain methods:
Blesta date and flag parsing, bracket arrays, ``order_by`` maps, paging, company scoping and
renaming core validation fields to Blesta's."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.orm import InstrumentedAttribute

from bridge.errors import NotFound, ValidationFailed
from bridge.models import Client
from bridge.services.clients import ClientTerms, client_terms
from compat.whmcs.api.params import as_list

from ..args import integer, optional_amount, optional_integer, page
from ..registry import MethodCall, invalid
from ._people import in_company

PER_PAGE = 20  # Blesta.results_per_page
TRUE_WORDS = ("true", "1", "on", "yes")
_ZONES = (" UTC", " GMT", "Z")


def flag(value: Any, default: bool = False) -> bool:
    """A PHP-style boolean argument (``'true'``/``'false'``, ``1``/``0``)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_WORDS


def items(value: Any) -> list[Any]:
    """A bracket array (``lines[0][amount]``), a JSON list or a scalar, as a list in order."""
    return as_list(value)


def as_int(value: Any, field: str) -> int:
    """An integer argument; a 400 naming ``field`` when missing, malformed or past 64 bits
    (the shared bounded reader)."""
    return integer(value, field)


def optional_int(value: Any, field: str) -> int | None:
    """Like :func:`as_int`, None for a missing or empty value."""
    return optional_integer(value, field)


def amount(value: Any, field: str) -> Decimal:
    """A money argument (never a float; '' is 0); a 400 naming ``field`` when it is missing,
    not a number or out of the money columns' range."""
    result = optional_amount(value, field)
    if result is None:
        if value is None:
            raise invalid(field, "format", f"{field} must be an amount such as 10.00")
        return Decimal(0)
    return result


def when(value: Any, field: str) -> datetime | None:
    """A Blesta timestamp (``Y-m-d``, ``Y-m-d H:i:s``, with an optional zone) as aware UTC.

    Without a zone the value is read as UTC (hostbridge keeps no company timezone).
    """
    text = str(value or "").strip()
    if not text:
        return None
    for zone in _ZONES:
        if text.endswith(zone):
            text = text[: -len(zone)] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text.replace(" +", "+").replace(" -", "-"))
    except ValueError:
        raise invalid(field, "format", f"{field} must be a date like 2024-01-31 12:00:00"
                      ) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def day(value: Any, field: str) -> date | None:
    """The date part of a Blesta timestamp (see :func:`when`)."""
    moment = when(value, field)
    return moment.date() if moment is not None else None


def page_of(call: MethodCall) -> int:
    """The 1-based ``page`` argument."""
    return page(call)


def paged(query: Select[Any], page: int) -> Select[Any]:
    """``query`` limited to Blesta's page of 20."""
    return query.offset((page - 1) * PER_PAGE).limit(PER_PAGE)


def count_of(call: MethodCall, query: Select[Any]) -> int:
    """How many rows ``query`` yields."""
    return int(call.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def ordered(query: Select[Any], order_by: Any,
            columns: Mapping[str, InstrumentedAttribute[Any] | ColumnElement[Any]],
            tie: InstrumentedAttribute[Any]) -> Select[Any]:
    """Apply a Blesta ``order_by`` map ({column: ASC|DESC}); unknown columns are skipped."""
    clauses: list[Any] = []
    if isinstance(order_by, Mapping):
        for key, direction in order_by.items():
            column = columns.get(str(key).split(".")[-1])
            if column is None:
                continue
            desc = str(direction).strip().upper() == "DESC"
            clauses.append(column.desc() if desc else column.asc())
    return query.order_by(*clauses, tie)


def company_clients(call: MethodCall) -> ColumnElement[bool]:
    """Clients of the caller's company (clients without a company belong to every one)."""
    return in_company(Client.company_id, call.company_id)


# built once: every invoice and transaction write looks its client up (building the
# statement per call cost more than running it)
_CLIENT_IN_COMPANY = select(Client).where(
    Client.id == bindparam("client_id"), in_company(Client.company_id, bindparam("company_id")))


def client_in_company(call: MethodCall, client_id: int | None) -> Client | None:
    """Client ``client_id`` when it belongs to the caller's company, else None."""
    if client_id is None:
        return None
    return call.session.scalar(_CLIENT_IN_COMPANY, {"client_id": client_id,
                                                    "company_id": call.company_id})


def terms_in_company(call: MethodCall, client_id: int | None) -> ClientTerms | None:
    """The invoicing terms of client ``client_id`` (:func:`client_terms`) when it belongs to
    the caller's company, else None: for a write that needs nothing else of the client."""
    if client_id is None:
        return None
    try:
        terms = client_terms(call.session, client_id)
    except NotFound:
        return None
    # as in_company: a client without a company belongs to every one
    return terms if terms.company_id in (None, call.company_id) else None


@contextmanager
def renamed_errors(names: Mapping[str, str]) -> Iterator[None]:
    """Re-raise a core ValidationFailed with Blesta's field names (prefix match on ``.``)."""
    try:
        yield
    except ValidationFailed as exc:
        errors: dict[str, dict[str, str]] = {}
        for field, rules in exc.errors.items():
            parts = field.split(".")
            wire = [names.get(part, part) for part in parts]
            key = wire[0] + "".join(f"[{part}]" for part in wire[1:])
            errors[key] = rules
        raise ValidationFailed(errors, exc.message) from exc


__all__ = ["PER_PAGE", "amount", "as_int", "client_in_company", "company_clients", "count_of",
           "day", "flag", "items", "optional_int", "ordered", "page_of", "paged",
           "renamed_errors", "terms_in_company", "when"]
