"""Billing group, stored pay methods (WHMCS 7.8+): AddPayMethod, GetPayMethods,
UpdatePayMethod, DeletePayMethod.

WHMCS type <-> core kind: ``CreditCard`` = ``card`` and ``BankAccount`` = ``bank`` (details
kept by hostbridge, encrypted), ``RemoteCreditCard`` = ``remote_card`` and
``RemoteBankAccount`` = ``remote_bank`` (a gateway token). Card dates travel as ``MMYY``
and are kept as ``MM/YYYY``; GetPayMethods prints ``MM/YY``.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from bridge.errors import Conflict, ModuleError, ValidationFailed
from bridge.models import Client, PayMethod
from bridge.services.common import secret_box
from bridge.services.gateway_ops import store_pay_method
from bridge.services.module_context import plugin_host
from bridge.services.modules import enabled_gateways
from bridge.services.pay_method_store import (
    REMOTE_KINDS,
    add_bank_account,
    add_card,
    delete_pay_method,
    local_details,
    update_pay_method,
)

from ..registry import ApiError, ApiRequest, action
from .billing import fail_on

TYPES_IN = {"creditcard": "card", "remotecreditcard": "remote_card", "bankaccount": "bank"}
TYPES_OUT = {"card": "CreditCard", "remote_card": "RemoteCreditCard", "bank": "BankAccount",
             "remote_bank": "RemoteBankAccount"}
FILTERS = {"creditcard": ("card", "remote_card"), "bankaccount": ("bank", "remote_bank")}
_MMYY = re.compile(r"^(0[1-9]|1[0-2])/?(\d{2}|\d{4})$")
MESSAGES = {"number": "Invalid Card Number", "expiry": "Expiry Date is invalid",
            "start": "Start Date is invalid", "issue": "Issue Number is invalid",
            "routing": "Routing number is required", "account": "Account number is required"}
CARD_PARAMS = (("card_number", "number"), ("card_expiry", "expiry"), ("card_start", "start"),
               ("card_issue_number", "issue"))
BANK_PARAMS = (("bank_name", "bank_name"), ("bank_account_type", "account_type"),
               ("bank_code", "routing"), ("bank_account", "account"))


def _month_year(req: ApiRequest, name: str, message: str) -> str:
    """``MMYY`` (or ``MM/YY``, ``MMYYYY``) -> ``MM/YYYY``; "" when not sent."""
    text = req.text(name)
    if not text:
        return ""
    match = _MMYY.match(text)
    if not match:
        raise ApiError(message)
    year = match.group(2)
    return f"{match.group(1)}/{'20' + year if len(year) == 2 else year}"


def _issue(req: ApiRequest) -> str:
    text = req.text("card_issue_number")
    if text and not text.isdigit():
        raise ApiError("Issue Number is invalid")
    return text


def _client(req: ApiRequest, required: str, missing: str) -> Client:
    if not req.text("clientid"):
        raise ApiError(required)
    client_id = req.integer("clientid", message=missing)
    client = req.session.get(Client, client_id) if client_id else None
    if client is None:
        raise ApiError(missing)
    return client


def _remote_card(req: ApiRequest, client: Client) -> PayMethod:
    gateway = req.text("gateway_module_name")
    if not gateway:
        raise ApiError("Gateway is Required for RemoteCreditCard type")
    names = [row.module for row in enabled_gateways(req.session)]
    if gateway not in names:
        raise ApiError("Invalid Gateway Module Name. Must be one of: " + ", ".join(names))
    cls = plugin_host(req.session).modules.get("gateway", {}).get(gateway)
    if cls is None or getattr(cls, "kind", "") not in ("merchant", "hybrid"):
        raise ApiError("Unsupported Gateway Type for Storage")
    details = {param: req.text(param) for param, _ in CARD_PARAMS}
    details["description"] = req.text("description")
    try:
        method = store_pay_method(req.session, client.id, gateway, details)
    except (Conflict, ModuleError) as exc:
        raise ApiError(f"Error Creating Remote Token: {exc.message}") from exc
    if req.text("description") or req.flag("set_as_default"):
        changes = {"description": req.text("description")} if req.text("description") else {}
        update_pay_method(req.session, method.id, changes,
                          set_default=req.flag("set_as_default"))
    return method


@action("AddPayMethod")
def add_pay_method(req: ApiRequest) -> dict[str, Any]:
    """Store a card or bank account here, or a card at a tokenising gateway."""
    client = _client(req, "Client ID Is Required", "Invalid Client ID")
    kind = TYPES_IN.get(req.text("type", "CreditCard").lower())
    if kind is None:
        raise ApiError("Invalid Pay Method Type. Type should be one of 'BankAccount', "
                       "'CreditCard', or 'RemoteCreditCard'")
    expiry = start = issue = ""
    if kind in ("card", "remote_card"):
        if not req.text("card_number"):
            raise ApiError("Card Number is required for 'CreditCard' or 'RemoteCreditCard' type")
        if not req.text("card_expiry"):
            raise ApiError("Expiry Date is required for 'CreditCard' or 'RemoteCreditCard' type")
        expiry = _month_year(req, "card_expiry", "Expiry Date is invalid")
        start = _month_year(req, "card_start", "Start Date is invalid")
        issue = _issue(req)
    try:
        if kind == "remote_card":
            method = _remote_card(req, client)
        elif kind == "card":
            method = add_card(req.session, client.id, number=req.text("card_number"),
                              expiry=expiry, start=start, issue=issue,
                              description=req.text("description"),
                              set_default=req.flag("set_as_default"))
        else:
            if not req.text("bank_code"):
                raise ApiError("Routing number is required")
            if not req.text("bank_account"):
                raise ApiError("Account number is required")
            method = add_bank_account(
                req.session, client.id, routing=req.text("bank_code"),
                account=req.text("bank_account"), bank_name=req.text("bank_name"),
                account_type=req.text("bank_account_type"),
                description=req.text("description"), set_default=req.flag("set_as_default"))
    except ValidationFailed as exc:
        fail_on(exc, MESSAGES)
    return {"clientid": str(client.id), "paymethodid": str(method.id)}


def _row(req: ApiRequest, method: PayMethod, client: Client) -> dict[str, Any]:
    remote = method.kind in REMOTE_KINDS
    row: dict[str, Any] = {
        "id": method.id, "type": TYPES_OUT.get(method.kind, method.kind),
        "description": method.description, "gateway_name": method.gateway if remote else "",
        "contact_type": "Contact" if method.contact_id else "Client",
        "contact_id": method.contact_id or client.id,
    }
    if method.kind in ("card", "remote_card"):
        details = local_details(req.session, method)
        expiry = method.expiry
        start = details.get("start", "")
        row.update(card_last_four=method.last_four,
                   expiry_date=f"{expiry[:2]}/{expiry[-2:]}" if expiry else "",
                   start_date=f"{start[:2]}/{start[-2:]}" if start else "",
                   issue_number=details.get("issue", ""), card_type=method.card_type)
    else:
        row["bank_name"] = method.bank_name
    row["remote_token"] = secret_box(req.session).decrypt(method.token_enc) if remote else ""
    row["last_updated"] = method.created_at.strftime("%d/%m/%Y %H:%M")
    return row


@action("GetPayMethods")
def get_pay_methods(req: ApiRequest) -> dict[str, Any]:
    """The client's stored pay methods, default first (flat ``paymethods`` list)."""
    client = _client(req, "Client ID Is Required", "Client Not Found")
    query = select(PayMethod).where(PayMethod.client_id == client.id,
                                    PayMethod.deleted_at.is_(None))
    kind = req.text("type")
    if kind:
        kinds = FILTERS.get(kind.lower())
        if kinds is None:
            raise ApiError("Invalid Pay Method Type. Should be 'BankAccount' or 'CreditCard'")
        query = query.where(PayMethod.kind.in_(kinds))
    if req.integer("paymethodid"):
        query = query.where(PayMethod.id == req.integer("paymethodid"))
    methods = req.session.scalars(query.order_by(PayMethod.preference, PayMethod.id))
    return {"clientid": client.id, "paymethods": [_row(req, m, client) for m in methods]}


