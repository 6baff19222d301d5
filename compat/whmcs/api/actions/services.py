"""Service group: the module commands (ModuleCreate, ModuleSuspend, ModuleUnsuspend,
ModuleTerminate, ModuleChangePackage, ModuleChangePw, ModuleCustom) and UpdateClientProduct
(UpgradeProduct is in ``upgrades``).

Module commands run through the product's server module. When the module refuses, the answer
is ``result=error`` with the module's message, as WHMCS gives it, and the failure stays on
record (the service's module error, the activity log and, where the core queues it, a retry).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bridge.errors import Conflict
from bridge.models import Service
from bridge.services import lifecycle
from bridge.services.customfields import set_custom_field_values
from bridge.services.order_admin import amend_service, set_service_options
from bridge.services.order_upgrades import recurring_price
from bridge.services.provisioning import (
    ModuleOutcome,
    change_package_account,
    change_password_account,
    provision_service,
    run_custom_action,
    suspend_account,
    terminate_account,
    unsuspend_account,
)

from ..format import SERVICE_STATUS, reverse
from ..params import as_list
from ..registry import ApiError, ApiRequest, action
from .item_helpers import (
    commit_then_fail,
    config_choices,
    cycle_code,
    module_service,
    number,
    record,
    serialized,
)

STATUS_IN = reverse(SERVICE_STATUS)
# UpdateClientProduct parameter -> update_service field, for plain text values
TEXT_FIELDS = {"domain": "domain", "paymentmethod": "payment_method", "notes": "notes",
               "serviceusername": "username", "servicepassword": "password",
               "dedicatedip": "dedicated_ip"}
UNSET = {"domain": ("domain", ""), "serviceusername": ("username", ""),
         "servicepassword": ("password", ""), "dedicatedip": ("dedicated_ip", ""),
         "assignedips": ("assigned_ips", []), "notes": ("notes", "")}


def _module_command(req: ApiRequest, run: Callable[[Service], ModuleOutcome]) -> dict[str, Any]:
    service, _ = module_service(req)
    try:
        outcome = run(service)
    except Conflict as exc:
        raise ApiError(exc.message) from exc
    if not outcome.ok:
        commit_then_fail(req, outcome.message or "The module reported a failure")
    return {}


@action("ModuleCreate")
def module_create(req: ApiRequest) -> dict[str, Any]:
    """Create the account through the module and activate the service."""
    return _module_command(req, lambda s: provision_service(req.session, s.id))


@action("ModuleSuspend")
def module_suspend(req: ApiRequest) -> dict[str, Any]:
    """Suspend the account through the module, with ``suspendreason``."""
    reason = req.text("suspendreason")
    return _module_command(req, lambda s: suspend_account(req.session, s.id, reason))


@action("ModuleUnsuspend")
def module_unsuspend(req: ApiRequest) -> dict[str, Any]:
    """Lift a suspension through the module."""
    return _module_command(req, lambda s: unsuspend_account(req.session, s.id))


@action("ModuleTerminate")
def module_terminate(req: ApiRequest) -> dict[str, Any]:
    """Terminate the account through the module."""
    return _module_command(req, lambda s: terminate_account(req.session, s.id))


@action("ModuleChangePackage")
def module_change_package(req: ApiRequest) -> dict[str, Any]:
    """Push the service's current product and options to the panel."""
    return _module_command(
        req, lambda s: change_package_account(req.session, s.id, s.product_id))


@action("ModuleChangePw")
def module_change_password(req: ApiRequest) -> dict[str, Any]:
    """Set the account password (``servicepassword``, else the stored one) on the panel."""
    def run(service: Service) -> ModuleOutcome:
        password = req.text("servicepassword") or lifecycle.service_password(req.session,
                                                                             service)
        return change_password_account(req.session, service.id, password)

    return _module_command(req, run)


@action("ModuleCustom")
def module_custom(req: ApiRequest) -> dict[str, Any]:
    """Run a custom function of the module (``func_name``) on the service."""
    function = req.require("func_name", "func_name is required")
    return _module_command(req, lambda s: run_custom_action(req.session, s.id, function))


@action("UpdateClientProduct", status="partial",
        notes="subscriptionid, ns1 and ns2 have no place in hostbridge and are ignored")
