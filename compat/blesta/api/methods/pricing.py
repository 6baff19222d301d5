"""Pricings (``pricings``) and the pricing shapes packages, options and services share.

A Blesta ``pricings`` row is ``(term, period, currency, price, setup_fee)``; here it is one
core ``Price`` row (owner, currency, cycle), so a Blesta ``pricing_id`` *is* a ``Price.id`` and
a package's ``package_pricing.id`` is the same number. A cycle that is not offered
(``enabled = False``) does not exist for Blesta.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, case, cast, func, select

from bridge.models import Price
from bridge.services.pricing import set_prices
from compat.whmcs.api.params import as_list

from ..args import id_or_none, optional_amount, optional_integer
from ..args import page as page_of
from ..format import cycle_of, money, term_period
from ..registry import MethodCall, invalid, method
from ..render import PhpArray

PER_PAGE = 20
PERIODS = ("day", "week", "month", "year", "onetime")
PERIOD_NAMES = {"day": ("Day", "Days"), "week": ("Week", "Weeks"),
                "month": ("Month", "Months"), "year": ("Year", "Years"),
                "onetime": ("One time", "One time")}
# Blesta sorts pricings by its period enum (day < week < month < year < onetime), then term
_PERIOD_RANK = case((Price.cycle.like("%D"), 0), (Price.cycle.like("%W"), 1),
                    (Price.cycle.like("%M"), 2), (Price.cycle.like("%Y"), 3), else_=4)
_TERM = cast(func.substr(Price.cycle, 1, func.length(Price.cycle) - 1), Integer)


def periods(plural: Any) -> dict[str, str]:
    """``{period: label}`` as ``getPeriods``/``getPricingPeriods`` answer."""
    index = 1 if str(plural).lower() in ("1", "true") else 0
    return PhpArray((period, names[index]) for period, names in PERIOD_NAMES.items())


def pricing_row(price: Price, company_id: int) -> dict[str, Any]:
    """A ``pricings`` row: term and period from the cycle, 4-decimal money."""
    term, period = term_period(price.cycle)
    return {
        "id": price.id, "company_id": company_id, "term": term, "period": period,
        "price": money(price.amount), "setup_fee": money(price.setup_fee),
        "cancel_fee": money(Decimal(0)), "currency": price.currency,
        # the core renews at the same amount; Blesta prints that as price_renews
        "price_renews": money(price.amount), "price_transfer": None,
    }


def package_pricing_row(price: Price, company_id: int) -> dict[str, Any]:
    """One entry of a package's ``pricing``: package_pricing joined with pricings."""
    return {"id": price.id, "package_id": price.owner_id, "pricing_id": price.id,
            **{k: v for k, v in pricing_row(price, company_id).items() if k != "id"}}


def option_pricing_row(price: Price, company_id: int) -> dict[str, Any]:
    """One entry of an option value's ``pricing``: package_option_pricing + pricings."""
    return {"id": price.id, "option_value_id": price.owner_id, "pricing_id": price.id,
            **{k: v for k, v in pricing_row(price, company_id).items() if k != "id"}}


def prices_by_owner(call: MethodCall, owner_type: str,
                    owner_ids: Iterable[int]) -> dict[int, list[Price]]:
    """Enabled prices of many owners in one query, each owner's sorted as Blesta sorts."""
    ids = list(set(owner_ids))
    found: dict[int, list[Price]] = {owner_id: [] for owner_id in ids}
    if not ids:
        return found
    rows = call.session.scalars(select(Price).where(
        Price.owner_type == owner_type, Price.owner_id.in_(ids), Price.enabled.is_(True))
        .order_by(Price.currency, _PERIOD_RANK, _TERM, Price.id))
    for row in rows:
        found[row.owner_id].append(row)
    return found


def _amount(value: Any, field: str) -> Decimal:
    amount = optional_amount(value, field) or Decimal(0)
    if amount < 0:
        raise invalid(field, "format", f"{value!r} is not an amount of 0 or more.")
    return amount


def cycle_from(term: Any, period: Any, field: str = "pricing[][term]") -> str:
    """Blesta ``(term, period)`` -> core cycle; 400 for an unknown period or a bad term."""
    period = str(period or "month").lower()
    if period not in PERIODS:
        raise invalid(field.replace("term", "period"), "format",
                      f"period must be one of {', '.join(PERIODS)}.")
    if period == "onetime":
        return "onetime"
    text = str(term if term not in (None, "") else "1").strip()
    number = id_or_none(text)
    if number is None or not 1 <= number <= 9999:
        raise invalid(field, "format", "The term must be a number from 1 to 9999.")
    return cycle_of(number, period)


