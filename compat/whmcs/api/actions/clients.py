"""Client group: clients (AddClient, GetClients, UpdateClient, CloseClient, DeleteClient,
GetClientGroups, GetClientPassword, GetEmails from the outbox) and the helpers the other
client modules share.

Details, contacts and holdings live in ``clients_details``, ``clients_contacts``,
``clients_products`` and ``clients_holdings``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, bindparam, func, or_, select

from bridge.db import naive_utc
from bridge.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from bridge.models import Client, ClientGroup, Contact, Currency, ModuleSetting, User, UserClient
from bridge.models.mail import OutboxMessage
from bridge.services.clients import (
    add_client,
    close_client,
    delete_client,
    find_client_by_email,
    update_client,
)
from bridge.services.count_cache import cached_count
from bridge.services.customfields import set_custom_field_values
from bridge.services.login_users import delete_users_without_clients
from bridge.services.page_seek import seek_condition, seek_page

from ..format import CLIENT_STATUS, money, reverse, ymd, ymd_his
from ..params import as_bool, decode_serialized_b64
from ..registry import ApiError, ApiRequest, action, listing

STATUS_IN = reverse(CLIENT_STATUS)
EMAIL_TYPES = ("general", "invoice", "support", "product", "domain", "affiliate")
# AddClient's documented messages for missing profile fields (the address one has WHMCS's
# double space)
ADD_CLIENT_REQUIRED = (
    ("firstname", "You did not enter your first name"),
    ("lastname", "You did not enter your last name"),
    ("email", "You did not enter your email address"),
    ("address1", "You did not enter your  address line 1"),
    ("city", "You did not enter your city"),
    ("state", "You did not enter your state"),
    ("postcode", "You did not enter your postcode"),
    ("country", "Valid country required"),
    ("phonenumber", "You did not enter your phone number"),
)
# WHMCS profile parameter -> core client field (text values)
PROFILE_FIELDS = (
    ("firstname", "first_name"), ("lastname", "last_name"), ("companyname", "company_name"),
    ("email", "email"), ("address1", "address1"), ("address2", "address2"), ("city", "city"),
    ("state", "state"), ("postcode", "postcode"), ("country", "country"),
    ("phonenumber", "phone"), ("tax_id", "tax_id"), ("language", "language"),
    ("notes", "notes"),
)
# UpdateClient flags -> core booleans
CLIENT_FLAGS = (
    ("taxexempt", "tax_exempt"), ("latefeeoveride", "late_fee_exempt"),
    ("overideduenotices", "overdue_notices_exempt"), ("separateinvoices", "separate_invoices"),
    ("disableautocc", "disable_auto_charge"), ("marketingoptin", "marketing_opt_in"),
)
ICANN_MESSAGE = (
    "You must have at least one email address enabled to receive domain related notifications "
    "as required by ICANN. To disable domain notifications, please create an alternative "
    "contact that is set to receive them")


# -- helpers shared by the client modules ------------------------------------------------------


def currency_code(req: ApiRequest, currency_id: int | None) -> str | None:
    """WHMCS currency id -> ISO code (None when not given); ApiError when unknown."""
    if currency_id is None:
        return None
    currency = req.session.get(Currency, currency_id)
    if currency is None:
        raise ApiError("Invalid Currency ID")
    return currency.code


def currency_id(req: ApiRequest, code: str) -> int:
    """ISO code -> WHMCS currency id."""
    found = req.session.scalar(select(Currency.id).where(Currency.code == code))
    return int(found or 0)


def client_or_error(req: ApiRequest, client_id: int | None,
                    message: str = "Client ID Not Found") -> Client:
    """The client ``client_id`` or ApiError(``message``)."""
    client = req.session.get(Client, client_id) if client_id is not None else None
    if client is None:
        raise ApiError(message)
    return client


def gateway_names(req: ApiRequest, codes: Iterable[str]) -> dict[str, str]:
    """Gateway module name -> display name, for every code in one query (unknown: itself)."""
    wanted = {c for c in codes if c}
    names = {c: c for c in wanted}
    if wanted:
        rows = req.session.execute(select(ModuleSetting.module, ModuleSetting.display_name).where(
            ModuleSetting.kind == "gateway", ModuleSetting.module.in_(wanted)))
        names.update({module: label or module for module, label in rows})
    return names


def email_preferences_in(req: ApiRequest) -> dict[str, bool] | None:
    """``email_preferences[general]=1`` ... as {type: bool}; None when none were sent."""
    sent = req.params.get("email_preferences")
    if not isinstance(sent, dict):
        return None
    return {key: as_bool(value, False) for key, value in sent.items() if key in EMAIL_TYPES}


def custom_field_values(req: ApiRequest) -> dict[int | str, str]:
    """The ``customfields`` parameter (base64 serialized array or bracket array)."""
    try:
        raw = decode_serialized_b64(req.params.get("customfields"), "customfields")
    except ValueError as exc:
        raise ApiError(str(exc)) from exc
    return {(int(k) if str(k).isdigit() else str(k)): "" if v is None else str(v)
            for k, v in raw.items()}


def store_custom_fields(req: ApiRequest, owner_type: str, entity_id: int,
                        values: dict[int | str, str], *, owner_id: int | None = None,
                        require_all: bool = False) -> None:
    """Store custom field values with WHMCS's message for a missing required value."""
    try:
        set_custom_field_values(req.session, owner_type, entity_id, values, owner_id=owner_id,
                                admin=True, require_all=require_all)
    except ValidationFailed as exc:
        for rules in exc.errors.values():
            if "required" in rules:
                name = rules["required"].removesuffix(" is required")
                raise ApiError("You did not provide required custom field value for "
                               f"{name}") from exc
        raise ApiError(exc.message) from exc
    except PermissionDenied as exc:
        raise ApiError(exc.message) from exc


