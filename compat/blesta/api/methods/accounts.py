"""Stored payment accounts (``accounts``): cards (``cc``) and bank accounts (``ach``).

Mapping: an account is a core stored pay method (kinds ``card``/``remote_card`` are cc,
``bank``/``remote_bank`` are ach); ``account_id`` is its id. Blesta owns accounts by contact:
``contact_id`` names a contact of the client, and since hostbridge's primary contact is the
client itself, ``vars[client_id]`` is accepted instead. Numbers are never returned (``decrypt``
is not honoured); ``expiration`` is ``yyyymm``; the card ``type`` is Blesta's code (``visa``,
``mc``, ``amex``, ``disc``). Address fields are not stored per account: the owner's are shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select

from bridge.models import Client, Contact, PayMethod
from bridge.security import SecretError
from bridge.services.pay_method_store import (
    add_bank_account,
    add_card,
    card_brand,
    delete_pay_method,
    local_details,
    update_pay_method,
)

from ..registry import MethodCall, invalid, method
from ..render import PhpArray
from .billing_shared import client_in_company, company_clients, optional_int, renamed_errors

CC_KINDS = ("card", "remote_card")
ACH_KINDS = ("bank", "remote_bank")
BRAND_CODES = {"Visa": "visa", "MasterCard": "mc", "American Express": "amex",
               "Discover": "disc"}
CC_TYPES = {"amex": "American Express", "bc": "BankCard", "cup": "China UnionPay",
            "dc-cb": "Diners Club Carte Blanche", "dc-er": "Diners Club enRoute",
            "dc-int": "Diners Club International", "dc-uc": "Diners Club US & Canada",
            "disc": "Discover", "ipi": "InstaPayment", "jcb": "JCB", "lasr": "Laser",
            "maes": "Maestro", "mc": "MasterCard", "solo": "Solo", "switch": "Switch",
            "visa": "Visa"}
ACH_TYPES = {"checking": "Checking", "savings": "Savings"}
NAMES = {"expiry": "expiration", "routing": "routing", "account": "account",
         "number": "number"}


def _expiration(mm_yyyy: str) -> str | None:
    month, _, year = mm_yyyy.partition("/")
    return f"{year}{month}" if year else None


def _expiry_in(value: Any) -> str:
    """Blesta ``yyyymm`` (or ``mm/yyyy``) -> core ``MM/YYYY``."""
    text = str(value or "").strip()
    if re.fullmatch(r"\d{6}", text):
        return f"{text[4:]}/{text[:4]}"
    return text


def account_object(method: PayMethod, owner: Client | None, contact: Contact | None,
                   ach_type: str = "checking") -> dict[str, Any]:
    """A cc or ach account as ``accounts/getCc``/``getAch`` return it (no numbers)."""
    person: Any = contact or owner
    body: dict[str, Any] = {
        "id": method.id, "contact_id": method.contact_id, "client_id": method.client_id,
        "first_name": getattr(person, "first_name", None),
        "last_name": getattr(person, "last_name", None),
        "address1": getattr(person, "address1", None) or None,
        "address2": getattr(person, "address2", None) or None,
        "city": getattr(person, "city", None) or None,
        "state": getattr(person, "state", None) or None,
        "zip": getattr(person, "postcode", None) or None,
        "country": getattr(person, "country", None) or None,
        "last4": method.last_four, "gateway_id": None, "reference_id": None,
        "client_reference_id": None, "status": "active",
    }
    if method.kind in CC_KINDS:
        body.update({"expiration": _expiration(method.expiry),
                     "type": BRAND_CODES.get(method.card_type, "other"), "account_type": "cc"})
    else:
        body.update({"type": ach_type, "account_type": "ach", "bank_name": method.bank_name})
    return body


def _query(call: MethodCall, kinds: tuple[str, ...]) -> Select[Any]:
    return (select(PayMethod).join(Client, Client.id == PayMethod.client_id)
            .where(company_clients(call), PayMethod.kind.in_(kinds),
                   PayMethod.deleted_at.is_(None)))


def _render(call: MethodCall, methods: Sequence[PayMethod]) -> list[dict[str, Any]]:
    clients = {c.id: c for c in call.session.scalars(
        select(Client).where(Client.id.in_({m.client_id for m in methods})))}
    contact_ids = {m.contact_id for m in methods if m.contact_id is not None}
    contacts = {c.id: c for c in call.session.scalars(
        select(Contact).where(Contact.id.in_(contact_ids)))} if contact_ids else {}
    return [account_object(m, clients.get(m.client_id), contacts.get(m.contact_id or 0),
                           _ach_type(call, m)) for m in methods]


def _ach_type(call: MethodCall, method: PayMethod) -> str:
    if method.kind != "bank":
        return "checking"
    try:
        kind = local_details(call.session, method).get("account_type", "")
    except SecretError:
        return "checking"
    return kind if kind in ACH_TYPES else "checking"


def _one(call: MethodCall, kinds: tuple[str, ...]) -> Any:
    ident = optional_int(call.arg("account_id"), "account_id")
    found = call.session.scalar(_query(call, kinds).where(PayMethod.id == ident))
    return False if found is None else _render(call, [found])[0]


def _by_client(call: MethodCall, kinds: tuple[str, ...]) -> Any:
    client_id = optional_int(call.arg("client_id"), "client_id")
    query = _query(call, kinds).where(PayMethod.client_id == client_id)
    return _render(call, call.session.scalars(query.order_by(PayMethod.preference,
                                                             PayMethod.id)).all())


def _by_contact(call: MethodCall, kinds: tuple[str, ...]) -> Any:
    contact_id = optional_int(call.arg("contact_id"), "contact_id")
    query = _query(call, kinds).where(PayMethod.contact_id == contact_id)
    return _render(call, call.session.scalars(query.order_by(PayMethod.id)).all())


@method("accounts", "getCc", status="partial", notes="numbers are never decrypted")
def get_cc(call: MethodCall) -> Any:
    """One stored card, or false."""
    return _one(call, CC_KINDS)


@method("accounts", "getAch", status="partial", notes="numbers are never decrypted")
def get_ach(call: MethodCall) -> Any:
    """One stored bank account, or false."""
    return _one(call, ACH_KINDS)


@method("accounts", "getAllCcByClient")
def get_all_cc_by_client(call: MethodCall) -> Any:
    """The client's stored cards."""
    return _by_client(call, CC_KINDS)


