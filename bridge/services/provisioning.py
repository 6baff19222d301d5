"""Service operations through the product's server module.

Each operation checks the status change is allowed, asks the module, and only then changes
the service. A refusal or an unreachable panel leaves the service as it was, records the error
on the service and in the activity log, and queues a retry for automation. Products without a
module change state directly (manual provisioning).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.context import emit
from bridge.db import utcnow
from bridge.errors import Conflict, ModuleError
from bridge.models import ModuleQueueItem, Product, Server, Service
from hooks import AccountContext, ActionResult, ServerModule

from . import lifecycle
from .common import get_or_404, log_activity, secret_box
from .module_context import account_context, plugin_host, server_info

LIVE = ("pending", "active", "suspended")


@dataclass(frozen=True)
class ModuleOutcome:
    """What happened: ``ok``, the module's message, and whether a retry was queued."""

    ok: bool
    message: str = ""
    queued: bool = False


def provision_service(session: Session, service_id: int) -> ModuleOutcome:
    """Create the account through the product's module and activate the service.

    The server comes from the service, else the module's choice, else the least used active
    server of the product's server group (or of the module). A ``before_create_account``
    plugin may veto (Conflict). On success the service becomes active with the username,
    password and server the module used.
    """
    service = get_or_404(session, Service, service_id, "Service")
    _require(service, "active")
    product = session.get(Product, service.product_id)
    assert product is not None
    if not product.module:
        lifecycle.activate_service(session, service.id)
        return ModuleOutcome(True, "activated (no module)")
    host = plugin_host(session)
    message = host.veto("before_create_account", service_id=service.id,
                        client_id=service.client_id, module=product.module)
    if message:
        raise Conflict(f"account creation for service {service.id} vetoed: {message}")

    def create(module: ServerModule, ctx: AccountContext) -> ActionResult:
        return module.create(ctx)

    def on_success(result: ActionResult, server: Server | None) -> None:
        data = result.data
        for key in ("domain", "dedicated_ip"):
            if data.get(key):
                setattr(service, key, str(data[key]))
        lifecycle.activate_service(
            session, service.id, username=str(data.get("username") or service.username),
            password=_new_password(session, service, data),
            server_id=server.id if server is not None else None)

    return _run(session, service, "create", create, on_success, choose_server=True)


def suspend_account(session: Session, service_id: int, reason: str = "") -> ModuleOutcome:
    """Suspend through the module, then mark the service suspended with ``reason``."""
    service = get_or_404(session, Service, service_id, "Service")
    _require(service, "suspended")
    message = plugin_host(session).veto("before_suspend_account", service_id=service.id,
                                        client_id=service.client_id, reason=reason)
    if message:
        raise Conflict(f"suspension of service {service.id} vetoed: {message}")
    return _run(session, service, "suspend", lambda m, c: m.suspend(c, reason),
                lambda r, s: lifecycle.suspend_service(session, service.id, reason),
                args={"reason": reason})


def unsuspend_account(session: Session, service_id: int) -> ModuleOutcome:
    """Lift a suspension through the module, then mark the service active."""
    service = get_or_404(session, Service, service_id, "Service")
    if service.status != "suspended":
        raise Conflict(f"service {service.id} is {service.status}, not suspended")
    return _run(session, service, "unsuspend", lambda m, c: m.unsuspend(c),
                lambda r, s: lifecycle.unsuspend_service(session, service.id))


def terminate_account(session: Session, service_id: int) -> ModuleOutcome:
    """Remove the account through the module, then mark the service terminated."""
    service = get_or_404(session, Service, service_id, "Service")
    _require(service, "terminated")
    message = plugin_host(session).veto("before_terminate_account", service_id=service.id,
                                        client_id=service.client_id)
    if message:
        raise Conflict(f"termination of service {service.id} vetoed: {message}")
    return _run(session, service, "terminate", lambda m, c: m.terminate(c),
                lambda r, s: lifecycle.terminate_service(session, service.id))


def change_package_account(
    session: Session,
    service_id: int,
    new_product_id: int,
    *,
    billing_cycle: str | None = None,
    recurring_amount: Decimal | None = None,
) -> ModuleOutcome:
    """Move a live service to another product; the module sees the new product's settings."""
    service = get_or_404(session, Service, service_id, "Service")
    if service.status not in LIVE:
        raise Conflict(f"service {service.id} is {service.status}; its package cannot change")
    new_product = get_or_404(session, Product, new_product_id, "Product")
    old_product_id = service.product_id

    def apply(module: ServerModule, ctx: AccountContext) -> ActionResult:
        config = {k: str(v) for k, v in (new_product.module_config or {}).items()}
        moved = AccountContext(**{**ctx.__dict__, "product_id": new_product.id,
                                  "product_name": new_product.name, "product_config": config})
        return module.change_package(moved)

    def on_success(result: ActionResult, server: Server | None) -> None:
        lifecycle.change_package(session, service.id, new_product_id,
                                 billing_cycle=billing_cycle, recurring_amount=recurring_amount)

    if service.status == "pending":  # nothing exists on the panel yet
        on_success(ActionResult.success(), None)
        return ModuleOutcome(True, "package changed (not provisioned yet)")
    return _run(session, service, "change_package", apply, on_success,
                args={"from": old_product_id, "to": new_product_id})