# -- actions ---------------------------------------------------------------------------------


@action("AddClient")
def add_client_action(req: ApiRequest) -> dict[str, Any]:
    """Create a client (and its owner user when ``password2`` is given)."""
    if not req.flag("skipvalidation"):
        for field, message in ADD_CLIENT_REQUIRED:
            if not req.text(field):
                raise ApiError(message)
    data: dict[str, Any] = {core: req.text(wire) for wire, core in PROFILE_FIELDS}
    data["marketing_opt_in"] = req.flag("marketingoptin")
    code = currency_code(req, req.integer("currency"))
    if code:
        data["currency"] = code
    if req.integer("groupid"):
        data["group_id"] = req.integer("groupid")
    owner = req.integer("owner_user_id")
    if owner is not None:
        if req.session.get(User, owner) is None:
            raise ApiError("Invalid Owner User ID")
        data["owner_user_id"] = owner
    elif req.text("password2"):
        data["password"] = req.text("password2")
    fields = custom_field_values(req)
    try:
        client = add_client(req.session, data)
    except Conflict as exc:
        raise ApiError("A user already exists with that email address"
                       if "user" in exc.message.lower()
                       else "The email address entered is not available for use.") from exc
    except ValidationFailed as exc:
        if "email" in exc.errors:
            raise ApiError("The email address you entered was not valid") from exc
        raise ApiError(exc.message) from exc
    if fields or not req.flag("skipvalidation"):
        store_custom_fields(req, "client", client.id, fields,
                            require_all=not req.flag("skipvalidation"))
    return {"clientid": str(client.id)}


# read as printed (naive UTC datetimes, bridge.db.naive_utc), unpacked in this order
LIST_COLUMNS = tuple(naive_utc((Client.id, Client.first_name, Client.last_name,
                                Client.company_name, Client.email, Client.created_at,
                                Client.group_id, Client.status)))
# LIKE wildcards and a space can reach past the first name into "first last"
_FULL_NAME_CHARS = frozenset(" _%")


_ORDER = {"firstname": Client.first_name, "lastname": Client.last_name,
          "companyname": Client.company_name, "email": Client.email,
          "groupid": Client.group_id, "datecreated": Client.created_at,
          "status": Client.status}