@method("accounts", "getAllAchByClient", status="partial", notes="unverified is ignored")
def get_all_ach_by_client(call: MethodCall) -> Any:
    """The client's stored bank accounts."""
    return _by_client(call, ACH_KINDS)


@method("accounts", "getAllCc")
def get_all_cc(call: MethodCall) -> Any:
    """The cards stored for a contact."""
    return _by_contact(call, CC_KINDS)


@method("accounts", "getAllAch", status="partial", notes="unverified is ignored")
def get_all_ach(call: MethodCall) -> Any:
    """The bank accounts stored for a contact."""
    return _by_contact(call, ACH_KINDS)


def _owner(call: MethodCall, vars_: dict[str, Any]) -> tuple[int, int | None]:
    contact_id = optional_int(vars_.get("contact_id"), "contact_id")
    if contact_id is not None:
        contact = call.session.get(Contact, contact_id)
        if contact is None or client_in_company(call, contact.client_id) is None:
            raise invalid("contact_id", "exists", "Please specify a valid contact.")
        return contact.client_id, contact.id
    client = client_in_company(call, optional_int(vars_.get("client_id"), "client_id"))
    if client is None:
        raise invalid("contact_id", "exists", "Please specify a valid contact (or client_id).")
    return client.id, None


@method("accounts", "addCc", status="partial",
        notes="stored encrypted in hostbridge; address, security_code, reference ids and "
              "gateway storage are not used; vars[client_id] may stand for the primary contact")
def add_cc(call: MethodCall) -> Any:
    """Store a card; returns the new account id as a string."""
    vars_ = call.vars()
    client_id, contact_id = _owner(call, vars_)
    with renamed_errors(NAMES):
        card = add_card(call.session, client_id, number=str(vars_.get("number") or ""),
                        expiry=_expiry_in(vars_.get("expiration")), contact_id=contact_id)
    return str(card.id)


