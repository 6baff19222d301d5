"""Services (``services``): add, edit, suspend, unsuspend, cancel; and ``service_changes``.

``add`` places a one-line order without an invoice (Blesta's ``Services::add`` bills nothing)
and accepts it, so the service is the client's at once; with ``status=active`` and
``use_module`` (the default) the account is created through the product's server module, and
a module refusal rolls the whole call back as Blesta does. Module-specific fields are read by
their role suffix (``cpanel_domain``, ``cpanel_username``, ``cpanel_password``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select

from bridge.errors import ValidationFailed
from bridge.models import CancellationRequest, Client, Price, Promotion, Service
from bridge.services import lifecycle, provisioning
from bridge.services.cancellations import withdraw_cancellation
from bridge.services.order_admin import set_service_options
from bridge.services.orders import accept_order, place_order
from compat.whmcs.api.params import as_bool

from ..args import integer, optional_amount, optional_integer
from ..registry import MethodCall, invalid, method
from ..render import PhpArray
from .services import service_in_company

STATUSES = ("pending", "active", "suspended", "canceled", "in_review")
# core error fields of place_order -> the Blesta field the caller sent
RENAMED = {"products.0.billing_cycle": "pricing_id", "billingcycle": "pricing_id",
           "products.0.product_id": "pricing_id", "promocode": "coupon_id",
           "products.0.config_options": "configoptions", "products": "pricing_id"}


def _module_fields(vars_: Mapping[str, Any]) -> dict[str, str]:
    """``domain``/``username``/``password`` from Blesta's module field names."""
    found: dict[str, str] = {}
    for key, value in vars_.items():
        if not isinstance(value, str | int) or key in ("client_id", "pricing_id"):
            continue
        for role in ("domain", "username", "password"):
            if key == role or str(key).endswith(f"_{role}"):
                found[role] = str(value)
    return found


def _amount(value: Any, field: str) -> Decimal | None:
    amount = optional_amount(value, field)
    if amount is None:
        return None
    if amount < 0:
        raise invalid(field, "format", "Invalid price.")
    return amount


def _product_price(call: MethodCall, pricing_id: Any) -> Price:
    key = optional_integer(pricing_id, "pricing_id")
    price = call.session.get(Price, key) if key is not None else None
    if price is None or price.owner_type != "product" or not price.enabled:
        raise invalid("pricing_id", "exists", "Invalid package pricing ID.")
    return price


def _options(vars_: Mapping[str, Any]) -> dict[int, int]:
    raw = vars_.get("configoptions")
    if not isinstance(raw, Mapping):
        return {}
    # an option's value id (or quantity); an entry whose value is not a number is refused
    out: dict[int, int] = {}
    for key, value in raw.items():
        option = integer(key, "configoptions")
        chosen = optional_integer(value, f"configoptions[{key}]")
        if chosen is not None:
            out[option] = chosen
    return out


def _check(call: MethodCall, outcome: provisioning.ModuleOutcome) -> None:
    if not outcome.ok:
        raise invalid("module", "error", outcome.message or "The module refused the request.")


def _activate(call: MethodCall, service: Service, use_module: bool) -> None:
    if use_module:
        _check(call, provisioning.provision_service(call.session, service.id))
    else:
        lifecycle.activate_service(call.session, service.id)


def _suspend(call: MethodCall, service: Service, use_module: bool, reason: str) -> None:
    if use_module:
        _check(call, provisioning.suspend_account(call.session, service.id, reason))
    else:
        lifecycle.suspend_service(call.session, service.id, reason)


def _unsuspend(call: MethodCall, service: Service, use_module: bool) -> None:
    if use_module:
        _check(call, provisioning.unsuspend_account(call.session, service.id))
    else:
        lifecycle.unsuspend_service(call.session, service.id)


def _cancel_now(call: MethodCall, service: Service, use_module: bool, reason: str) -> None:
    if use_module and service.status != "pending":  # nothing exists on a panel yet
        _check(call, provisioning.terminate_account(call.session, service.id))
    else:
        lifecycle.cancel_service(call.session, service.id, reason)


