"""Stored payment methods kept by the install itself (cards and bank accounts, encrypted),
and the upkeep of every stored method: default choice, edits, removal (WHMCS AddPayMethod /
UpdatePayMethod / DeletePayMethod; methods stored at a gateway are added through
:func:`bridge.services.gateway_ops.store_pay_method`).

Rules kept here:
- kinds are ``card`` and ``bank`` (details held here, encrypted with the install key in
  ``token_enc``) and ``remote_card`` / ``remote_bank`` (a gateway token);
- only the last four digits, card brand, expiry and bank name are kept in clear;
- card numbers pass the Luhn check, expiry/start dates are ``MM/YYYY``;
- a gateway-stored method can only get a new description or become the default: its card
  or account details change at the gateway (delete it and store a new one);
- the default method is the one with the lowest ``preference``; removal is a soft delete.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.db import utcnow
from bridge.errors import Conflict, ModuleError, NotFound, ValidationFailed
from bridge.models import Client, PayMethod
from hooks import PaymentContext

from .common import get_or_404, log_activity, secret_box
from .module_context import client_info, plugin_host
from .modules import module_settings

LOCAL_KINDS = ("card", "bank")
REMOTE_KINDS = ("remote_card", "remote_bank")
CARD_FIELDS = ("number", "expiry", "start", "issue")
BANK_FIELDS = ("bank_name", "account_type", "routing", "account")
_MONTH_YEAR = re.compile(r"^(0[1-9]|1[0-2])/(\d{4})$")
_BRANDS = (("American Express", ("34", "37")), ("Visa", ("4",)),
           ("MasterCard", tuple(str(n) for n in range(51, 56)) + ("22", "23", "24", "25", "26",
                                                                   "27")),
           ("Discover", ("6011", "65", "644", "645", "646", "647", "648", "649")))


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _card_number(raw: str) -> str:
    digits = re.sub(r"[\s-]", "", raw or "")
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not _luhn_ok(digits):
        raise ValidationFailed.single("number", "invalid", "card number is not a valid card "
                                      "number (12-19 digits passing the Luhn check)")
    return digits


def _month_year(value: str, field: str, *, required: bool) -> str:
    text = (value or "").strip()
    if not text and not required:
        return ""
    if not _MONTH_YEAR.match(text):
        raise ValidationFailed.single(field, "invalid", f"{field} must be MM/YYYY, got {text!r}")
    return text


def _issue(value: str) -> str:
    text = (value or "").strip()
    if text and (not text.isdigit() or len(text) > 4):
        raise ValidationFailed.single("issue", "invalid", "issue number is 1-4 digits")
    return text


def card_brand(number: str) -> str:
    """The card brand a number's prefix names (Visa, MasterCard, ...), "" when unknown."""
    for brand, prefixes in _BRANDS:
        if number.startswith(prefixes):
            return brand
    return ""


def _seal(session: Session, payload: Mapping[str, str]) -> str:
    return secret_box(session).encrypt(json.dumps(dict(payload), sort_keys=True))


def local_details(session: Session, method: PayMethod) -> dict[str, str]:
    """The decrypted details of a card or bank method kept here ({} for gateway methods).

    Card: number, start, issue. Bank: routing, account, account_type. Raises SecretError when
    the install key changed since the method was stored.
    """
    if method.kind not in LOCAL_KINDS or not method.token_enc:
        return {}
    loaded = json.loads(secret_box(session).decrypt(method.token_enc))
    return {str(k): str(v) for k, v in loaded.items()}


def _active_methods(session: Session, client_id: int) -> list[PayMethod]:
    return list(session.scalars(select(PayMethod).where(
        PayMethod.client_id == client_id, PayMethod.deleted_at.is_(None))
        .order_by(PayMethod.preference, PayMethod.id)))


def _make_default(session: Session, method: PayMethod) -> None:
    # renumber so the chosen method comes first and the others keep their order
    others = [m for m in _active_methods(session, method.client_id) if m.id != method.id]
    method.preference = 0
    for position, other in enumerate(others, start=1):
        other.preference = position