def _owned(req: ApiRequest) -> PayMethod:
    if not req.text("clientid"):
        raise ApiError("Client ID is Required")
    if not req.text("paymethodid"):
        raise ApiError("Pay Method ID is Required")
    method_id = req.integer("paymethodid", message="Invalid Pay Method ID")
    method = req.session.get(PayMethod, method_id) if method_id else None
    if method is None or method.deleted_at is not None:
        raise ApiError("Invalid Pay Method ID")
    if method.client_id != req.integer("clientid", message="Invalid Client ID"):
        raise ApiError("Pay Method does not belong to passed Client ID")
    return method


@action("UpdatePayMethod")
def update_pay_method_action(req: ApiRequest) -> dict[str, Any]:
    """Change the card or bank details of a method kept here, or make a method the default."""
    method = _owned(req)
    changes: dict[str, str] = {}
    for param, field in CARD_PARAMS + BANK_PARAMS:
        if req.text(param):
            changes[field] = req.text(param)
    if "expiry" in changes:
        changes["expiry"] = _month_year(req, "card_expiry", "Expiry Date is invalid")
    if "start" in changes:
        changes["start"] = _month_year(req, "card_start", "Start Date is invalid")
    if "issue" in changes:
        changes["issue"] = _issue(req)
    if not changes and not req.flag("set_as_default"):
        raise ApiError("No Details Provided for Update")
    if changes and method.kind in REMOTE_KINDS:
        raise ApiError("Unable to Update Card Number for Assisted Gateway" if "number" in changes
                       else "Unsupported Gateway Type for Update")
    try:
        update_pay_method(req.session, method.id, changes, set_default=req.flag("set_as_default"))
    except ValidationFailed as exc:
        fail_on(exc, MESSAGES)
    return {"paymethodid": str(method.id), "clientid": str(method.client_id)}


@action("DeletePayMethod")
def delete_pay_method_action(req: ApiRequest) -> dict[str, Any]:
    """Remove a stored method (at its gateway too, for a gateway-stored one)."""
    method = _owned(req)
    try:
        delete_pay_method(req.session, method.id,
                          fail_on_remote_failure=req.flag("failonremotefailure"))
    except Conflict as exc:
        raise ApiError(f"Error Deleting Remote Pay Method: {exc.message}") from exc
    return {"paymethodid": str(method.id)}
