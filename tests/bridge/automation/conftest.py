"""Fixtures for automation tests: the app state, a runner per date, settings, table dumps,
and a small install (recording panel, sandbox gateway, clients in several states)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from bridge.app import BridgeState
from bridge.errors import ModuleError
from bridge.jobs.runner import PassResult, run_pass
from bridge.models import CancellationRequest, Server, Service, Ticket
from bridge.security import SecretBox
from bridge.services.gateway_ops import store_pay_method
from bridge.services.settings import set_setting
from hooks import (
    AccountContext,
    ActionResult,
    GatewayModule,
    PaymentLink,
    PaymentResult,
    PaymentStatus,
    ServerModule,
    StoredMethod,
    hookimpl,
)

# wall-clock columns (when a row was written) differ between any two runs; business dates,
# amounts, statuses and links are what must be identical
CLOCK_COLUMNS = {"created_at", "updated_at", "paid_at", "suspended_at", "terminated_at",
                 "last_attempt_at", "last_capture_attempt", "closed_at", "synced_at",
                 "sent_at", "processed_at", "acquired_at", "expires_at", "started_at",
                 "finished_at", "usage_updated_at"}
# tables whose "date" column is the wall-clock time of a payment or credit movement
CLOCK_DATE_TABLES = {"transactions", "credit_entries"}
# the runner's own log: one row per job per pass, so two passes always differ
RUN_LOG = {"automation_runs", "job_locks"}


@pytest.fixture
def state(app: Any) -> BridgeState:
    """The app's BridgeState."""
    bridge: BridgeState = app.extensions["bridge"]
    return bridge


@pytest.fixture
def run(state: BridgeState) -> Callable[..., PassResult]:
    """``run(day, only=None)``: one ``bridge cron run --date day [--job only]``; must succeed."""

    def go(day: date, only: str | None = None) -> PassResult:
        result = run_pass(state, day, only=only)
        assert result.ok, result.failed
        return result

    return go


@pytest.fixture
def configure(db: Session) -> Callable[..., None]:
    """``configure(lead_days="14", ...)``: set automation.* settings and commit."""

    def go(**values: str) -> None:
        for key, value in values.items():
            set_setting(db, f"automation.{key}", value)
        db.commit()

    return go


def _dump(engine: Any) -> dict[str, list[tuple[str, ...]]]:
    tables: dict[str, list[tuple[str, ...]]] = {}
    inspector = inspect(engine)
    with engine.connect() as conn:
        for name in sorted(set(inspector.get_table_names()) - RUN_LOG):
            columns = [c["name"] for c in inspector.get_columns(name)
                       if c["name"] not in CLOCK_COLUMNS
                       # after a crash, the log's entries of different jobs interleave
                       # differently; what was logged must match, not the sequence number
                       and not (name == "activity_log" and c["name"] == "id")
                       and not (name in CLOCK_DATE_TABLES and c["name"] == "date")]
            quoted = ", ".join(f'"{c}"' for c in columns)
            rows = [tuple(str(v) for v in row)
                    for row in conn.execute(text(f'SELECT {quoted} FROM "{name}"'))]
            if name == "activity_log":
                # the summary text counts what each pass did, which differs by design
                rows = [r for r in rows if "automation.daily_summary" not in r]
            tables[name] = sorted(rows)
    return tables


@pytest.fixture
def dump(state: BridgeState) -> Callable[[], dict[str, list[tuple[str, ...]]]]:
    """``dump()``: every table's rows (clock columns and the run log left out), sorted."""
    return lambda: _dump(state.db.engine)


# -- a small install -----------------------------------------------------------------------

SECRET = "test-install-key-0123456789"


