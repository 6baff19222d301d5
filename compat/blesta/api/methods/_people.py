"""Argument readers and query helpers shared by the people and system method modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select

from bridge.models import Client, ClientGroup, Company
from compat.whmcs.api.params import as_bool, as_list

from ..args import integer, optional_integer, page
from ..registry import MethodCall, invalid

PER_PAGE = 20  # Blesta.results_per_page


def flag(value: Any, default: bool = False) -> bool:
    """A PHP-ish boolean argument ('true'/'false', 1/0, on/off)."""
    return as_bool(value, default)


def opt_int(value: Any, field: str) -> int | None:
    """An optional integer argument ('' and 'null' are None): the shared bounded reader."""
    return optional_integer(value, field)


def req_int(call: MethodCall, field: str) -> int:
    """A required integer argument (400 when missing, not a number or past 64 bits)."""
    return integer(call.arg(field), field)


def text(value: Any) -> str:
    """A scalar argument as a stripped string ('' for None)."""
    return "" if value is None else str(value).strip()


def listed(value: Any) -> list[Any]:
    """A bracket array, list or scalar as a list."""
    return as_list(value)


def page_of(call: MethodCall) -> int:
    """The 1-based ``page`` argument."""
    return page(call)


def page_rows(call: MethodCall, query: Select[Any], page: int) -> list[Any]:
    """One page (20 rows) of ``query``'s scalars."""
    return list(call.session.scalars(query.offset((page - 1) * PER_PAGE).limit(PER_PAGE)))


def count_rows(call: MethodCall, query: Select[Any]) -> int:
    """How many rows ``query`` selects."""
    return int(call.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def in_company(column: Any, company_id: int) -> ColumnElement[bool]:
    """Rows of ``company_id``; rows without a company belong to every company."""
    return or_(column == company_id, column.is_(None))


def scoped_client(call: MethodCall, client_id: int | None) -> Client | None:
    """The client ``client_id`` when it belongs to the caller's company."""
    if client_id is None:
        return None
    return call.session.scalar(select(Client).where(
        Client.id == client_id, in_company(Client.company_id, call.company_id)))


def require_client(call: MethodCall, field: str = "client_id") -> Client:
    """The client named by argument ``field``, or a 400 on that field."""
    client = scoped_client(call, req_int(call, field))
    if client is None:
        raise invalid(field, "exists", "Invalid client ID.")
    return client


def scoped_group(call: MethodCall, group_id: int | None, company_id: int) -> ClientGroup | None:
    """The client group ``group_id`` when it belongs to ``company_id``."""
    if group_id is None:
        return None
    return call.session.scalar(select(ClientGroup).where(
        ClientGroup.id == group_id, in_company(ClientGroup.company_id, company_id)))


def company_ref(call: MethodCall, value: Any, field: str = "company_id") -> int | None:
    """The core ``company_id`` for a Blesta company argument.

    An existing company row is used as is; the caller's own company without a row (a
    single-company install) means "no company"; any other id is a 400.
    """
    company_id = opt_int(value, field)
    if company_id is None:
        return None
    if call.session.get(Company, company_id) is not None:
        return company_id
    if company_id == call.company_id:
        return None
    raise invalid(field, "exists", f"Company {company_id} does not exist.")


def order_pairs(value: Any, allowed: dict[str, Any], default: Sequence[Any]) -> list[Any]:
    """SQL order clauses from a Blesta ``order_by`` array, keeping only known columns."""
    clauses: list[Any] = []
    if isinstance(value, dict):
        for key, direction in value.items():
            column = allowed.get(str(key))
            if column is None:
                continue
            desc = str(direction).strip().lower() == "desc"
            clauses.append(column.desc() if desc else column.asc())
    return clauses or list(default)


def tinyint(value: bool) -> int:
    """A tinyint(1) column as PHP 8.1 PDO returns it."""
    return 1 if value else 0


def or_none(value: str | None) -> str | None:
    """An empty string column printed as Blesta's NULL."""
    return value or None
