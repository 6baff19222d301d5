"""Service and addon lifecycle: status transitions, admin edits, package changes, usage.

Bookkeeping only. The plugin host runs the provisioning module in front of these calls and
calls them when the module said yes; nothing here talks to a server.

Transitions (``TRANSITIONS``)::

    pending   -> active | cancelled | fraud | terminated
    active    -> suspended | terminated | cancelled | completed
    suspended -> active | terminated | cancelled
    fraud     -> cancelled | terminated
    terminated, cancelled, completed -> nothing (an admin may ``reactivate``)
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.context import emit, get_actor
from bridge.cycles import parse_cycle
from bridge.db import utcnow
from bridge.errors import Conflict, PermissionDenied, ValidationFailed
from bridge.models import (
    Addon,
    CancellationRequest,
    Order,
    Product,
    Server,
    Service,
    ServiceAddon,
    ServiceStatus,
)
from bridge.schemas.services import ServiceAddonAddSchema, ServiceUpdateSchema
from bridge.security.secrets import SecretError

from .common import apply_fields, business_now, get_or_404, log_activity, secret_box, validate

S = ServiceStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING.value: frozenset({S.ACTIVE.value, S.CANCELLED.value, S.FRAUD.value,
                                S.TERMINATED.value}),
    S.ACTIVE.value: frozenset({S.SUSPENDED.value, S.TERMINATED.value, S.CANCELLED.value,
                               S.COMPLETED.value}),
    S.SUSPENDED.value: frozenset({S.ACTIVE.value, S.TERMINATED.value, S.CANCELLED.value}),
    S.FRAUD.value: frozenset({S.CANCELLED.value, S.TERMINATED.value}),
    S.TERMINATED.value: frozenset(),
    S.CANCELLED.value: frozenset(),
    S.COMPLETED.value: frozenset(),
}
# Closed states only an admin can leave, through reactivate_service.
REACTIVATABLE = frozenset({S.TERMINATED.value, S.CANCELLED.value, S.COMPLETED.value})
# A cancellation request or a package change only makes sense while the service lives.
LIVE = frozenset({S.PENDING.value, S.ACTIVE.value, S.SUSPENDED.value})
CANCELLATION_KINDS = ("immediate", "end_of_period")

Item = Service | ServiceAddon


def can_transition(current: str, wanted: str) -> bool:
    """True when the transition table allows ``current`` -> ``wanted``."""
    return wanted in TRANSITIONS.get(current, frozenset())


def _label(item: Item) -> str:
    return "service" if isinstance(item, Service) else "service addon"


def _move(item: Item, wanted: S, *, only_from: frozenset[str] | None = None) -> str:
    """Set ``item.status`` to ``wanted`` if the table (and ``only_from``) allow it."""
    current = item.status
    if can_transition(current, wanted.value) and (only_from is None or current in only_from):
        item.status = wanted.value
        return current
    if current in REACTIVATABLE:
        hint = "; reactivate it first" if isinstance(item, Service) else "; it has ended"
    elif wanted is S.ACTIVE and current == S.SUSPENDED.value:
        hint = "; unsuspend it instead"
    else:
        hint = ""
    raise Conflict(
        f"{_label(item)} {item.id} is {current}; it cannot become {wanted.value}{hint}"
    )


def _record(session: Session, item: Item, action: str, event: str, text: str,
            **extra: Any) -> None:
    """Write the activity log entry and queue the event of a change to ``item``."""
    if isinstance(item, Service):
        ids: dict[str, Any] = {"service_id": item.id, "client_id": item.client_id}
        subject = ("service", item.id)
    else:
        ids = {"service_addon_id": item.id, "service_id": item.service_id,
               "client_id": item.client_id}
        subject = ("service_addon", item.id)
    log_activity(session, action, text, client_id=item.client_id, subject=subject,
                 data={**ids, **extra})
    emit(session, event, **ids, **extra)


def _service(session: Session, service_id: int) -> Service:
    return get_or_404(session, Service, service_id, "Service")


def _addon(session: Session, service_addon_id: int) -> ServiceAddon:
    return get_or_404(session, ServiceAddon, service_addon_id, "Service addon")


def _cycle_code(code: str, field: str = "billing_cycle") -> str:
    try:
        return parse_cycle(code).code
    except ValueError as exc:
        raise ValidationFailed.single(field, "invalid", str(exc)) from exc


def _check_server(session: Session, server_id: int | None) -> None:
    if server_id is not None and session.get(Server, server_id) is None:
        raise ValidationFailed.single("server_id", "exists", f"server {server_id} does not exist")


def _close_open_requests(session: Session, service_id: int) -> None:
    """Mark a pending cancellation request as processed once the service has ended."""
    now = business_now(session)
    for request in session.scalars(select(CancellationRequest).where(
            CancellationRequest.service_id == service_id,
            CancellationRequest.processed_at.is_(None))):
        request.processed_at = now


# --- services -------------------------------------------------------------------------------

def activate_service(session: Session, service_id: int, *, username: str | None = None,
                     password: str | None = None, server_id: int | None = None) -> Service:
    """Record that a pending service was provisioned: pending -> active.

    Sets the registration date to today (UTC) when empty, stores the account username, the
    password encrypted with the install key and the server. Emits ``service_provisioned``.
    Raises Conflict unless the service is pending (a suspended one is unsuspended instead),
    ValidationFailed for an unknown server.
    """
    service = _service(session, service_id)
    _check_server(session, server_id)
    old = _move(service, S.ACTIVE, only_from=frozenset({S.PENDING.value}))
    if service.registration_date is None:
        service.registration_date = utcnow().date()
    if username is not None:
        service.username = username
    if password is not None:
        service.password_enc = secret_box(session).encrypt(password)
    if server_id is not None:
        service.server_id = server_id
    service.module_error = ""
    _record(session, service, "service.activated", "service_provisioned",
            f"Service #{service.id} activated", old_status=old, server_id=service.server_id)
    return service


def suspend_service(session: Session, service_id: int, reason: str = "") -> Service:
    """Suspend an active service, keeping ``reason``; emits ``service_suspended``.

    Raises Conflict unless the service is active.
    """
    service = _service(session, service_id)
    _move(service, S.SUSPENDED)
    service.suspend_reason = reason
    service.suspended_at = business_now(session)
    _record(session, service, "service.suspended", "service_suspended",
            f"Service #{service.id} suspended" + (f": {reason}" if reason else ""), reason=reason)
    return service


def unsuspend_service(session: Session, service_id: int) -> Service:
    """Unsuspend a suspended service (suspended -> active, reason cleared).

    Emits ``service_unsuspended``; raises Conflict unless the service is suspended.
    """
    service = _service(session, service_id)
    _move(service, S.ACTIVE, only_from=frozenset({S.SUSPENDED.value}))
    service.suspend_reason = ""
    service.suspended_at = None
    _record(session, service, "service.unsuspended", "service_unsuspended",
            f"Service #{service.id} unsuspended")
    return service


def terminate_service(session: Session, service_id: int) -> Service:
    """Record that a service was terminated (timestamp and termination date, today UTC).

    Processes a pending cancellation request. Emits ``service_terminated``; raises Conflict
    from terminated, cancelled or completed.
    """
    service = _service(session, service_id)
    old = _move(service, S.TERMINATED)
    now = business_now(session)
    service.terminated_at = now
    service.termination_date = now.date()
    _close_open_requests(session, service.id)
    _record(session, service, "service.terminated", "service_terminated",
            f"Service #{service.id} terminated", old_status=old)
    return service


def cancel_service(session: Session, service_id: int, reason: str = "") -> Service:
    """Cancel a service (no further invoices); sets the termination date when empty and
    stores a given ``reason`` as the service's cancellation reason.

    Processes a pending cancellation request. Emits ``service_cancelled``; raises Conflict
    from terminated, cancelled or completed.
    """
    service = _service(session, service_id)
    old = _move(service, S.CANCELLED)
    if service.termination_date is None:
        service.termination_date = business_now(session).date()
    if reason:  # kept on the service too, for the doors that print it (Blesta)
        service.cancellation_reason = reason
    _close_open_requests(session, service.id)
    _record(session, service, "service.cancelled", "service_cancelled",
            f"Service #{service.id} cancelled" + (f": {reason}" if reason else ""),
            old_status=old, reason=reason)
    return service


def mark_service_fraud(session: Session, service_id: int) -> Service:
    """Mark a pending service as fraud; emits ``service_marked_fraud``.

    Raises Conflict unless the service is pending.
    """
    service = _service(session, service_id)
    _move(service, S.FRAUD)
    _record(session, service, "service.fraud", "service_marked_fraud",
            f"Service #{service.id} marked as fraud")
    return service


def complete_service(session: Session, service_id: int) -> Service:
    """Mark an active service completed (a one-off job delivered); emits ``service_completed``.

    Raises Conflict unless the service is active.
    """
    service = _service(session, service_id)
    _move(service, S.COMPLETED)
    _record(session, service, "service.completed", "service_completed",
            f"Service #{service.id} completed")
    return service


def reactivate_service(session: Session, service_id: int, *,
                       status: str | None = None) -> Service:
    """Bring a terminated, cancelled or completed service back (admins and the system only).

    By default a terminated or cancelled service returns to pending (its account must be
    provisioned again) and a completed one to active; ``status`` may pick pending or active.
    Termination dates are cleared. Emits ``service_reactivated``. Raises PermissionDenied for
    a client actor, Conflict from any other status, ValidationFailed for another ``status``.
    """
    if get_actor(session).kind in ("client", "user"):
        raise PermissionDenied("only an administrator can reactivate a service")
    service = _service(session, service_id)
    old = service.status
    if old not in REACTIVATABLE:
        raise Conflict(f"service {service.id} is {old}; only terminated, cancelled or "
                       "completed services can be reactivated")
    default = S.ACTIVE.value if old == S.COMPLETED.value else S.PENDING.value
    wanted = status or default
    if wanted not in (S.PENDING.value, S.ACTIVE.value):
        raise ValidationFailed.single("status", "one_of",
                                      "a reactivated service is pending or active")
    service.status = wanted
    service.terminated_at = None
    service.termination_date = None
    service.suspend_reason = ""
    service.suspended_at = None
    _record(session, service, "service.reactivated", "service_reactivated",
            f"Service #{service.id} reactivated ({old} -> {wanted})", old_status=old,
            status=wanted)
    return service


def request_cancellation(session: Session, service_id: int, *, kind: str = "end_of_period",
                         reason: str = "") -> CancellationRequest:
    """File a cancellation request (``immediate`` or ``end_of_period``) for a live service.

    Emits ``cancellation_requested``. Raises ValidationFailed for another kind, Conflict when
    the service has already ended or already has an open request.
    """
    if kind not in CANCELLATION_KINDS:
        raise ValidationFailed.single("kind", "one_of", "kind must be immediate or end_of_period")
    service = _service(session, service_id)
    if service.status not in LIVE:
        raise Conflict(f"service {service.id} is {service.status}; nothing to cancel")
    existing = session.scalar(select(CancellationRequest.id).where(
        CancellationRequest.service_id == service.id, CancellationRequest.processed_at.is_(None)))
    if existing is not None:
        raise Conflict(f"service {service.id} already has an open cancellation request "
                       f"(#{existing})")
    request = CancellationRequest(service_id=service.id, kind=kind, reason=reason)
    session.add(request)
    session.flush()
    _record(session, service, "service.cancellation_requested", "cancellation_requested",
            f"Cancellation requested for service #{service.id} ({kind})",
            cancellation_request_id=request.id, kind=kind)
    return request


def update_service(session: Session, service_id: int, data: Mapping[str, Any]) -> Service:
    """Apply an admin's edits (see ``ServiceUpdateSchema``); the password is stored encrypted.

    A new next due date also moves the billing anchor day to it. Emits ``service_updated``
    with the changed field names when anything changed. Raises ValidationFailed for bad input
    (unknown billing cycle, unknown server).
    """
    values = validate(ServiceUpdateSchema, data)
    service = _service(session, service_id)
    if "billing_cycle" in values:
        values["billing_cycle"] = _cycle_code(values["billing_cycle"])
    _check_server(session, values.get("server_id"))
    if "assigned_ips" in values:
        values["assigned_ips"] = [ip.strip() for ip in values["assigned_ips"] if ip.strip()]
    password = values.pop("password", None)
    changed = apply_fields(service, values)
    if "next_due_date" in changed and service.next_due_date is not None:
        service.anchor_day = service.next_due_date.day
    if password is not None and password != _decrypt_or_none(session, service):
        service.password_enc = secret_box(session).encrypt(password)
        changed.append("password")
    if changed:
        _record(session, service, "service.updated", "service_updated",
                f"Service #{service.id} updated: {', '.join(changed)}", changed=changed)
    return service


def _decrypt_or_none(session: Session, service: Service) -> str | None:
    try:
        return secret_box(session).decrypt(service.password_enc)
    except SecretError:
        return None


def service_password(session: Session, service: Service) -> str:
    """The service's account password in plain text ("" when none is stored).

    Raises Conflict when the stored value cannot be decrypted with the install key.
    """
    try:
        return secret_box(session).decrypt(service.password_enc)
    except SecretError as exc:
        raise Conflict(f"service {service.id}: stored password cannot be decrypted ({exc}); "
                       "check BRIDGE_SECRET_KEY or set a new password") from exc


def change_package(session: Session, service_id: int, new_product_id: int, *,
                   billing_cycle: str | None = None,
                   recurring_amount: Decimal | None = None) -> Service:
    """Record a package (product) change, optionally with a new cycle and recurring amount.

    Emits ``service_package_changed`` with old and new product ids. Raises NotFound for an
    unknown product, Conflict when the service has ended, ValidationFailed for a bad cycle or
    a negative amount.
    """
    service = _service(session, service_id)
    get_or_404(session, Product, new_product_id, "Product")
    if service.status not in LIVE:
        raise Conflict(f"service {service.id} is {service.status}; its package cannot change")
    if recurring_amount is not None and recurring_amount < 0:
        raise ValidationFailed.single("recurring_amount", "range", "amount must not be negative")
    old_product_id, old_cycle = service.product_id, service.billing_cycle
    service.product_id = new_product_id
    if billing_cycle is not None:
        service.billing_cycle = _cycle_code(billing_cycle)
    if recurring_amount is not None:
        service.recurring_amount = recurring_amount
    _record(session, service, "service.package_changed", "service_package_changed",
            f"Service #{service.id} changed from product #{old_product_id} to "
            f"#{new_product_id}", old_product_id=old_product_id, new_product_id=new_product_id,
            old_billing_cycle=old_cycle, billing_cycle=service.billing_cycle)
    return service


def set_usage(session: Session, service_id: int, *, disk_usage_mb: int | None = None,
              disk_limit_mb: int | None = None, bandwidth_usage_mb: int | None = None,
              bandwidth_limit_mb: int | None = None) -> Service:
    """Store disk and bandwidth figures reported by the server (None leaves a value as is).

    Metrics, not a state change: stamps ``usage_updated_at`` but writes no activity log.
    Raises ValidationFailed for a negative figure.
    """
    service = _service(session, service_id)
    figures = {"disk_usage_mb": disk_usage_mb, "disk_limit_mb": disk_limit_mb,
               "bandwidth_usage_mb": bandwidth_usage_mb, "bandwidth_limit_mb": bandwidth_limit_mb}
    for name, value in figures.items():
        if value is not None and value < 0:
            raise ValidationFailed.single(name, "range", f"{name} must not be negative")
    apply_fields(service, {k: v for k, v in figures.items() if v is not None})
    service.usage_updated_at = utcnow()
    return service


# --- service addons -------------------------------------------------------------------------

def add_service_addon(session: Session, service_id: int,
                      data: Mapping[str, Any]) -> ServiceAddon:
    """Attach an addon (catalogue ``addon_id`` or a custom ``name``) to a service.

    Client and currency come from the service; cycle and payment method default to the
    service's, the name and taxability to the catalogue addon's. Emits ``addon_added``.
    Raises ValidationFailed (no addon id nor name, unknown addon/order, bad cycle), Conflict
    when the service has ended.
    """
    values = validate(ServiceAddonAddSchema, data)
    service = _service(session, service_id)
    if service.status not in LIVE:
        raise Conflict(f"service {service.id} is {service.status}; addons cannot be added")
    catalogue: Addon | None = None
    if values["addon_id"] is not None:
        catalogue = session.get(Addon, values["addon_id"])
        if catalogue is None:
            raise ValidationFailed.single("addon_id", "exists",
                                          f"addon {values['addon_id']} does not exist")
    elif not values["name"].strip():
        raise ValidationFailed.single("name", "required", "give an addon_id or a name")
    if values["order_id"] is not None and session.get(Order, values["order_id"]) is None:
        raise ValidationFailed.single("order_id", "exists",
                                      f"order {values['order_id']} does not exist")
    cycle = _cycle_code(values["billing_cycle"] or service.billing_cycle)
    taxable = values["taxable"]
    addon = ServiceAddon(
        service_id=service.id, client_id=service.client_id, currency=service.currency,
        addon_id=values["addon_id"], order_id=values["order_id"],
        name=values["name"].strip() or (catalogue.name if catalogue else ""),
        status=values["status"], billing_cycle=cycle, quantity=values["quantity"],
        setup_fee=values["setup_fee"], recurring_amount=values["recurring_amount"],
        taxable=taxable if taxable is not None else (catalogue.taxable if catalogue else True),
        registration_date=values["registration_date"], next_due_date=values["next_due_date"],
        next_invoice_date=values["next_invoice_date"] or values["next_due_date"],
        payment_method=values["payment_method"] or service.payment_method, notes=values["notes"],
    )
    if addon.next_due_date is not None:
        addon.anchor_day = addon.next_due_date.day
    session.add(addon)
    session.flush()
    _record(session, addon, "addon.added", "addon_added",
            f"Addon {addon.name!r} added to service #{service.id}", addon_id=addon.addon_id)
    return addon


def activate_addon(session: Session, service_addon_id: int) -> ServiceAddon:
    """Pending -> active; registration date today (UTC) when empty. Emits ``addon_activated``.

    Raises Conflict unless the addon is pending.
    """
    addon = _addon(session, service_addon_id)
    _move(addon, S.ACTIVE, only_from=frozenset({S.PENDING.value}))
    if addon.registration_date is None:
        addon.registration_date = utcnow().date()
    _record(session, addon, "addon.activated", "addon_activated",
            f"Service addon #{addon.id} activated")
    return addon


def suspend_addon(session: Session, service_addon_id: int, reason: str = "") -> ServiceAddon:
    """Active -> suspended; emits ``addon_suspended`` with ``reason``. Conflict otherwise."""
    addon = _addon(session, service_addon_id)
    _move(addon, S.SUSPENDED)
    _record(session, addon, "addon.suspended", "addon_suspended",
            f"Service addon #{addon.id} suspended" + (f": {reason}" if reason else ""),
            reason=reason)
    return addon


def unsuspend_addon(session: Session, service_addon_id: int) -> ServiceAddon:
    """Suspended -> active; emits ``addon_unsuspended``. Conflict otherwise."""
    addon = _addon(session, service_addon_id)
    _move(addon, S.ACTIVE, only_from=frozenset({S.SUSPENDED.value}))
    _record(session, addon, "addon.unsuspended", "addon_unsuspended",
            f"Service addon #{addon.id} unsuspended")
    return addon


def terminate_addon(session: Session, service_addon_id: int) -> ServiceAddon:
    """Terminate an addon (termination date today UTC); emits ``addon_terminated``.

    Raises Conflict from terminated, cancelled or completed.
    """
    addon = _addon(session, service_addon_id)
    old = _move(addon, S.TERMINATED)
    addon.termination_date = business_now(session).date()
    _record(session, addon, "addon.terminated", "addon_terminated",
            f"Service addon #{addon.id} terminated", old_status=old)
    return addon


def cancel_addon(session: Session, service_addon_id: int, reason: str = "") -> ServiceAddon:
    """Cancel an addon (termination date set when empty); emits ``addon_cancelled``.

    Raises Conflict from terminated, cancelled or completed.
    """
    addon = _addon(session, service_addon_id)
    old = _move(addon, S.CANCELLED)
    if addon.termination_date is None:
        addon.termination_date = business_now(session).date()
    _record(session, addon, "addon.cancelled", "addon_cancelled",
            f"Service addon #{addon.id} cancelled" + (f": {reason}" if reason else ""),
            old_status=old, reason=reason)
    return addon