@lru_cache(maxsize=128)
def _list_statements(status: bool, search: bool, full_name: bool, order: str, desc: bool
                     ) -> tuple[Any, Any, Any]:
    """The count, page and (ordered by id only) seek statements of one GetClients shape,
    built once with bound parameters (building and cache-keying them per call cost more than
    running them); see :func:`bridge.services.page_seek.seek_page`."""
    conditions: list[Any] = []
    if status:
        conditions.append(Client.status == bindparam("status"))
    if search:
        like = bindparam("like")
        terms = [Client.email.like(like), Client.first_name.like(like),
                 Client.last_name.like(like), Client.company_name.like(like)]
        # "first last" LIKE 'x%' can only match beyond the first name when the search holds
        # a space or a wildcard; otherwise it equals first_name LIKE 'x%', and leaving it out
        # lets every term use its index
        if full_name:
            terms.append((Client.first_name + " " + Client.last_name).like(like))
        conditions.append(or_(*terms))
    # count(*) over the table (not a subquery of every column, which MariaDB materializes;
    # not count(id), which SQLite cannot answer from the index b-tree's count)
    count = select(func.count()).select_from(Client).where(*conditions)
    column = _ORDER.get(order, Client.id)

    def paged(*more: Any) -> Any:
        return (select(*LIST_COLUMNS).where(*conditions, *more)
                .order_by(column.desc() if desc else column.asc(), Client.id)
                .offset(bindparam("offset", type_=Integer))
                .limit(bindparam("limit", type_=Integer)))
    # only an id-ordered list can start at a remembered id (bridge.services.page_seek)
    seek = paged(seek_condition(Client.id, desc)) if column is Client.id else None
    return count, paged(), seek


@action("GetClients")
def get_clients(req: ApiRequest) -> dict[str, Any]:
    """Page through clients, optionally filtered by status and a prefix search."""
    start, num = req.page()
    filters: dict[str, Any] = {}  # the count's parameters; the page adds offset and limit
    status = req.text("status")
    if status:
        filters["status"] = STATUS_IN.get(status.lower(), status.lower())
    search = req.text("search")
    if search:
        filters["like"] = f"{search}%"
    full_name = bool(_FULL_NAME_CHARS.intersection(search))
    shape = (bool(status), bool(search), full_name, req.text("orderby").lower(),
             req.text("sorting").upper() == "DESC")
    count, page, seek = _list_statements(*shape)
    # plain rows on the session's connection: a read of rows that are only rendered needs
    # no ORM result processing (and nothing is pending to autoflush in a Get* call)
    conn = req.session.connection()
    total = cached_count(req.session, conn, "clients",
                         ("GetClients", bool(status), bool(search), full_name), count, filters)
    # a deep limitstart starts where an earlier page ended
    rows = seek_page(req.session, conn, "clients", ("GetClients", *shape), filters, start, num,
                     page=page, seek=seek)
    clients = [{"id": ident, "firstname": first, "lastname": last, "companyname": company,
                "email": email, "datecreated": ymd(created.date() if created else None),
                "groupid": group_id or 0, "status": CLIENT_STATUS.get(status, status)}
               for ident, first, last, company, email, created, group_id, status in rows]
    return listing(int(total), start, clients, "clients", "client")


def _client_for_update(req: ApiRequest) -> Client:
    client_id = req.integer("clientid")
    if client_id is not None:
        return client_or_error(req, client_id)
    email = req.text("clientemail")
    client = find_client_by_email(req.session, email) if email else None
    if client is None:
        raise ApiError("Client ID Not Found")
    return client


def _domain_mail_reachable(req: ApiRequest, client: Client) -> bool:
    contacts = req.session.scalars(select(Contact.email_preferences).where(
        Contact.client_id == client.id))
    return any("domain" in prefs for prefs in contacts)


@action("UpdateClient")
def update_client_action(req: ApiRequest) -> dict[str, Any]:
    """Change a client's profile, flags, status, default gateway and custom fields."""
    client = _client_for_update(req)
    data: dict[str, Any] = {core: req.text(wire) for wire, core in PROFILE_FIELDS
                            if req.has(wire)}
    data.update({core: req.flag(wire) for wire, core in CLIENT_FLAGS if req.has(wire)})
    if req.has("currency"):
        data["currency"] = currency_code(req, req.integer("currency"))
    if req.has("groupid"):
        data["group_id"] = req.integer("groupid") or None
    if req.text("status"):
        status = req.text("status").lower()
        data["status"] = STATUS_IN.get(status, status)
    if req.has("paymentmethod"):
        data["default_gateway"] = req.text("paymentmethod")
    prefs = email_preferences_in(req)
    if prefs is not None:
        data["email_preferences"] = prefs
        if prefs.get("domain") is False and not _domain_mail_reachable(req, client):
            raise ApiError(ICANN_MESSAGE)
    fields = custom_field_values(req)
    try:
        update_client(req.session, client.id, data)
    except Conflict as exc:
        if "email" in exc.message:
            raise ApiError("Duplicate Email Address") from exc
        raise ApiError(exc.message) from exc
    except ValidationFailed as exc:
        if "email" in exc.errors:
            raise ApiError("The email address entered is not valid") from exc
        raise ApiError(exc.message) from exc
    if fields:
        store_custom_fields(req, "client", client.id, fields)
    return {"clientid": str(client.id)}


