"""WHMCS 7.8+ stored pay methods (tblpaymethods with tblcreditcards / tblbankaccts) -> core
pay_methods: local cards and bank accounts with their details, and gateway-stored ones with
their remote token, so automatic captures keep working after the move.

WHMCS keeps a method's secret details in ``card_data`` / ``bank_data``: hex text, AES-256-CBC
with no padding, the key being the ASCII of ``md5hex(cc_encryption_hash + client id)`` (32
bytes), a zero IV, a JSON document as plaintext followed by filler up to the block size
(``../shared/reference/whmcs.md``, "Card data 7.8+"; the zero IV is inferred). Details that
will not decrypt to JSON are quarantined with the reason: the wrong key or a changed scheme
shows up in the report, never as an empty method.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from importers.base import MapContext, MappingError, Output, Row

KINDS = {"creditcard": "card", "remotecreditcard": "remote_card", "bankaccount": "bank",
         "remotebankaccount": "remote_bank"}
_BLOCK = 16
_ZERO_IV = bytes(_BLOCK)
# where WHMCS's JSON keeps each detail (the first name present wins)
_CARD_NUMBER = ("cardNumber", "cardnum")
_START = ("cardStartDate", "startDate")
_ISSUE = ("cardIssueNumber", "issueNumber")
_ACCOUNT = ("accountNumber", "acctNumber", "account_number")
_ROUTING = ("routingNumber", "sortCode", "routing_number")


def _key(cc_hash: str, client_id: int) -> bytes:
    return hashlib.md5(f"{cc_hash}{client_id}".encode()).hexdigest().encode()  # noqa: S324


def decrypt_details(hex_text: str, cc_hash: str, client_id: int) -> dict[str, Any]:
    """The JSON details of a ``card_data``/``bank_data`` value; MappingError when they do not
    decrypt (wrong key, not hex, not JSON)."""
    try:
        blob = bytes.fromhex(hex_text.strip())
    except ValueError:
        raise MappingError("pay method details are not hex text") from None
    if not blob or len(blob) % _BLOCK:
        raise MappingError("pay method details are not whole AES blocks")
    decryptor = Cipher(algorithms.AES(_key(cc_hash, client_id)), modes.CBC(_ZERO_IV)).decryptor()
    plain = decryptor.update(blob) + decryptor.finalize()
    end = plain.rfind(b"}")
    try:
        details = json.loads(plain[: end + 1].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MappingError("cannot decrypt pay method details: wrong cc_encryption_hash, or "
                           "not WHMCS 7.8+ card data") from None
    if not isinstance(details, dict):
        raise MappingError("pay method details are not a JSON object")
    return details


def encrypt_details(details: dict[str, Any], cc_hash: str, client_id: int) -> str:
    """The inverse of :func:`decrypt_details` (test data and tools; WHMCS pads with filler)."""
    plain = json.dumps(details).encode()
    plain += b"\0" * (-len(plain) % _BLOCK)
    encryptor = Cipher(algorithms.AES(_key(cc_hash, client_id)), modes.CBC(_ZERO_IV)).encryptor()
    return (encryptor.update(plain) + encryptor.finalize()).hex()


def _first(details: dict[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        value = details.get(name)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _remote_token(details: dict[str, Any], gateway: str) -> str:
    token: Any = details.get("remoteToken")
    if isinstance(token, str) and token.strip().startswith("{"):
        try:
            token = json.loads(token)
        except ValueError:
            pass
    if isinstance(token, dict):
        if gateway == "stripe" and token.get("customer") and token.get("method"):
            # hostbridge's Stripe plugin stores the pair as "cus_...|pm_..."
            return f"{token['customer']}|{token['method']}"
        return json.dumps(token, sort_keys=True)
    if not token:
        raise MappingError("gateway-stored pay method without a remoteToken")
    return str(token).strip()


def _expiry(ctx: MapContext, value: Any) -> str:
    moment = ctx.date(value)
    return f"{moment.month:02d}/{moment.year:04d}" if moment else ""


def map_pay_method(row: Row, ctx: MapContext) -> Output:
    """tblpaymethods (+ its tblcreditcards / tblbankaccts row) -> pay_methods."""
    kind = KINDS.get(str(row["payment_type"] or "").strip().lower())
    if kind is None:
        raise MappingError(f"unknown payment_type {row['payment_type']!r}")
    client_id = ctx.int(row["userid"])
    gateway = ctx.text(row["gateway_name"]).strip().lower()
    is_card = kind in ("card", "remote_card")
    data = ctx.text(row["_card_data"] if is_card else row["_bank_data"])
    if not data.strip():
        raise MappingError(f"{row['payment_type']} without its "
                           f"{'tblcreditcards' if is_card else 'tblbankaccts'} details")
    if not ctx.key:
        raise MappingError("pay method details are encrypted and no --key "
                           "(cc_encryption_hash) was given")
    details = decrypt_details(data, ctx.key, client_id)
    last_four = ctx.text(row["_last_four"])[-4:] if is_card else ""
    if kind == "card":
        number = _first(details, _CARD_NUMBER)
        if not number:
            raise MappingError("card details hold no card number")
        payload = {"number": number, "start": _first(details, _START),
                   "issue": _first(details, _ISSUE)}
        last_four = last_four or number[-4:]
    elif kind == "bank":
        payload = {"routing": _first(details, _ROUTING), "account": _first(details, _ACCOUNT),
                   "account_type": ctx.text(row["_acct_type"])}
        if not payload["account"]:
            raise MappingError(f"bank details hold no account number (keys: {sorted(details)})")
        last_four = payload["account"][-4:]
    token = (json.dumps(payload, sort_keys=True) if kind in ("card", "bank")
             else _remote_token(details, gateway))
    contact = ctx.int(row["contact_id"]) if str(row["contact_type"] or "").lower() == "contact" \
        else 0
    return {
        "id": row["id"], "client_id": client_id, "contact_id": contact or None,
        "gateway": gateway, "kind": kind, "description": ctx.text(row["description"]),
        "token_enc": ctx.encrypt(token), "card_type": ctx.text(row["_card_type"]) if is_card
        else "", "last_four": last_four, "expiry": _expiry(ctx, row["_expiry"]) if is_card
        else "", "bank_name": "" if is_card else ctx.text(row["_bank_name"]),
        "preference": ctx.int(row["order_preference"], "order_preference"),
        "created_at": ctx.utc_or_epoch(row["created_at"]),
        "deleted_at": ctx.utc(row["deleted_at"]),
    }