def _added(session: Session, method: PayMethod, set_default: bool) -> PayMethod:
    others = _active_methods(session, method.client_id)
    method.preference = max((m.preference for m in others), default=-1) + 1
    session.add(method)
    session.flush()
    if set_default:
        _make_default(session, method)
    log_activity(session, "pay_method.added", f"{method.kind} payment method {method.id} added",
                 client_id=method.client_id, subject=("pay_method", method.id))
    emit(session, "pay_method_added", pay_method_id=method.id, client_id=method.client_id)
    return method


def add_card(session: Session, client_id: int, *, number: str, expiry: str, start: str = "",
             issue: str = "", description: str = "", contact_id: int | None = None,
             set_default: bool = False) -> PayMethod:
    """Store a card for the client here (number encrypted; last four, brand, expiry in clear).

    ``expiry``/``start`` are MM/YYYY. Raises NotFound for the client, ValidationFailed for a bad
    number (Luhn), date or issue number. Emits pay_method_added.
    """
    client = get_or_404(session, Client, client_id, "Client")
    digits = _card_number(number)
    payload = {"number": digits, "start": _month_year(start, "start", required=False),
               "issue": _issue(issue)}
    brand = card_brand(digits)
    method = PayMethod(client_id=client.id, contact_id=contact_id, kind="card",
                       description=description or f"{brand or 'Card'} ending {digits[-4:]}",
                       token_enc=_seal(session, payload), card_type=brand,
                       last_four=digits[-4:],
                       expiry=_month_year(expiry, "expiry", required=True))
    return _added(session, method, set_default)


def add_bank_account(session: Session, client_id: int, *, routing: str, account: str,
                     bank_name: str = "", account_type: str = "", description: str = "",
                     contact_id: int | None = None, set_default: bool = False) -> PayMethod:
    """Store a bank account for the client here (numbers encrypted, last four in clear).

    Raises NotFound for the client, ValidationFailed when the routing (sort) code or the
    account number is missing. Emits pay_method_added.
    """
    client = get_or_404(session, Client, client_id, "Client")
    for field, value in (("routing", routing), ("account", account)):
        if not (value or "").strip():
            raise ValidationFailed.single(field, "required", f"a bank account needs {field}")
    payload = {"routing": routing.strip(), "account": account.strip(),
               "account_type": account_type.strip()}
    method = PayMethod(client_id=client.id, contact_id=contact_id, kind="bank",
                       description=description or f"{bank_name or 'Bank account'} ending "
                       f"{payload['account'][-4:]}", token_enc=_seal(session, payload),
                       bank_name=bank_name.strip(), last_four=payload["account"][-4:])
    return _added(session, method, set_default)


def get_pay_method(session: Session, pay_method_id: int) -> PayMethod:
    """A stored method that was not deleted; NotFound otherwise."""
    method = session.get(PayMethod, pay_method_id)
    if method is None or method.deleted_at is not None:
        raise NotFound("Pay method", pay_method_id)
    return method


def _edit_card(session: Session, method: PayMethod, changes: Mapping[str, str]) -> None:
    details = local_details(session, method)
    if "number" in changes:
        digits = _card_number(changes["number"])
        details["number"], method.last_four = digits, digits[-4:]
        method.card_type = card_brand(digits)
    if "expiry" in changes:
        method.expiry = _month_year(changes["expiry"], "expiry", required=True)
    if "start" in changes:
        details["start"] = _month_year(changes["start"], "start", required=False)
    if "issue" in changes:
        details["issue"] = _issue(changes["issue"])
    method.token_enc = _seal(session, details)


