"""Upgrades and downgrades of a service: the price of a new package, cycle or configurable
options prorated over the rest of the current period, and applying it with an upgrade order.

Proration: on the same cycle the client pays the difference between the new and the old
recurring amount for the share of the period left until the next due date; on a new cycle
they pay the new cycle's price less the unused share of the old amount, and the next due date
moves to one new cycle from today. A negative price (a downgrade) is reported but neither
invoiced nor credited.

The change is applied when the upgrade is placed (through the server module), not when its
invoice is paid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.cycles import FREE, ONETIME, parse_cycle
from bridge.db import utcnow
from bridge.errors import Conflict, ValidationFailed
from bridge.models import (
    ConfigOption,
    Invoice,
    InvoiceItem,
    InvoiceItemType,
    Order,
    OrderStatus,
    Product,
    Service,
)
from bridge.models.enums import PayType
from bridge.money import ZERO, line_total, round_money

from .common import get_or_404, log_activity
from .provisioning import ModuleOutcome

Choices = Mapping[int, tuple[int | None, int]]


@dataclass(frozen=True)
class UpgradeQuote:
    """What moving a service to ``new_product_id`` on ``new_cycle`` (with ``options``) costs
    now: ``price`` is prorated over ``days_until_renewal`` of ``total_days``."""

    service_id: int
    old_product_id: int
    new_product_id: int
    old_cycle: str
    new_cycle: str
    currency: str
    old_amount: Decimal
    new_amount: Decimal
    days_until_renewal: int
    total_days: int
    price: Decimal
    options: dict[int, tuple[int | None, int]] = field(default_factory=dict)
    period_start: date | None = None
    period_end: date | None = None


@dataclass
class UpgradeResult:
    """The upgrade order, its invoice (None when nothing is due) and the module's answer."""

    order: Order
    invoice: Invoice | None
    outcome: ModuleOutcome


def recurring_price(session: Session, product_id: int, currency: str, cycle: str,
                    choices: Choices) -> Decimal:
    """The recurring amount of ``product_id`` on ``cycle`` with configurable ``choices``
    (option id -> (value id, quantity)); options the product does not have are ignored.

    Raises ValidationFailed when the cycle is not offered in ``currency``.
    """
    from .catalog import config_options_for_product
    from .pricing import get_price, price_for

    amount, _ = price_for(session, "product", product_id, currency, cycle)
    if cycle == FREE:
        return amount
    options: dict[int, ConfigOption] = {
        o.id: o for o in config_options_for_product(session, product_id)}
    for option_id, (value_id, quantity) in choices.items():
        option = options.get(option_id)
        if option is None or value_id is None:
            continue
        price = get_price(session, "config_option_value", value_id, currency, cycle)
        if price is not None:
            units = Decimal(quantity) if option.option_type == "quantity" else Decimal(1)
            amount += line_total(price.amount, units)
    return amount


def open_upgrade_invoice(session: Session, service_id: int) -> int | None:
    """The id of an unpaid invoice carrying an upgrade of ``service_id``, if any."""
    return session.scalar(
        select(Invoice.id).join(InvoiceItem, InvoiceItem.invoice_id == Invoice.id)
        .where(InvoiceItem.service_id == service_id,
               InvoiceItem.type == InvoiceItemType.UPGRADE.value,
               Invoice.status.in_(("unpaid", "draft", "payment_pending")))
        .limit(1))


def quote_upgrade(session: Session, service_id: int, *, new_product_id: int | None = None,
                  new_cycle: str | None = None,
                  options: Mapping[int, int | tuple[int, int]] | None = None,
                  today: date | None = None) -> UpgradeQuote:
    """Price moving an active service to another product, cycle or configurable options.

    Options the service has keep their choice where the new product offers them; ``options``
    overrides them (see ``order_admin.resolve_option_choices``). Raises Conflict unless the
    service is active, NotFound for an unknown product, ValidationFailed for a cycle the new
    product does not offer or a bad option choice.
    """
    from .order_admin import resolve_option_choices

    service = get_or_404(session, Service, service_id, "Service")
    if service.status != "active":
        raise Conflict(f"service {service.id} is {service.status}; only active services can "
                       "be upgraded")
    product = get_or_404(session, Product, new_product_id or service.product_id, "Product")
    cycle = _new_cycle(product, new_cycle or service.billing_cycle)
    chosen: dict[int, tuple[int | None, int]] = {
        row.option_id: (row.value_id, row.quantity) for row in service.config_options}
    chosen.update(resolve_option_choices(session, product.id, options or {}))
    new_amount = recurring_price(session, product.id, service.currency, cycle, chosen)
    day = today or utcnow().date()
    start, end = _period(service)
    total = (end - start).days if start and end else 0
    left = min(max((end - day).days, 0), total) if end and total else 0
    old_amount = service.recurring_amount
    if not total:
        price = new_amount - old_amount
    elif cycle == service.billing_cycle:
        price = line_total(new_amount - old_amount, Decimal(left) / Decimal(total))
    else:
        price = new_amount - line_total(old_amount, Decimal(left) / Decimal(total))
    return UpgradeQuote(
        service_id=service.id, old_product_id=service.product_id, new_product_id=product.id,
        old_cycle=service.billing_cycle, new_cycle=cycle, currency=service.currency,
        old_amount=old_amount, new_amount=new_amount, days_until_renewal=left,
        total_days=total, price=round_money(price), options=chosen, period_start=start,
        period_end=end)


