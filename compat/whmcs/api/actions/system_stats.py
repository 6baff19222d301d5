"""System group: GetStats (business counters; income as WHMCS prints money: ``$5.95 USD``)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from bridge.db import utcnow
from bridge.models import (
    BillableItem,
    CancellationRequest,
    Currency,
    Order,
    Ticket,
    TodoItem,
    Transaction,
)
from bridge.money import ZERO, round_money
from bridge.services.settings import default_currency

from ..format import money
from ..registry import ApiRequest, action
from .system_staff import staff_online
from .ticket_common import status_table

MAX_TIMELINE_DAYS = 90
# WHMCS currency format number -> (thousands separator, decimal mark, places)
NUMBER_FORMATS = {1: ("", ".", 2), 2: (",", ".", 2), 3: (".", ",", 2), 4: (",", ".", 0)}


def format_price(amount: Decimal, currency: Currency) -> str:
    """``$1,234.56 USD``: the currency's prefix, number format and suffix."""
    sep, mark, places = NUMBER_FORMATS.get(currency.format, NUMBER_FORMATS[1])
    rounded = round_money(amount, places)
    whole, _, frac = f"{abs(rounded):.{places}f}".partition(".")
    groups = f"{int(whole):,}".replace(",", sep)
    number = ("-" if rounded < 0 else "") + groups + (mark + frac if places else "")
    return f"{currency.prefix}{number}{currency.suffix}"


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _income(req: ApiRequest, base: Currency, timeline_from: date
            ) -> tuple[dict[str, Decimal], dict[date, Decimal], dict[date, Decimal]]:
    """Net income (in - fees - out) in the default currency per period, and per day since
    ``timeline_from`` income (in - fees) and expenditure (out). Summed in Python: SQL SUM of
    money is inexact on SQLite."""
    rates = {c.code: c.rate for c in req.session.scalars(select(Currency))}
    today = utcnow().date()
    totals = {"today": ZERO, "thismonth": ZERO, "thisyear": ZERO, "alltime": ZERO}
    income: dict[date, Decimal] = {}
    spent: dict[date, Decimal] = {}
    rows = req.session.execute(select(
        Transaction.date, Transaction.currency, Transaction.amount_in, Transaction.fees,
        Transaction.amount_out).where(Transaction.status == "completed"))
    for when, code, amount_in, fees, amount_out in rows:
        factor = base.rate / rates.get(code, base.rate)
        gained, lost = (amount_in - fees) * factor, amount_out * factor
        day = when.date()
        totals["alltime"] += gained - lost
        if day.year == today.year:
            totals["thisyear"] += gained - lost
            if day.month == today.month:
                totals["thismonth"] += gained - lost
                if day == today:
                    totals["today"] += gained - lost
        if day >= timeline_from:
            income[day] = income.get(day, ZERO) + gained
            spent[day] = spent.get(day, ZERO) + lost
    return totals, income, spent


def _order_counts(req: ApiRequest, since: date) -> Counter[tuple[date, str]]:
    counts: Counter[tuple[date, str]] = Counter()
    for created, status in req.session.execute(select(Order.created_at, Order.status).where(
            Order.created_at >= _start(since))):
        counts[(created.date(), status)] += 1
    return counts


def _day_counts(req: ApiRequest, column: Any, since: date) -> Counter[date]:
    return Counter(when.date() for when in req.session.scalars(
        select(column).where(column >= _start(since))) if when is not None)


@action("GetStats", status="partial",
        notes="networkissues_open and quotes_valid are 0 (no such records in hostbridge); "
              "staff_online counts admins who logged in within 15 minutes")
def get_stats(req: ApiRequest) -> dict[str, Any]:
    """Income, order, ticket and task counters; ``timeline_days`` adds daily history."""
    base = default_currency(req.session)
    today = utcnow().date()
    days = min(max(req.integer("timeline_days") or 0, 0), MAX_TIMELINE_DAYS)
    first_day = today - timedelta(days=max(days - 1, 0))
    year_start = today.replace(month=1, day=1)
    totals, income, spent = _income(req, base, first_day)
    orders = _order_counts(req, min(year_start, first_day, today - timedelta(days=1)))
    body: dict[str, Any] = {f"income_{k}": format_price(v, base) for k, v in totals.items()}
    body["orders_pending"] = int(req.session.scalar(select(func.count()).select_from(Order)
                                                    .where(Order.status == "pending")) or 0)
    for label, day in (("today", today), ("yesterday", today - timedelta(days=1))):
        for status in ("cancelled", "pending", "fraud", "active"):
            body[f"orders_{label}_{status}"] = orders[(day, status)]
        body[f"orders_{label}_total"] = sum(n for (d, _), n in orders.items() if d == day)
    body["orders_thismonth_total"] = sum(n for (d, _), n in orders.items()
                                         if (d.year, d.month) == (today.year, today.month))
    body["orders_thisyear_total"] = sum(n for (d, _), n in orders.items()
                                        if d.year == today.year)
    body.update(_ticket_stats(req))
    now = utcnow()
    body["cancellations_pending"] = int(req.session.scalar(
        select(func.count()).select_from(CancellationRequest)
        .where(CancellationRequest.processed_at.is_(None))) or 0)
    body["todoitems_due"] = int(req.session.scalar(
        select(func.count()).select_from(TodoItem)
        .where(TodoItem.status != "done", TodoItem.due_date <= now)) or 0)
    body["networkissues_open"] = 0
    body["billableitems_uninvoiced"] = int(req.session.scalar(
        select(func.count()).select_from(BillableItem)
        .where(BillableItem.invoiced.is_(False))) or 0)
    body["quotes_valid"] = 0
    body["staff_online"] = len(staff_online(req.session))
    body["timeline_data"] = {}
    if days:
        span = [today - timedelta(days=n) for n in range(days)]
        accepted = _day_counts(req, Order.accepted_at, first_day)
        tickets = _day_counts(req, Ticket.created_at, first_day)
        body["timeline_data"] = {
            "new_orders": {d.isoformat(): sum(n for (od, _), n in orders.items() if od == d)
                           for d in span},
            "accepted_orders": {d.isoformat(): accepted[d] for d in span},
            "income": {d.isoformat(): money(income.get(d, ZERO)) for d in span},
            "expenditure": {d.isoformat(): money(spent.get(d, ZERO)) for d in span},
            "new_tickets": {d.isoformat(): tickets[d] for d in span},
        }
    return body


def _ticket_stats(req: ApiRequest) -> dict[str, int]:
    statuses = status_table(req.session)
    counts = {status: int(n) for status, n in req.session.execute(
        select(Ticket.status, func.count()).where(Ticket.merged_into_id.is_(None))
        .group_by(Ticket.status))}
    active = [k for k, s in statuses.items() if s.is_open]
    flagged = req.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.status.in_(active), Ticket.merged_into_id.is_(None),
        Ticket.assigned_admin_id == (req.admin_id or -1))) or 0
    out = {"tickets_allactive": sum(int(counts.get(k, 0)) for k in active),
           "tickets_awaitingreply": sum(int(counts.get(k, 0)) for k, s in statuses.items()
                                        if s.awaiting),
           "tickets_flaggedtickets": int(flagged)}
    for key, name in (("open", "open"), ("answered", "answered"),
                      ("customer_reply", "customerreply"), ("closed", "closed"),
                      ("on_hold", "onhold"), ("in_progress", "inprogress")):
        out[f"tickets_{name}"] = int(counts.get(key, 0))
    return out
