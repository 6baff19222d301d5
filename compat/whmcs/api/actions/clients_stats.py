"""The ``stats`` block of GetClientsDetails: invoice, product, domain and ticket counts and
money totals, formatted the way WHMCS prints them (``$2645.80 USD``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select

from bridge.db import utcnow
from bridge.models import (
    Client,
    Currency,
    Domain,
    Invoice,
    Product,
    Service,
    Ticket,
    TicketStatus,
    Transaction,
)
from bridge.models.affiliates import Affiliate
from bridge.models.billing import invoice_balance
from bridge.money import round_money

from ..registry import ApiRequest

# WHMCS stats key stem per invoice status: (count key, amount key)
INVOICE_KEYS = {
    "draft": ("numDraftInvoices", "draftInvoicesBalance"),
    "unpaid": ("numunpaidinvoices", "unpaidinvoicesamount"),
    "paid": ("numpaidinvoices", "paidinvoicesamount"),
    "cancelled": ("numcancelledinvoices", "cancelledinvoicesamount"),
    "refunded": ("numrefundedinvoices", "refundedinvoicesamount"),
    "collections": ("numcollectionsinvoices", "collectionsinvoicesamount"),
    "payment_pending": ("numpaymentpendinginvoices", "paymentpendinginvoicesamount"),
}
# core product type -> WHMCS stats word
PRODUCT_KINDS = {"hosting": "hosting", "reseller": "reseller", "server": "servers"}
_SEPARATORS = {1: ("", "."), 2: (",", "."), 3: (".", ","), 4: (",", "")}


def formatted(amount: Decimal, currency: Currency | None) -> str:
    """An amount with the currency's prefix, suffix and number format (WHMCS format 1-4)."""
    thousands, decimal_mark = _SEPARATORS.get(currency.format if currency else 1, ("", "."))
    places = 0 if decimal_mark == "" else 2
    text = f"{abs(round_money(amount, places)):,.{places}f}"
    text = text.replace(",", "\0").replace(".", decimal_mark or ".").replace("\0", thousands)
    sign = "-" if amount < 0 else ""
    prefix, suffix = (currency.prefix, currency.suffix) if currency else ("", "")
    return f"{sign}{prefix}{text}{suffix}"


def _dec(value: Any) -> Decimal:
    # SQLite may hand sums back as float or int; go through str so no binary noise leaks in
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def _invoice_stats(req: ApiRequest, client: Client, fmt: Any) -> dict[str, Any]:
    today = utcnow().date()
    balance = invoice_balance(Invoice)
    rows = req.session.execute(
        select(Invoice.status, func.count(), func.coalesce(func.sum(Invoice.total), 0),
               func.coalesce(func.sum(balance), 0),
               func.sum(case((Invoice.due_date < today, 1), else_=0)),
               func.coalesce(func.sum(case((Invoice.due_date < today, balance),
                                           else_=0)), 0))
        .where(Invoice.client_id == client.id).group_by(Invoice.status))
    out: dict[str, Any] = {}
    for count_key, amount_key in INVOICE_KEYS.values():
        out[count_key], out[amount_key] = 0, fmt(Decimal(0))
    due = overdue = 0
    due_balance = overdue_balance = Decimal(0)
    for status, count, total, open_balance, late, late_balance in rows:
        keys = INVOICE_KEYS.get(status)
        if keys:
            out[keys[0]] = int(count)
            out[keys[1]] = fmt(_dec(total))
        if status == "unpaid":
            due, due_balance = int(count), _dec(open_balance)
            overdue, overdue_balance = int(late or 0), _dec(late_balance)
    out.update({"numdueinvoices": due, "dueinvoicesbalance": fmt(due_balance),
                "numoverdueinvoices": overdue, "overdueinvoicesbalance": fmt(overdue_balance)})
    return out


def _product_stats(req: ApiRequest, client: Client) -> dict[str, Any]:
    rows = req.session.execute(
        select(Product.type, Service.status, func.count())
        .join(Product, Product.id == Service.product_id)
        .where(Service.client_id == client.id).group_by(Product.type, Service.status))
    counts = {f"{word}{stem}": 0 for word in ("hosting", "reseller", "servers", "other")
              for stem in ("", "_active")}
    for kind, status, count in rows:
        word = PRODUCT_KINDS.get(kind, "other")
        counts[word] += int(count)
        if status == "active":
            counts[f"{word}_active"] += int(count)
    out: dict[str, Any] = {}
    for word in ("hosting", "reseller", "servers", "other"):
        out[f"productsnumactive{word}"] = counts[f"{word}_active"]
        out[f"productsnum{word}"] = counts[word]
    out["productsnumactive"] = sum(counts[f"{w}_active"] for w in PRODUCT_KINDS.values()) + \
        counts["other_active"]
    out["productsnumtotal"] = sum(counts[w] for w in ("hosting", "reseller", "servers",
                                                       "other"))
    return out


def client_stats(req: ApiRequest, client: Client) -> dict[str, Any]:
    """Every documented stats key for ``client``, in a fixed number of queries."""
    currency = req.session.scalar(select(Currency).where(Currency.code == client.currency))

    def fmt(amount: Decimal) -> str:
        return formatted(amount, currency)

    gross, fees, out_amount = req.session.execute(
        select(func.coalesce(func.sum(Transaction.amount_in), 0),
               func.coalesce(func.sum(Transaction.fees), 0),
               func.coalesce(func.sum(Transaction.amount_out), 0))
        .where(Transaction.client_id == client.id)).one()
    domains, active_domains = req.session.execute(
        select(func.count(), func.sum(case((Domain.status == "active", 1), else_=0)))
        .where(Domain.client_id == client.id)).one()
    open_keys = select(TicketStatus.key).where(TicketStatus.is_open.is_(True))
    known_keys = select(TicketStatus.key)
    tickets, active_tickets = req.session.execute(
        select(func.count(), func.sum(case(
            (Ticket.status.in_(open_keys), 1),
            (Ticket.status.not_in(known_keys) & (Ticket.status != "closed"), 1), else_=0)))
        .where(Ticket.client_id == client.id)).one()
    affiliate = req.session.scalar(select(Affiliate.id).where(
        Affiliate.client_id == client.id))
    credit = client.credit_balance or Decimal(0)
    stats: dict[str, Any] = {
        "incredit": credit > 0, "creditbalance": fmt(credit),
        "grossRevenue": fmt(_dec(gross)), "expenses": fmt(_dec(fees)),
        "income": fmt(_dec(gross) - _dec(fees) - _dec(out_amount)),
    }
    stats.update(_invoice_stats(req, client, fmt))
    stats.update(_product_stats(req, client))
    stats.update({
        "numactivedomains": int(active_domains or 0), "numdomains": int(domains or 0),
        "numacceptedquotes": 0, "numquotes": 0,
        "numtickets": int(tickets or 0), "numactivetickets": int(active_tickets or 0),
        "numaffiliatesignups": 0, "isAffiliate": affiliate is not None,
    })
    return stats
