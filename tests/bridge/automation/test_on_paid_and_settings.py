"""Payment-driven actions (domain renewal at the registrar, a panel that is down) and where
automation settings come from."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from bridge.errors import ConfigError
from bridge.jobs.runner import CRON
from bridge.models import (
    ActivityLog,
    Domain,
    Invoice,
    InvoiceItem,
    ModuleQueueItem,
    Service,
    ServiceAddon,
)
from bridge.services.automation.common import automation_setting, days_setting
from bridge.services.payments import apply_payment
from bridge.services.settings import set_setting


def test_paid_domain_renewal_is_renewed_at_the_registrar(db, factories, run, state):
    client = factories.client()
    domain = Domain(client_id=client.id, name="paid.test", status="active", currency="USD",
                    registrar="manual", registration_period=1, recurring_amount=Decimal("12"),
                    expiry_date=date(2028, 5, 5), next_due_date=date(2028, 5, 5),
                    next_invoice_date=date(2028, 5, 5))
    db.add(domain)
    db.commit()
    run(date(2028, 4, 25), only="renewal_invoices")
    invoice = db.scalar(select(Invoice))
    assert (invoice.due_date, invoice.total) == (date(2028, 5, 5), Decimal("12.00"))
    db.commit()
    with state.transaction(CRON) as session:
        apply_payment(session, invoice.id, invoice.total, gateway="banktransfer")
    db.expire_all()
    renewed = db.get(Domain, domain.id)
    assert (renewed.expiry_date, renewed.next_due_date) == (date(2029, 5, 5), date(2029, 5, 5))
    assert db.scalar(select(ActivityLog).where(ActivityLog.action == "domain.renewed"))


def test_unsuspension_with_the_panel_down_is_queued_and_payment_stands(db, world, run,
                                                                       configure, state):
    configure(suspend_days="3")
    for day in (date(2028, 2, 17), date(2028, 3, 5)):
        run(day, only="renewal_invoices")
    run(date(2028, 3, 5), only="overdue_suspensions")
    invoice = db.scalar(select(Invoice).join(InvoiceItem).where(
        InvoiceItem.service_id == world.manual.id))
    db.commit()
    world.panel.mode = "down"
    with state.transaction(CRON) as session:
        apply_payment(session, invoice.id, invoice.balance, gateway="banktransfer")
    db.expire_all()
    assert db.get(Invoice, invoice.id).status == "paid"
    assert db.get(Service, world.manual.id).status == "suspended"
    queued = db.scalar(select(ModuleQueueItem).where(ModuleQueueItem.action == "unsuspend"))
    assert queued is not None and queued.subject_id == world.manual.id
    db.commit()
    world.panel.mode = "ok"
    run(date(2028, 3, 6), only="module_retries")
    db.expire_all()
    assert db.get(Service, world.manual.id).status == "active"


def test_setting_layers(state, db):
    with state.transaction(CRON) as session:
        assert automation_setting(session, "lead_days") == "14"  # shipped default
    state.settings.automation = {"lead_days": 3, "overdue_reminder_days": "2, 9"}
    with state.transaction(CRON) as session:
        assert automation_setting(session, "lead_days") == "3"  # [automation] in the file
        assert days_setting(session, "overdue_reminder_days") == [2, 9]
        set_setting(session, "automation.lead_days", "21")
    with state.transaction(CRON) as session:
        assert automation_setting(session, "lead_days") == "21"  # runtime wins
        set_setting(session, "automation.overdue_reminder_days", "1,x")
    with state.transaction(CRON) as session, pytest.raises(
            ConfigError, match="automation.overdue_reminder_days must list whole days"):
        days_setting(session, "overdue_reminder_days")


def test_overdue_addon_is_suspended_alone_and_lifted_when_paid(db, factories, run, configure,
                                                               state):
    configure(suspend_days="3")
    service = factories.service(next_due_date=date(2028, 3, 20),
                                next_invoice_date=date(2028, 3, 20))
    addon = ServiceAddon(service_id=service.id, client_id=service.client_id, currency="USD",
                         name="Backups", status="active", billing_cycle="1M",
                         recurring_amount=Decimal("4.00"), next_due_date=date(2028, 3, 1),
                         next_invoice_date=date(2028, 3, 1), anchor_day=1)
    db.add(addon)
    db.commit()
    run(date(2028, 2, 20), only="renewal_invoices")
    result = run(date(2028, 3, 4), only="overdue_suspensions")
    assert result.counts["overdue_suspensions"]["addons_suspended"] == 1
    db.expire_all()
    assert (db.get(ServiceAddon, addon.id).status, db.get(Service, service.id).status) == (
        "suspended", "active")
    invoice = db.scalar(select(Invoice))
    db.commit()
    with state.transaction(CRON) as session:
        session.info["bridge.automation.today"] = date(2028, 3, 6)
        apply_payment(session, invoice.id, invoice.balance, gateway="banktransfer")
    db.expire_all()
    lifted = db.get(ServiceAddon, addon.id)
    assert (lifted.status, lifted.suspend_reason) == ("active", "")
