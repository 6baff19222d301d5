"""Clients (``clients``) beyond the basics: edit, delete, getAll, getByUserId, search,
getSearchCount, getStatusCount, getStatusTypes, usedCurrencies."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, String, cast, func, or_, select

from bridge.models import Client, Invoice, Transaction, UserClient
from bridge.services.clients import delete_client, update_client

from ..format import CLIENT_STATUS
from ..registry import MethodCall, invalid, method
from ..render import PhpArray
from ._people import (
    count_rows,
    flag,
    in_company,
    opt_int,
    page_of,
    page_rows,
    req_int,
    require_client,
    scoped_client,
    scoped_group,
    text,
)
from .clients import STATUS_IN, client_object, client_rows

STATUS_TYPES = {"active": "Active", "inactive": "Inactive", "fraud": "Fraud"}
# primary-contact fields clients/edit also takes (the core keeps them on the client)
CONTACT_FIELDS = {"first_name": "first_name", "last_name": "last_name", "company": "company_name",
                  "email": "email", "address1": "address1", "address2": "address2",
                  "city": "city", "state": "state", "zip": "postcode", "country": "country"}


def _scoped(call: MethodCall) -> Select[Any]:
    return select(Client).where(in_company(Client.company_id, call.company_id))


def _with_status(query: Select[Any], status: Any) -> Select[Any]:
    if status:
        wanted = str(status).strip().lower()
        query = query.where(Client.status.in_(STATUS_IN.get(wanted, [wanted])))
    return query


def _with_filters(query: Select[Any], filters: dict[str, Any]) -> Select[Any]:
    group_id = opt_int(filters.get("client_group_id"), "client_group_id")
    if group_id is not None:
        query = query.where(Client.group_id == group_id)
    for key, column in (("contact_email", Client.email),
                        ("contact_company", Client.company_name)):
        if text(filters.get(key)):
            query = query.where(column.like(f"%{text(filters[key])}%"))
    if text(filters.get("contact_name")):
        name = f"%{text(filters['contact_name'])}%"
        full = Client.first_name + " " + Client.last_name
        query = query.where(or_(Client.first_name.like(name), Client.last_name.like(name),
                                full.like(name)))
    if text(filters.get("contact_country")):
        query = query.where(Client.country == text(filters["contact_country"]).upper())
    return query


@method("clients", "edit", status="partial",
        notes="user_id and id_code cannot change; also takes the primary contact fields "
              "(first_name, email, zip, ...) since the core keeps them on the client")
def edit(call: MethodCall) -> Any:
    """Change a client's group, status (and contact fields); returns nothing like Blesta."""
    client = require_client(call)
    vars_ = call.vars()
    data: dict[str, Any] = {}
    if "client_group_id" in vars_:
        group_id = opt_int(vars_["client_group_id"], "client_group_id")
        if group_id is not None and scoped_group(call, group_id, call.company_id) is None:
            raise invalid("client_group_id", "exists", "Invalid client group ID.")
        data["group_id"] = group_id
    if text(vars_.get("status")):
        status = text(vars_["status"]).lower()
        if status not in STATUS_TYPES:
            raise invalid("status", "format", "Invalid status.")
        if CLIENT_STATUS.get(client.status) != status:
            data["status"] = status
    _same_or_refuse(call, client, vars_)
    for wire, core in CONTACT_FIELDS.items():
        if wire in vars_ and vars_[wire] is not None:
            data[core] = text(vars_[wire])
    if data:
        update_client(call.session, client.id, data)
    return None


def _same_or_refuse(call: MethodCall, client: Client, vars_: dict[str, Any]) -> None:
    """Blesta callers often send a fetched client back whole: unchanged values pass."""
    if text(vars_.get("id_code")) and text(vars_["id_code"]) != (client.id_code or str(client.id)):
        raise invalid("id_code", "supported", "hostbridge does not change a client's id_code.")
    user_id = opt_int(vars_.get("user_id"), "user_id")
    if user_id is not None:
        owner = call.session.scalar(select(UserClient.user_id).where(
            UserClient.client_id == client.id, UserClient.is_owner.is_(True)))
        if owner != user_id:
            raise invalid("user_id", "supported",
                          "hostbridge does not move a client to another user through "
                          "clients/edit; link users with the core tools.")


@method("clients", "delete", notes="refused while the client has invoices, services, domains, "
        "orders, tickets or transactions (close it instead)")
def delete(call: MethodCall) -> Any:
    """Delete a client that holds nothing."""
    client = require_client(call)
    delete_client(call.session, client.id)
    return None


@method("clients", "getAll")
def get_all(call: MethodCall) -> Any:
    """Every client of the company, optionally of one status and group."""
    query = _with_status(_scoped(call), call.arg("status"))
    group_id = opt_int(call.arg("client_group_id"), "client_group_id")
    if group_id is not None:
        query = query.where(Client.group_id == group_id)
    clients = list(call.session.scalars(query.order_by(Client.id)))
    return client_rows(call, clients, settings=flag(call.arg("get_settings"), False))


@method("clients", "getByUserId")
def get_by_user_id(call: MethodCall) -> Any:
    """The client the user owns, or false."""
    user_id = req_int(call, "user_id")
    client_id = call.session.scalar(select(UserClient.client_id).where(
        UserClient.user_id == user_id, UserClient.is_owner.is_(True)).order_by(
        UserClient.client_id).limit(1))
    client = scoped_client(call, client_id)
    if client is None:
        return False
    return client_object(call, client, settings=flag(call.arg("get_settings"), False))


def _search(call: MethodCall) -> Select[Any]:
    query = text(call.arg("query"))
    like = f"%{query}%"
    full = Client.first_name + " " + Client.last_name
    conds = [Client.id_code.like(like), cast(Client.id, String).like(like),
             Client.first_name.like(like), Client.last_name.like(like), full.like(like),
             Client.company_name.like(like), Client.email.like(like),
             Client.address1.like(like), Client.city.like(like), Client.state.like(like),
             Client.postcode.like(like), Client.phone.like(like)]
    return _scoped(call).where(or_(*conds))


@method("clients", "search")
def search(call: MethodCall) -> Any:
    """One page of clients whose code, name, company, email or address matches ``query``."""
    rows = page_rows(call, _search(call).order_by(Client.id), page_of(call))
    return client_rows(call, rows)


@method("clients", "getSearchCount")
def get_search_count(call: MethodCall) -> Any:
    """How many clients ``search`` pages through."""
    return count_rows(call, _search(call))


@method("clients", "getStatusCount", status="partial",
        notes="filters invoice_method and last_seen_* are ignored")
def get_status_count(call: MethodCall) -> Any:
    """How many clients have ``status`` (default active), after the contact filters."""
    query = _with_status(_scoped(call), call.arg("status", "active"))
    return count_rows(call, _with_filters(query, call.vars("filters")))


@method("clients", "getStatusTypes")
def get_status_types(call: MethodCall) -> Any:
    """Client status -> label."""
    return PhpArray(STATUS_TYPES)


@method("clients", "usedCurrencies")
def used_currencies(call: MethodCall) -> Any:
    """ISO codes of the currencies the client's invoices and transactions are in."""
    client = scoped_client(call, req_int(call, "client_id"))
    if client is None:
        return []
    codes = set(call.session.scalars(select(func.distinct(Invoice.currency)).where(
        Invoice.client_id == client.id)))
    codes |= set(call.session.scalars(select(func.distinct(Transaction.currency)).where(
        Transaction.client_id == client.id)))
    return sorted(codes)


__all__ = ["client_rows"]
