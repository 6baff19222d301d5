"""Runtime settings (the ``settings`` table), currencies and the default currency."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from bridge.errors import Conflict, NotFound, ValidationFailed
from bridge.models import Currency, Setting

from .common import log_activity
from .reference_cache import cached_read

# Defaults of runtime settings; WHMCS / Blesta equivalents documented in config/bridge.example.toml
DEFAULTS: dict[str, str] = {
    "invoice.due_days": "7",
    "invoice.number_format": "{NUMBER}",
    "invoice.next_number": "1",
    "invoice.sequential": "0",
    "tax.enabled": "1",
    "tax.inclusive": "0",
    "tax.level2_compound": "0",
    "ticket.mask": "%A%A%A-%n%n%n%n%n%n",
    # automation (docs/automation.md lists the WHMCS and Blesta names of each)
    "automation.lead_days": "14",
    "automation.capture_enabled": "1",
    "automation.capture_days_before": "0",
    "automation.capture_retry_days": "3,7",
    "automation.credit_auto_apply": "1",
    "automation.reminder_days_before": "7",
    "automation.overdue_reminder_days": "1,7,14",
    "automation.late_fee_amount": "0",
    "automation.late_fee_type": "fixed",
    "automation.late_fee_days": "7",
    "automation.suspend_enabled": "1",
    "automation.suspend_days": "3",
    "automation.unsuspend_on_payment": "1",
    "automation.terminate_enabled": "0",
    "automation.terminate_days": "30",
    "automation.cancel_requests": "1",
    "automation.domain_sync_days": "60",
    "automation.retry_max_attempts": "5",
    "automation.ticket_close_hours": "0",
    "automation.ticket_close_statuses": "answered",
    "automation.smtp_host": "",
    "automation.smtp_port": "25",
    "automation.smtp_username": "",
    "automation.smtp_password": "",
    "automation.smtp_security": "none",
    "automation.mail_from": "",
    "automation.mail_batch": "200",
    "automation.mail_max_attempts": "5",
    "automation.lock_timeout_minutes": "120",
    "automation.daily_time": "09:00",
}


# built once (every write reads a few settings): the global row, and the company's row
# before the global one in a single statement (FALSE sorts before TRUE)
_GLOBAL_VALUE = select(Setting.value).where(Setting.key == bindparam("key"),
                                            Setting.company_id.is_(None))
_SCOPED_VALUE = (select(Setting.value)
                 .where(Setting.key == bindparam("key"),
                        or_(Setting.company_id == bindparam("company_id"),
                            Setting.company_id.is_(None)))
                 .order_by(Setting.company_id.is_(None)).limit(1))


def get_setting(session: Session, key: str, company_id: int | None = None) -> str:
    """The value of ``key`` (company-specific first, then global, then the built-in default;
    read through the worker's reference cache, see :mod:`bridge.services.reference_cache`)."""
    return cached_read(session, "settings", ("setting", key, company_id),
                       lambda: _read_setting(session, key, company_id))


def _read_setting(session: Session, key: str, company_id: int | None) -> str:
    if company_id is None:
        value = session.scalar(_GLOBAL_VALUE, {"key": key})
    else:
        value = session.scalar(_SCOPED_VALUE, {"key": key, "company_id": company_id})
    return DEFAULTS.get(key, "") if value is None else str(value)


def set_setting(session: Session, key: str, value: str, company_id: int | None = None) -> None:
    """Create or update setting ``key``; logs the change."""
    cond = Setting.company_id.is_(None) if company_id is None else Setting.company_id == company_id
    row = session.scalar(select(Setting).where(Setting.key == key, cond))
    if row is None:
        session.add(Setting(key=key, value=str(value), company_id=company_id))
    else:
        row.value = str(value)
    log_activity(session, "setting.updated", f"Setting {key} changed", data={"key": key})


COUNTERS = ("invoice.next_number",)


def seed_counters(session: Session) -> int:
    """Create the counter rows :func:`take_counter` locks, where missing; returns how many."""
    added = 0
    for key in COUNTERS:
        exists = session.scalar(select(Setting.id).where(Setting.key == key,
                                                         Setting.company_id.is_(None)))
        if exists is None:
            session.add(Setting(key=key, value=DEFAULTS.get(key, "1"), company_id=None))
            added += 1
    return added


def take_counter(session: Session, key: str) -> int:
    """Return the integer in global setting ``key`` and store it plus one, race-free.

    The row is read with ``SELECT ... FOR UPDATE``: on MariaDB a concurrent caller waits for
    this transaction to end and then reads the new value, so two invoices never share a
    number (SQLite serializes writers already: the app begins write transactions IMMEDIATE).
    A missing row starts from the built-in default; a hand-edited non-number counts as it.
    """
    start = DEFAULTS.get(key, "1")
    cond = (Setting.key == key) & Setting.company_id.is_(None)
    row = session.scalar(select(Setting).where(cond).with_for_update())
    if row is None:
        # first use on an install that was not seeded (``bridge init`` seeds the counters, so
        # the row exists before two callers could race to create it)
        row = Setting(key=key, value=start, company_id=None)
        session.add(row)
        session.flush()
    try:
        current = int(row.value)
    except ValueError:
        current = int(start)
    row.value = str(current + 1)
    log_activity(session, "setting.updated", f"Setting {key} changed", data={"key": key})
    return current


def add_currency(
    session: Session,
    code: str,
    *,
    prefix: str = "",
    suffix: str = "",
    rate: Decimal = Decimal(1),
    places: int = 2,
    format: int = 1,
    is_default: bool = False,
) -> Currency:
    """Add a currency; the first currency added becomes the default."""
    code = code.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationFailed.single(
            "code", "invalid", f"currency code must be 3 letters: {code!r}"
        )
    if session.scalar(select(Currency).where(Currency.code == code)) is not None:
        raise Conflict(f"currency {code} already exists")
    if rate <= 0:
        raise ValidationFailed.single("rate", "range", "exchange rate must be positive")
    first = session.scalar(select(Currency).limit(1)) is None
    if is_default:
        for other in session.scalars(select(Currency).where(Currency.is_default.is_(True))):
            other.is_default = False
    currency = Currency(
        code=code,
        prefix=prefix,
        suffix=suffix,
        rate=rate,
        places=places,
        format=format,
        is_default=is_default or first,
    )
    session.add(currency)
    session.flush()
    log_activity(session, "currency.added", f"Currency {code} added")
    return currency


def default_currency(session: Session) -> Currency:
    """The default currency; NotFound when no currency exists yet (run ``bridge init``)."""
    currency = session.scalar(select(Currency).where(Currency.is_default.is_(True)))
    if currency is None:
        currency = session.scalar(select(Currency).order_by(Currency.id).limit(1))
    if currency is None:
        raise NotFound("Currency", "default", field="kind")
    return currency


# the default currency's code: the default one, else the first (one statement, no ORM object)
_DEFAULT_CODE = select(Currency.code).order_by(Currency.is_default.desc(), Currency.id).limit(1)


def default_currency_code(session: Session) -> str:
    """The code of :func:`default_currency` in one statement (writes that only need the code
    read no Currency object; through the worker's reference cache); NotFound when no
    currency exists yet (run ``bridge init``)."""
    code = cached_read(session, "currencies", ("default_code",),
                       lambda: session.scalar(_DEFAULT_CODE))
    if code is None:
        raise NotFound("Currency", "default", field="kind")
    return str(code)


def get_currency(session: Session, code: str) -> Currency:
    """The currency with ISO ``code``, or NotFound."""
    currency = session.scalar(select(Currency).where(Currency.code == code.upper()))
    if currency is None:
        raise NotFound("Currency", code, field="code")
    return currency


def ensure_currency(session: Session, code: str) -> Currency:
    """The currency ``code``, created with rate 1 if missing (used by init and importers)."""
    currency = session.scalar(select(Currency).where(Currency.code == code.upper()))
    return currency if currency is not None else add_currency(session, code)
