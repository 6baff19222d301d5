"""Coupons (``coupons``) are core promotions.

A Blesta coupon holds an amount per currency (``amounts[]``, each ``amount`` or
``percent``); a promotion holds one value: a percent for every currency, or a fixed amount in
one currency. Promotions of the kinds Blesta has no word for (price override, free setup)
show no ``amounts``. ``terms[]`` are the promotion's cycles, ``packages[]`` its products.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select

from bridge.db import utcnow
from bridge.models import Company, Currency, Promotion
from bridge.models.enums import PromotionType
from bridge.services.promotions import add_promotion, find_promotion, record_promotion_use
from compat.whmcs.api.params import as_bool, as_list

from ..args import integers, optional_amount, optional_integer
from ..args import page as page_of
from ..format import money, stamp, term_period
from ..registry import MethodCall, invalid, method
from ..render import PhpArray
from .pricing import cycle_from

PER_PAGE = 20


def _scoped(call: MethodCall) -> Any:
    return select(Promotion).where(or_(Promotion.company_id == call.company_id,
                                       Promotion.company_id.is_(None)))


def _amounts(call: MethodCall, promo: Promotion, codes: list[str]) -> list[dict[str, Any]]:
    kinds = {PromotionType.PERCENT.value: "percent", PromotionType.FIXED.value: "amount"}
    kind = kinds.get(promo.type)
    if kind is None:
        return []
    return [{"coupon_id": promo.id, "currency": code, "amount": money(promo.value),
             "type": kind} for code in ([promo.currency] if promo.currency else codes)]


def coupon_object(call: MethodCall, promo: Promotion, codes: list[str]) -> dict[str, Any]:
    """A coupon with its ``packages``, ``amounts`` and ``terms``."""
    return {
        "id": promo.id, "code": promo.code, "company_id": promo.company_id or call.company_id,
        "used_qty": promo.uses, "max_qty": promo.max_uses,
        "start_date": stamp(promo.starts_at), "end_date": stamp(promo.expires_at),
        "status": "active" if promo.active else "inactive",
        "recurring": int(promo.recurring), "limit_recurring": int(bool(promo.recur_for)),
        "apply_package_options": 0, "internal_use_only": 0,
        "packages": [{"coupon_id": promo.id, "package_id": p} for p in promo.product_ids],
        "amounts": _amounts(call, promo, codes),
        "terms": [dict(zip(("term", "period"), term_period(c), strict=True),
                       coupon_id=promo.id) for c in promo.cycles],
    }


def _codes(call: MethodCall) -> list[str]:
    return list(call.session.scalars(select(Currency.code).order_by(Currency.code)))


def _one(call: MethodCall, promo: Promotion | None) -> Any:
    if promo is None or promo.company_id not in (None, call.company_id):
        return False
    return coupon_object(call, promo, _codes(call))


def _by_id(call: MethodCall, coupon_id: Any) -> Promotion | None:
    key = optional_integer(coupon_id, "coupon_id")
    return None if key is None else call.session.get(Promotion, key)


@method("coupons", "get")
def get(call: MethodCall) -> Any:
    """One coupon, or false."""
    return _one(call, _by_id(call, call.arg("coupon_id")))


@method("coupons", "getByCode")
def get_by_code(call: MethodCall) -> Any:
    """The coupon with ``code`` (any letter case), or false."""
    return _one(call, find_promotion(call.session, str(call.arg("code", ""))))


def _filtered(call: MethodCall) -> Any:
    query = _scoped(call)
    filters = call.vars("filters")
    if filters.get("coupon_code"):
        query = query.where(Promotion.code.like(f"%{filters['coupon_code']}%"))
    return query


@method("coupons", "getList", status="partial", notes="order_by code or id; filters: coupon_code")
def get_list(call: MethodCall) -> Any:
    """One page (20) of coupons, by code."""
    page = page_of(call)
    order = call.vars("order_by")
    column = Promotion.id if "id" in order else Promotion.code
    direction = str(order.get("id", order.get("code", "asc"))).lower()
    query = _filtered(call).order_by(column.desc() if direction == "desc" else column.asc())
    rows = call.session.scalars(query.offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    codes = _codes(call)
    return [coupon_object(call, p, codes) for p in rows]


@method("coupons", "getListCount")
def get_list_count(call: MethodCall) -> Any:
    """How many coupons ``getList`` pages through."""
    query = _filtered(call)
    return int(call.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


@method("coupons", "getAmountTypes")
def get_amount_types(call: MethodCall) -> Any:
    """The amount types."""
    return PhpArray({"amount": "Amount", "percent": "Percent"})


@method("coupons", "getForPackages", status="partial",
        notes="checks status, dates, usage and packages; not the client")
def get_for_packages(call: MethodCall) -> Any:
    """The coupon (by code or id) if it can be used now on every package given, else false."""
    code, coupon_id = call.arg("code"), call.arg("coupon_id")
    promo = find_promotion(call.session, str(code)) if code else _by_id(call, coupon_id)
    if promo is None or promo.company_id not in (None, call.company_id) or not promo.active:
        return False
    now = utcnow()
    if (promo.starts_at is not None and now < promo.starts_at) or \
            (promo.expires_at is not None and now > promo.expires_at) or \
            (promo.max_uses and promo.uses >= promo.max_uses):
        return False
    packages = integers(call.arg("packages"), "packages")
    if promo.product_ids and any(p not in promo.product_ids for p in packages):
        return False
    return coupon_object(call, promo, _codes(call))


@method("coupons", "incrementUsage")
def increment_usage(call: MethodCall) -> Any:
    """Count one use of a coupon (refused once it is used up)."""
    promo = _by_id(call, call.arg("coupon_id"))
    if promo is None or promo.company_id not in (None, call.company_id):
        raise invalid("coupon_id", "exists", "Invalid coupon ID.")
    record_promotion_use(call.session, promo)
    return None


def _when(value: Any, field: str) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC).isoformat()
        except ValueError:
            continue
    raise invalid(field, "format", f"{text!r} is not a date (Y-m-d H:i:s).")


def _value(call: MethodCall, amounts: list[Mapping[str, Any]]) -> dict[str, Any]:
    """One core value from Blesta's per-currency amounts."""
    if not amounts:
        raise invalid("amounts", "empty", "Please enter at least one coupon amount.")
    kinds = {str(a.get("type") or "percent") for a in amounts}
    values = {optional_amount(a.get("amount"), "amounts[][amount]") or Decimal(0)
              for a in amounts}
    if len(kinds) > 1 or len(values) > 1 or not kinds <= {"percent", "amount"}:
        raise invalid("amounts", "single", (
            "hostbridge keeps one value per coupon: give one amount, or the same percent "
            "for every currency."))
    value = values.pop()
    if kinds == {"percent"}:
        return {"type": PromotionType.PERCENT.value, "value": value, "currency": None}
    currencies = {str(a.get("currency") or "").upper() for a in amounts}
    if len(currencies) > 1:
        raise invalid("amounts", "single", "A fixed coupon amount is kept in one currency.")
    return {"type": PromotionType.FIXED.value, "value": value,
            "currency": currencies.pop() or None}