def change_password_account(session: Session, service_id: int, new_password: str) -> ModuleOutcome:
    """Set the account password through the module and store it encrypted."""
    service = get_or_404(session, Service, service_id, "Service")
    if service.status not in ("active", "suspended"):
        raise Conflict(f"service {service.id} is {service.status}; its password cannot change")

    def on_success(result: ActionResult, server: Server | None) -> None:
        service.password_enc = secret_box(session).encrypt(new_password)

    return _run(session, service, "change_password",
                lambda m, c: m.change_password(c, new_password), on_success, queue=False)


def run_custom_action(session: Session, service_id: int, action: str) -> ModuleOutcome:
    """Run one of the module's custom actions (reboot, reset, ...) on the service."""
    service = get_or_404(session, Service, service_id, "Service")
    return _run(session, service, f"custom:{action}", lambda m, c: m.custom_action(c, action),
                lambda r, s: None, queue=False)


def renew_account(session: Session, service_id: int) -> ModuleOutcome:
    """Tell the module a renewal was paid (licences, certificates); queued on failure."""
    service = get_or_404(session, Service, service_id, "Service")
    return _run(session, service, "renew", lambda m, c: m.renew(c), lambda r, s: None)


def single_sign_on(session: Session, service_id: int, *, admin: bool = False) -> str:
    """A single sign-on URL into the panel; Conflict with the module's message otherwise."""
    service = get_or_404(session, Service, service_id, "Service")
    module, ctx, _ = _prepare(session, service, choose_server=False)
    result = module.sso_url(ctx, admin=admin)
    url = str(result.data.get("url", "")) if result.ok else ""
    if not url:
        raise Conflict(f"single sign-on for service {service.id} failed: "
                       f"{result.message or 'no URL returned'}")
    return url


# -- shared machinery ---------------------------------------------------------------------------


def _require(service: Service, wanted: str) -> None:
    if not lifecycle.can_transition(service.status, wanted):
        raise Conflict(f"service {service.id} is {service.status}; cannot become {wanted}")


def _new_password(session: Session, service: Service, data: Any) -> str | None:
    password = data.get("password")
    if password:
        return str(password)
    return secret_box(session).decrypt(service.password_enc) or None


def _prepare(
    session: Session, service: Service, *, choose_server: bool
) -> tuple[ServerModule, AccountContext, Server | None]:
    product = session.get(Product, service.product_id)
    assert product is not None
    host = plugin_host(session)
    module = host.server_module(product.module)
    settings = dict(module.settings)
    server = session.get(Server, service.server_id) if service.server_id else None
    ctx = account_context(session, service, server, settings)
    if server is None and choose_server and module.requires_server:
        server = _pick_server(session, product, module, ctx)
        ctx = account_context(session, service, server, settings)
    if server is None and module.requires_server:
        raise ModuleError(f"no active {product.module} server is available for service "
                          f"{service.id}; add one or free capacity")
    return module, ctx, server


def _pick_server(session: Session, product: Product, module: ServerModule,
                 ctx: AccountContext) -> Server | None:
    query = select(Server).where(Server.active.is_(True), Server.disabled.is_(False),
                                 Server.module == product.module)
    if product.server_group_id is not None:
        query = query.where(Server.group_id == product.server_group_id)
    candidates = list(session.scalars(query.order_by(Server.id)))
    rows = session.execute(
        select(Service.server_id, func.count()).where(Service.status.in_(("active", "suspended")))
        .group_by(Service.server_id)).all()
    load: dict[int | None, int] = {server_id: int(n) for server_id, n in rows}
    open_ = [s for s in candidates if not s.max_accounts or load.get(s.id, 0) < s.max_accounts]
    chosen = module.choose_server(ctx, [server_info(session, s) for s in open_])
    if chosen is not None:
        return next((s for s in open_ if s.id == chosen), None)
    return min(open_, key=lambda s: (load.get(s.id, 0), s.id), default=None)