@method("accounts", "addAch", status="partial",
        notes="stored encrypted in hostbridge; address and reference ids are not used")
def add_ach(call: MethodCall) -> Any:
    """Store a bank account; returns the new account id as a string."""
    vars_ = call.vars()
    client_id, contact_id = _owner(call, vars_)
    kind = str(vars_.get("type") or "checking")
    if kind not in ACH_TYPES:
        raise invalid("type", "valid", "type must be checking or savings")
    with renamed_errors(NAMES):
        bank = add_bank_account(call.session, client_id, routing=str(vars_.get("routing") or ""),
                                account=str(vars_.get("account") or ""), account_type=kind,
                                contact_id=contact_id)
    return str(bank.id)


def _edit(call: MethodCall, kinds: tuple[str, ...], changes: dict[str, str]) -> None:
    ident = optional_int(call.arg("account_id"), "account_id")
    if call.session.scalar(_query(call, kinds).where(PayMethod.id == ident)) is None:
        raise invalid("account_id", "exists", "Please specify a valid account.")
    if changes:
        with renamed_errors(NAMES):
            update_pay_method(call.session, int(ident or 0), changes)


@method("accounts", "editCc", status="partial", notes="number and expiration change")
def edit_cc(call: MethodCall) -> Any:
    """Change a stored card's number or expiration."""
    vars_ = call.vars()
    changes = {}
    if vars_.get("number"):
        changes["number"] = str(vars_["number"])
    if vars_.get("expiration"):
        changes["expiry"] = _expiry_in(vars_["expiration"])
    _edit(call, CC_KINDS, changes)
    return None


@method("accounts", "editAch", status="partial", notes="account, routing and type change")
def edit_ach(call: MethodCall) -> Any:
    """Change a stored bank account's numbers or type."""
    vars_ = call.vars()
    changes = {core: str(vars_[wire]) for wire, core in
               (("account", "account"), ("routing", "routing"), ("type", "account_type"))
               if vars_.get(wire)}
    _edit(call, ACH_KINDS, changes)
    return None


def _delete(call: MethodCall, kinds: tuple[str, ...]) -> Any:
    ident = optional_int(call.arg("account_id"), "account_id")
    if call.session.scalar(_query(call, kinds).where(PayMethod.id == ident)) is None:
        raise invalid("account_id", "exists", "Please specify a valid account.")
    delete_pay_method(call.session, int(ident or 0))
    return None


@method("accounts", "deleteCc", status="partial", notes="always a soft delete")
def delete_cc(call: MethodCall) -> Any:
    """Remove a stored card."""
    return _delete(call, CC_KINDS)


@method("accounts", "deleteAch", status="partial", notes="always a soft delete")
def delete_ach(call: MethodCall) -> Any:
    """Remove a stored bank account."""
    return _delete(call, ACH_KINDS)


def _digits(value: Any) -> str:
    return re.sub(r"[\s-]", "", str(value or ""))


@method("accounts", "luhnValid")
def luhn_valid(call: MethodCall) -> Any:
    """Whether the card number passes the Luhn check."""
    digits = _digits(call.arg("card_number"))
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


@method("accounts", "creditCardType", status="partial",
        notes="recognises visa, mc, amex and disc; false otherwise")
def credit_card_type(call: MethodCall) -> Any:
    """Blesta's card type code for a number."""
    return BRAND_CODES.get(card_brand(_digits(call.arg("card_number"))), False)


@method("accounts", "getCcTypes")
def get_cc_types(call: MethodCall) -> Any:
    """Card type codes and names."""
    return PhpArray(CC_TYPES)


@method("accounts", "getAchTypes")
def get_ach_types(call: MethodCall) -> Any:
    """Bank account types and names."""
    return PhpArray(ACH_TYPES)


@method("accounts", "getTypes")
def get_types(call: MethodCall) -> Any:
    """Account kinds and names."""
    return PhpArray({"cc": "Credit Card", "ach": "ACH"})