@action("CloseClient")
def close_client_action(req: ApiRequest) -> dict[str, Any]:
    """Close a client: cancel its live services, pending domains and unpaid invoices."""
    client = client_or_error(req, req.integer("clientid"))
    try:
        close_client(req.session, client.id)
    except (Conflict, ValidationFailed) as exc:
        raise ApiError(f"An unexpected error occurred: {exc.message}") from exc
    return {"clientid": str(client.id)}


@action("DeleteClient", status="partial",
        notes="deletetransactions is refused: a client money moved for is closed, not deleted")
def delete_client_action(req: ApiRequest) -> dict[str, Any]:
    """Delete a client with everything it holds; ``deleteusers`` also removes its users that
    reach no other client."""
    client = client_or_error(req, req.integer("clientid"))
    user_ids = list(req.session.scalars(select(UserClient.user_id).where(
        UserClient.client_id == client.id)))
    try:
        delete_client(req.session, client.id, force=True)
    except (Conflict, NotFound) as exc:
        raise ApiError(f"Client Delete Failed: {exc.message}") from exc
    if req.flag("deleteusers"):
        delete_users_without_clients(req.session, user_ids)
    return {"clientid": str(client.id)}


@action("GetClientGroups")
def get_client_groups(req: ApiRequest) -> dict[str, Any]:
    """Every client group with its colour, discount and exemptions."""
    groups = [{"id": g.id, "groupname": g.name, "groupcolour": g.color,
               "discountpercent": money(g.discount_percent),
               "susptermexempt": "on" if g.exempt_suspend_terminate else "",
               "separateinvoices": "on" if g.separate_invoices else ""}
              for g in req.session.scalars(select(ClientGroup).order_by(ClientGroup.id))]
    return {"totalresults": len(groups), "groups": {"group": groups}}


@action("GetClientPassword")
def get_client_password(req: ApiRequest) -> dict[str, Any]:
    """The stored password hash of the client's owner login (by client id or email)."""
    client_id = req.integer("userid")
    email = req.text("email")
    client = req.session.get(Client, client_id) if client_id is not None else (
        find_client_by_email(req.session, email) if email else None)
    if client is None:
        raise ApiError("Client ID Not Found")
    stored = req.session.scalar(
        select(User.password_hash).join(UserClient, UserClient.user_id == User.id)
        .where(UserClient.client_id == client.id)
        .order_by(UserClient.is_owner.desc(), UserClient.id).limit(1))
    return {"password": stored or ""}


@action("GetEmails")
def get_emails(req: ApiRequest) -> dict[str, Any]:
    """Page through the mails queued or sent to a client (newest first), optionally of one
    day or with a subject containing the text given."""
    client = client_or_error(req, req.integer("clientid"))
    start, num = req.page()
    query = select(OutboxMessage).where(OutboxMessage.client_id == client.id)
    day = req.date_value("date")
    if day is not None:
        midnight = datetime.combine(day, time(), tzinfo=UTC)
        query = query.where(OutboxMessage.created_at >= midnight,
                            OutboxMessage.created_at < midnight + timedelta(days=1))
    if req.text("subject"):
        query = query.where(OutboxMessage.subject.like(f"%{req.text('subject')}%"))
    total = req.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = req.session.scalars(query.order_by(OutboxMessage.id.desc()).offset(start).limit(num))
    emails = [{
        "id": m.id, "userid": client.id, "subject": m.subject, "message": m.body,
        "date": ymd_his(m.sent_at or m.created_at), "to": ", ".join(m.recipients),
        "cc": ", ".join(m.cc), "bcc": ", ".join(m.bcc), "attachments": None,
        "pending": 1 if m.status == "queued" else 0, "message_data": None,
        "failed": 1 if m.status == "failed" else 0, "failure_reason": m.last_error,
        "retry_count": m.attempts, "created_at": ymd_his(m.created_at),
        "updated_at": ymd_his(m.sent_at or m.created_at), "campaign_id": 0,
    } for m in rows]
    return listing(int(total), start, emails, "emails", "email")
