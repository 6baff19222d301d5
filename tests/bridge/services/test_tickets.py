"""Tests for bridge.services.tickets: opening, numbers, replies, statuses, merge, delete."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from bridge.context import pending_events
from bridge.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from bridge.models import (
    ActivityLog,
    Admin,
    Contact,
    Ticket,
    TicketAttachment,
    TicketMessage,
    TicketNote,
    TicketStatus,
)
from bridge.models.support import DEFAULT_TICKET_STATUSES
from bridge.services import tickets as tk
from bridge.services.domains import add_domain
from bridge.services.settings import set_setting

FILE = {"filename": "screen.png", "stored_name": "ab12.png", "size": 2048,
        "content_type": "image/png"}


def _events(db: Any, name: str) -> list[dict[str, Any]]:
    return [payload for event, payload in pending_events(db) if event == name]


def _admin(db: Any, username: str = "alice") -> Admin:
    admin = Admin(username=username, first_name="Alice", last_name="Admin")
    db.add(admin)
    db.flush()
    return admin


def _open(db: Any, factories: Any, **data: Any) -> Ticket:
    if "client_id" not in data and "email" not in data:
        data["client_id"] = factories.client().id
    data.setdefault("department_id", factories.department().id)
    data.setdefault("subject", "Site is down")
    data.setdefault("message", "Please help")
    return tk.open_ticket(db, data)


# --- opening --------------------------------------------------------------------------------

def test_open_client_ticket(db: Any, factories: Any) -> None:
    client = factories.client()
    service = factories.service(client=client)
    department = factories.department()
    ticket = tk.open_ticket(db, {
        "department_id": department.id, "client_id": client.id, "subject": " Help ",
        "message": "My site is down", "priority": "high", "service_id": service.id,
        "cc": ["Boss@Example.com"], "ip_address": "192.0.2.1", "attachments": [FILE]})
    assert ticket.status == "open" and ticket.priority == "high"
    assert ticket.subject == "Help" and ticket.cc == ["boss@example.com"]
    assert re.fullmatch(r"[A-Z]{3}-\d{6}", ticket.number)
    assert re.fullmatch(r"[A-Za-z0-9]{8}", ticket.access_key)
    assert ticket.last_reply_at is not None
    [message] = ticket.messages
    assert (message.author_type, message.client_id, message.body) == (
        "client", client.id, "My site is down")
    [attachment] = db.scalars(select(TicketAttachment)).all()
    assert (attachment.message_id, attachment.ticket_id, attachment.size) == (
        message.id, ticket.id, 2048)
    [payload] = _events(db, "ticket_opened")
    assert payload["ticket_id"] == ticket.id and payload["client_id"] == client.id
    log = db.scalar(select(ActivityLog).where(ActivityLog.action == "ticket.opened"))
    assert log is not None and log.client_id == client.id


def test_open_guest_ticket(db: Any, factories: Any) -> None:
    ticket = _open(db, factories, name="Gary Guest", email="gary@example.net")
    assert ticket.client_id is None
    assert (ticket.name, ticket.email) == ("Gary Guest", "gary@example.net")
    [message] = ticket.messages
    assert message.author_type == "guest" and message.email == "gary@example.net"
    assert len(ticket.access_key) == 8


@pytest.mark.parametrize("data", [{"name": "Gary"}, {"email": "g@example.net"},
                                  {"name": " ", "email": "g@example.net"}])
def test_guest_needs_name_and_email(db: Any, factories: Any, data: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed, match="name and email"):
        _open(db, factories, email=data.get("email", ""), name=data.get("name", ""))


def test_guest_refused_in_clients_only_department(db: Any, factories: Any) -> None:
    department = factories.department(clients_only=True)
    with pytest.raises(PermissionDenied):
        _open(db, factories, department_id=department.id, name="G", email="g@example.net")
    admin = _admin(db)
    ticket = _open(db, factories, department_id=department.id, name="G", email="g@example.net",
                   admin_id=admin.id)
    assert ticket.opened_by_admin_id == admin.id


def test_open_by_admin_for_contact(db: Any, factories: Any) -> None:
    client = factories.client()
    contact = Contact(client_id=client.id, first_name="Con", email="con@example.com")
    db.add(contact)
    db.flush()
    as_contact = _open(db, factories, client_id=client.id, contact_id=contact.id)
    assert as_contact.messages[0].author_type == "contact"
    assert as_contact.messages[0].contact_id == contact.id
    admin = _admin(db)
    by_admin = _open(db, factories, client_id=client.id, admin_id=admin.id)
    assert by_admin.messages[0].author_type == "admin"
    assert by_admin.messages[0].admin_id == admin.id
    assert by_admin.status == "open"


@pytest.mark.parametrize(("extra", "field"), [
    ({"department_id": 999}, "department_id"),
    ({"client_id": 999}, "client_id"),
    ({"subject": "   "}, "subject"),
    ({"message": ""}, "message"),
    ({"priority": "urgent"}, "priority"),
    ({"admin_id": 999}, "admin_id"),
    ({"cc": ["not-an-email"]}, "cc.0"),
    ({"attachments": [{"size": 3}]}, "attachments.0.filename"),
    ({"bogus": 1}, "bogus"),
])
def test_open_rejects(db: Any, factories: Any, extra: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        _open(db, factories, **extra)
    assert field in err.value.errors
    assert db.scalar(select(func.count(Ticket.id))) == 0


def test_missing_department_is_required(db: Any, factories: Any) -> None:
    with pytest.raises(ValidationFailed) as err:
        tk.open_ticket(db, {"client_id": factories.client().id, "subject": "s", "message": "m"})
    assert err.value.errors["department_id"].keys() == {"required"}


def test_service_and_domain_must_be_the_clients(db: Any, factories: Any) -> None:
    owner, other = factories.client(), factories.client()
    service = factories.service(client=owner)
    domain = add_domain(db, owner.id, "owner.com")
    with pytest.raises(ValidationFailed) as err:
        _open(db, factories, client_id=other.id, service_id=service.id)
    assert "service_id" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        _open(db, factories, client_id=other.id, domain_id=domain.id)
    assert "domain_id" in err.value.errors
    with pytest.raises(ValidationFailed):
        _open(db, factories, name="G", email="g@example.net", service_id=service.id)
    with pytest.raises(ValidationFailed):
        _open(db, factories, client_id=owner.id, service_id=service.id, domain_id=domain.id)
    contact = Contact(client_id=owner.id, first_name="C")
    db.add(contact)
    db.flush()
    with pytest.raises(ValidationFailed) as err:
        _open(db, factories, client_id=other.id, contact_id=contact.id)
    assert "contact_id" in err.value.errors
    ticket = _open(db, factories, client_id=owner.id, domain_id=domain.id)
    assert ticket.domain_id == domain.id


# --- numbers --------------------------------------------------------------------------------

def test_custom_mask(db: Any, factories: Any) -> None:
    set_setting(db, "ticket.mask", "T-%n%n%A-x%")
    number = _open(db, factories).number
    assert re.fullmatch(r"T-\d\d[A-Z]-x%", number)


def test_mask_numbers_are_unique(db: Any, factories: Any) -> None:
    set_setting(db, "ticket.mask", "%n")  # only ten numbers exist
    client = factories.client()
    department = factories.department()
    numbers = {_open(db, factories, client_id=client.id, department_id=department.id).number
               for _ in range(6)}
    assert len(numbers) == 6 and numbers <= set("0123456789")


def test_mask_exhausted(db: Any, factories: Any) -> None:
    set_setting(db, "ticket.mask", "FIXED")
    assert _open(db, factories).number == "FIXED"
    with pytest.raises(Conflict, match="unique ticket number"):
        _open(db, factories)


def test_mask_too_long(db: Any, factories: Any) -> None:
    set_setting(db, "ticket.mask", "%n" * 33)
    with pytest.raises(Conflict, match="ticket.mask"):
        _open(db, factories)


def test_fill_mask_literals() -> None:
    assert tk.fill_mask("ab%x%") == "ab%x%"
    assert re.fullmatch(r"[A-Z]\d", tk.fill_mask("%A%n"))


def test_get_ticket_by_number(db: Any, factories: Any) -> None:
    ticket = _open(db, factories)
    assert tk.get_ticket_by_number(db, ticket.number) is ticket
    with pytest.raises(NotFound):
        tk.get_ticket_by_number(db, "NOPE-1")


# --- replies and statuses -------------------------------------------------------------------

def test_reply_status_changes(db: Any, factories: Any) -> None:
    ticket = _open(db, factories)
    admin = _admin(db)
    staff = tk.reply_ticket(db, ticket.id, "Looking", author="admin", admin_id=admin.id)
    assert ticket.status == "answered" and staff.admin_id == admin.id
    tk.reply_ticket(db, ticket.id, "Still down")
    assert ticket.status == "customer_reply"
    tk.reply_ticket(db, ticket.id, "Auto note", author="system")
    assert ticket.status == "customer_reply"
    tk.reply_ticket(db, ticket.id, "Waiting on DC", author="admin", status="on_hold")
    assert ticket.status == "on_hold"
    assert [m.author_type for m in ticket.messages] == ["client", "admin", "client", "system",
                                                       "admin"]
    replied = _events(db, "ticket_replied")
    assert [p["status"] for p in replied] == ["answered", "customer_reply", "customer_reply",
                                              "on_hold"]


def test_reply_reopens_closed_ticket(db: Any, factories: Any) -> None:
    ticket = _open(db, factories)
    tk.close_ticket(db, ticket.id)
    assert ticket.closed_at is not None
    before = ticket.last_reply_at
    tk.reply_ticket(db, ticket.id, "It broke again")
    assert ticket.status == "customer_reply" and ticket.closed_at is None
    assert ticket.last_reply_at is not None and before is not None
    assert ticket.last_reply_at >= before
    assert _events(db, "ticket_replied")[-1]["reopened"] is True


def test_reply_with_closed_status_closes(db: Any, factories: Any) -> None:
    ticket = _open(db, factories)
    tk.reply_ticket(db, ticket.id, "Fixed, closing", author="admin", status="closed")
    assert ticket.status == "closed" and ticket.closed_at is not None


def test_guest_and_contact_replies(db: Any, factories: Any) -> None:
    guest_ticket = _open(db, factories, name="Gus", email="gus@example.net")
    reply = tk.reply_ticket(db, guest_ticket.id, "more info", author="guest")
    assert (reply.name, reply.email) == ("Gus", "gus@example.net")
    assert guest_ticket.status == "customer_reply"
    with pytest.raises(ValidationFailed, match="guest ticket"):
        tk.reply_ticket(db, guest_ticket.id, "hi", author="client")
    client = factories.client()
    contact = Contact(client_id=client.id, first_name="C")
    stranger = Contact(client_id=factories.client().id, first_name="S")
    db.add_all([contact, stranger])
    db.flush()
    ticket = _open(db, factories, client_id=client.id)
    ok = tk.reply_ticket(db, ticket.id, "from contact", author="contact", contact_id=contact.id)
    assert ok.contact_id == contact.id and ok.client_id == client.id
    with pytest.raises(ValidationFailed):
        tk.reply_ticket(db, ticket.id, "x", author="contact", contact_id=stranger.id)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"message": "  "}, "message"), ({"author": "robot"}, "author"),
    ({"status": "nonsense"}, "status"), ({"admin_id": 404, "author": "admin"}, "admin_id"),
    ({"attachments": [{"filename": ""}]}, "attachments.0.filename"),
])
def test_reply_rejects(db: Any, factories: Any, kwargs: dict[str, Any], field: str) -> None:
    ticket = _open(db, factories)
    args = {"message": "hello", **kwargs}
    with pytest.raises(ValidationFailed) as err:
        tk.reply_ticket(db, ticket.id, args.pop("message"), **args)
    assert field in err.value.errors
    assert len(ticket.messages) == 1 and ticket.status == "open"


def test_reply_attachments(db: Any, factories: Any) -> None:
    ticket = _open(db, factories)
    reply = tk.reply_ticket(db, ticket.id, "log attached", attachments=[FILE, FILE])
    rows = db.scalars(select(TicketAttachment).where(TicketAttachment.message_id == reply.id))
    assert len(rows.all()) == 2


def test_custom_status_from_table(db: Any, factories: Any) -> None:
    ticket = _open(db, factories)
    with pytest.raises(ValidationFailed):
        tk.update_ticket(db, ticket.id, {"status": "waiting_vendor"})
    db.add(TicketStatus(key="waiting_vendor", title="Waiting on vendor"))
    db.flush()
    tk.update_ticket(db, ticket.id, {"status": "waiting_vendor"})
    assert ticket.status == "waiting_vendor"


def test_defaults_known_without_rows(db: Any, factories: Any) -> None:
    assert db.scalar(select(func.count(TicketStatus.id))) == 0
    ticket = _open(db, factories)
    for key in ("in_progress", "on_hold", "answered", "customer_reply", "open", "closed"):
        tk.update_ticket(db, ticket.id, {"status": key})
        assert ticket.status == key


def test_close_and_reopen(db: Any, factories: Any) -> None:
    ticket = _open(db, factories)
    with pytest.raises(Conflict, match="not closed"):
        tk.reopen_ticket(db, ticket.id)
    tk.close_ticket(db, ticket.id)
    assert ticket.status == "closed" and _events(db, "ticket_closed")
    with pytest.raises(Conflict, match="already closed"):
        tk.close_ticket(db, ticket.id)
    tk.reopen_ticket(db, ticket.id)
    assert ticket.status == "open" and ticket.closed_at is None
    assert _events(db, "ticket_reopened")[0]["ticket_id"] == ticket.id


def test_update_ticket(db: Any, factories: Any) -> None:
    ticket = _open(db, factories)
    other = factories.department(name="Billing")
    admin = _admin(db)
    tk.update_ticket(db, ticket.id, {"priority": "low", "department_id": other.id,
                                     "subject": "New subject", "assigned_admin_id": admin.id,
                                     "status": "closed"})
    assert (ticket.priority, ticket.department_id, ticket.subject) == (
        "low", other.id, "New subject")
    assert ticket.assigned_admin_id == admin.id and ticket.closed_at is not None
    [payload] = _events(db, "ticket_updated")
    assert set(payload["changed"]) == {"priority", "department_id", "subject",
                                       "assigned_admin_id", "status"}
    for data in ({"department_id": 999}, {"assigned_admin_id": 999}, {"priority": "x"}):
        with pytest.raises(ValidationFailed):
            tk.update_ticket(db, ticket.id, data)


def test_add_ticket_note(db: Any, factories: Any) -> None:
    ticket = _open(db, factories)
    admin = _admin(db)
    note = tk.add_ticket_note(db, ticket.id, "VIP customer", admin_id=admin.id,
                              attachments=[FILE])
    assert isinstance(note, TicketNote) and note.ticket_id == ticket.id
    attachment = db.scalar(select(TicketAttachment).where(TicketAttachment.note_id == note.id))
    assert attachment is not None and attachment.message_id is None
    assert ticket.status == "open" and len(ticket.messages) == 1
    with pytest.raises(ValidationFailed):
        tk.add_ticket_note(db, ticket.id, " ")


# --- merge and delete -----------------------------------------------------------------------

def test_merge_tickets(db: Any, factories: Any) -> None:
    client = factories.client()
    target = _open(db, factories, client_id=client.id, message="first")
    source = _open(db, factories, client_id=client.id, message="second")
    guest = _open(db, factories, name="G", email="g@example.net", message="third",
                  attachments=[FILE])
    tk.add_ticket_note(db, source.id, "note on source")
    tk.merge_tickets(db, target.id, [source.id, guest.id, source.id])
    db.flush()
    assert [m.body for m in target.messages] == ["first", "second", "third"]
    assert db.scalar(select(func.count(TicketMessage.id)).where(
        TicketMessage.ticket_id == source.id)) == 0
    assert [n.body for n in db.scalars(select(TicketNote).where(
        TicketNote.ticket_id == target.id))] == ["note on source"]
    assert db.scalar(select(TicketAttachment.ticket_id)) == target.id
    for merged in (source, guest):
        assert merged.status == "closed" and merged.merged_into_id == target.id
    assert _events(db, "ticket_merged")[0]["source_ids"] == [source.id, guest.id]
    with pytest.raises(Conflict, match="merged into"):
        tk.reply_ticket(db, source.id, "hello?")
    with pytest.raises(Conflict):
        tk.merge_tickets(db, target.id, [source.id])


def test_merge_rejects(db: Any, factories: Any) -> None:
    mine = _open(db, factories)
    theirs = _open(db, factories)
    with pytest.raises(Conflict, match="cannot be merged"):
        tk.merge_tickets(db, mine.id, [theirs.id])
    with pytest.raises(ValidationFailed):
        tk.merge_tickets(db, mine.id, [mine.id])
    with pytest.raises(ValidationFailed):
        tk.merge_tickets(db, mine.id, [])
    with pytest.raises(NotFound):
        tk.merge_tickets(db, mine.id, [9999])
    assert theirs.merged_into_id is None and len(mine.messages) == 1


def test_delete_ticket(db: Any, factories: Any) -> None:
    client = factories.client()
    ticket = _open(db, factories, client_id=client.id, attachments=[FILE])
    merged = _open(db, factories, client_id=client.id)
    tk.add_ticket_note(db, ticket.id, "n")
    tk.merge_tickets(db, ticket.id, [merged.id])
    ticket_id = ticket.id
    tk.delete_ticket(db, ticket_id)
    db.commit()
    assert db.get(Ticket, ticket_id) is None
    for model in (TicketMessage, TicketNote, TicketAttachment):
        assert db.scalar(select(func.count()).select_from(model).where(
            model.ticket_id == ticket_id)) == 0
    assert db.get(Ticket, merged.id).merged_into_id is None  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        tk.delete_ticket(db, ticket_id)


def test_delete_event_names_stored_files(db: Any, factories: Any) -> None:
    ticket = _open(db, factories, attachments=[FILE])
    tk.delete_ticket(db, ticket.id)
    assert _events(db, "ticket_deleted")[0]["stored_names"] == ["ab12.png"]


# --- seeding --------------------------------------------------------------------------------

def test_seed_ticket_statuses(db: Any) -> None:
    db.add(TicketStatus(key="open", title="Open (custom)"))
    db.flush()
    added = tk.seed_ticket_statuses(db)
    assert added == len(DEFAULT_TICKET_STATUSES) - 1
    rows = {s.key: s for s in db.scalars(select(TicketStatus))}
    assert set(rows) == {row[0] for row in DEFAULT_TICKET_STATUSES}
    assert rows["open"].title == "Open (custom)"
    assert rows["closed"].is_open is False and rows["customer_reply"].awaiting_reply is True
    assert tk.seed_ticket_statuses(db) == 0
