"""The TLD catalogue: create or change an extension and price it in every currency."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.errors import ValidationFailed
from bridge.models import Currency, Price, Tld
from bridge.money import round_money

from .common import apply_fields, log_activity, non_negative_amount
from .domains import MAX_YEARS
from .pricing import set_prices
from .settings import default_currency

TLD_KINDS = ("register", "transfer", "renew")
GROUPS = ("", "hot", "new", "sale")
MAX_PERIOD_DAYS = 3650
MAX_AMOUNT = Decimal(10) ** 15
_BOOLS = ("id_protection", "dns_management", "email_forwarding", "epp_required")
_FIELDS = (*_BOOLS, "registrar", "group", "grace_days", "grace_fee", "redemption_days",
           "redemption_fee")


def normalize_extension(extension: str) -> str:
    """``.COM`` / ``com`` -> ``.com``; ValidationFailed when empty or not a hostname suffix."""
    text = extension.strip().lower().lstrip(".")
    labels = text.split(".")
    if not text or any(not label or not all(c.isalnum() or c == "-" for c in label)
                       for label in labels):
        raise ValidationFailed.single("extension", "invalid",
                                      f"{extension!r} is not a domain extension")
    return "." + text


def find_extension(session: Session, extension: str) -> Tld | None:
    """The catalogue row of ``extension`` (stored with or without the leading dot)."""
    ext = normalize_extension(extension)
    return session.scalar(select(Tld).where(Tld.extension.in_([ext, ext[1:]])).limit(1))


def save_tld(session: Session, extension: str, data: Mapping[str, Any], *,
             display_after: str | None = None, fee_currency: str | None = None
             ) -> tuple[Tld, bool]:
    """Create or update the TLD ``extension``; return (row, created).

    ``data`` may hold ``_FIELDS`` (fees are amounts >= 0; None removes a grace/redemption
    fee). Fees are kept in the default currency: given in ``fee_currency`` they are
    converted at the exchange rates. ``display_after`` puts the TLD right after that
    extension in the sort order. Emits ``tld_saved``. Raises ValidationFailed on bad input,
    an unknown fee currency or an unknown ``display_after``.
    """
    ext = normalize_extension(extension)
    unknown = set(data) - set(_FIELDS)
    if unknown:
        raise ValidationFailed.single(sorted(unknown)[0], "unknown", "Unknown field.")
    values = dict(data)
    for name in _BOOLS:
        if name in values:
            values[name] = bool(values[name])
    if "group" in values:
        values["group"] = str(values["group"] or "").strip().lower()
        if values["group"] not in GROUPS:
            raise ValidationFailed.single("group", "one_of", "group must be hot, new or sale")
    factor = _to_default_factor(session, fee_currency)
    for name in ("grace_fee", "redemption_fee"):
        if values.get(name) is not None:
            values[name] = round_money(_amount(values[name], name) * factor)
    for name in ("grace_days", "redemption_days"):
        if values.get(name) is not None and not 0 <= int(values[name]) <= MAX_PERIOD_DAYS:
            raise ValidationFailed.single(name, "range",
                                          f"{name} must be 0 to {MAX_PERIOD_DAYS}")
    tld = find_extension(session, ext)
    created = tld is None
    if tld is None:
        last = session.scalar(select(Tld.sort_order).order_by(Tld.sort_order.desc()).limit(1))
        tld = Tld(extension=ext, sort_order=(last or 0) + 1)
        session.add(tld)
    changed = apply_fields(tld, values)
    if display_after:
        anchor = find_extension(session, display_after)
        if anchor is None:
            raise ValidationFailed.single("display_after", "invalid",
                                          f"extension {display_after!r} is not in the catalogue")
        session.execute(update(Tld).where(Tld.sort_order > anchor.sort_order)
                        .values(sort_order=Tld.sort_order + 1))
        tld.sort_order = anchor.sort_order + 1
        changed.append("sort_order")
    session.flush()
    log_activity(session, "tld.saved", f"TLD {ext} {'added' if created else 'updated'}",
                 subject=("tld", tld.id), data={"changed": changed})
    emit(session, "tld_saved", tld_id=tld.id, extension=ext, created=created)
    return tld, created


def _amount(value: object, field: str) -> Decimal:
    amount = non_negative_amount(value, field)
    if amount >= MAX_AMOUNT:  # Numeric(19, 4) holds 15 digits before the point
        raise ValidationFailed.single(field, "range", f"{field} must be below {MAX_AMOUNT:,}")
    return amount


def _to_default_factor(session: Session, code: str | None) -> Decimal:
    if not code:
        return Decimal(1)
    source = session.scalar(select(Currency).where(Currency.code == code.strip().upper()))
    if source is None:
        raise ValidationFailed.single("currency", "invalid", f"currency {code} does not exist")
    return default_currency(session).rate / source.rate


def set_tld_prices(session: Session, tld_id: int, kind: str, currency: str,
                   prices: Mapping[int, Decimal | str], *, convert: bool = True) -> None:
    """Price ``kind`` (register, transfer, renew) of a TLD per number of years in
    ``currency``; with ``convert`` every other currency gets the amounts converted at the
    exchange rates (rounded to its places). Raises ValidationFailed (kind, years outside
    1-10, unknown currency, negative amount)."""
    if kind not in TLD_KINDS:
        raise ValidationFailed.single("kind", "one_of", "kind must be register, transfer or renew")
    source = session.scalar(select(Currency).where(Currency.code == currency.strip().upper()))
    if source is None:
        raise ValidationFailed.single("currency", "invalid", f"currency {currency} does not "
                                      "exist; add it first")
    amounts: dict[int, Decimal] = {}
    for years, amount in prices.items():
        if not 1 <= int(years) <= MAX_YEARS:
            raise ValidationFailed.single(f"{kind}.{years}", "range",
                                          f"{kind} periods are 1 to {MAX_YEARS} years")
        amounts[int(years)] = _amount(amount, f"{kind}.{years}")
    targets = list(session.scalars(select(Currency))) if convert else [source]
    for target in targets:
        factor = Decimal(1) if target.id == source.id else target.rate / source.rate
        set_prices(session, f"tld_{kind}", tld_id, target.code,
                   {f"{years}Y": {"amount": round_money(amount * factor, target.places)}
                    for years, amount in amounts.items()})


def tld_prices(session: Session, tld_ids: list[int], currency: str
               ) -> dict[int, dict[str, dict[int, Decimal]]]:
    """tld id -> kind -> years -> amount of the enabled prices in ``currency`` (one query)."""
    out: dict[int, dict[str, dict[int, Decimal]]] = {}
    rows = session.scalars(select(Price).where(
        Price.owner_type.in_([f"tld_{k}" for k in TLD_KINDS]), Price.owner_id.in_(tld_ids),
        Price.currency == currency.upper(), Price.enabled.is_(True)))
    for price in rows:
        if not price.cycle.endswith("Y") or not price.cycle[:-1].isdigit():
            continue
        kind = price.owner_type.removeprefix("tld_")
        out.setdefault(price.owner_id, {}).setdefault(kind, {})[int(price.cycle[:-1])] = (
            price.amount)
    return out
