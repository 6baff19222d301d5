"""Affiliates group: AffiliateActivate, GetAffiliates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bridge.models import Client
from bridge.models.affiliates import Affiliate
from bridge.services.affiliates import activate_affiliate

from ..format import ymd, ymd_his
from ..registry import ApiError, ApiRequest, action, listing
from .billing import WireNumber

# core commission type <-> WHMCS paytype
PAYTYPE_OUT = {"": "", "percentage": "percentage", "fixed": "fixedamount"}
PAYTYPE_IN = {word: core for core, word in PAYTYPE_OUT.items()}


@action("AffiliateActivate")
def affiliate_activate(req: ApiRequest) -> dict[str, Any]:
    """Open a client's affiliate account (again is harmless)."""
    client_id = req.integer("userid")
    if client_id is None or req.session.get(Client, client_id) is None:
        raise ApiError("Client ID not found")
    activate_affiliate(req.session, client_id)
    return {}


def affiliate_row(a: Affiliate) -> dict[str, Any]:
    """One ``affiliates.affiliate`` entry: numeric strings as WHMCS prints them, except the
    amounts, which travel as JSON numbers (whmcs-api-client refuses strings there)."""
    return {"id": str(a.id), "date": ymd(a.created_at.date()), "clientid": str(a.client_id),
            "visitors": str(a.visitors), "paytype": PAYTYPE_OUT.get(a.commission_type, ""),
            "payamount": WireNumber(a.commission_amount), "onetime": "1" if a.one_time else "0",
            "balance": WireNumber(a.balance), "withdrawn": WireNumber(a.withdrawn),
            "created_at": ymd_his(a.created_at), "updated_at": ymd_his(a.updated_at)}


@action("GetAffiliates")
def get_affiliates(req: ApiRequest) -> dict[str, Any]:
    """Page through affiliate accounts matching every filter given exactly."""
    start, num = req.page()
    query = select(Affiliate)
    for wire, column in (("userid", Affiliate.client_id), ("visitors", Affiliate.visitors),
                         ("onetime", Affiliate.one_time)):
        if req.text(wire):
            value = req.integer(wire)
            query = query.where(column == (bool(value) if wire == "onetime" else value))
    if req.has("paytype"):
        query = query.where(Affiliate.commission_type == PAYTYPE_IN.get(
            req.text("paytype").lower(), req.text("paytype")))
    for wire, money_column in (("payamount", Affiliate.commission_amount),
                               ("balance", Affiliate.balance),
                               ("withdrawn", Affiliate.withdrawn)):
        amount = req.amount(wire)
        if amount is not None:
            query = query.where(money_column == amount)
    total = req.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = req.session.scalars(query.order_by(Affiliate.id).offset(start).limit(num))
    return listing(int(total), start, [affiliate_row(a) for a in rows], "affiliates",
                   "affiliate")
