"""Orders: place an order (products, addons, domains, promotion), accept, cancel, mark fraud.

Placing an order creates the pending services, addons and domains, prices them from the
catalog in the client's currency, applies the promotion, and raises the first invoice. Each
service's first invoice covers its first period, so its next due date is one cycle on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.db import utcnow
from bridge.errors import Conflict, ValidationFailed
from bridge.models import (
    Client,
    Domain,
    Invoice,
    Order,
    OrderStatus,
    Promotion,
    Service,
    ServiceAddon,
    ServiceStatus,
)
from bridge.schemas.orders import PlaceOrderSchema

from . import order_lines
from .common import get_or_404, log_activity, validate

if TYPE_CHECKING:
    from .provisioning import ModuleOutcome


@dataclass
class OrderResult:
    """What ``place_order`` created."""

    order: Order
    services: list[Service] = field(default_factory=list)
    addons: list[ServiceAddon] = field(default_factory=list)
    domains: list[Domain] = field(default_factory=list)
    invoice: Invoice | None = None


def place_order(
    session: Session, client_id: int, data: Mapping[str, Any], *, today: date | None = None
) -> OrderResult:
    """Place an order for ``client_id``.

    ``data`` holds ``products`` (product_id, billing_cycle, quantity, domain, config_options,
    addon_ids, price_override), ``domains`` (name, kind register/transfer, years, epp_code,
    nameservers, price overrides), ``addons`` for existing services, ``promo_code``,
    ``payment_method``, ``ip_address``, ``notes`` and ``create_invoice``. Raises
    ValidationFailed for anything not on sale (unknown product, cycle not offered, TLD not sold,
    invalid promotion) and Conflict when stock runs out or the client is closed.
    """
    values = validate(PlaceOrderSchema, data)
    client = get_or_404(session, Client, client_id, "Client")
    if client.status in ("closed", "fraud"):
        raise Conflict(f"client {client_id} is {client.status}; reopen the account before ordering")
    if not (values["products"] or values["domains"] or values["addons"]):
        raise ValidationFailed.single("products", "required", "an order needs at least one item")
    day = today or utcnow().date()
    order = Order(
        client_id=client.id,
        currency=client.currency,
        status=OrderStatus.PENDING.value,
        payment_method=values["payment_method"],
        ip_address=values["ip_address"],
        notes=values["notes"],
        promo_code=values["promo_code"],
    )
    session.add(order)
    session.flush()
    order.number = str(order.id)
    builder = order_lines.OrderBuilder(session, client, order, day)
    builder.promotion = _promotion(session, values["promo_code"], client, values["products"])
    result = OrderResult(order=order)
    for index, item in enumerate(values["products"]):
        services, addons = builder.add_product(index, item)
        result.services.extend(services)
        result.addons.extend(addons)
    for index, item in enumerate(values["domains"]):
        result.domains.append(builder.add_domain(index, item))
    for index, item in enumerate(values["addons"]):
        result.addons.append(builder.add_addon_for_service(index, item))
    if builder.promotion is not None and builder.promotion_used:
        from .promotions import record_promotion_use

        order.promotion_id = builder.promotion.id
        record_promotion_use(session, builder.promotion)
    order.amount = sum(
        (line["unit_amount"] * line.get("quantity", 1) for line in builder.lines), Decimal(0)
    )
    if values["create_invoice"] and builder.lines:
        from .invoices import create_invoice

        result.invoice = create_invoice(
            session,
            client.id,
            builder.lines,
            invoice_date=day,
            due_date=day,
            payment_method=values["payment_method"],
        )
        order.invoice_id = result.invoice.id
    session.flush()
    log_activity(
        session,
        "order.placed",
        f"Order {order.id} placed",
        client_id=client.id,
        subject=("order", order.id),
        data={
            "services": [s.id for s in result.services],
            "domains": [d.id for d in result.domains],
        },
    )
    from bridge.context import emit

    emit(
        session, "order_placed", order_id=order.id, client_id=client.id, invoice_id=order.invoice_id
    )
    return result


def _promotion(
    session: Session, code: str, client: Client, products: list[dict[str, Any]]
) -> Promotion | None:
    if not code:
        return None
    from .promotions import check_promotion

    first = products[0] if products else {}
    return check_promotion(
        session,
        code,
        client_id=client.id,
        product_id=first.get("product_id"),
        cycle=first.get("billing_cycle", "1M"),
        currency=client.currency,
    )


def accept_order(
    session: Session, order_id: int, *, provision: bool = True
) -> tuple[Order, list[ModuleOutcome]]:
    """Accept a pending order and (by default) provision its pending services.

    A ``before_order_accepted`` plugin may veto (Conflict with its message). Each service is
    created through its product's server module; a module failure leaves that service pending
    with the error recorded and a retry queued, and the order is accepted all the same (as
    WHMCS does). Returns the order and one outcome per provisioned service.
    """
    from .module_context import plugin_host
    from .provisioning import provision_service

    order = get_or_404(session, Order, order_id, "Order")
    if order.status != OrderStatus.PENDING:
        raise Conflict(f"order {order_id} is {order.status}; only pending orders can be accepted")
    veto = plugin_host(session).veto("before_order_accepted", order_id=order.id,
                                     client_id=order.client_id)
    if veto:
        raise Conflict(f"order {order.id} was not accepted: {veto}")
    order.status = OrderStatus.ACTIVE.value
    order.accepted_at = utcnow()
    outcomes = []
    if provision:
        for service in _services(session, order.id):
            if service.status == ServiceStatus.PENDING:
                outcomes.append(provision_service(session, service.id))
    log_activity(session, "order.accepted", f"Order {order.id} accepted",
                 client_id=order.client_id, subject=("order", order.id))
    from bridge.context import emit

    emit(session, "order_accepted", order_id=order.id, client_id=order.client_id)
    return order, outcomes


def cancel_order(session: Session, order_id: int, reason: str = "") -> Order:
    """Cancel a pending order: pending services and domains cancelled, unpaid invoice cancelled.

    Raises Conflict for orders that are not pending (cancel the services themselves instead).
    """
    return _close_order(session, order_id, OrderStatus.CANCELLED, reason)


def mark_order_fraud(session: Session, order_id: int, reason: str = "") -> Order:
    """Mark a pending or active order as fraud: its services marked fraud, invoice cancelled."""
    return _close_order(session, order_id, OrderStatus.FRAUD, reason)


def _close_order(session: Session, order_id: int, status: OrderStatus, reason: str) -> Order:
    order = get_or_404(session, Order, order_id, "Order")
    allowed = (
        (OrderStatus.PENDING,)
        if status == OrderStatus.CANCELLED
        else (OrderStatus.PENDING, OrderStatus.ACTIVE)
    )
    if order.status not in allowed:
        raise Conflict(f"order {order_id} is {order.status}; cannot mark it {status.value}")
    from .lifecycle import cancel_service, mark_service_fraud

    for service in _services(session, order.id):
        if status == OrderStatus.FRAUD and service.status in ("pending", "active", "suspended"):
            mark_service_fraud(session, service.id)
        elif service.status == ServiceStatus.PENDING:
            cancel_service(session, service.id, reason or f"order {order.id} {status.value}")
    for domain in session.scalars(select(Domain).where(Domain.order_id == order.id)):
        if domain.status.startswith("pending"):
            domain.status = "fraud" if status == OrderStatus.FRAUD else "cancelled"
    if order.invoice_id is not None:
        invoice = session.get(Invoice, order.invoice_id)
        unpaid = invoice is not None and invoice.status in ("unpaid", "draft")
        if invoice is not None and unpaid and invoice.amount_paid == 0:
            from .invoices import cancel_invoice

            cancel_invoice(session, invoice.id, reason=f"order {order.id} {status.value}")
    order.status = status.value
    order.cancelled_at = utcnow()
    log_activity(
        session,
        f"order.{status.value}",
        f"Order {order.id} marked {status.value}",
        client_id=order.client_id,
        subject=("order", order.id),
        data={"reason": reason},
    )
    from bridge.context import emit

    emit(
        session,
        "order_cancelled" if status == OrderStatus.CANCELLED else "order_fraud",
        order_id=order.id,
        client_id=order.client_id,
    )
    return order


def _services(session: Session, order_id: int) -> list[Service]:
    return list(
        session.scalars(select(Service).where(Service.order_id == order_id).order_by(Service.id))
    )


__all__ = [
    "OrderResult",
    "accept_order",
    "cancel_order",
    "mark_order_fraud",
    "place_order",
]
