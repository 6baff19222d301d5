"""Tests for bridge.services.domains: names, dates, renewals, nameservers, EPP codes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text

from bridge.context import pending_events
from bridge.errors import Conflict, NotFound, ValidationFailed
from bridge.models import ActivityLog, Domain, Tld
from bridge.services import domains as dom
from bridge.services.common import secret_box

TODAY = datetime.now(UTC).date()


def _events(db: Any, name: str) -> list[dict[str, Any]]:
    return [payload for event, payload in pending_events(db) if event == name]


def _active(db: Any, factories: Any, name: str = "held.com", **kw: Any) -> Domain:
    domain = dom.add_domain(db, factories.client().id, name)
    dom.register_domain(db, domain.id, registration_date=kw.pop("registered", date(2024, 5, 10)))
    for key, value in kw.items():
        setattr(domain, key, value)
    db.info.pop("bridge.events", None)
    return domain


# --- names ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "stored"), [
    ("Example.COM", "example.com"),
    ("  shop.example.co.uk. ", "shop.example.co.uk"),
    ("a-b.io", "a-b.io"),
    ("MÜNCHEN.de", "münchen.de"),
    ("bücher.example", "bücher.example"),
    ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
    ("日本語.jp", "日本語.jp"),
    ("1.2.3.example", "1.2.3.example"),
])
def test_valid_names_are_normalised(raw: str, stored: str) -> None:
    assert dom.normalize_domain_name(raw) == stored


@pytest.mark.parametrize("raw", [
    "localhost", "", "-bad.com", "bad-.com", "under_score.com", "a..com", "sp ace.com",
    "x" * 64 + ".com", ".com", ("a" * 60 + ".") * 5 + "com", "ex!ample.com",
])
def test_invalid_names(raw: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        dom.normalize_domain_name(raw)
    assert "domain" in err.value.errors


def test_label_of_63_is_accepted() -> None:
    name = "x" * 63 + ".com"
    assert dom.normalize_domain_name(name) == name


# --- add ------------------------------------------------------------------------------------

def test_add_domain_defaults(db: Any, factories: Any) -> None:
    factories.currency("EUR")
    client = factories.client(currency="EUR")
    domain = dom.add_domain(db, client.id, "Example.ORG", years=2,
                            recurring_amount=Decimal("12.50"), epp_code=None)
    assert domain.name == "example.org" and domain.status == "pending_registration"
    assert (domain.kind, domain.registration_period, domain.currency) == ("register", 2, "EUR")
    assert domain.first_payment_amount == Decimal("12.50")
    assert domain.epp_code_enc == "" and domain.nameservers == []
    [payload] = _events(db, "domain_added")
    assert payload["domain_id"] == domain.id and payload["client_id"] == client.id
    log = db.scalar(select(ActivityLog).where(ActivityLog.action == "domain.added"))
    assert log is not None and log.client_id == client.id


def test_add_transfer_with_encrypted_epp_code(db: Any, factories: Any) -> None:
    client = factories.client()
    domain = dom.add_domain(db, client.id, "moving.net", kind="transfer", epp_code="Ab#9-xyz!",
                            first_payment_amount=Decimal("8"), nameservers=["ns1.host.net",
                                                                            "NS2.host.net."])
    db.commit()
    assert domain.status == "pending_transfer"
    assert domain.first_payment_amount == Decimal("8")
    assert domain.nameservers == ["ns1.host.net", "ns2.host.net"]
    raw = db.execute(text("SELECT epp_code_enc FROM domains WHERE id = :i"),
                     {"i": domain.id}).scalar_one()
    assert "Ab#9-xyz!" not in raw and raw
    assert secret_box(db).decrypt(raw) == "Ab#9-xyz!"
    assert dom.get_epp_code(db, domain.id) == "Ab#9-xyz!"


def test_add_domain_registrar_from_tld(db: Any, factories: Any) -> None:
    db.add_all([Tld(extension=".uk", registrar="nominet"),
                Tld(extension=".co.uk", registrar="enom")])
    db.flush()
    client = factories.client()
    assert dom.add_domain(db, client.id, "shop.co.uk").registrar == "enom"
    assert dom.add_domain(db, client.id, "shop.org.uk").registrar == "nominet"
    assert dom.add_domain(db, client.id, "x.co.uk", registrar="manual").registrar == "manual"


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"name": "nodot"}, "domain"),
    ({"kind": "steal"}, "kind"),
    ({"years": 0}, "years"),
    ({"years": 11}, "years"),
    ({"recurring_amount": Decimal("-1")}, "recurring_amount"),
    ({"recurring_amount": 9.99}, "recurring_amount"),
    ({"status": "parked"}, "status"),
    ({"nameservers": ["ns1.only.com"]}, "nameservers"),
])
def test_add_domain_rejects(db: Any, factories: Any, kwargs: dict[str, Any],
                            field: str) -> None:
    client = factories.client()
    args = {"name": "fine.com", **kwargs}
    with pytest.raises(ValidationFailed) as err:
        dom.add_domain(db, client.id, **args)
    assert field in err.value.errors
    assert db.scalar(select(Domain)) is None


def test_add_domain_unknown_client_and_order(db: Any, factories: Any) -> None:
    with pytest.raises(NotFound):
        dom.add_domain(db, 9999, "a.com")
    with pytest.raises(NotFound):
        dom.add_domain(db, factories.client().id, "a.com", order_id=9999)


def test_add_domain_refuses_live_duplicate(db: Any, factories: Any) -> None:
    first = dom.add_domain(db, factories.client().id, "twice.com")
    with pytest.raises(Conflict, match=f"#{first.id}"):
        dom.add_domain(db, factories.client().id, "TWICE.com")
    dom.set_domain_status(db, first.id, "cancelled")
    again = dom.add_domain(db, factories.client().id, "twice.com")
    assert again.id != first.id


def test_add_domain_with_explicit_status(db: Any, factories: Any) -> None:
    domain = dom.add_domain(db, factories.client().id, "imported.com", status="active")
    assert domain.status == "active"


# --- register / transfer --------------------------------------------------------------------

def test_register_domain_dates(db: Any, factories: Any) -> None:
    domain = dom.add_domain(db, factories.client().id, "new.com", years=3)
    dom.register_domain(db, domain.id, registration_date=date(2025, 1, 31))
    assert domain.status == "active"
    assert domain.expiry_date == date(2028, 1, 31)
    assert domain.next_due_date == domain.next_invoice_date == date(2028, 1, 31)
    assert _events(db, "domain_registered")[0]["expiry_date"] == "2028-01-31"


def test_register_domain_defaults_to_today(db: Any, factories: Any) -> None:
    domain = dom.add_domain(db, factories.client().id, "today.com")
    dom.register_domain(db, domain.id)
    assert domain.registration_date == TODAY
    assert domain.expiry_date == dom.add_years(TODAY, 1)


@pytest.mark.parametrize(("registered", "years", "expiry"), [
    (date(2024, 2, 29), 1, date(2025, 2, 28)),
    (date(2024, 2, 29), 4, date(2028, 2, 29)),
    (date(2024, 2, 29), 2, date(2026, 2, 28)),
    (date(2023, 2, 28), 1, date(2024, 2, 28)),
    (date(2025, 12, 31), 1, date(2026, 12, 31)),
])
def test_register_leap_day(db: Any, factories: Any, registered: date, years: int,
                           expiry: date) -> None:
    domain = dom.add_domain(db, factories.client().id, "leap.com", years=years)
    dom.register_domain(db, domain.id, registration_date=registered)
    assert domain.expiry_date == expiry == domain.next_due_date


def test_register_explicit_expiry_and_bad_expiry(db: Any, factories: Any) -> None:
    domain = dom.add_domain(db, factories.client().id, "given.com")
    with pytest.raises(ValidationFailed):
        dom.register_domain(db, domain.id, registration_date=date(2026, 1, 1),
                            expiry_date=date(2025, 1, 1))
    assert domain.status == "pending_registration"
    dom.register_domain(db, domain.id, registration_date=date(2026, 1, 1),
                        expiry_date=date(2027, 1, 2))
    assert domain.expiry_date == date(2027, 1, 2)


@pytest.mark.parametrize("status", ["active", "pending_transfer", "expired", "cancelled"])
def test_register_refuses_non_pending(db: Any, factories: Any, status: str) -> None:
    domain = dom.add_domain(db, factories.client().id, "no.com", status=status)
    with pytest.raises(Conflict, match=f"domain {domain.id} .*is {status}"):
        dom.register_domain(db, domain.id)


def test_transfer_flow(db: Any, factories: Any) -> None:
    domain = dom.add_domain(db, factories.client().id, "incoming.com")
    dom.transfer_domain(db, domain.id)
    assert (domain.kind, domain.status) == ("transfer", "pending_transfer")
    assert _events(db, "domain_transfer_requested")
    dom.complete_transfer(db, domain.id, expiry_date=date(2027, 6, 30))
    assert domain.status == "active" and domain.registration_date == TODAY
    assert domain.expiry_date == domain.next_due_date == date(2027, 6, 30)
    assert _events(db, "domain_transferred")[0]["domain_id"] == domain.id
    with pytest.raises(Conflict):
        dom.transfer_domain(db, domain.id)
    with pytest.raises(Conflict):
        dom.complete_transfer(db, domain.id, expiry_date=date(2028, 1, 1))


# --- renew ----------------------------------------------------------------------------------

def test_renew_from_current_expiry_not_today(db: Any, factories: Any) -> None:
    domain = _active(db, factories, expiry_date=date(2031, 3, 1))
    dom.renew_domain(db, domain.id, 2)
    assert domain.expiry_date == date(2033, 3, 1)
    assert domain.next_due_date == domain.next_invoice_date == date(2033, 3, 1)
    [payload] = _events(db, "domain_renewed")
    assert payload["years"] == 2 and payload["expiry_date"] == "2033-03-01"


@pytest.mark.parametrize("status", ["grace", "redemption", "expired"])
def test_renew_from_grace_reactivates(db: Any, factories: Any, status: str) -> None:
    domain = _active(db, factories, expiry_date=date(2020, 2, 29))
    dom.set_domain_status(db, domain.id, status)
    dom.renew_domain(db, domain.id)
    assert domain.status == "active"
    assert domain.expiry_date == date(2021, 2, 28)


@pytest.mark.parametrize("status", ["pending_registration", "cancelled", "fraud",
                                    "transferred_away"])
def test_renew_refused(db: Any, factories: Any, status: str) -> None:
    domain = dom.add_domain(db, factories.client().id, "r.com", status=status)
    domain.expiry_date = date(2030, 1, 1)
    with pytest.raises(Conflict, match=status):
        dom.renew_domain(db, domain.id)
    assert domain.expiry_date == date(2030, 1, 1)


def test_renew_needs_expiry_and_valid_years(db: Any, factories: Any) -> None:
    domain = dom.add_domain(db, factories.client().id, "e.com", status="active")
    with pytest.raises(Conflict, match="no expiry date"):
        dom.renew_domain(db, domain.id)
    with pytest.raises(ValidationFailed):
        dom.renew_domain(db, domain.id, 0)


# --- nameservers, lock, protection, EPP -----------------------------------------------------

def test_set_nameservers(db: Any, factories: Any) -> None:
    domain = _active(db, factories)
    dom.set_nameservers(db, domain.id, ["NS1.Example.net", "ns2.example.net.", "ns3.dns.io"])
    assert domain.nameservers == ["ns1.example.net", "ns2.example.net", "ns3.dns.io"]
    assert _events(db, "domain_nameservers_updated")[0]["nameservers"] == domain.nameservers


@pytest.mark.parametrize("servers", [
    [], ["ns1.a.com"], [f"ns{i}.a.com" for i in range(6)], ["ns1.a.com", "ns1.a.com"],
    ["ns1.a.com", "bad_host.a.com"], ["ns1.a.com", "localhost"], "ns1.a.com,ns2.a.com",
])
def test_set_nameservers_rejects(db: Any, factories: Any, servers: Any) -> None:
    domain = _active(db, factories)
    domain.nameservers = ["ns1.keep.com", "ns2.keep.com"]
    with pytest.raises(ValidationFailed) as err:
        dom.set_nameservers(db, domain.id, servers)
    assert "nameservers" in err.value.errors
    assert domain.nameservers == ["ns1.keep.com", "ns2.keep.com"]


def test_lock_and_id_protection(db: Any, factories: Any) -> None:
    domain = _active(db, factories)
    dom.set_lock(db, domain.id, False)
    dom.set_id_protection(db, domain.id, True)
    assert domain.locked is False and domain.id_protection is True
    assert _events(db, "domain_lock_changed")[0]["locked"] is False
    assert _events(db, "domain_id_protection_changed")[0]["enabled"] is True


def test_set_and_get_epp_code(db: Any, factories: Any) -> None:
    domain = _active(db, factories)
    assert dom.get_epp_code(db, domain.id) == ""
    dom.set_epp_code(db, domain.id, " s3cr3t-EPP ")
    assert "s3cr3t" not in domain.epp_code_enc
    assert dom.get_epp_code(db, domain.id) == "s3cr3t-EPP"
    assert "s3cr3t" not in repr(pending_events(db))
    logs = db.scalars(select(ActivityLog.action)).all()
    assert "domain.epp_code_viewed" in logs
    domain.epp_code_enc = "v1:garbage"
    with pytest.raises(Conflict):
        dom.get_epp_code(db, domain.id)


# --- updates and statuses -------------------------------------------------------------------

def test_update_domain(db: Any, factories: Any) -> None:
    domain = _active(db, factories)
    domain.contacts = {"tech": {"email": "t@example.com"}}
    dom.update_domain(db, domain.id, {
        "expiry_date": "2030-01-01", "recurring_amount": "15.00", "registrar": "enom",
        "do_not_renew": True, "registration_period": 2, "status": "grace",
        "contacts": {"registrant": {"first_name": "Ann"}}})
    assert domain.expiry_date == date(2030, 1, 1) and domain.status == "grace"
    assert domain.recurring_amount == Decimal("15.00") and domain.do_not_renew is True
    assert domain.contacts == {"tech": {"email": "t@example.com"},
                               "registrant": {"first_name": "Ann"}}
    [payload] = _events(db, "domain_updated")
    assert set(payload["changed"]) == {"expiry_date", "recurring_amount", "registrar",
                                       "do_not_renew", "registration_period", "status",
                                       "contacts"}


@pytest.mark.parametrize(("data", "field"), [
    ({"status": "parked"}, "status"), ({"registration_period": 11}, "registration_period"),
    ({"name": "other.com"}, "name"), ({"contacts": {"owner": {}}}, "contacts.owner.key"),
    ({"recurring_amount": "abc"}, "recurring_amount"),
])
def test_update_domain_rejects(db: Any, factories: Any, data: dict[str, Any],
                               field: str) -> None:
    domain = _active(db, factories)
    with pytest.raises(ValidationFailed) as err:
        dom.update_domain(db, domain.id, data)
    assert field in err.value.errors


def test_update_domain_without_change_emits_nothing(db: Any, factories: Any) -> None:
    domain = _active(db, factories)
    dom.update_domain(db, domain.id, {"registrar": domain.registrar})
    assert pending_events(db) == []


@pytest.mark.parametrize(("start", "target", "ok"), [
    ("active", "grace", True), ("grace", "redemption", True), ("redemption", "expired", True),
    ("active", "transferred_away", True), ("pending_registration", "cancelled", True),
    ("active", "fraud", True), ("pending_registration", "grace", False),
    ("cancelled", "cancelled", False), ("expired", "fraud", False),
    ("pending_transfer", "transferred_away", False),
])
def test_set_domain_status(db: Any, factories: Any, start: str, target: str, ok: bool) -> None:
    domain = dom.add_domain(db, factories.client().id, "s.com", status=start)
    if ok:
        dom.set_domain_status(db, domain.id, target)
        assert domain.status == target
        assert _events(db, "domain_status_changed")[0]["old_status"] == start
    else:
        with pytest.raises(Conflict, match=f"is {start}"):
            dom.set_domain_status(db, domain.id, target)
        assert domain.status == start


@pytest.mark.parametrize("target", ["active", "pending", "bogus"])
def test_set_domain_status_refuses_other_targets(db: Any, factories: Any, target: str) -> None:
    domain = _active(db, factories)
    with pytest.raises(ValidationFailed):
        dom.set_domain_status(db, domain.id, target)


def test_set_domain_fields(db: Any, factories: Any) -> None:
    domain = _active(db, factories, name="firma.de")
    dom.set_domain_fields(db, domain.id, {"Legal Type": "Company", "Tax ID": "DE1"})
    dom.set_domain_fields(db, domain.id, {"Tax ID": "DE2"})
    db.flush()
    db.expire(domain)
    assert {f.name: f.value for f in domain.fields} == {"Legal Type": "Company", "Tax ID": "DE2"}
    with pytest.raises(ValidationFailed):
        dom.set_domain_fields(db, domain.id, {"": "x"})
    with pytest.raises(ValidationFailed):
        dom.set_domain_fields(db, domain.id, {"Age": 3})  # type: ignore[dict-item]


def test_unknown_domain(db: Any) -> None:
    with pytest.raises(NotFound):
        dom.renew_domain(db, 4040)
