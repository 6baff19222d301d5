"""Domain operations through a registrar module registered by a plugin."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bridge.errors import Conflict, ModuleError
from bridge.models import ModuleQueueItem, Tld, TodoItem
from bridge.services.domains import add_domain
from bridge.services.registrar_ops import (
    fetch_epp_code,
    register_at_registrar,
    renew_at_registrar,
    save_nameservers_at_registrar,
    set_lock_at_registrar,
    sync_domain,
    transfer_at_registrar,
)
from hooks import Abort, ActionResult, DomainState, RegistrarModule, hookimpl


class Registry(RegistrarModule):
    name = "registry"
    calls: list[tuple[str, object]] = []
    mode = "ok"

    def _answer(self, op, ctx, **data):
        if Registry.mode == "down":
            raise ModuleError("registrar API timed out")
        if Registry.mode == "refuse":
            return ActionResult.failure("domain not available")
        Registry.calls.append((op, ctx))
        return ActionResult.success(**data)

    def register(self, ctx):
        return self._answer("register", ctx, expiry_date=date(2027, 5, 1))

    def transfer(self, ctx):
        return self._answer("transfer", ctx)

    def renew(self, ctx):
        return self._answer(f"renew:{ctx.years}", ctx)

    def save_nameservers(self, ctx, nameservers):
        return self._answer("ns:" + ",".join(nameservers), ctx)

    def set_lock(self, ctx, locked):
        return self._answer(f"lock:{locked}", ctx)

    def get_epp_code(self, ctx):
        return self._answer("epp", ctx, epp_code="AUTH-123")

    def sync(self, ctx):
        return DomainState("active", expiry_date=date(2028, 5, 1))

    def transfer_sync(self, ctx):
        return DomainState("active", expiry_date=date(2027, 9, 9))


class ManualLike(Registry):
    name = "staffdesk"

    def register(self, ctx):
        return ActionResult.success("queued for staff", todo=f"Register {ctx.name} by hand")


class RegistryPlugin:
    @hookimpl
    def register_registrar_modules(self):
        return [Registry, ManualLike]


@pytest.fixture
def registry(register_plugin, db):
    Registry.calls = []
    Registry.mode = "ok"
    register_plugin(RegistryPlugin(), name="registry-plugin")
    db.add(Tld(extension=".com", registrar="registry"))
    db.flush()


def _domain(db, factories, name="shop.com", **kw):
    client = factories.client(first_name="Ann", email="ann@example.com")
    return add_domain(db, client.id, name, years=2, nameservers=["ns1.host.test", "ns2.host.test"],
                      **kw)


def test_register_uses_tld_registrar_and_reported_expiry(db, factories, registry):
    domain = _domain(db, factories)
    outcome = register_at_registrar(db, domain.id)
    assert outcome.ok
    assert domain.status == "active" and domain.expiry_date == date(2027, 5, 1)
    op, ctx = Registry.calls[0]
    assert (op, ctx.sld, ctx.tld, ctx.years) == ("register", "shop", "com", 2)
    assert ctx.contacts["registrant"]["email"] == "ann@example.com"
    assert ctx.nameservers == ("ns1.host.test", "ns2.host.test")


def test_failure_recorded_and_queued(db, factories, registry):
    domain = _domain(db, factories)
    Registry.mode = "down"
    outcome = register_at_registrar(db, domain.id)
    assert not outcome.ok and outcome.queued
    assert domain.status == "pending_registration"
    assert "timed out" in domain.registrar_error
    assert db.scalar(select(ModuleQueueItem)).action == "register"
    Registry.mode = "refuse"
    assert register_at_registrar(db, domain.id).message == "domain not available"


def test_renew_nameservers_lock_epp(db, factories, registry):
    domain = _domain(db, factories)
    register_at_registrar(db, domain.id)
    assert renew_at_registrar(db, domain.id, 3).ok
    assert domain.expiry_date == date(2030, 5, 1)
    assert save_nameservers_at_registrar(db, domain.id, ["ns1.new.test", "ns2.new.test"]).ok
    assert domain.nameservers == ["ns1.new.test", "ns2.new.test"]
    assert set_lock_at_registrar(db, domain.id, False).ok and domain.locked is False
    assert fetch_epp_code(db, domain.id) == "AUTH-123"
    ops = [op for op, _ in Registry.calls]
    assert ops == ["register", "renew:3", "ns:ns1.new.test,ns2.new.test", "lock:False", "epp"]


def test_transfer_then_sync_completes_it(db, factories, registry):
    domain = _domain(db, factories, name="moved.com", kind="transfer", epp_code="XYZ")
    assert transfer_at_registrar(db, domain.id).ok
    assert domain.status == "pending_transfer"
    assert Registry.calls[0][1].epp_code == "XYZ"
    assert sync_domain(db, domain.id)
    assert domain.status == "active" and domain.expiry_date == date(2027, 9, 9)


def test_manual_registrar_creates_todo(db, factories, registry):
    domain = _domain(db, factories, registrar="staffdesk")
    assert register_at_registrar(db, domain.id).ok
    todo = db.scalar(select(TodoItem))
    assert todo.description == "Register shop.com by hand" and todo.subject_id == domain.id


def test_before_register_domain_veto(db, factories, registry, register_plugin):
    class Stop:
        @hookimpl
        def before_register_domain(self, domain):
            raise Abort(f"{domain} is on the block list")

    register_plugin(Stop(), name="stop")
    domain = _domain(db, factories)
    with pytest.raises(Conflict, match="block list"):
        register_at_registrar(db, domain.id)
    assert Registry.calls == []