class Panel(ServerModule):
    """A panel recording every call; ``mode`` "down" makes it unreachable."""

    name = "autopanel"
    label = "Automation test panel"
    calls: list[tuple[str, int]] = []
    mode = "ok"

    def _do(self, op: str, ctx: AccountContext) -> ActionResult:
        if Panel.mode == "down":
            raise ModuleError("panel unreachable")
        Panel.calls.append((op, ctx.service_id))
        return ActionResult.success()

    def create(self, ctx):
        return self._do("create", ctx)

    def suspend(self, ctx, reason=""):
        return self._do("suspend", ctx)

    def unsuspend(self, ctx):
        return self._do("unsuspend", ctx)

    def terminate(self, ctx):
        return self._do("terminate", ctx)

    def change_package(self, ctx):
        return self._do("change_package", ctx)

    def change_password(self, ctx, new_password):
        return self._do("change_password", ctx)


class Pay(GatewayModule):
    """Cards behave by token: ``ok`` pays, ``decline`` is declined. Counts charges."""

    name = "autopay"
    label = "Automation test gateway"
    kind = "merchant"
    charges: list[tuple[int, str]] = []

    def store_method(self, ctx, details):
        return StoredMethod(token=details["card"], card_type="visa", last_four="4242",
                            expiry="12/2030", description="Visa 4242")

    def charge(self, ctx):
        Pay.charges.append((ctx.invoice_id, ctx.token))
        if ctx.token == "decline":
            return PaymentResult(PaymentStatus.DECLINED, message="card declined")
        return PaymentResult(PaymentStatus.PROCESSED, amount=ctx.amount,
                             transaction_id=f"ch_{ctx.invoice_id}_{len(Pay.charges)}")

    def refund(self, ctx, transaction_id, amount):
        return PaymentResult(PaymentStatus.PROCESSED, transaction_id=f"re_{transaction_id}")

    def payment_link(self, ctx):
        return PaymentLink(url="https://pay.test/")

    def verify_callback(self, request, config):
        return None


class ModulesPlugin:
    """Registers the panel and the gateway."""

    @hookimpl
    def register_server_modules(self):
        return [Panel]

    @hookimpl
    def register_gateway_modules(self):
        return [Pay]


@dataclass
class World:
    """Ids of what :func:`build_world` made."""

    paying: Service  # card that pays, due 2028-03-01
    declined: Service  # card declined, overdue -> suspended
    manual: Service  # no card; suspended when overdue, unsuspended when paid
    leaving: Service  # cancellation at the end of its period (2028-03-10)
    ticket_id: int
    panel: type[Panel] = Panel
    pay: type[Pay] = Pay


def build_world(db: Any, factories: Any, register_plugin: Any) -> World:
    """Clients and services around the first days of March 2028, committed."""
    Panel.calls, Panel.mode, Pay.charges = [], "ok", []
    register_plugin(ModulesPlugin(), name="automation-test-modules")
    server = Server(name="p1", module="autopanel", hostname="p1.test",
                    password_enc=SecretBox(SECRET).encrypt("x"))
    db.add(server)
    db.flush()
    product = factories.product({"1M": "10.00"}, module="autopanel")

    def service(client: Any, due: date, amount: str = "10.00") -> Service:
        return factories.service(client, product, server_id=server.id,
                                 recurring_amount=Decimal(amount), next_due_date=due,
                                 next_invoice_date=due, anchor_day=due.day)

    first, second, third = (factories.client() for _ in range(3))
    paying = service(first, date(2028, 3, 1))
    leaving = service(first, date(2028, 3, 10), "5.00")
    declined = service(second, date(2028, 3, 1), "20.00")
    manual = service(third, date(2028, 3, 2), "30.00")
    db.add(CancellationRequest(service_id=leaving.id, kind="end_of_period", reason="moving"))
    department = factories.department()
    ticket = Ticket(number="AUT-1", department_id=department.id, client_id=first.id,
                    subject="thanks", status="answered",
                    last_reply_at=datetime(2028, 2, 20, 12, tzinfo=UTC))
    db.add(ticket)
    db.flush()
    store_pay_method(db, first.id, "autopay", {"card": "ok"})
    store_pay_method(db, second.id, "autopay", {"card": "decline"})
    db.commit()
    return World(paying, declined, manual, leaving, ticket.id)


@pytest.fixture
def world(db: Session, factories: Any, register_plugin: Any) -> World:
    """See :func:`build_world`."""
    return build_world(db, factories, register_plugin)