def _move_to(call: MethodCall, service: Service, status: str, use_module: bool,
             vars_: Mapping[str, Any]) -> None:
    """Drive the service to a Blesta status through the core transitions."""
    current = service.status
    reason = str(vars_.get("suspension_reason") or "")
    if status == "active":
        if current == "pending":
            _activate(call, service, use_module)
        elif current == "suspended":
            _unsuspend(call, service, use_module)
        elif current != "active":
            raise invalid("status", "valid", f"A {current} service cannot become active.")
    elif status == "suspended":
        if current == "pending":
            _activate(call, service, use_module)
        if service.status != "suspended":
            _suspend(call, service, use_module, reason)
    elif status == "canceled":
        if current not in lifecycle.REACTIVATABLE and current != "fraud":
            _cancel_now(call, service, use_module,
                        str(vars_.get("cancellation_reason") or ""))
    elif status != "pending" or current != "pending":
        raise invalid("status", "valid", f"hostbridge cannot move a {current} service to "
                      f"{status}.")


def _renamed(exc: ValidationFailed) -> ValidationFailed:
    errors: dict[str, dict[str, str]] = {}
    for field, rules in exc.errors.items():
        errors.setdefault(RENAMED.get(field, field), {}).update(rules)
    return ValidationFailed(errors)


@method("services", "add", status="partial", notes=(
    "packages and notify are ignored; qty is recorded, not priced; configoptions take value "
    "ids (or quantities) only; the client's currency is billed"))
def add(call: MethodCall) -> Any:
    """Create a service for a client from a package pricing; returns the service id."""
    vars_ = call.vars()
    price = _product_price(call, vars_.get("pricing_id"))
    client_id = optional_integer(vars_.get("client_id"), "client_id")
    client = call.session.scalar(select(Client).where(
        Client.id == (client_id or 0),
        or_(Client.company_id == call.company_id, Client.company_id.is_(None))))
    if client is None:
        raise invalid("client_id", "exists", "Invalid client ID.")
    status = str(vars_.get("status") or "pending")
    if status not in STATUSES or status == "in_review":
        raise invalid("status", "format", "Invalid service status.")
    fields = _module_fields(vars_)
    item: dict[str, Any] = {"product_id": price.owner_id, "billing_cycle": price.cycle,
                            "domain": fields.get("domain", ""),
                            "config_options": _options(vars_),
                            "price_override": _amount(vars_.get("override_price"),
                                                      "override_price")}
    module_row = optional_integer(vars_.get("module_row_id"), "module_row_id")
    if module_row is not None:
        item["server_id"] = module_row or None
    order: dict[str, Any] = {"products": [item], "create_invoice": False}
    if vars_.get("coupon_id"):
        coupon = integer(vars_["coupon_id"], "coupon_id")
        promo = call.session.get(Promotion, coupon)
        if promo is None:
            raise invalid("coupon_id", "exists", "Invalid coupon ID.")
        order["promo_code"] = promo.code
    try:
        result = place_order(call.session, client.id, order)
    except ValidationFailed as exc:
        raise _renamed(exc) from exc
    service = result.services[0]
    extra: dict[str, Any] = {k: fields[k] for k in ("username", "password") if k in fields}
    qty = optional_integer(vars_.get("qty"), "qty") or 1
    if qty > 1:
        extra["quantity"] = qty
    if extra:
        lifecycle.update_service(call.session, service.id, extra)
    accept_order(call.session, result.order.id, provision=False)
    _move_to(call, service, status, as_bool(vars_.get("use_module"), True), vars_)
    return str(service.id)


def _due(value: Any) -> date:
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text.replace(" ", "T")).date()
    except ValueError as exc:
        raise invalid("date_renews", "format", "Invalid renew date.") from exc


def _service(call: MethodCall) -> Service:
    service = service_in_company(call, call.arg("service_id"))
    if service is None:
        raise invalid("service_id", "exists", "Invalid service ID.")
    return service


def _change_pricing(call: MethodCall, service: Service, price: Price,
                    override: Decimal | None, use_module: bool) -> None:
    amount = override if override is not None else price.amount
    if price.owner_id != service.product_id:
        if use_module:
            _check(call, provisioning.change_package_account(
                call.session, service.id, price.owner_id, billing_cycle=price.cycle,
                recurring_amount=amount))
        else:
            lifecycle.change_package(call.session, service.id, price.owner_id,
                                     billing_cycle=price.cycle, recurring_amount=amount)
    elif price.cycle != service.billing_cycle:
        lifecycle.update_service(call.session, service.id,
                                 {"billing_cycle": price.cycle, "recurring_amount": amount})