def update_client_product(req: ApiRequest) -> dict[str, Any]:
    """Edit a service's record: product, dates, amounts, account details, status, usage,
    custom fields and configurable options. No module is called."""
    raw = req.text("serviceid")
    service = record(req, Service, raw)
    if service is None:
        raise ApiError("Service ID Not Found")
    session = req.session
    new_product = number(req, "pid")
    if new_product and new_product != service.product_id:
        lifecycle.change_package(session, service.id, new_product)
    edits = _edits(req)
    if edits:
        lifecycle.update_service(session, service.id, edits)
    amend_service(session, service.id, registration_date=req.date_value("regdate"),
                  clear_registration=req.text("regdate").startswith("0000"),
                  termination_date=req.date_value("terminationdate"),
                  clear_termination=req.text("terminationdate").startswith("0000"),
                  suspend_reason=_suspend_reason(req),
                  promotion_id=number(req, "promoid"))
    usage = {key: number(req, param) for param, key in (
        ("diskusage", "disk_usage_mb"), ("disklimit", "disk_limit_mb"),
        ("bwusage", "bandwidth_usage_mb"), ("bwlimit", "bandwidth_limit_mb"))
        if req.text(param)}
    if usage:
        lifecycle.set_usage(session, service.id, **usage)
    if req.params.get("customfields"):
        fields: dict[int | str, str] = {
            str(k): str(v) for k, v in serialized(req.params["customfields"],
                                                  "customfields").items()}
        set_custom_field_values(session, "product", service.id, fields,
                                owner_id=service.product_id, admin=True)
    if req.params.get("configoptions"):
        set_service_options(session, service.id, config_choices(
            serialized(req.params["configoptions"], "configoptions")))
    if req.flag("autorecalc"):
        choices = {row.option_id: (row.value_id, row.quantity) for row in service.config_options}
        amount = recurring_price(session, service.product_id, service.currency,
                                 service.billing_cycle, choices)
        lifecycle.update_service(session, service.id, {"recurring_amount": amount})
    if req.text("status"):
        _set_status(req, service, req.text("status"))
    return {"serviceid": str(service.id)}


def _edits(req: ApiRequest) -> dict[str, Any]:
    edits: dict[str, Any] = {}
    for param, key in TEXT_FIELDS.items():
        if req.has(param) and (req.text(param) or param in ("notes", "domain")):
            edits[key] = req.text(param)
    if req.has("serverid"):
        edits["server_id"] = number(req, "serverid") or None
    if req.text("nextduedate"):
        edits["next_due_date"] = edits["next_invoice_date"] = req.date_value("nextduedate")
    for param, key in (("firstpaymentamount", "first_payment_amount"),
                       ("recurringamount", "recurring_amount")):
        if req.text(param) and not (key == "recurring_amount" and req.flag("autorecalc")):
            edits[key] = req.amount(param)
    if req.text("billingcycle"):
        edits["billing_cycle"] = cycle_code(req.text("billingcycle"))
    if req.text("overideautosuspend"):
        edits["override_auto_suspend"] = req.flag("overideautosuspend")
    if req.has("overidesuspenduntil"):
        edits["override_suspend_until"] = req.date_value("overidesuspenduntil")
    if req.has("assignedips"):
        edits["assigned_ips"] = [ip for ip in req.text("assignedips").replace(",", "\n")
                                 .splitlines() if ip.strip()]
    for name in as_list(req.params.get("unset")):
        if str(name) in UNSET:
            key, empty = UNSET[str(name)]
            edits[key] = empty
    return edits


def _suspend_reason(req: ApiRequest) -> str | None:
    if "suspendreason" in [str(n) for n in as_list(req.params.get("unset"))]:
        return ""
    return req.text("suspendreason") if req.has("suspendreason") else None


def _set_status(req: ApiRequest, service: Service, word: str) -> None:
    """Move the service to the WHMCS status ``word`` through the lifecycle rules."""
    session, target = req.session, STATUS_IN.get(word.lower())
    if target is None:
        raise ApiError(f"Invalid status {word}; use one of {', '.join(SERVICE_STATUS.values())}")
    current = service.status
    if target == current:
        return
    if current in lifecycle.REACTIVATABLE and target in ("pending", "active"):
        lifecycle.reactivate_service(session, service.id, status=target)
        return
    moves: dict[str, Callable[[], object]] = {
        "active": lambda: (lifecycle.unsuspend_service(session, service.id)
                           if current == "suspended"
                           else lifecycle.activate_service(session, service.id)),
        "suspended": lambda: lifecycle.suspend_service(session, service.id,
                                                       req.text("suspendreason")),
        "terminated": lambda: lifecycle.terminate_service(session, service.id),
        "cancelled": lambda: lifecycle.cancel_service(session, service.id),
        "fraud": lambda: lifecycle.mark_service_fraud(session, service.id),
        "completed": lambda: lifecycle.complete_service(session, service.id),
    }
    move = moves.get(target)
    if move is None:
        raise ApiError(f"A {SERVICE_STATUS.get(current, current)} service cannot be set back "
                       f"to {word}")
    try:
        move()
    except Conflict as exc:
        raise ApiError(exc.message) from exc
