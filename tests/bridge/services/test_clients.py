"""Clients: add (defaults, references, duplicates, owner login), update, close, delete, groups,
notes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from bridge.context import pending_events
from bridge.errors import Conflict, NotFound, ValidationFailed
from bridge.models import (
    ActivityLog,
    Client,
    ClientNote,
    Contact,
    Currency,
    CustomFieldValue,
    Domain,
    Invoice,
    InvoiceItem,
    Order,
    Service,
    ServiceAddon,
    Ticket,
    Transaction,
    User,
    UserClient,
)
from bridge.security import verify_password
from bridge.services import access, clients, contacts, customfields
from bridge.services.settings import set_setting


@pytest.fixture
def usd(factories):
    return factories.currency("USD")


def _client(db, **kw):
    data = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
    data.update(kw)
    return clients.add_client(db, data)


def _events(db, name):
    return [payload for event, payload in pending_events(db) if event == name]


def _invoice(db, client, status="unpaid", **kw):
    invoice = Invoice(client_id=client.id, currency=client.currency, date=date(2026, 1, 1),
                      due_date=date(2026, 1, 8), status=status, subtotal=Decimal(10),
                      total=Decimal(10), **kw)
    db.add(invoice)
    db.flush()
    return invoice


def _domain(db, client, name, status):
    domain = Domain(client_id=client.id, name=name, status=status, currency=client.currency)
    db.add(domain)
    db.flush()
    return domain


# --- add ---------------------------------------------------------------------------------


def test_add_client_defaults_to_the_default_currency(db, factories):
    factories.currency("EUR")  # first currency = default
    factories.currency("USD")
    client = _client(db, country="gb")
    assert client.currency == "EUR"
    assert client.country == "GB"
    assert client.status == "active"
    assert _events(db, "client_added") == [{"client_id": client.id, "owner_user_id": None}]
    log = db.scalar(select(ActivityLog).where(ActivityLog.action == "client.added"))
    assert log.client_id == client.id and log.actor_name == "test"


@pytest.mark.parametrize(("data", "field"), [
    ({"email": ""}, "email"),
    ({"email": "no-at-sign"}, "email"),
    ({"currency": "GBP"}, "currency"),
    ({"group_id": 77}, "group_id"),
    ({"company_id": 77}, "company_id"),
    ({"country": "Germany"}, "country"),
    ({"status": "sleeping"}, "status"),
    ({"favourite_colour": "red"}, "favourite_colour"),
])
def test_add_client_validation(db, usd, data, field):
    with pytest.raises(ValidationFailed) as info:
        _client(db, **data)
    assert field in info.value.errors


def test_email_is_required(db, usd):
    with pytest.raises(ValidationFailed) as info:
        clients.add_client(db, {"first_name": "No", "last_name": "Mail"})
    assert "required" in info.value.errors["email"]


def test_add_client_needs_some_currency_to_exist(db):
    with pytest.raises(NotFound):
        _client(db)


def test_duplicate_email_is_refused_unless_allowed(db, usd):
    first = _client(db, email="Dup@Example.com")
    with pytest.raises(Conflict) as info:
        _client(db, email="dup@example.com")
    assert str(first.id) in info.value.message
    set_setting(db, "client.allow_duplicate_email", "1")
    second = _client(db, email="dup@example.com")
    assert second.id != first.id
    assert clients.find_client_by_email(db, "DUP@example.com") is first


def test_password_creates_an_owner_login(db, usd):
    client = _client(db, email="owner@example.com", password="pw-123")
    user = db.scalar(select(User).where(User.email == "owner@example.com"))
    assert verify_password("pw-123", user.password_hash).ok
    link = db.scalar(select(UserClient).where(UserClient.client_id == client.id))
    assert link.user_id == user.id and link.is_owner
    assert _events(db, "client_added")[0]["owner_user_id"] == user.id


def test_password_links_an_existing_user_without_touching_its_password(db, usd):
    existing = access.add_user(db, "shared@example.com", "original")
    client = _client(db, email="Shared@example.com", password="different")
    link = db.scalar(select(UserClient).where(UserClient.client_id == client.id))
    assert link.user_id == existing.id and link.is_owner
    assert verify_password("original", existing.password_hash).ok


def test_owner_user_id_links_a_named_user(db, usd):
    user = access.add_user(db, "agency@example.com", "pw")
    client = _client(db, owner_user_id=user.id)
    assert db.scalar(select(UserClient.user_id).where(UserClient.client_id == client.id)) == \
        user.id
    with pytest.raises(ValidationFailed):
        _client(db, email="x@example.com", owner_user_id=9999)
    with pytest.raises(ValidationFailed):
        _client(db, email="y@example.com", owner_user_id=user.id, password="pw")


def test_flags_and_group(db, usd):
    group = clients.add_client_group(db, {"name": "Resellers", "discount_percent": "10"})
    client = _client(db, group_id=group.id, tax_exempt="on", separate_invoices=True,
                     email_preferences={"invoice": True, "general": False})
    assert client.group is group and client.tax_exempt and client.separate_invoices
    assert client.email_preferences == {"invoice": True, "general": False}


# --- update ------------------------------------------------------------------------------


def test_update_client_reports_changed_fields(db, usd):
    client = _client(db)
    clients.update_client(db, client.id, {"city": "London", "last_name": "Lovelace",
                                           "email_preferences": {"general": False}})
    assert client.city == "London"
    event = _events(db, "client_updated")[-1]
    assert event == {"client_id": client.id, "changed": ["city", "email_preferences"]}
    clients.update_client(db, client.id, {"email_preferences": {"invoice": False}})
    assert client.email_preferences == {"general": False, "invoice": False}
    before = len(_events(db, "client_updated"))
    clients.update_client(db, client.id, {"city": "London"})
    assert len(_events(db, "client_updated")) == before


def test_update_client_refuses_another_clients_email(db, usd):
    first = _client(db, email="one@example.com")
    _client(db, email="two@example.com")
    with pytest.raises(Conflict):
        clients.update_client(db, first.id, {"email": "TWO@example.com"})
    clients.update_client(db, first.id, {"email": "ONE@example.com"})  # own email, new case
    assert first.email == "ONE@example.com"


def test_currency_change_is_refused_once_the_client_has_invoices(db, factories, usd):
    factories.currency("EUR", "0.9")
    client = _client(db)
    clients.update_client(db, client.id, {"currency": "eur"})
    assert client.currency == "EUR"
    _invoice(db, client)
    with pytest.raises(Conflict, match="invoices"):
        clients.update_client(db, client.id, {"currency": "USD"})
    with pytest.raises(ValidationFailed):
        clients.update_client(db, client.id, {"currency": "JPY"})


def test_update_rejects_login_fields_and_unknown_client(db, usd):
    client = _client(db)
    with pytest.raises(ValidationFailed):
        clients.update_client(db, client.id, {"password": "new"})
    with pytest.raises(NotFound):
        clients.update_client(db, 404, {"city": "x"})


def test_status_change_stamps_closed_at(db, usd):
    client = _client(db)
    clients.update_client(db, client.id, {"status": "closed"})
    assert client.closed_at is not None
    clients.update_client(db, client.id, {"status": "active"})
    assert client.closed_at is None


# --- close -------------------------------------------------------------------------------


def test_close_client_cascades(db, factories, usd):
    client = factories.client()
    other = factories.client()
    live = [factories.service(client=client, status=s) for s in ("pending", "active",
                                                                 "suspended")]
    terminated = factories.service(client=client, status="terminated")
    untouched = factories.service(client=other, status="active")
    addon = ServiceAddon(service_id=live[1].id, client_id=client.id, name="Backups",
                         status="active", currency="USD")
    db.add(addon)
    pending_domain = _domain(db, client, "new-site.com", "pending_registration")
    active_domain = _domain(db, client, "old-site.com", "active")
    unpaid = _invoice(db, client)
    paid = _invoice(db, client, status="paid", amount_paid=Decimal(10))
    partly = _invoice(db, client, amount_paid=Decimal(4))

    clients.close_client(db, client.id, reason="moved away")

    assert client.status == "closed" and client.closed_at is not None
    assert [s.status for s in live] == ["cancelled"] * 3
    assert terminated.status == "terminated"
    assert untouched.status == "active"
    assert addon.status == "cancelled"
    assert pending_domain.status == "cancelled"
    assert active_domain.status == "active" and active_domain.do_not_renew
    assert unpaid.status == "cancelled"
    assert paid.status == "paid"
    assert partly.status == "unpaid"
    event = _events(db, "client_closed")[-1]
    assert event["client_id"] == client.id and event["reason"] == "moved away"
    assert sorted(event["service_ids"]) == sorted(s.id for s in live)
    assert event["cancelled_invoice_ids"] == [unpaid.id]
    assert event["open_invoice_ids"] == [partly.id]
    assert _events(db, "service_cancelled")  # each service went through the lifecycle


def test_close_client_twice_is_harmless(db, factories, usd):
    client = factories.client()
    service = factories.service(client=client)
    clients.close_client(db, client.id)
    closed_at = client.closed_at
    clients.close_client(db, client.id)
    assert client.closed_at == closed_at
    assert service.status == "cancelled"


# --- delete ------------------------------------------------------------------------------


def test_delete_a_client_without_holdings(db, usd):
    client = _client(db, password="pw")
    user_id = db.scalar(select(UserClient.user_id).where(UserClient.client_id == client.id))
    contact = contacts.add_contact(db, client.id, {"email": "c@example.com", "password": "x"})
    clients.add_client_note(db, client.id, "VIP")
    field = customfields.add_custom_field(db, {"owner_type": "client", "name": "Ref"})
    customfields.set_custom_field_values(db, "client", client.id, {field.id: "R1"})
    db.commit()
    client_id = client.id

    clients.delete_client(db, client_id)
    assert _events(db, "client_deleted") == [
        {"client_id": client_id, "email": "ada@example.com", "forced": False}]
    db.commit()

    assert db.get(Client, client_id) is None
    assert db.get(Contact, contact.id) is None
    assert db.scalars(select(ClientNote).where(ClientNote.client_id == client_id)).all() == []
    assert db.scalars(select(CustomFieldValue).where(
        CustomFieldValue.entity_id == client_id)).all() == []
    assert db.scalars(select(UserClient).where(UserClient.client_id == client_id)).all() == []
    assert db.get(User, user_id) is not None  # the login may reach other clients
    log = db.scalar(select(ActivityLog).where(ActivityLog.action == "client.deleted"))
    assert log.client_id == client_id


def test_delete_refuses_while_the_client_holds_something(db, factories, usd):
    client = factories.client()
    factories.service(client=client)
    _invoice(db, client)
    with pytest.raises(Conflict) as info:
        clients.delete_client(db, client.id)
    assert "1 invoices" in info.value.message and "1 services" in info.value.message
    assert db.get(Client, client.id) is not None


def test_force_delete_removes_holdings_and_keeps_tickets_as_guest_tickets(db, factories, usd):
    client = factories.client(email="leaving@example.com")
    service = factories.service(client=client)
    order = Order(client_id=client.id, currency="USD")
    db.add(order)
    db.flush()
    service.order_id = order.id
    invoice = _invoice(db, client)
    db.add(InvoiceItem(invoice_id=invoice.id, service_id=service.id, amount=Decimal(10)))
    order.invoice_id = invoice.id
    domain = _domain(db, client, "leaving.com", "active")
    department = factories.department()
    ticket = Ticket(number="ABC-123456", department_id=department.id, client_id=client.id,
                    subject="Help", service_id=service.id)
    db.add(ticket)
    db.commit()
    client_id = client.id

    clients.delete_client(db, client_id, force=True)
    db.commit()

    assert db.get(Client, client_id) is None
    assert db.get(Service, service.id) is None
    assert db.get(Invoice, invoice.id) is None
    assert db.get(Domain, domain.id) is None
    assert db.get(Order, order.id) is None
    kept = db.get(Ticket, ticket.id)
    assert kept.client_id is None and kept.email == "leaving@example.com"


def test_force_delete_still_refuses_when_money_moved(db, factories, usd):
    client = factories.client()
    invoice = _invoice(db, client)
    db.add(Transaction(invoice_id=invoice.id, currency="USD", amount_in=Decimal(10)))
    db.flush()
    with pytest.raises(Conflict, match="money moved"):
        clients.delete_client(db, client.id, force=True)
    client.credit_balance = Decimal(5)
    db.execute(Transaction.__table__.delete())
    with pytest.raises(Conflict, match="credit"):
        clients.delete_client(db, client.id, force=True)


# --- groups, notes, lookups ----------------------------------------------------------------


def test_client_groups(db, usd):
    group = clients.add_client_group(db, {"name": "VIP", "color": "#28C99B"})
    clients.update_client_group(db, group.id, {"discount_percent": "12.5"})
    assert group.discount_percent == Decimal("12.5")
    with pytest.raises(ValidationFailed):
        clients.add_client_group(db, {"name": "Too generous", "discount_percent": "120"})
    with pytest.raises(NotFound):
        clients.update_client_group(db, 999, {"name": "x"})


def test_client_notes(db, usd):
    client = _client(db)
    admin = access.add_admin(db, "notes-admin", "pw")
    note = clients.add_client_note(db, client.id, "Prefers phone", title="Contact",
                                   admin_id=admin.id, sticky=True)
    assert note.sticky and note.admin_id == admin.id
    with pytest.raises(ValidationFailed):
        clients.add_client_note(db, client.id, "   ")
    with pytest.raises(ValidationFailed):
        clients.add_client_note(db, client.id, "x", admin_id=999)
    with pytest.raises(NotFound):
        clients.add_client_note(db, 999, "x")


def test_get_client(db, usd):
    client = _client(db)
    assert clients.get_client(db, client.id) is client
    assert clients.find_client_by_email(db, "nobody@example.com") is None
    with pytest.raises(NotFound):
        clients.get_client(db, 12345)


def test_a_new_client_gets_the_default_currency_else_the_first(db):
    from bridge.services.settings import add_currency

    add_currency(db, "EUR")  # the first currency added becomes the default
    add_currency(db, "GBP")
    assert _client(db).currency == "EUR"
    db.execute(Currency.__table__.update().values(is_default=False))
    db.execute(Currency.__table__.update().where(Currency.code == "GBP").values(
        is_default=True))
    assert _client(db, email="b@example.com").currency == "GBP"
    db.execute(Currency.__table__.update().values(is_default=False))
    assert _client(db, email="c@example.com").currency == "EUR"  # none marked: the first
