"""API keys (``api_keys``): the core's API credentials, shared with the WHMCS door.

Keys are stored hashed, so ``key`` prints as null and ``add`` takes the key from the caller
(``vars[key]``, 16+ characters) instead of generating one nobody could read back. A new key
answers from the loopback address only until its allowed IPs are set with the core tools.
"""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import Select, select

from bridge.errors import PermissionDenied
from bridge.models import ApiCredential
from bridge.services.access import add_api_credential, verify_api_credential

from ..args import id_or_none
from ..format import stamp
from ..registry import MethodCall, invalid, method
from ._people import company_ref, count_rows, in_company, order_pairs, page_of, page_rows, text

ORDER = {"date_created": ApiCredential.created_at, "id": ApiCredential.id,
         "user": ApiCredential.identifier}
NEWEST = (ApiCredential.created_at.desc(), ApiCredential.id.desc())
NOTES = "keys are stored hashed: key prints as null"


def key_row(call: MethodCall, cred: ApiCredential) -> dict[str, Any]:
    """An ``api_keys`` row without the secret."""
    return {"id": cred.id,
            "company_id": cred.company_id if cred.company_id is not None else call.company_id,
            "user": cred.identifier, "key": None, "date_created": stamp(cred.created_at),
            "notes": cred.description or None}


def _scoped(call: MethodCall) -> Select[Any]:
    return select(ApiCredential).where(in_company(ApiCredential.company_id, call.company_id))


@method("api_keys", "get", status="partial", notes=NOTES)
def get(call: MethodCall) -> Any:
    """One API key of the caller's company, or false."""
    ident = id_or_none(text(call.arg("id")))
    if ident is None:
        return False
    cred = call.session.scalar(_scoped(call).where(ApiCredential.id == ident))
    return key_row(call, cred) if cred is not None else False


@method("api_keys", "getList", status="partial", notes=NOTES)
def get_list(call: MethodCall) -> Any:
    """One page (20) of API keys, newest first unless ``order_by`` says otherwise."""
    order = order_pairs(call.arg("order_by"), ORDER, NEWEST)
    return [key_row(call, c) for c in page_rows(call, _scoped(call).order_by(*order),
                                                 page_of(call))]


@method("api_keys", "getListCount")
def get_list_count(call: MethodCall) -> Any:
    """How many API keys the company has."""
    return count_rows(call, _scoped(call))


@method("api_keys", "add", status="partial",
        notes="vars[key] is required (keys are stored hashed and cannot be shown later); "
              "new keys answer from loopback only until allowed IPs are set")
def add(call: MethodCall) -> Any:
    """Add an API key ``vars[user]`` with the secret ``vars[key]``; returns nothing."""
    vars_ = call.vars()
    user = text(vars_.get("user"))
    if len(user) < 3 or len(user) > 64:
        raise invalid("user", "length", "The API user must be between 3 and 64 characters.")
    key = str(vars_.get("key") or "")
    if not key:
        raise invalid("key", "empty", "hostbridge stores API keys hashed, so it cannot show a "
                      "generated key; send vars[key] (16 to 64 characters) to choose it.")
    if len(key) > 64:
        raise invalid("key", "length", "The API key must be at most 64 characters.")
    add_api_credential(call.session, user, key, description=text(vars_.get("notes")),
                       company_id=company_ref(call, vars_.get("company_id", call.company_id)))
    return None


@method("api_keys", "auth", status="partial",
        notes="checks user and key only; the caller's IP allow-list is not consulted")
def auth(call: MethodCall) -> Any:
    """The company id of a valid user/key pair; a 400 otherwise."""
    try:
        cred = verify_api_credential(call.session, text(call.arg("user")),
                                     str(call.arg("key") or ""), request.remote_addr or "",
                                     skip_ip_check=True)
    except PermissionDenied as exc:
        raise invalid("user", "valid", "The API user or key appears to be invalid.") from exc
    return cred.company_id if cred.company_id is not None else call.company_id
