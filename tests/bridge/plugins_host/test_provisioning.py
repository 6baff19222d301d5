"""Services provision, suspend, ... through a server module registered by a test plugin."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bridge.errors import Conflict, ModuleError
from bridge.models import ActivityLog, ModuleQueueItem, Server, ServerGroup
from bridge.security import SecretBox
from bridge.services.orders import accept_order, place_order
from bridge.services.provisioning import (
    change_package_account,
    change_password_account,
    provision_service,
    retry_failed_operations,
    single_sign_on,
    suspend_account,
    terminate_account,
    unsuspend_account,
)
from hooks import Abort, AccountContext, ActionResult, ServerModule, hookimpl

TEST_SECRET = "test-install-key-0123456789"


class RecordingPanel(ServerModule):
    """A panel that records calls and can be told to refuse or to be unreachable."""

    name = "recpanel"
    label = "Recording panel"
    calls: list[tuple[str, AccountContext]] = []
    mode = "ok"

    def _answer(self, op: str, ctx: AccountContext, **data: str) -> ActionResult:
        if RecordingPanel.mode == "down":
            raise ModuleError("connection refused")
        if RecordingPanel.mode == "refuse":
            return ActionResult.failure(f"{op} refused by panel")
        RecordingPanel.calls.append((op, ctx))
        return ActionResult.success(**data)

    def create(self, ctx):
        return self._answer("create", ctx, username="u" + str(ctx.service_id), password="pw-1")

    def suspend(self, ctx, reason=""):
        return self._answer("suspend:" + reason, ctx)

    def unsuspend(self, ctx):
        return self._answer("unsuspend", ctx)

    def terminate(self, ctx):
        return self._answer("terminate", ctx)

    def change_package(self, ctx):
        return self._answer("change_package", ctx)

    def change_password(self, ctx, new_password):
        return self._answer("change_password", ctx)

    def sso_url(self, ctx, *, admin=False):
        return ActionResult.success(url=f"https://panel.test/sso/{ctx.username}")


class PanelPlugin:
    @hookimpl
    def register_server_modules(self):
        return [RecordingPanel]


@pytest.fixture
def panel(register_plugin, db, factories):
    RecordingPanel.calls = []
    RecordingPanel.mode = "ok"
    register_plugin(PanelPlugin(), name="recpanel-plugin")
    group = ServerGroup(name="Panels")
    db.add(group)
    db.flush()
    box = SecretBox(TEST_SECRET)
    for n in (1, 2):
        db.add(Server(name=f"panel{n}", group_id=group.id, module="recpanel",
                      hostname=f"panel{n}.test", username="root",
                      password_enc=box.encrypt("server-pass")))
    db.flush()
    product = factories.product(module="recpanel", server_group_id=group.id,
                                module_config={"package": "gold"})
    return product


def _order(db, factories, product):
    client = factories.client()
    return place_order(db, client.id, {"products": [{"product_id": product.id,
                                                     "domain": "site.test"}]})


def test_accepting_an_order_creates_the_account(db, factories, panel):
    result = _order(db, factories, panel)
    order, outcomes = accept_order(db, result.order.id)
    (service,) = result.services
    assert [o.ok for o in outcomes] == [True]
    assert service.status == "active"
    assert service.username == f"u{service.id}"
    assert SecretBox(TEST_SECRET).decrypt(service.password_enc) == "pw-1"
    op, ctx = RecordingPanel.calls[0]
    assert op == "create"
    assert ctx.product_config == {"package": "gold"}
    assert ctx.server is not None and ctx.server.password == "server-pass"
    assert ctx.domain == "site.test"
    assert service.server_id == ctx.server.id


def test_least_used_server_is_chosen(db, factories, panel):
    first = _order(db, factories, panel)
    accept_order(db, first.order.id)
    second = _order(db, factories, panel)
    accept_order(db, second.order.id)
    assert first.services[0].server_id != second.services[0].server_id


def test_module_failure_leaves_service_and_queues_retry(db, factories, panel):
    result = _order(db, factories, panel)
    RecordingPanel.mode = "down"
    _, outcomes = accept_order(db, result.order.id)
    service = result.services[0]
    assert outcomes[0].ok is False and outcomes[0].queued
    assert service.status == "pending"
    assert "connection refused" in service.module_error
    item = db.scalar(select(ModuleQueueItem))
    assert (item.action, item.subject_id, item.attempts) == ("create", service.id, 1)
    assert db.scalar(select(ActivityLog).where(ActivityLog.action == "module.create_failed"))
    # still down: the retry counts another attempt
    assert retry_failed_operations(db)["failed"] == 1
    assert item.attempts == 2
    RecordingPanel.mode = "ok"
    assert retry_failed_operations(db)["succeeded"] == 1
    assert service.status == "active" and service.module_error == ""
    assert item.completed_at is not None


def test_refusal_is_recorded_not_raised(db, factories, panel):
    result = _order(db, factories, panel)
    accept_order(db, result.order.id)
    service = result.services[0]
    RecordingPanel.mode = "refuse"
    outcome = suspend_account(db, service.id, "overdue")
    assert not outcome.ok and outcome.message == "suspend:overdue refused by panel"
    assert service.status == "active"


def test_full_lifecycle_through_the_module(db, factories, panel):
    result = _order(db, factories, panel)
    accept_order(db, result.order.id)
    service = result.services[0]
    assert suspend_account(db, service.id, "overdue").ok
    assert service.status == "suspended" and service.suspend_reason == "overdue"
    assert unsuspend_account(db, service.id).ok and service.status == "active"
    assert change_password_account(db, service.id, "new-pass").ok
    assert SecretBox(TEST_SECRET).decrypt(service.password_enc) == "new-pass"
    other = pytest.importorskip("bridge.testing").make_product(db, module="recpanel",
                                                              module_config={"package": "silver"})
    assert change_package_account(db, service.id, other.id).ok
    assert service.product_id == other.id
    assert RecordingPanel.calls[-1][1].product_config == {"package": "silver"}
    assert single_sign_on(db, service.id) == f"https://panel.test/sso/{service.username}"
    assert terminate_account(db, service.id).ok and service.status == "terminated"
    ops = [op for op, _ in RecordingPanel.calls]
    assert ops == ["create", "suspend:overdue", "unsuspend", "change_password",
                   "change_package", "terminate"]
    with pytest.raises(Conflict):
        suspend_account(db, service.id)


def test_before_hook_vetoes_creation(db, factories, panel, register_plugin):
    class Veto:
        @hookimpl
        def before_create_account(self, service_id, module):
            raise Abort(f"{module} account {service_id} needs a fraud check")

    register_plugin(Veto(), name="veto")
    result = _order(db, factories, panel)
    with pytest.raises(Conflict, match="needs a fraud check"):
        provision_service(db, result.services[0].id)
    assert RecordingPanel.calls == []


def test_unknown_module_is_reported(db, factories):
    product = factories.product(module="nonexistent")
    result = _order(db, factories, product)
    _, outcomes = accept_order(db, result.order.id)
    assert not outcomes[0].ok
    assert "no server module named 'nonexistent'" in outcomes[0].message


def test_events_reach_plugins_after_commit(db, factories, panel, register_plugin):
    seen = []

    class Listener:
        @hookimpl
        def service_provisioned(self, service_id):
            seen.append(("provisioned", service_id))

        @hookimpl
        def bridge_event(self, name, payload):
            seen.append(name)

    register_plugin(Listener(), name="listener")
    result = _order(db, factories, panel)
    accept_order(db, result.order.id)
    assert seen == []
    db.commit()
    assert ("provisioned", result.services[0].id) in seen
    assert "order_accepted" in seen and "order_placed" in seen