def _new_cycle(product: Product, wanted: str) -> str:
    if product.pay_type == PayType.FREE.value:
        return FREE
    if product.pay_type == PayType.ONETIME.value:
        return ONETIME
    try:
        return parse_cycle(wanted).code
    except ValueError as exc:
        raise ValidationFailed.single("billing_cycle", "invalid", str(exc)) from exc


def _period(service: Service) -> tuple[date | None, date | None]:
    cycle = parse_cycle(service.billing_cycle)
    if not cycle.recurring or service.next_due_date is None:
        return None, None
    return cycle.retreat(service.next_due_date, service.anchor_day), service.next_due_date


def apply_upgrade(session: Session, quote: UpgradeQuote, *, payment_method: str = "",
                  today: date | None = None) -> UpgradeResult:
    """Place the upgrade described by ``quote``: an accepted upgrade order, an invoice for a
    positive price, and the package change through the server module.

    Raises Conflict when an earlier upgrade invoice of the service is still unpaid, and when
    the module refuses the change (nothing is kept then: the caller rolls back).
    """
    from .invoices import create_invoice
    from .lifecycle import update_service
    from .order_admin import set_service_options
    from .provisioning import change_package_account

    service = get_or_404(session, Service, quote.service_id, "Service")
    unpaid = open_upgrade_invoice(session, service.id)
    if unpaid is not None:
        raise Conflict(f"service {service.id} has an unpaid upgrade invoice #{unpaid}; it "
                       "must be paid or cancelled before another upgrade")
    day = today or utcnow().date()
    order = Order(client_id=service.client_id, currency=service.currency,
                  status=OrderStatus.ACTIVE.value, payment_method=payment_method,
                  amount=max(quote.price, ZERO), accepted_at=utcnow(),
                  notes=f"Upgrade of service #{service.id}")
    session.add(order)
    session.flush()
    order.number = str(order.id)
    invoice = None
    if quote.price > 0:
        invoice = create_invoice(session, service.client_id, [_line(session, quote, day)],
                                 invoice_date=day, due_date=day, payment_method=payment_method)
        order.invoice_id = invoice.id
    old_choices = {row.option_id: (row.value_id, row.quantity) for row in service.config_options}
    changed_options = {k: (v[0] or 0, v[1]) for k, v in quote.options.items()
                       if old_choices.get(k) != v}
    if changed_options and quote.new_product_id == service.product_id:
        set_service_options(session, service.id, changed_options)
    new_cycle = quote.new_cycle if quote.new_cycle != quote.old_cycle else None
    outcome = change_package_account(session, service.id, quote.new_product_id,
                                     billing_cycle=new_cycle, recurring_amount=quote.new_amount)
    if not outcome.ok:
        raise Conflict(f"the package change of service {service.id} failed: {outcome.message}")
    if changed_options and quote.new_product_id != quote.old_product_id:
        set_service_options(session, service.id, changed_options)
    if new_cycle is not None and parse_cycle(new_cycle).recurring:
        due = parse_cycle(new_cycle).advance(day)
        update_service(session, service.id, {"next_due_date": due, "next_invoice_date": due})
    log_activity(session, "service.upgraded",
                 f"Service #{service.id} upgraded (order {order.id})",
                 client_id=service.client_id, subject=("service", service.id),
                 data={"order_id": order.id, "invoice_id": order.invoice_id,
                       "price": str(quote.price), "product_id": quote.new_product_id,
                       "billing_cycle": quote.new_cycle})
    emit(session, "service_upgraded", service_id=service.id, client_id=service.client_id,
         order_id=order.id, invoice_id=order.invoice_id)
    return UpgradeResult(order, invoice, outcome)


def _line(session: Session, quote: UpgradeQuote, day: date) -> dict[str, object]:
    old = session.get(Product, quote.old_product_id)
    new = session.get(Product, quote.new_product_id)
    assert old is not None and new is not None
    text = f"Upgrade: {old.name} => {new.name}"
    if quote.new_cycle != quote.old_cycle:
        text += f" ({quote.old_cycle} => {quote.new_cycle})"
    if quote.period_end is not None:
        text += f" ({day:%d/%m/%Y} - {quote.period_end - timedelta(days=1):%d/%m/%Y})"
    return {"type": InvoiceItemType.UPGRADE.value, "description": text,
            "unit_amount": quote.price, "quantity": 1, "taxed": new.taxable,
            "service_id": quote.service_id}


__all__ = [
    "UpgradeQuote",
    "UpgradeResult",
    "apply_upgrade",
    "open_upgrade_invoice",
    "quote_upgrade",
    "recurring_price",
]