def parse_pricing(entries: Any, default_currency: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Blesta ``pricing[]{term, period, currency, price, setup_fee}`` -> core prices
    ``{currency: {cycle: {"amount", "setup_fee"}}}``."""
    prices: dict[str, dict[str, dict[str, Any]]] = {}
    for entry in as_list(entries):
        if not isinstance(entry, Mapping):
            raise invalid("pricing", "format", "Each pricing must be an array.")
        cycle = cycle_from(entry.get("term"), entry.get("period"))
        currency = str(entry.get("currency") or default_currency).upper()
        prices.setdefault(currency, {})[cycle] = {
            "amount": _amount(entry.get("price"), "pricing[][price]"),
            "setup_fee": _amount(entry.get("setup_fee"), "pricing[][setup_fee]"),
        }
    return prices


def _price(call: MethodCall, pricing_id: Any) -> Price | None:
    key = optional_integer(pricing_id, "pricing_id")
    if key is None:
        return None
    return call.session.scalar(select(Price).where(Price.id == key, Price.enabled.is_(True)))


@method("pricings", "get")
def get(call: MethodCall) -> Any:
    """One pricing (a core price point), or false."""
    price = _price(call, call.arg("pricing_id"))
    return pricing_row(price, call.company_id) if price is not None else False


def _ordered() -> Any:
    return select(Price).where(Price.enabled.is_(True)).order_by(_PERIOD_RANK, _TERM, Price.id)


@method("pricings", "getAll", notes="every offered price point of every owner")
def get_all(call: MethodCall) -> Any:
    """Every offered price point (packages, option values, addons, TLDs)."""
    return [pricing_row(p, call.company_id) for p in call.session.scalars(_ordered())]


@method("pricings", "getList", status="partial", notes="order_by is fixed to period, term")
def get_list(call: MethodCall) -> Any:
    """One page (20) of price points, by period then term."""
    page = page_of(call)
    rows = call.session.scalars(_ordered().offset((page - 1) * PER_PAGE).limit(PER_PAGE))
    return [pricing_row(p, call.company_id) for p in rows]


@method("pricings", "getListCount")
def get_list_count(call: MethodCall) -> Any:
    """How many price points ``getList`` pages through."""
    return int(call.session.scalar(select(func.count()).select_from(Price)
                                   .where(Price.enabled.is_(True))) or 0)


@method("pricings", "getPeriods")
def get_periods(call: MethodCall) -> Any:
    """``{day: Day, ...}`` (plural labels with ``plural=true``)."""
    return periods(call.arg("plural", False))


@method("pricings", "edit", status="partial",
        notes="price and setup_fee only; term, period and currency key the row and cannot change")
def edit(call: MethodCall) -> Any:
    """Change the price and setup fee of a price point."""
    price = _price(call, call.arg("pricing_id"))
    if price is None:
        raise invalid("pricing_id", "exists", "Invalid pricing ID.")
    vars_ = call.vars()
    term, period = term_period(price.cycle)
    wanted = cycle_from(vars_.get("term", term), vars_.get("period", period), "term")
    if wanted != price.cycle or str(vars_.get("currency") or price.currency).upper() \
            != price.currency:
        raise invalid("period", "unchanged", (
            "hostbridge keys a price by term, period and currency; add a pricing with the new "
            "term to the package instead of changing this one."))
    spec = {"amount": _amount(vars_.get("price", price.amount), "price"),
            "setup_fee": _amount(vars_.get("setup_fee", price.setup_fee), "setup_fee")}
    set_prices(call.session, price.owner_type, price.owner_id, price.currency,
               {price.cycle: spec})
    return None


@method("pricings", "delete", status="partial",
        notes="the price point is kept but no longer offered (enabled = false)")
def delete(call: MethodCall) -> Any:
    """Stop offering a price point."""
    price = _price(call, call.arg("pricing_id"))
    if price is None:
        raise invalid("pricing_id", "exists", "Invalid pricing ID.")
    set_prices(call.session, price.owner_type, price.owner_id, price.currency,
               {price.cycle: {"enabled": False}})
    return None


__all__ = ["cycle_from", "option_pricing_row", "package_pricing_row",
           "parse_pricing", "periods", "prices_by_owner", "pricing_row"]
