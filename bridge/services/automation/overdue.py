"""Overdue services: suspension after the grace days, termination later, and unsuspension
the moment the overdue invoice is paid (WHMCS "Overdue Suspensions/Terminations",
AutoUnsuspend; Blesta "Suspend Services", "Unsuspend Services").

Suspension and termination go through the server module (``provisioning``), so a refusing
or unreachable panel leaves the service as it was and queues a retry. The state itself is
the idempotency record: a suspended service is not suspended again.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bridge.errors import Conflict
from bridge.models import Client, ClientGroup, Invoice, InvoiceItem, Service, ServiceAddon
from bridge.models.enums import InvoiceItemType

from ..credit import PAYABLE_STATUSES
from ..lifecycle import suspend_addon, unsuspend_addon
from ..provisioning import suspend_account, terminate_account, unsuspend_account
from .common import (
    OVERDUE_REASON,
    Checkpoint,
    Counts,
    bump,
    flag_setting,
    int_setting,
    no_checkpoint,
)


def _overdue(model: type[Service] | type[ServiceAddon], link: Any, item_type: str,
             status: str, cutoff: date) -> Any:
    """Ids of ``status`` rows of ``model`` billed (``link``, lines of ``item_type``) on an open
    invoice due on or before ``cutoff``, whose client group is not exempt."""
    return (select(model.id).distinct()
            .join(InvoiceItem, and_(link == model.id, InvoiceItem.type == item_type))
            .join(Invoice, Invoice.id == InvoiceItem.invoice_id)
            .join(Client, Client.id == model.client_id)
            .outerjoin(ClientGroup, ClientGroup.id == Client.group_id)
            .where(model.status == status, Invoice.status.in_(PAYABLE_STATUSES),
                   Invoice.due_date <= cutoff,
                   or_(ClientGroup.id.is_(None), ClientGroup.exempt_suspend_terminate.is_(False)))
            .order_by(model.id))


def _overdue_services(status: str, cutoff: date) -> Any:
    """Ids of ``status`` services billed on an open invoice due on or before ``cutoff``."""
    return _overdue(Service, InvoiceItem.service_id, InvoiceItemType.SERVICE.value, status,
                    cutoff)


def _overdue_addons(cutoff: date) -> Any:
    """Ids of active addons billed on their own line of an open invoice due by ``cutoff``."""
    return _overdue(ServiceAddon, InvoiceItem.service_addon_id, InvoiceItemType.ADDON.value,
                    "active", cutoff)


def _suspend_addons(session: Session, cutoff: date, counts: Counts) -> None:
    # addon modules are not driven here: the addon's status changes, its parent keeps running
    for addon_id in session.scalars(_overdue_addons(cutoff)).all():
        addon = suspend_addon(session, addon_id, OVERDUE_REASON)
        addon.suspend_reason = OVERDUE_REASON
        bump(counts, "addons_suspended")


def _outcome(counts: Counts, ok: bool, done: str) -> None:
    bump(counts, done if ok else "failed")


def suspend_overdue_services(session: Session, today: date, *,
                             checkpoint: Checkpoint = no_checkpoint) -> Counts:
    """Suspend active services with an open invoice overdue by ``automation.suspend_days``.

    Addons billed on their own overdue lines are suspended too (status only; their parent
    service keeps running). Skipped: services with ``override_auto_suspend`` (until
    ``override_suspend_until`` when that is set) and clients of a group exempt from
    suspension. The suspend reason is
    :data:`OVERDUE_REASON`, which is what payment-driven unsuspension looks for. A
    ``before_suspend_account`` veto is counted, not raised.
    """
    counts: Counts = {"suspended": 0, "failed": 0, "vetoed": 0, "exempt": 0,
                      "addons_suspended": 0}
    if not flag_setting(session, "suspend_enabled"):
        return counts
    cutoff = today - timedelta(days=int_setting(session, "suspend_days"))
    _suspend_addons(session, cutoff, counts)
    for service_id in session.scalars(_overdue_services("active", cutoff)).all():
        service = session.get(Service, service_id)
        assert service is not None
        until = service.override_suspend_until
        if service.override_auto_suspend and (until is None or until >= today):
            bump(counts, "exempt")
            continue
        try:
            outcome = suspend_account(session, service_id, OVERDUE_REASON)
        except Conflict:
            bump(counts, "vetoed")
            continue
        _outcome(counts, outcome.ok, "suspended")
        checkpoint()
    return counts


def terminate_overdue_services(session: Session, today: date, *,
                               checkpoint: Checkpoint = no_checkpoint) -> Counts:
    """Terminate suspended services whose open invoice is ``automation.terminate_days``
    overdue (when ``automation.terminate_enabled``), except those with
    ``override_auto_terminate`` or in an exempt client group."""
    counts: Counts = {"terminated": 0, "failed": 0, "vetoed": 0, "exempt": 0}
    if not flag_setting(session, "terminate_enabled"):
        return counts
    cutoff = today - timedelta(days=int_setting(session, "terminate_days"))
    for service_id in session.scalars(_overdue_services("suspended", cutoff)).all():
        service = session.get(Service, service_id)
        assert service is not None
        if service.override_auto_terminate:
            bump(counts, "exempt")
            continue
        try:
            outcome = terminate_account(session, service_id)
        except Conflict:
            bump(counts, "vetoed")
            continue
        _outcome(counts, outcome.ok, "terminated")
        checkpoint()
    return counts


def unsuspend_paid_services(session: Session, invoice_id: int, today: date) -> Counts:
    """Lift the overdue suspension of the services (and addons) billed on paid invoice
    ``invoice_id``.

    Only services suspended by automation (reason :data:`OVERDUE_REASON`) and with no other
    open invoice already past due on ``today`` are unsuspended, through the server module.
    Does nothing when ``automation.unsuspend_on_payment`` is off.
    """
    counts: Counts = {"unsuspended": 0, "failed": 0, "still_overdue": 0,
                      "addons_unsuspended": 0}
    if not flag_setting(session, "unsuspend_on_payment"):
        return counts
    _unsuspend_addons(session, invoice_id, today, counts)
    ids = session.scalars(
        select(Service.id).distinct()
        .join(InvoiceItem, and_(InvoiceItem.service_id == Service.id,
                                InvoiceItem.type == InvoiceItemType.SERVICE.value))
        .where(InvoiceItem.invoice_id == invoice_id, Service.status == "suspended",
               Service.suspend_reason == OVERDUE_REASON)).all()
    for service_id in ids:
        if _overdue_elsewhere(session, InvoiceItem.service_id, service_id, invoice_id, today):
            bump(counts, "still_overdue")
            continue
        outcome = unsuspend_account(session, service_id)
        _outcome(counts, outcome.ok, "unsuspended")
    return counts


def _overdue_elsewhere(session: Session, item_column: Any, item_id: int, invoice_id: int,
                      today: date) -> bool:
    # another open invoice past due for the same item keeps its overdue suspension in place
    other = session.scalar(
        select(Invoice.id).join(InvoiceItem, InvoiceItem.invoice_id == Invoice.id)
        .where(item_column == item_id, Invoice.id != invoice_id,
               Invoice.status.in_(PAYABLE_STATUSES), Invoice.due_date < today).limit(1))
    return other is not None


def _unsuspend_addons(session: Session, invoice_id: int, today: date, counts: Counts) -> None:
    ids = session.scalars(
        select(ServiceAddon.id).distinct()
        .join(InvoiceItem, InvoiceItem.service_addon_id == ServiceAddon.id)
        .where(InvoiceItem.invoice_id == invoice_id, ServiceAddon.status == "suspended",
               ServiceAddon.suspend_reason == OVERDUE_REASON)).all()
    for addon_id in ids:
        if _overdue_elsewhere(session, InvoiceItem.service_addon_id, addon_id, invoice_id,
                              today):
            bump(counts, "still_overdue")
            continue
        addon = unsuspend_addon(session, addon_id)
        addon.suspend_reason = ""
        bump(counts, "addons_unsuspended")