def _run(
    session: Session,
    service: Service,
    action: str,
    call: Callable[[ServerModule, AccountContext], ActionResult],
    on_success: Callable[[ActionResult, Server | None], object],
    *,
    choose_server: bool = False,
    queue: bool = True,
    args: dict[str, Any] | None = None,
) -> ModuleOutcome:
    product = session.get(Product, service.product_id)
    assert product is not None
    if not product.module:
        on_success(ActionResult.success(), None)
        return ModuleOutcome(True, f"{action} recorded (no module)")
    try:
        module, ctx, server = _prepare(session, service, choose_server=choose_server)
        result = call(module, ctx)
    except ModuleError as exc:
        return _failed(session, service, product.module, action, exc.message, queue, args)
    if not result.ok:
        return _failed(session, service, product.module, action, result.message, queue, args)
    on_success(result, server)
    service.module_error = ""
    _complete_queue(session, "service", service.id, action)
    log_activity(session, f"module.{action}", f"Module {product.module} {action} succeeded "
                 f"for service {service.id}", client_id=service.client_id,
                 subject=("service", service.id))
    return ModuleOutcome(True, result.message)


def _failed(session: Session, service: Service, module: str, action: str, message: str,
            queue: bool, args: dict[str, Any] | None) -> ModuleOutcome:
    service.module_error = f"{action}: {message}"
    log_activity(session, f"module.{action}_failed",
                 f"Module {module} {action} failed for service {service.id}: {message}",
                 client_id=service.client_id, subject=("service", service.id),
                 data={"module": module, "action": action})
    if queue:
        enqueue_retry(session, "service", service.id, module, action, message, args or {})
    emit(session, "module_action_failed", service_id=service.id, client_id=service.client_id,
         module=module, action=action, message=message)
    return ModuleOutcome(False, message, queued=queue)


def enqueue_retry(session: Session, subject_type: str, subject_id: int, module: str,
                  action: str, error: str, args: dict[str, Any]) -> ModuleQueueItem:
    """Queue (or count another failure of) a module operation for automation to retry."""
    item = session.scalar(select(ModuleQueueItem).where(
        ModuleQueueItem.subject_type == subject_type, ModuleQueueItem.subject_id == subject_id,
        ModuleQueueItem.action == action, ModuleQueueItem.completed_at.is_(None)))
    if item is None:
        item = ModuleQueueItem(subject_type=subject_type, subject_id=subject_id, module=module,
                               action=action, args=args, attempts=1, last_error=error,
                               last_attempt_at=utcnow())
        session.add(item)
    else:
        item.attempts += 1
        item.last_error = error
        item.last_attempt_at = utcnow()
    session.flush()
    return item


def _complete_queue(session: Session, subject_type: str, subject_id: int, action: str) -> None:
    for item in session.scalars(select(ModuleQueueItem).where(
            ModuleQueueItem.subject_type == subject_type, ModuleQueueItem.subject_id == subject_id,
            ModuleQueueItem.action == action, ModuleQueueItem.completed_at.is_(None))):
        item.completed_at = utcnow()


RETRYABLE: dict[str, Callable[[Session, int, dict[str, Any]], ModuleOutcome]] = {
    "create": lambda s, i, a: provision_service(s, i),
    "suspend": lambda s, i, a: suspend_account(s, i, str(a.get("reason", ""))),
    "unsuspend": lambda s, i, a: unsuspend_account(s, i),
    "terminate": lambda s, i, a: terminate_account(s, i),
    "change_package": lambda s, i, a: change_package_account(s, i, int(a["to"])),
    "renew": lambda s, i, a: renew_account(s, i),
}


def retry_failed_operations(session: Session, *, max_attempts: int = 5) -> dict[str, int]:
    """Retry queued service operations (automation's retry job); counts by outcome.

    An item whose service has moved on (e.g. was cancelled) is closed without a call; one
    that has failed ``max_attempts`` times is left for staff.
    """
    counts = {"retried": 0, "succeeded": 0, "failed": 0, "skipped": 0}
    items = list(session.scalars(select(ModuleQueueItem).where(
        ModuleQueueItem.completed_at.is_(None), ModuleQueueItem.subject_type == "service",
        ModuleQueueItem.attempts < max_attempts).order_by(ModuleQueueItem.id)))
    for item in items:
        retry = RETRYABLE.get(item.action)
        if retry is None:
            counts["skipped"] += 1
            continue
        counts["retried"] += 1
        try:
            outcome = retry(session, item.subject_id, dict(item.args or {}))
        except Conflict:
            item.completed_at = utcnow()  # the service moved on; nothing left to do
            counts["skipped"] += 1
            continue
        counts["succeeded" if outcome.ok else "failed"] += 1
    return counts
