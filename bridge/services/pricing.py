"""Prices of catalogue items: (owner, currency, cycle) -> amount + setup fee.

One ``Price`` row per price point (WHMCS keeps six cycles in one ``tblpricing`` row and marks
a cycle it does not offer with ``-1.00``; here such a cycle is a row with ``enabled=False`` or
no row at all). Owners: products, addons, configurable option values and TLDs (register,
transfer, renew; the cycle is the number of years, ``1Y`` .. ``10Y``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.cycles import FREE, ONETIME, parse_cycle
from bridge.errors import NotFound, ValidationFailed
from bridge.models import Addon, ConfigOptionValue, Currency, Price, Product, Tld
from bridge.models.enums import PayType
from bridge.money import ZERO

from .common import log_activity, non_negative_amount

OWNER_MODELS: dict[str, type[Any]] = {
    "product": Product,
    "addon": Addon,
    "config_option_value": ConfigOptionValue,
    "tld_register": Tld,
    "tld_transfer": Tld,
    "tld_renew": Tld,
}
_SPEC_KEYS = {"amount", "setup_fee", "enabled"}
_UNIT_DAYS = {"D": 1, "W": 7, "M": 30, "Y": 365}


def _cycle_code(code: str, field: str = "billingcycle") -> str:
    try:
        return parse_cycle(code).code
    except ValueError as exc:
        raise ValidationFailed.single(field, "invalid", str(exc)) from exc


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes", "y")
    return bool(value)


def cycle_sort_key(code: str) -> tuple[int, int]:
    """Order cycles shortest first, then ``onetime`` and ``free`` (unparsable codes last)."""
    try:
        cycle = parse_cycle(code)
    except ValueError:
        return (2, 0)
    if not cycle.recurring:
        return (1, 0 if cycle.code == ONETIME else 1)
    return (0, cycle.count * _UNIT_DAYS[cycle.unit])


def _check_owner(session: Session, owner_type: str, owner_id: int) -> None:
    model = OWNER_MODELS.get(owner_type)
    if model is None:
        raise ValidationFailed.single(
            "owner_type", "one_of",
            f"cannot price {owner_type!r}; use one of {', '.join(OWNER_MODELS)}")
    if session.get(model, owner_id) is None:
        raise NotFound(owner_type, owner_id)




def set_prices(
    session: Session,
    owner_type: str,
    owner_id: int,
    currency: str,
    prices: Mapping[str, Mapping[str, Any]],
) -> list[Price]:
    """Create or update price points of one owner in one currency; return them.

    ``prices`` maps a cycle code to ``{"amount", "setup_fee" (0), "enabled" (True)}``; a
    disabled cycle may omit the amount. Cycles not mentioned are left as they are. Raises
    ValidationFailed for an unknown currency or cycle, a missing or negative amount (send
    ``enabled: False`` for "not offered", never -1), NotFound for a missing owner.
    """
    _check_owner(session, owner_type, owner_id)
    code = currency.strip().upper()
    if session.scalar(select(Currency.id).where(Currency.code == code)) is None:
        raise ValidationFailed.single("currency", "invalid",
                                      f"currency {currency} does not exist; add it first")
    rows: list[Price] = []
    for raw_cycle, spec in prices.items():
        field = f"prices.{code}.{raw_cycle}"
        cycle = _cycle_code(raw_cycle, field)
        if owner_type.startswith("tld_") and not cycle.endswith("Y"):
            raise ValidationFailed.single(field, "invalid",
                                          f"TLD prices are per year (1Y..10Y), not {raw_cycle}")
        unknown = set(spec) - _SPEC_KEYS
        if unknown:
            raise ValidationFailed.single(f"{field}.{sorted(unknown)[0]}", "unknown",
                                          "Unknown field.")
        enabled = _flag(spec.get("enabled", True))
        if "amount" not in spec and enabled:
            raise ValidationFailed.single(f"{field}.amount", "required",
                                          f"no amount for cycle {cycle}")
        amount = non_negative_amount(spec.get("amount", ZERO), f"{field}.amount")
        setup_fee = non_negative_amount(spec.get("setup_fee", ZERO), f"{field}.setup_fee")
        row = session.scalar(select(Price).where(
            Price.owner_type == owner_type, Price.owner_id == owner_id,
            Price.currency == code, Price.cycle == cycle))
        if row is None:
            row = Price(owner_type=owner_type, owner_id=owner_id, currency=code, cycle=cycle)
            session.add(row)
        row.amount, row.setup_fee, row.enabled = amount, setup_fee, enabled
        rows.append(row)
    session.flush()
    log_activity(session, "prices.updated", f"Prices of {owner_type} {owner_id} in {code} set",
                 subject=(owner_type, owner_id),
                 data={"currency": code, "cycles": [r.cycle for r in rows]})
    emit(session, "prices_updated", owner_type=owner_type, owner_id=owner_id, currency=code)
    return rows


def get_price(
    session: Session, owner_type: str, owner_id: int, currency: str, cycle: str
) -> Price | None:
    """The enabled price point, or None when the cycle is not offered in that currency.

    ValidationFailed when ``cycle`` is not a cycle code.
    """
    return session.scalar(select(Price).where(
        Price.owner_type == owner_type, Price.owner_id == owner_id,
        Price.currency == currency.strip().upper(), Price.cycle == _cycle_code(cycle),
        Price.enabled.is_(True)))


def price_for(
    session: Session, owner_type: str, owner_id: int, currency: str, cycle: str
) -> tuple[Decimal, Decimal]:
    """(amount, setup fee) of an owner for ``cycle`` in ``currency``.

    A free product costs nothing whatever the cycle; a one-time product is priced from its
    ``onetime`` row whatever cycle is asked. Raises ValidationFailed on ``billingcycle`` when
    the cycle is not offered (missing or disabled).
    """
    if owner_type == "product":
        product = session.get(Product, owner_id)
        if product is not None and product.pay_type == PayType.FREE.value:
            return ZERO, ZERO
        if product is not None and product.pay_type == PayType.ONETIME.value:
            cycle = ONETIME
    price = get_price(session, owner_type, owner_id, currency, cycle)
    if price is None:
        offered = ", ".join(offered_cycles(session, owner_type, owner_id, currency)) or "none"
        raise ValidationFailed.single(
            "billingcycle", "invalid",
            f"billing cycle {cycle} is not offered for {owner_type} {owner_id} in "
            f"{currency.upper()} (offered: {offered})")
    return price.amount, price.setup_fee


def offered_cycles(session: Session, owner_type: str, owner_id: int, currency: str) -> list[str]:
    """Cycle codes with an enabled price in ``currency``, shortest first.

    A free product offers ``["free"]``; a one-time product ``["onetime"]`` when it is priced.
    """
    if owner_type == "product":
        product = session.get(Product, owner_id)
        if product is not None and product.pay_type == PayType.FREE.value:
            return [FREE]
    codes = list(session.scalars(select(Price.cycle).where(
        Price.owner_type == owner_type, Price.owner_id == owner_id,
        Price.currency == currency.strip().upper(), Price.enabled.is_(True))))
    if owner_type == "product":
        product = session.get(Product, owner_id)
        if product is not None and product.pay_type == PayType.ONETIME.value:
            codes = [c for c in codes if c == ONETIME]
    return sorted(codes, key=cycle_sort_key)
