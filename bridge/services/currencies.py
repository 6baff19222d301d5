"""Changing and removing currencies (adding one is ``settings.add_currency``)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.db import Base, utcnow
from bridge.errors import Conflict, ValidationFailed
from bridge.models import Currency

from .common import apply_fields, log_activity
from .settings import get_currency

FORMATS = (1, 2, 3, 4)  # 1234.56, 1,234.56, 1.234,56, 1,234
MAX_PLACES = 4  # money is kept to 4 decimal places (Numeric(19, 4))


def update_currency(session: Session, code: str, *, prefix: str | None = None,
                    suffix: str | None = None, rate: Decimal | None = None,
                    places: int | None = None, format: int | None = None) -> Currency:
    """Change a currency's display (prefix, suffix, places, format) or exchange rate (only
    the values given). A new rate stamps ``rate_updated_at``.

    NotFound when the currency does not exist; ValidationFailed for a rate that is not
    positive, places outside 0-4 or an unknown format.
    """
    currency = get_currency(session, code)
    errors: dict[str, dict[str, str]] = {}
    if rate is not None and not rate > 0:
        errors["rate"] = {"range": "exchange rate must be positive"}
    if places is not None and not 0 <= places <= MAX_PLACES:
        errors["places"] = {"range": f"decimal places must be 0 to {MAX_PLACES}"}
    if format is not None and format not in FORMATS:
        errors["format"] = {"one_of": "format must be 1, 2, 3 or 4"}
    if errors:
        raise ValidationFailed(errors)
    wanted = {"prefix": prefix, "suffix": suffix, "rate": rate, "places": places,
              "format": format}
    changed = apply_fields(currency, wanted, skip_none=True)
    if "rate" in changed:
        currency.rate_updated_at = utcnow()
    if changed:
        session.flush()
        log_activity(session, "currency.updated", f"Currency {currency.code} updated",
                     subject=("currency", currency.id), data={"changed": changed})
    return currency


def currency_uses(session: Session, code: str) -> dict[str, int]:
    """How many rows of each table carry currency ``code`` (tables with none left out).

    Every table with a ``currency`` column counts, so a table added later is covered too.
    """
    found: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        column = table.columns.get("currency")
        if column is None:
            continue
        count = session.scalar(select(func.count()).select_from(table).where(column == code))
        if count:
            found[table.name] = int(count)
    return found


def delete_currency(session: Session, code: str) -> None:
    """Remove a currency nothing uses.

    NotFound when it does not exist; Conflict for the default currency and for one that
    prices, clients, invoices, transactions (any row with a currency) still use.
    """
    currency = get_currency(session, code)
    if currency.is_default:
        raise Conflict(f"currency {currency.code} is the default currency; make another "
                       "currency the default first")
    uses = currency_uses(session, currency.code)
    if uses:
        listed = ", ".join(f"{count} {table}" for table, count in sorted(uses.items()))
        raise Conflict(f"currency {currency.code} is still used ({listed})")
    session.delete(currency)
    session.flush()
    log_activity(session, "currency.deleted", f"Currency {currency.code} deleted",
                 subject=("currency", currency.id))