def _edit_bank(session: Session, method: PayMethod, changes: Mapping[str, str]) -> None:
    details = local_details(session, method)
    for field in ("routing", "account", "account_type"):
        if field in changes:
            if field != "account_type" and not changes[field].strip():
                raise ValidationFailed.single(field, "required", f"{field} can't be emptied")
            details[field] = changes[field].strip()
    if "account" in changes:
        method.last_four = details["account"][-4:]
    if "bank_name" in changes:
        method.bank_name = changes["bank_name"].strip()
    method.token_enc = _seal(session, details)


def update_pay_method(session: Session, pay_method_id: int, changes: Mapping[str, str], *,
                      set_default: bool = False) -> PayMethod:
    """Change a stored method: ``description`` for any method; card fields (number, expiry,
    start, issue) of a card kept here; bank fields (bank_name, account_type, routing,
    account) of a bank account kept here. ``set_default`` makes it the client's default.

    Raises NotFound, ValidationFailed (nothing to change, a field the kind doesn't have, bad
    values), Conflict for card/bank details of a gateway-stored method. Emits
    pay_method_updated.
    """
    method = get_pay_method(session, pay_method_id)
    fields = set(changes) - {"description"}
    if not changes and not set_default:
        raise ValidationFailed.single("changes", "required", "no details given to update")
    if fields and method.kind in REMOTE_KINDS:
        raise Conflict(f"pay method {method.id} is stored at gateway {method.gateway}; its "
                       "card or account details change there (delete it and store a new one)")
    allowed = CARD_FIELDS if method.kind == "card" else BANK_FIELDS
    unknown = fields - set(allowed)
    if unknown:
        raise ValidationFailed.single(sorted(unknown)[0], "invalid", f"a {method.kind} method "
                                      f"has no {', '.join(sorted(unknown))}")
    if fields:
        (_edit_card if method.kind == "card" else _edit_bank)(session, method, changes)
    if "description" in changes:
        method.description = changes["description"]
    if set_default:
        _make_default(session, method)
    session.flush()
    log_activity(session, "pay_method.updated", f"Payment method {method.id} updated: "
                 f"{', '.join(sorted(set(changes) | ({'default'} if set_default else set())))}",
                 client_id=method.client_id, subject=("pay_method", method.id))
    emit(session, "pay_method_updated", pay_method_id=method.id, client_id=method.client_id)
    return method


def _remove_at_gateway(session: Session, method: PayMethod) -> str:
    """"" when the gateway confirmed the removal, else why not."""
    client = get_or_404(session, Client, method.client_id, "Client")
    try:
        module = plugin_host(session).gateway_module(method.gateway)
        try:
            config = module_settings(session, "gateway", method.gateway)
        except NotFound:
            config = {}
        ctx = PaymentContext(invoice_id=0, amount=Decimal(0), currency=client.currency,
                             client=client_info(client), config=config)
        confirmed = module.delete_method(ctx, secret_box(session).decrypt(method.token_enc))
    except ModuleError as exc:
        return exc.message
    return "" if confirmed else f"{method.gateway} did not confirm the removal"


def delete_pay_method(session: Session, pay_method_id: int, *,
                      fail_on_remote_failure: bool = False) -> PayMethod:
    """Remove a stored method (soft delete). A gateway-stored one is removed at the gateway
    first; when the gateway does not confirm, the method is removed here anyway unless
    ``fail_on_remote_failure`` (then Conflict and nothing changes).

    Raises NotFound. Emits pay_method_deleted.
    """
    method = get_pay_method(session, pay_method_id)
    problem = _remove_at_gateway(session, method) if method.kind in REMOTE_KINDS else ""
    if problem and fail_on_remote_failure:
        raise Conflict(f"pay method {method.id} was not removed at {method.gateway}: {problem}")
    method.deleted_at = utcnow()
    session.flush()
    log_activity(session, "pay_method.deleted", f"Payment method {method.id} deleted"
                 + (f" (gateway: {problem})" if problem else ""), client_id=method.client_id,
                 subject=("pay_method", method.id), data={"gateway_problem": problem})
    emit(session, "pay_method_deleted", pay_method_id=method.id, client_id=method.client_id)
    return method