@method("coupons", "add", status="partial", notes=(
    "one amount (or one percent for all currencies); apply_package_options and "
    "internal_use_only are not stored; limit_recurring is not honoured"))
def add(call: MethodCall) -> Any:
    """Create a coupon; returns its id."""
    vars_ = call.vars()
    if not str(vars_.get("code") or "").strip():
        raise invalid("code", "empty", "Please enter a coupon code.")
    amounts = [a for a in as_list(vars_.get("amounts")) if isinstance(a, Mapping)]
    data: dict[str, Any] = {
        "code": str(vars_["code"]), **_value(call, amounts),
        "max_uses": optional_integer(vars_.get("max_qty"), "max_qty") or 0,
        "recurring": as_bool(vars_.get("recurring"), False),
        "active": vars_.get("status", "active") != "inactive",
        "starts_at": _when(vars_.get("start_date"), "start_date"),
        "expires_at": _when(vars_.get("end_date"), "end_date"),
        "product_ids": integers(vars_.get("packages"), "packages"),
        "cycles": [cycle_from(t.get("term"), t.get("period"), "terms[][term]")
                   for t in as_list(vars_.get("terms")) if isinstance(t, Mapping)],
    }
    if data["value"] is not None:
        data["value"] = str(data["value"])
    if call.session.get(Company, call.company_id) is not None:
        data["company_id"] = call.company_id
    return str(add_promotion(call.session, data).id)
