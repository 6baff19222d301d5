"""Staff operations on orders and the items they created, beyond placing and accepting them:
delete a cancelled order, put an order back to pending, edit an ordered addon, amend a
service's record (dates, promotion, suspension reason) and its chosen configurable options.

These are bookkeeping edits: nothing here talks to a panel or a registrar.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.cycles import parse_cycle
from bridge.errors import Conflict, ValidationFailed
from bridge.models import (
    Addon,
    CancellationRequest,
    ConfigOption,
    CreditEntry,
    CustomField,
    CustomFieldValue,
    Domain,
    Invoice,
    InvoiceItem,
    ModuleQueueItem,
    Order,
    OrderStatus,
    Promotion,
    Service,
    ServiceAddon,
    ServiceConfigOption,
    Transaction,
)

from .common import apply_fields, get_or_404, log_activity, non_negative_amount

DELETABLE = (OrderStatus.CANCELLED.value, OrderStatus.FRAUD.value)
# items that ended with the order come back to pending with it; live ones are left alone
REOPENABLE = ("cancelled", "fraud")
ADDON_FIELDS = ("addon_id", "name", "setup_fee", "recurring_amount", "billing_cycle",
                "next_due_date", "termination_date", "notes")


def delete_order(session: Session, order_id: int) -> None:
    """Delete a cancelled or fraud order with its services, addons, domains and unpaid invoice.

    Lines of other invoices that named those items keep their amounts and lose the link, so
    billing history stays intact. Raises Conflict when the order is neither cancelled nor
    fraud, or when its invoice has a payment or credit recorded (refund it first).
    """
    order = get_or_404(session, Order, order_id, "Order")
    if order.status not in DELETABLE:
        raise Conflict(f"order {order.id} is {order.status}; cancel it or mark it fraud "
                       "before deleting it")
    invoice = session.get(Invoice, order.invoice_id) if order.invoice_id else None
    if invoice is not None:
        _check_unpaid(session, invoice, order.id)
    services = list(session.scalars(select(Service).where(Service.order_id == order.id)))
    service_ids = [s.id for s in services]
    addons = list(session.scalars(select(ServiceAddon).where(or_(
        ServiceAddon.order_id == order.id, ServiceAddon.service_id.in_(service_ids)))))
    addon_ids = [a.id for a in addons]
    domains = list(session.scalars(select(Domain).where(Domain.order_id == order.id)))
    domain_ids = [d.id for d in domains]
    _detach_invoice_lines(session, invoice, service_ids, addon_ids, domain_ids)
    _delete_related_rows(session, service_ids, addon_ids, domain_ids)
    order.invoice_id = None
    # one flush per level: no relationship tells the unit of work that these rows point at
    # the order and the invoice
    for rows in ([invoice] if invoice is not None else [], addons, [*services, *domains],
                 [order]):
        for row in rows:
            session.delete(row)
        session.flush()
    log_activity(session, "order.deleted", f"Order {order_id} deleted",
                 client_id=order.client_id, subject=("order", order_id),
                 data={"services": service_ids, "addons": addon_ids, "domains": domain_ids,
                       "invoice_id": invoice.id if invoice is not None else None})
    emit(session, "order_deleted", order_id=order_id, client_id=order.client_id)


def _check_unpaid(session: Session, invoice: Invoice, order_id: int) -> None:
    paid = invoice.amount_paid > 0 or invoice.credit_applied > 0
    paid = paid or session.scalar(
        select(Transaction.id).where(Transaction.invoice_id == invoice.id).limit(1)) is not None
    paid = paid or session.scalar(
        select(CreditEntry.id).where(CreditEntry.invoice_id == invoice.id).limit(1)) is not None
    if paid:
        raise Conflict(f"invoice {invoice.id} of order {order_id} has payments or credit "
                       "recorded; refund them before deleting the order")


def _detach_invoice_lines(session: Session, invoice: Invoice | None, service_ids: list[int],
                          addon_ids: list[int], domain_ids: list[int]) -> None:
    lines = session.scalars(select(InvoiceItem).where(or_(
        InvoiceItem.service_id.in_(service_ids), InvoiceItem.service_addon_id.in_(addon_ids),
        InvoiceItem.domain_id.in_(domain_ids))))
    for line in lines:
        if invoice is not None and line.invoice_id == invoice.id:
            continue  # deleted with its invoice
        if line.service_id in service_ids:
            line.service_id = None
        if line.service_addon_id in addon_ids:
            line.service_addon_id = None
        if line.domain_id in domain_ids:
            line.domain_id = None


def _delete_related_rows(session: Session, service_ids: list[int], addon_ids: list[int],
                         domain_ids: list[int]) -> None:
    for owner_type, ids in (("product", service_ids), ("addon", addon_ids)):
        fields = select(CustomField.id).where(CustomField.owner_type == owner_type)
        session.execute(delete(CustomFieldValue).where(
            CustomFieldValue.entity_id.in_(ids), CustomFieldValue.field_id.in_(fields)))
    for subject_type, ids in (("service", service_ids), ("service_addon", addon_ids),
                              ("domain", domain_ids)):
        session.execute(delete(ModuleQueueItem).where(
            ModuleQueueItem.subject_type == subject_type, ModuleQueueItem.subject_id.in_(ids)))
    session.execute(delete(CancellationRequest).where(
        CancellationRequest.service_id.in_(service_ids)))


def set_order_pending(session: Session, order_id: int) -> Order:
    """Put an order back to pending, with the items that ended with it.

    Services and addons that were cancelled or marked fraud return to pending, and so do
    domains; items that are live (active, suspended) keep their status because an account
    exists for them. Emits ``order_pending``. NotFound when the order does not exist.
    """
    order = get_or_404(session, Order, order_id, "Order")
    old = order.status
    order.status = OrderStatus.PENDING.value
    order.cancelled_at = None
    order.accepted_at = None
    reopened: list[str] = []
    for item in [*session.scalars(select(Service).where(Service.order_id == order.id)),
                 *session.scalars(select(ServiceAddon).where(ServiceAddon.order_id == order.id))]:
        if item.status in REOPENABLE:
            item.status = "pending"
            item.termination_date = None
            reopened.append(f"{'service' if isinstance(item, Service) else 'addon'} {item.id}")
    for domain in session.scalars(select(Domain).where(Domain.order_id == order.id)):
        if domain.status in REOPENABLE:
            domain.status = ("pending_registration" if domain.kind == "register"
                             else "pending_transfer")
            reopened.append(f"domain {domain.id}")
    log_activity(session, "order.pending", f"Order {order.id} set back to pending from {old}",
                 client_id=order.client_id, subject=("order", order.id),
                 data={"old_status": old, "reopened": reopened})
    emit(session, "order_pending", order_id=order.id, client_id=order.client_id,
         old_status=old)
    return order


def update_service_addon(session: Session, service_addon_id: int,
                         data: Mapping[str, Any]) -> list[str]:
    """Edit an addon a client owns; returns the names of the fields that changed.

    Keys (all optional): ``addon_id`` (catalogue addon), ``name``, ``setup_fee``,
    ``recurring_amount``, ``billing_cycle``, ``next_due_date``, ``termination_date``,
    ``notes``. A new next due date moves the billing anchor day and the next invoice date.
    Emits ``addon_updated`` when something changed. Raises ValidationFailed for an unknown
    key, catalogue addon or cycle and for a negative amount.
    """
    addon = get_or_404(session, ServiceAddon, service_addon_id, "Service addon")
    unknown = set(data) - set(ADDON_FIELDS)
    if unknown:
        raise ValidationFailed.single(sorted(unknown)[0], "unknown", "Unknown field.")
    values = dict(data)
    if values.get("addon_id") is not None and session.get(Addon, values["addon_id"]) is None:
        raise ValidationFailed.single("addon_id", "exists",
                                      f"addon {values['addon_id']} does not exist")
    for key in ("setup_fee", "recurring_amount"):
        if key in values:
            values[key] = non_negative_amount(values[key], key)
    if "billing_cycle" in values:
        values["billing_cycle"] = _cycle(values["billing_cycle"])
    changed = apply_fields(addon, values)
    if "next_due_date" in changed and addon.next_due_date is not None:
        addon.anchor_day = addon.next_due_date.day
        addon.next_invoice_date = addon.next_due_date
    if changed:
        log_activity(session, "addon.updated",
                     f"Service addon #{addon.id} updated: {', '.join(changed)}",
                     client_id=addon.client_id, subject=("service_addon", addon.id),
                     data={"changed": changed})
        emit(session, "addon_updated", service_addon_id=addon.id, service_id=addon.service_id,
             client_id=addon.client_id, changed=changed)
    return changed


def amend_service(session: Session, service_id: int, *,
                  registration_date: date | None = None, clear_registration: bool = False,
                  termination_date: date | None = None, clear_termination: bool = False,
                  suspend_reason: str | None = None,
                  promotion_id: int | None = None) -> list[str]:
    """Correct a service's record: registration and termination dates, suspension reason and
    the promotion it carries (0 removes it). Returns the changed field names.

    Status changes go through :mod:`bridge.services.lifecycle`; this only fixes the record
    (for example after an import). Emits ``service_updated``. Raises ValidationFailed for an
    unknown promotion.
    """
    service = get_or_404(session, Service, service_id, "Service")
    values: dict[str, Any] = {}
    if registration_date is not None or clear_registration:
        values["registration_date"] = registration_date
    if termination_date is not None or clear_termination:
        values["termination_date"] = termination_date
    if suspend_reason is not None:
        values["suspend_reason"] = suspend_reason
    if promotion_id is not None:
        if promotion_id and session.get(Promotion, promotion_id) is None:
            raise ValidationFailed.single("promotion_id", "exists",
                                          f"promotion {promotion_id} does not exist")
        values["promotion_id"] = promotion_id or None
    changed = apply_fields(service, values)
    _service_changed(session, service, changed)
    return changed


def resolve_option_choices(session: Session, product_id: int,
                           choices: Mapping[int, int | tuple[int, int]]
                           ) -> dict[int, tuple[int | None, int]]:
    """Check choices for configurable options of a product: option id -> (value id, quantity).

    ``choices`` maps an option id to the chosen value id, or (value id, quantity); for a
    quantity option a bare int is the quantity (quantity is 0 for the other kinds). Raises
    ValidationFailed for an option the product does not have, an unknown value or a quantity
    out of range.
    """
    from .catalog import config_options_for_product

    options = {o.id: o for o in config_options_for_product(session, product_id)}
    resolved: dict[int, tuple[int | None, int]] = {}
    for option_id, choice in choices.items():
        option = options.get(option_id)
        if option is None:
            raise ValidationFailed.single(
                f"configoptions.{option_id}", "invalid",
                f"option {option_id} does not belong to product {product_id}")
        resolved[option_id] = _choice(option, choice)
    return resolved


def set_service_options(session: Session, service_id: int,
                        choices: Mapping[int, int | tuple[int, int]]) -> list[int]:
    """Set the service's choice for configurable options of its product (see
    :func:`resolve_option_choices`); options not named keep their choice.

    Returns the option ids that changed. Emits ``service_updated``. Raises ValidationFailed
    as :func:`resolve_option_choices` does.
    """
    service = get_or_404(session, Service, service_id, "Service")
    resolved = resolve_option_choices(session, service.product_id, choices)
    current = {row.option_id: row for row in service.config_options}
    changed: list[int] = []
    for option_id, (value_id, quantity) in resolved.items():
        row = current.get(option_id)
        if row is None:
            row = ServiceConfigOption(option_id=option_id)
            service.config_options.append(row)
        if (row.value_id, row.quantity) != (value_id, quantity):
            row.value_id, row.quantity = value_id, quantity
            changed.append(option_id)
    session.flush()
    _service_changed(session, service, [f"config_option_{i}" for i in changed])
    return changed


def _choice(option: ConfigOption, choice: int | tuple[int, int]) -> tuple[int | None, int]:
    field = f"configoptions.{option.id}"
    if option.option_type == "quantity":
        quantity = choice[1] if isinstance(choice, tuple) else choice
        if quantity < 0 or (option.qty_max and not option.qty_min <= quantity <= option.qty_max):
            raise ValidationFailed.single(field, "range", f"{option.name}: quantity must be "
                                          f"{option.qty_min}-{option.qty_max}")
        return (option.values[0].id if option.values else None), quantity
    value_id = choice[0] if isinstance(choice, tuple) else choice
    if not any(v.id == value_id for v in option.values):
        raise ValidationFailed.single(field, "invalid",
                                      f"{option.name}: unknown choice {value_id}")
    return value_id, 0


def _service_changed(session: Session, service: Service, changed: list[str]) -> None:
    if not changed:
        return
    log_activity(session, "service.updated",
                 f"Service #{service.id} updated: {', '.join(changed)}",
                 client_id=service.client_id, subject=("service", service.id),
                 data={"changed": changed})
    emit(session, "service_updated", service_id=service.id, client_id=service.client_id,
         changed=changed)


def _cycle(code: str) -> str:
    try:
        return parse_cycle(code).code
    except ValueError as exc:
        raise ValidationFailed.single("billing_cycle", "invalid", str(exc)) from exc


__all__ = [
    "amend_service",
    "delete_order",
    "resolve_option_choices",
    "set_order_pending",
    "set_service_options",
    "update_service_addon",
]
