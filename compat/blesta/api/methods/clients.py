"""Clients (``clients``): create, get, getList, getListCount (the pattern for other models)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Integer, bindparam, func, or_, select

from bridge.db import fixed_in, model_columns, plain_rows
from bridge.driver_values import driver_columns
from bridge.errors import ValidationFailed
from bridge.models import Client, ClientGroup, Company, User, UserClient
from bridge.schemas.clients import ClientSchema
from bridge.services.clients import add_client
from bridge.services.common import validate
from compat.whmcs.api.params import as_bool

from ..args import integer, optional_integer
from ..args import page as page_of
from ..format import CLIENT_STATUS, stamp
from ..registry import BlestaError, MethodCall, method
from ._people import in_company
from .clients_settings import settings_map

PER_PAGE = 20  # Blesta.results_per_page
STATUS_IN = {"active": ["active"], "inactive": ["inactive", "closed"], "fraud": ["fraud"]}


@cache
def _statements() -> dict[str, Any]:
    """The statements of ``clients/get`` and :func:`client_rows`, built once with bound
    parameters (``IN`` lists expand at execution): building and cache-keying them on every
    call cost more than running them."""
    columns = model_columns(Client)  # the row reads like a Client
    return {
        "get": select(*columns).where(
            in_company(Client.company_id, bindparam("company_id")),
            Client.id == bindparam("client_id")),
        "groups": select(ClientGroup.id, ClientGroup.name).where(
            ClientGroup.id.in_(bindparam("ids", expanding=True))),
        "owners": select(UserClient.client_id, UserClient.user_id).where(
            UserClient.client_id.in_(bindparam("ids", expanding=True)),
            UserClient.is_owner.is_(True)),
        "modes": select(User.id, User.two_factor).where(
            User.id.in_(bindparam("ids", expanding=True))),
        # getList without filters (the common page), without and with a status; the same
        # statement object on every call also spares SQLAlchemy matching a new statement's
        # columns to its cached compilation's
        "page": _page(select(*LIST_COLUMNS, *_list_extras())),
    }


@lru_cache(maxsize=32)
def _status_page(statuses: tuple[str, ...]) -> Any:
    """The list page of one status filter, built once per filter (its values bound one by
    one: an expanding IN list is rendered into the SQL again on every call)."""
    return _page(select(*LIST_COLUMNS, *_list_extras()).where(fixed_in(Client.status, statuses)))


def _list_extras() -> tuple[Any, ...]:
    """What :func:`client_rows` loads in three more queries, as columns of a list page: the
    group's name, the first owner user and that user's 2FA mode."""
    owner = (select(UserClient.user_id)
             .where(UserClient.client_id == Client.id, UserClient.is_owner.is_(True))
             .order_by(UserClient.user_id).limit(1)
             .correlate(Client).scalar_subquery())  # the page's client, even when nested
    return (select(ClientGroup.name).where(ClientGroup.id == Client.group_id)
            .scalar_subquery().label("list_group_name"),
            owner.label("list_owner_id"),
            select(User.two_factor).where(User.id == owner).scalar_subquery()
            .label("list_two_factor"))


def _page(query: Any) -> Any:
    return (query.where(in_company(Client.company_id, bindparam("company_id")))
            .order_by(Client.id).offset(bindparam("offset", type_=Integer))
            .limit(bindparam("limit", type_=Integer)))


def client_rows(call: MethodCall, clients: Sequence[Any], *,
                settings: bool = False) -> list[dict[str, Any]]:
    """Clients (Client objects, or rows of :data:`ROW_COLUMNS` without ``settings``) as
    ``clients/get`` prints them, with groups, owners and their users loaded in three
    queries."""
    statements = _statements()
    ids = [c.id for c in clients]
    group_ids = {c.group_id for c in clients if c.group_id is not None}
    # plain rows on the connection (no ORM execution per statement); a write call that got
    # here has its changes flushed first, as the session's autoflush would have
    call.session.flush()
    conn = call.session.connection()
    groups = {g.id: g for g in conn.execute(
        statements["groups"], {"ids": list(group_ids)})} if group_ids else {}
    owners: dict[int, int] = {}
    if ids:  # a client with two owner users shows the first, as the list pages do
        for cid, uid in conn.execute(statements["owners"], {"ids": ids}):
            owners[cid] = min(uid, owners.get(cid, uid))
    modes: dict[int, str] = {}
    if owners:
        modes = {uid: mode for uid, mode in conn.execute(
            statements["modes"], {"ids": list(set(owners.values()))})}
    out = []
    for client in clients:
        group = groups.get(client.group_id) if client.group_id is not None else None
        owner = owners.get(client.id)
        body = _client_body(client, group.name if group else None, owner,
                            modes.get(owner) if owner is not None else None)
        if settings:
            body["settings"] = settings_map(client)
        out.append(body)
    return out


def _client_body(client: Any, group_name: str | None, owner_id: int | None,
                 two_factor: str | None) -> dict[str, Any]:
    """What ``clients/get`` prints of a client (without settings), its group's name, its
    owner user's id and that user's 2FA mode given."""
    return {
        "id": client.id, "id_format": "{num}", "id_value": client.id,
        "user_id": owner_id, "client_group_id": client.group_id,
        "primary_account_id": None, "primary_account_type": None,
        "status": CLIENT_STATUS.get(client.status, client.status),
        "id_code": client.id_code or str(client.id), "contact_id": None,
        "first_name": client.first_name, "last_name": client.last_name,
        "company": client.company_name or None, "title": None, "email": client.email,
        "address1": client.address1 or None, "address2": client.address2 or None,
        "city": client.city or None, "state": client.state or None,
        "zip": client.postcode or None, "country": client.country or None,
        "group_name": group_name, "company_id": client.company_id or 1,
        # users columns; the 2FA key and pin are secrets: null, as users/get prints them
        "username": client.email, "two_factor_mode": two_factor or "none",
        "two_factor_key": None, "two_factor_pin": None,
        "date_added": stamp(client.created_at),
    }


def client_object(call: MethodCall, client: Any, *, settings: bool = True) -> dict[str, Any]:
    """A client (a Client, or a row of all its columns) as ``clients/get`` returns it: client
    columns, primary contact, group, user (``username``, ``two_factor_*``, ``date_added``) and
    settings."""
    return client_rows(call, [client], settings=settings)[0]


@method("clients", "get")
def get(call: MethodCall) -> Any:
    """One client, or false when it does not exist (in this company)."""
    client_id = integer(call.arg("client_id"), "client_id")
    # a plain row on the connection: loading the ORM object cost more than the rest of the
    # call, and a GET has nothing to autoflush
    found = plain_rows(call.session.connection().execute(_statements()["get"], {
        "company_id": call.company_id, "client_id": client_id}))
    client = found[0] if found else None
    if client is None:
        return False
    return client_object(call, client, settings=as_bool(call.arg("get_settings", True), True))


# what client_rows prints of a client (without settings): a list page reads these as plain
# rows (attribute names match Client's) instead of building a Client object per row
ROW_COLUMNS = (Client.id, Client.group_id, Client.status, Client.id_code, Client.first_name,
               Client.last_name, Client.company_name, Client.email, Client.address1,
               Client.address2, Client.city, Client.state, Client.postcode, Client.country,
               Client.company_id, Client.created_at)
# the same columns for the list page, as the driver gives them: only printed (created_at's
# text is printed as it is stored, without the typed round trip; bridge.driver_values)
LIST_COLUMNS = tuple(driver_columns(ROW_COLUMNS))


def _filtered(call: MethodCall, columns: tuple[Any, ...] = (Client,)) -> Any:
    query = select(*columns).where(in_company(Client.company_id, call.company_id))
    status = call.arg("status")
    if status:
        query = query.where(Client.status.in_(STATUS_IN.get(str(status), [str(status)])))
    filters = call.vars("filters")
    if filters.get("client_group_id"):
        group_id = integer(filters["client_group_id"], "filters[client_group_id]")
        query = query.where(Client.group_id == group_id)
    if filters.get("contact_email"):
        query = query.where(Client.email.like(f"%{filters['contact_email']}%"))
    if filters.get("contact_name"):
        name = f"%{filters['contact_name']}%"
        query = query.where(or_(Client.first_name.like(name), Client.last_name.like(name)))
    return query


@method("clients", "getList")
def get_list(call: MethodCall) -> Any:
    """One page (20 rows) of clients in the caller's company."""
    page = page_of(call)
    conn = call.session.connection()
    status = call.arg("status")
    if not call.vars("filters"):
        params = {"company_id": call.company_id, "offset": (page - 1) * PER_PAGE,
                  "limit": PER_PAGE}
        statement = _status_page(tuple(STATUS_IN.get(str(status), [str(status)]))) \
            if status else _statements()["page"]
        # one statement: the page with its groups, owners and 2FA modes
        return [_client_body(row, row.list_group_name, row.list_owner_id,
                             row.list_two_factor)
                for row in plain_rows(conn.execute(statement, params))]
    rows = conn.execute(_filtered(call, ROW_COLUMNS).order_by(Client.id)
                        .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return client_rows(call, rows)


@method("clients", "getListCount")
def get_list_count(call: MethodCall) -> Any:
    """How many clients ``getList`` pages through."""
    query = _filtered(call)
    return int(call.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


# core field -> Blesta ``vars`` field, for the core's validation errors
CREATE_FIELDS = {"company_name": "company", "postcode": "zip", "group_id": "client_group_id",
                 "currency": "settings[default_currency]", "password": "new_password"}
REQUIRED = (("first_name", "empty", "Please enter a first name."),
            ("last_name", "empty", "Please enter a last name."),
            ("email", "format", "Please enter a valid email address."))


def _create_data(call: MethodCall, vars_: dict[str, Any],
                 errors: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Blesta ``vars`` -> ``add_client`` input; wire-level errors are added to ``errors``
    (every one, as Blesta's rule set reports every failing field at once)."""
    for field, rule, message in REQUIRED:
        if not str(vars_.get(field) or "").strip():
            errors[field] = {rule: message}
    raw_settings = vars_.get("settings")
    settings: dict[str, Any] = raw_settings if isinstance(raw_settings, dict) else {}
    data: dict[str, Any] = {
        "first_name": vars_.get("first_name") or "", "last_name": vars_.get("last_name") or "",
        "email": vars_.get("email") or "", "company_name": vars_.get("company") or "",
        "address1": vars_.get("address1") or "", "address2": vars_.get("address2") or "",
        "city": vars_.get("city") or "", "state": vars_.get("state") or "",
        "postcode": vars_.get("zip") or "", "country": vars_.get("country") or "",
    }
    if call.session.get(Company, call.company_id) is not None:
        data["company_id"] = call.company_id
    try:
        group_id = optional_integer(vars_.get("client_group_id"), "client_group_id")
    except BlestaError as exc:
        errors.update(exc.errors or {})
        group_id = None
    if group_id:
        data["group_id"] = group_id
    if settings.get("default_currency"):
        data["currency"] = settings["default_currency"]
    if vars_.get("new_password"):
        if vars_.get("confirm_password") not in (None, vars_["new_password"]):
            errors["confirm_password"] = {"matches": "The passwords do not match."}
        data["password"] = vars_["new_password"]
    return data


def _wire_errors(exc: ValidationFailed) -> dict[str, dict[str, str]]:
    return {CREATE_FIELDS.get(field, field): rules for field, rules in exc.errors.items()}


@method("clients", "create", status="partial",
        notes="numbers[] and custom[] are not stored; username is the email")
def create(call: MethodCall) -> Any:
    """Create the user, client and primary contact in one call; returns the client object.

    Every failing field is reported at once: the wire checks, then (when any failed) the core
    schema's checks of the same input, without writing anything."""
    errors: dict[str, dict[str, str]] = {}
    data = _create_data(call, call.vars(), errors)
    if errors:
        try:
            validate(ClientSchema, data)
        except ValidationFailed as exc:
            errors = {**_wire_errors(exc), **errors}  # the wire's own texts win
        raise BlestaError(400, errors)
    try:
        client = add_client(call.session, data)
    except ValidationFailed as exc:
        raise BlestaError(400, _wire_errors(exc)) from exc
    call.session.flush()
    return client_object(call, client)


__all__ = ["client_object", "client_rows"]
