"""The usage_sync job: panel figures land on the services of each server by username."""

from __future__ import annotations

from datetime import date
from typing import Any

from bridge.models import ActivityLog, Server
from bridge.security import SecretBox
from bridge.services.automation.usage import import_server_usage
from hooks import ActionResult, ServerModule, UsageReport, hookimpl
from tests.conftest import TEST_SECRET


class Metered(ServerModule):
    """Reports usage for two accounts (one unknown to hostbridge); fails on demand."""

    name = "metered"
    label = "Metered test panel"
    fail = False

    def create(self, ctx: Any) -> ActionResult:
        return ActionResult.success()

    def suspend(self, ctx: Any, reason: str = "") -> ActionResult:
        return ActionResult.success()

    def unsuspend(self, ctx: Any) -> ActionResult:
        return ActionResult.success()

    def terminate(self, ctx: Any) -> ActionResult:
        return ActionResult.success()

    def usage(self, server: Any) -> list[UsageReport]:
        if Metered.fail:
            raise ConnectionError(f"{server.hostname} unreachable")
        return [UsageReport("alice", disk_usage_mb=512, disk_limit_mb=1024,
                            bandwidth_usage_mb=2048, bandwidth_limit_mb=None),
                UsageReport("ghost", disk_usage_mb=1)]


class Silent(Metered):
    """Keeps the base class's usage (no figures): never asked."""

    name = "silent"
    usage = ServerModule.usage  # type: ignore[assignment]


class Plugin:
    @hookimpl
    def register_server_modules(self) -> list[type[ServerModule]]:
        return [Metered, Silent]


def test_usage_lands_on_services_by_username(db: Any, factories: Any,
                                             register_plugin: Any) -> None:
    register_plugin(Plugin(), name="usage-test-modules")
    Metered.fail = False
    box = SecretBox(TEST_SECRET)
    metered = Server(name="m1", module="metered", hostname="m1.test", password_enc=box.encrypt("x"))
    silent = Server(name="s1", module="silent", hostname="s1.test", password_enc=box.encrypt("x"))
    db.add_all([metered, silent])
    db.flush()
    product = factories.product({"1M": "10.00"}, module="metered")
    alice = factories.service(factories.client(), product, server_id=metered.id, username="Alice")
    gone = factories.service(factories.client(), product, server_id=metered.id,
                             username="alice", status="terminated")
    elsewhere = factories.service(factories.client(), product, server_id=silent.id,
                                  username="alice")
    db.commit()

    counts = import_server_usage(db, date(2028, 3, 1))
    assert counts == {"servers": 1, "updated": 1, "unmatched": 1, "failed": 0}
    assert (alice.disk_usage_mb, alice.disk_limit_mb, alice.bandwidth_usage_mb) == (
        512, 1024, 2048)
    assert alice.usage_updated_at is not None
    assert gone.usage_updated_at is None and elsewhere.usage_updated_at is None

    Metered.fail = True
    counts = import_server_usage(db, date(2028, 3, 2))
    assert counts["failed"] == 1 and counts["servers"] == 0
    logged = [a.description for a in db.query(ActivityLog).filter(
        ActivityLog.action == "automation.usage_failed")]
    assert logged == ["Usage import from server m1 failed: m1.test unreachable"]