@method("services", "edit", status="partial", notes=(
    "pricing_id, qty, override_price, module_row_id, date_renews, status, configoptions and "
    "the module's domain/username/password fields; notify is ignored"))
def edit(call: MethodCall) -> Any:
    """Change a service (through its module unless ``bypass_module``); returns its id."""
    service = _service(call)
    vars_ = call.vars()
    use_module = not as_bool(call.arg("bypass_module"), False) and \
        as_bool(vars_.get("use_module"), True)
    override = _amount(vars_.get("override_price"), "override_price")
    changes: dict[str, Any] = {}
    fields = _module_fields(vars_)
    changes.update({k: fields[k] for k in ("domain", "username") if k in fields})
    if override is not None:
        changes["recurring_amount"] = override
    qty = optional_integer(vars_.get("qty"), "qty")
    if qty is not None:
        changes["quantity"] = qty
    if "module_row_id" in vars_:
        changes["server_id"] = optional_integer(vars_["module_row_id"], "module_row_id") or None
    if vars_.get("date_renews"):
        changes["next_due_date"] = _due(vars_["date_renews"])
    if "password" in fields:
        if use_module and service.status in ("active", "suspended"):
            _check(call, provisioning.change_password_account(
                call.session, service.id, fields["password"]))
        else:
            changes["password"] = fields["password"]
    if changes:
        lifecycle.update_service(call.session, service.id, changes)
    options = _options(vars_)
    if options:
        set_service_options(call.session, service.id, options)
    if vars_.get("pricing_id"):
        _change_pricing(call, service, _product_price(call, vars_["pricing_id"]), override,
                        use_module)
    status = vars_.get("status")
    if status:
        if status not in STATUSES:
            raise invalid("status", "format", "Invalid service status.")
        _move_to(call, service, str(status), use_module, vars_)
    return service.id


@method("services", "suspend", status="partial", notes="staff_id is not recorded")
def suspend(call: MethodCall) -> Any:
    """Suspend an active service (through its module unless ``use_module=false``)."""
    service = _service(call)
    vars_ = call.vars()
    _suspend(call, service, as_bool(vars_.get("use_module"), True),
             str(vars_.get("suspension_reason") or ""))
    return None


@method("services", "unsuspend", status="partial", notes="staff_id is not recorded")
def unsuspend(call: MethodCall) -> Any:
    """Lift a suspension (through the module unless ``use_module=false``)."""
    service = _service(call)
    _unsuspend(call, service, as_bool(call.vars().get("use_module"), True))
    return None


@method("services", "unCancel", status="partial",
        notes="use_module is not needed: nothing was sent to the module yet")
def un_cancel(call: MethodCall) -> Any:
    """Remove a service's scheduled cancellation (a 400 when none is scheduled)."""
    service = _service(call)
    scheduled = call.session.scalar(select(CancellationRequest.id).where(
        CancellationRequest.service_id == service.id,
        CancellationRequest.processed_at.is_(None)))
    if scheduled is None:
        raise invalid("service_id", "scheduled",
                      "The service is not scheduled to be canceled.")
    withdraw_cancellation(call.session, service.id)
    return None


@method("services", "cancel", status="partial", notes=(
    "a future date_canceled is treated as end_of_term; notify_cancel and reapply_payments "
    "are ignored"))
def cancel(call: MethodCall) -> Any:
    """Cancel now (terminating through the module), or at the end of the term."""
    service = _service(call)
    vars_ = call.vars()
    reason = str(vars_.get("cancellation_reason") or "")
    when = str(vars_.get("date_canceled") or "").strip()
    later = when == "end_of_term"
    if when and not later:
        try:
            moment = datetime.fromisoformat(when.replace(" ", "T"))
        except ValueError as exc:
            raise invalid("date_canceled", "format", "Invalid cancellation date.") from exc
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        later = aware > datetime.now(UTC)
    if later:
        lifecycle.request_cancellation(call.session, service.id, kind="end_of_period",
                                       reason=reason)
    else:
        _cancel_now(call, service, as_bool(vars_.get("use_module"), True), reason)
    return None


@method("service_changes", "getStatuses")
def service_change_statuses(call: MethodCall) -> Any:
    """The service change statuses (hostbridge applies package changes at once)."""
    return PhpArray({"pending": "Pending", "completed": "Completed", "canceled": "Canceled",
                     "error": "Error"})
