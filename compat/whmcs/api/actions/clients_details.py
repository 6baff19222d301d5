"""GetClientsDetails: one client as WHMCS 8 describes it, with the deprecated duplication of
the client keys at the top level, its users, custom fields and (``stats=true``) statistics."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select

from bridge.countries import calling_code, country_name, formatted_phone
from bridge.db import model_columns, plain_rows
from bridge.models import Client, Currency, CustomField, User, UserClient
from bridge.services.clients import find_client_by_email
from bridge.services.customfields import get_custom_field_values

from ..format import CLIENT_STATUS, money
from ..registry import ApiError, ApiRequest, action
from .clients import EMAIL_TYPES
from .clients_stats import client_stats

Login = tuple[datetime, str]


def _last_login(moment: datetime | None, ip: str) -> str:
    if moment is None:
        return "No Login Logged"
    return f"Date: {moment.strftime('%d/%m/%Y %H:%M')}<br>IP Address: {ip}<br>Host: "


@cache
def _client_statements() -> tuple[Any, Any]:
    """The client row by id (every mapped column, labelled with its attribute name, so the
    row reads like the model, then its currency's id as ``currency_row_id``) and the currency
    id by code, built once."""
    client = (select(*model_columns(Client), Currency.id.label("currency_row_id"))
              .outerjoin(Currency, Currency.code == Client.currency)
              .where(Client.id == bindparam("client_id")))
    currency = select(Currency.id).where(Currency.code == bindparam("code"))
    return client, currency


@cache
def _statements() -> tuple[Any, Any]:
    """The users and client custom-field statements, built once (building and cache-keying
    them per call cost more than running them)."""
    # the printed columns only: no User objects (password hashes and all) for a rendering
    users = (select(User.id, User.first_name, User.last_name, User.email, User.last_login_at,
                    User.last_ip, UserClient.is_owner)
             .join(UserClient, UserClient.user_id == User.id)
             .where(UserClient.client_id == bindparam("client_id"))
             .order_by(UserClient.is_owner.desc(), User.id))
    fields = select(CustomField.id).where(CustomField.owner_type == "client").order_by(
        CustomField.sort_order, CustomField.id)
    return users, fields


def _users(req: ApiRequest, client_id: int) -> tuple[list[dict[str, Any]], int, list[Login]]:
    # plain rows on the session's connection (a Get* call has nothing to autoflush)
    rows = req.session.connection().execute(_statements()[0], {"client_id": client_id})
    users: list[dict[str, Any]] = []
    owner_id = 0
    logins: list[Login] = []
    for user in rows:
        users.append({"id": user.id, "name": f"{user.first_name} {user.last_name}".strip(),
                      "email": user.email, "is_owner": bool(user.is_owner)})
        owner_id = user.id if user.is_owner else owner_id
        if user.last_login_at is not None:
            logins.append((user.last_login_at, user.last_ip))
    return users, owner_id, logins


def _custom_fields(req: ApiRequest, client_id: int) -> dict[str, Any]:
    fields = list(req.session.connection().execute(_statements()[1]).scalars())
    values = get_custom_field_values(req.session, "client", client_id) if fields else {}
    out: dict[str, Any] = {"customfields": [{"id": fid, "value": values.get(fid, "")}
                                            for fid in fields]}
    for position, fid in enumerate(fields, start=1):
        out[f"customfields{position}"] = values.get(fid, "")
    return out


def client_details(req: ApiRequest, client: Any) -> dict[str, Any]:
    """The ``client`` object of GetClientsDetails (``client``: a Client, or a plain row of
    its columns that carries its currency's id, see :func:`_client_statements`)."""
    users, owner_id, logins = _users(req, client.id)
    if isinstance(client, Client):
        currency = req.session.connection().execute(
            _client_statements()[1], {"code": client.currency}).scalar()
    else:
        currency = client.currency_row_id
    prefs = client.email_preferences or {}
    phone = formatted_phone(client.phone, client.country)
    if client.last_login_at is not None:
        logins.append((client.last_login_at, client.last_login_ip))
    login_at, login_ip = max(logins, key=lambda login: login[0], default=(None, ""))
    details: dict[str, Any] = {
        "client_id": client.id, "owner_user_id": owner_id, "userid": client.id,
        "id": client.id, "uuid": "", "firstname": client.first_name,
        "lastname": client.last_name,
        "fullname": f"{client.first_name} {client.last_name}".strip(),  # Client.full_name
        "companyname": client.company_name, "email": client.email,
        "address1": client.address1, "address2": client.address2, "city": client.city,
        "fullstate": client.state, "state": client.state, "postcode": client.postcode,
        "countrycode": client.country, "country": client.country, "phonenumber": client.phone,
        "tax_id": client.tax_id,
        "email_preferences": {k: "1" if prefs.get(k, True) else "0" for k in EMAIL_TYPES},
        "statecode": client.state, "countryname": country_name(client.country),
        "phonecc": calling_code(client.country), "phonenumberformatted": phone,
        "telephoneNumber": phone, "billingcid": client.billing_contact_id or 0,
        "notes": client.notes, "currency": currency or 0,
        "defaultgateway": client.default_gateway, "groupid": client.group_id or 0,
        "status": CLIENT_STATUS.get(client.status, client.status),
        "credit": money(client.credit_balance), "taxexempt": client.tax_exempt,
        "latefeeoveride": client.late_fee_exempt,
        "overideduenotices": client.overdue_notices_exempt,
        "separateinvoices": client.separate_invoices,
        "disableautocc": client.disable_auto_charge, "emailoptout": client.email_opt_out,
        "marketing_emails_opt_in": client.marketing_opt_in, "overrideautoclose": False,
        "allowSingleSignOn": 1, "email_verified": client.email_verified,
        "language": client.language,
        "isOptedInToMarketingEmails": client.marketing_opt_in,
        "lastlogin": _last_login(login_at, login_ip),
        "currency_code": client.currency,
    }
    details.update(_custom_fields(req, client.id))
    details["users"] = {"user": users}
    return details


@action("GetClientsDetails")
def get_clients_details(req: ApiRequest) -> dict[str, Any]:
    """One client by id or email; ``stats=true`` adds the account statistics."""
    client_id = req.integer("clientid")
    email = req.text("email")
    if client_id is None and not email:
        raise ApiError("Either clientid Or email Is Required")
    client: Any
    if client_id is not None:
        # a plain row on the session's connection: a Get* call has nothing to autoflush, and
        # loading the ORM object cost more than the rest of the call
        found = plain_rows(req.session.connection().execute(
            _client_statements()[0], {"client_id": client_id}))
        client = found[0] if found else None
    else:
        client = find_client_by_email(req.session, email)
    if client is None:
        raise ApiError("Client Not Found")
    details = client_details(req, client)
    # WHMCS still repeats the client keys at the top level (deprecated, kept for old callers)
    body: dict[str, Any] = {**details, "client": details}
    if req.flag("stats"):
        model = client if isinstance(client, Client) else req.session.get(Client, client.id)
        body["stats"] = client_stats(req, model)
    return body
