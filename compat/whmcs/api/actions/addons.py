"""Addons group: UpdateClientAddon."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from bridge.errors import Conflict
from bridge.models import ServiceAddon
from bridge.services import lifecycle
from bridge.services.order_admin import update_service_addon
from bridge.services.pricing import price_for

from ..format import SERVICE_STATUS, reverse
from ..registry import ApiError, ApiRequest, action
from .item_helpers import cycle_code, number, record

STATUS_IN = reverse(SERVICE_STATUS)
MOVES: dict[str, Callable[[Session, int], ServiceAddon]] = {
    "active": lifecycle.activate_addon,
    "suspended": lifecycle.suspend_addon,
    "terminated": lifecycle.terminate_addon,
    "cancelled": lifecycle.cancel_addon,
}


@action("UpdateClientAddon", status="partial",
        notes="status changes are bookkeeping only (no addon module is called); an addon "
              "cannot be set back to Pending, Fraud or Completed")
def update_client_addon(req: ApiRequest) -> dict[str, Any]:
    """Edit a client's addon: catalogue addon, name, amounts, cycle, dates, notes, status."""
    raw = req.text("id")
    addon = record(req, ServiceAddon, raw)
    if addon is None:
        raise ApiError("Addon ID Not Found")
    data: dict[str, Any] = {}
    if number(req, "addonid"):
        data["addon_id"] = number(req, "addonid")
    for param, key in (("name", "name"), ("notes", "notes")):
        if req.has(param):
            data[key] = req.text(param)
    for param, key in (("setupfee", "setup_fee"), ("recurring", "recurring_amount")):
        if req.text(param):
            data[key] = req.amount(param)
    if req.text("billingcycle"):
        data["billing_cycle"] = cycle_code(req.text("billingcycle"))
    for param, key in (("nextduedate", "next_due_date"),
                       ("terminationdate", "termination_date")):
        if req.has(param):
            data[key] = req.date_value(param)
    if req.flag("autorecalc"):
        catalogue = data.get("addon_id", addon.addon_id)
        if catalogue is None:
            raise ApiError("autorecalc needs an addon from the catalogue (addonid)")
        cycle = data.get("billing_cycle", addon.billing_cycle)
        data["recurring_amount"], _ = price_for(req.session, "addon", catalogue,
                                                addon.currency, cycle)
    status = req.text("status")
    if not data and not status:
        raise ApiError("Nothing to Update")
    if data:
        update_service_addon(req.session, addon.id, data)
    if status:
        _set_status(req, addon, status)
    return {"id": str(addon.id)}


def _set_status(req: ApiRequest, addon: ServiceAddon, word: str) -> None:
    target = STATUS_IN.get(word.lower())
    if target is None:
        raise ApiError(f"Invalid status {word}; use one of {', '.join(SERVICE_STATUS.values())}")
    if target == addon.status:
        return
    move = MOVES.get(target)
    if move is None:
        raise ApiError(f"An addon cannot be set to {word} here")
    if target == "active" and addon.status == "suspended":
        move = lifecycle.unsuspend_addon
    try:
        move(req.session, addon.id)
    except Conflict as exc:
        raise ApiError(exc.message) from exc
