"""Promotion codes: creation, eligibility checks, the discount they give and their use count.

Kinds (WHMCS tblpromotions / Blesta coupons): ``percent`` off the price and setup fee,
``fixed`` amount off the price, ``price_override`` (the price becomes the value) and
``free_setup``. Codes keep the letter case they were written with and match in any case.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.cycles import parse_cycle
from bridge.db import utcnow
from bridge.errors import Conflict, ValidationFailed
from bridge.models import Currency, Domain, Product, Promotion, Service
from bridge.models.enums import PromotionType, ServiceStatus
from bridge.money import ZERO, percent_of
from bridge.schemas.catalog import PromotionSchema

from .common import log_activity, validate


def find_promotion(session: Session, code: str) -> Promotion | None:
    """The promotion with ``code`` in any letter case, or None."""
    return session.scalar(
        select(Promotion).where(func.lower(Promotion.code) == code.strip().lower()).limit(1)
    )


def _check_definition(session: Session, values: dict[str, Any]) -> None:
    if values.get("type") == PromotionType.PERCENT.value and values.get("value", ZERO) > 100:
        raise ValidationFailed.single("value", "range", "a percent promotion is at most 100")
    currency = values.get("currency")
    if currency:
        values["currency"] = currency.upper()
        if session.scalar(select(Currency.id).where(Currency.code == values["currency"])) is None:
            raise ValidationFailed.single("currency", "invalid",
                                          f"currency {currency} does not exist")
    else:
        values["currency"] = None
    cycles = []
    for code in values.get("cycles", []):
        try:
            cycles.append(parse_cycle(code).code)
        except ValueError as exc:
            raise ValidationFailed.single("cycles", "invalid", str(exc)) from exc
    values["cycles"] = list(dict.fromkeys(cycles))
    for product_id in values.get("product_ids", []):
        if session.get(Product, product_id) is None:
            raise ValidationFailed.single("product_ids", "invalid",
                                          f"product {product_id} does not exist")
    starts, expires = values.get("starts_at"), values.get("expires_at")
    if starts is not None and expires is not None and expires < starts:
        raise ValidationFailed.single("expires_at", "range",
                                      "the promotion expires before it starts")
    if values.get("new_signups_only") and values.get("existing_clients_only"):
        raise ValidationFailed.single("existing_clients_only", "invalid",
                                      "a promotion cannot be for new signups and existing "
                                      "clients only at once")


def add_promotion(session: Session, data: Mapping[str, Any]) -> Promotion:
    """Create a promotion code.

    Raises Conflict when the code exists in any letter case; ValidationFailed for a percent
    over 100, an unknown currency, cycle or product, an end before the start, or new-signups
    and existing-clients restrictions together.
    """
    values = validate(PromotionSchema, data)
    values["code"] = values["code"].strip()
    if find_promotion(session, values["code"]) is not None:
        raise Conflict(f"promotion code {values['code']} already exists")
    _check_definition(session, values)
    promo = Promotion(**values)
    session.add(promo)
    session.flush()
    log_activity(session, "promotion.added", f"Promotion {promo.code} added",
                 subject=("promotion", promo.id))
    emit(session, "promotion_added", promotion_id=promo.id)
    return promo


def _invalid(code: str, reason: str) -> ValidationFailed:
    return ValidationFailed.single("promocode", "invalid", f"promotion code {code}: {reason}")


def _client_has_services(session: Session, client_id: int, *, active_only: bool) -> bool:
    query = select(Service.id).where(Service.client_id == client_id)
    if active_only:
        query = query.where(Service.status == ServiceStatus.ACTIVE.value)
    return session.scalar(query.limit(1)) is not None


def _used_by_client(session: Session, promo: Promotion, client_id: int) -> bool:
    in_services = select(Service.id).where(Service.client_id == client_id,
                                           Service.promotion_id == promo.id)
    in_domains = select(Domain.id).where(Domain.client_id == client_id,
                                         Domain.promotion_id == promo.id)
    return (session.scalar(in_services.limit(1)) is not None
            or session.scalar(in_domains.limit(1)) is not None)


def check_promotion(
    session: Session,
    code: str,
    *,
    client_id: int | None,
    product_id: int | None,
    cycle: str,
    currency: str,
    at: datetime | None = None,
) -> Promotion:
    """Return the promotion ``code`` if it may be used for this order line.

    ``client_id`` None means a new client. Raises ValidationFailed on ``promocode`` naming the
    reason: unknown, inactive, not started, expired, used up, product or cycle not covered,
    new signups only (client already has services), existing clients only (new client or no
    active service), or already used once by this client.
    """
    at = at or utcnow()
    promo = find_promotion(session, code) if code.strip() else None
    if promo is None:
        raise _invalid(code, "no such promotion")
    if not promo.active:
        raise _invalid(promo.code, "this promotion is not active")
    if promo.starts_at is not None and at < promo.starts_at:
        raise _invalid(promo.code, f"this promotion starts on {promo.starts_at:%Y-%m-%d}")
    if promo.expires_at is not None and at > promo.expires_at:
        raise _invalid(promo.code, f"this promotion expired on {promo.expires_at:%Y-%m-%d}")
    if promo.max_uses and promo.uses >= promo.max_uses:
        raise _invalid(promo.code, "this promotion has been used the maximum number of times")
    if product_id is not None and promo.product_ids and product_id not in promo.product_ids:
        raise _invalid(promo.code, f"this promotion does not apply to product {product_id}")
    if promo.cycles:
        try:
            wanted = parse_cycle(cycle).code
        except ValueError as exc:
            raise _invalid(promo.code, str(exc)) from exc
        if wanted not in promo.cycles:
            raise _invalid(promo.code, f"this promotion does not apply to billing cycle {wanted}")
    if promo.new_signups_only and client_id is not None and _client_has_services(
            session, client_id, active_only=False):
        raise _invalid(promo.code, "this promotion is for new signups only")
    if promo.existing_clients_only and (client_id is None or not _client_has_services(
            session, client_id, active_only=True)):
        raise _invalid(promo.code,
                       "this promotion is for existing clients with an active service only")
    if promo.once_per_client and client_id is not None and _used_by_client(
            session, promo, client_id):
        raise _invalid(promo.code, "this promotion can be used once per client and was used")
    return promo


def promotion_discount(
    promo: Promotion, amount: Decimal, setup_fee: Decimal, currency: str
) -> tuple[Decimal, Decimal]:
    """(recurring discount, setup discount) that ``promo`` gives on ``amount``/``setup_fee``.

    percent: that share of both; fixed: the value, never more than ``amount``; price_override:
    ``amount`` less the value, never negative; free_setup: the whole setup fee. A fixed or
    override promotion in another currency than ``currency`` gives nothing. Whether it also
    applies to renewals (``recurring``/``recur_for``) is for the caller to decide.
    """
    kind = promo.type
    other_currency = bool(promo.currency) and promo.currency != currency.upper()
    if kind == PromotionType.PERCENT.value:
        return percent_of(amount, promo.value), percent_of(setup_fee, promo.value)
    if kind == PromotionType.FREE_SETUP.value:
        return ZERO, max(setup_fee, ZERO)
    if other_currency:
        return ZERO, ZERO
    if kind == PromotionType.FIXED.value:
        return max(min(promo.value, amount), ZERO), ZERO
    if kind == PromotionType.PRICE_OVERRIDE.value:
        return max(amount - promo.value, ZERO), ZERO
    return ZERO, ZERO


def record_promotion_use(session: Session, promo: Promotion) -> None:
    """Count one use of ``promo`` (one conditional UPDATE, so the limit holds under load).

    Raises Conflict when the promotion reached ``max_uses`` in the meantime.
    """
    result = cast(CursorResult[Any], session.execute(
        update(Promotion)
        .where(Promotion.id == promo.id,
               or_(Promotion.max_uses == 0, Promotion.uses < Promotion.max_uses))
        .values(uses=Promotion.uses + 1)
        .execution_options(synchronize_session=False)))
    session.refresh(promo, ["uses"])
    if result.rowcount != 1:
        raise Conflict(f"promotion {promo.code} has been used the maximum {promo.max_uses} times")
    log_activity(session, "promotion.used", f"Promotion {promo.code} used",
                 subject=("promotion", promo.id), data={"uses": promo.uses})
