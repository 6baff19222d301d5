"""Support group over /includes/api.php: ticket writes, announcements, client notes and
cancellation requests."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

import bridge.models.blocklists  # noqa: F401  (tables in the schema template)
import bridge.models.content  # noqa: F401
import bridge.models.mail  # noqa: F401
from bridge.context import Actor
from bridge.models import (
    CancellationRequest,
    ClientNote,
    Ticket,
    TicketAttachment,
    TicketMessage,
    TicketNote,
)
from bridge.models.blocklists import BlockedSender
from bridge.models.content import Announcement
from bridge.services.contacts import add_contact
from bridge.testing import make_client, make_department, make_service


@pytest.fixture
def desk(api_app):
    """A department, a client with a contact and a service; ids by name."""
    with api_app.extensions["bridge"].transaction(Actor(source="test")) as s:
        department = make_department(s)
        client = make_client(s, first_name="Ada", last_name="Lovelace",
                             email="ada@example.com")
        other = make_client(s, email="bob@example.com")
        contact = add_contact(s, client.id, {"first_name": "Bill", "last_name": "Payer",
                                             "email": "bill@example.com"})
        service = make_service(s, client=client)
        return {"dept": department.id, "client": client.id, "other": other.id,
                "contact": contact.id, "service": service.id}


def _open(call, desk, **extra):
    params = {"deptid": desk["dept"], "subject": "Down", "message": "It is broken",
              "clientid": desk["client"], **extra}
    status, body = call("OpenTicket", **params)
    assert status == 200 and body["result"] == "success", body
    return body


def _b64_attachments(*files):
    items = [{"name": name, "data": base64.b64encode(data).decode()} for name, data in files]
    return base64.b64encode(json.dumps(items).encode()).decode()


def test_open_ticket_returns_ids_as_whmcs_does(call, desk, read):
    body = _open(call, desk, priority="High",
                 attachments=_b64_attachments(("log.txt", b"0123456789")))
    assert set(body) == {"result", "id", "tid", "c"}
    assert body["id"].isdigit() and len(body["c"]) == 8
    ticket = read(lambda s: s.get(Ticket, int(body["id"])))
    assert (ticket.number, ticket.priority, ticket.client_id) == (body["tid"], "high",
                                                                  desk["client"])
    att = read(lambda s: s.scalar(select(TicketAttachment)))
    assert (att.filename, att.size, att.content_type) == ("log.txt", 10, "text/plain")


@pytest.mark.parametrize(("params", "message"), [
    ({"deptid": 999}, "Department ID not found"),
    ({"subject": ""}, "Subject is required"),
    ({"message": ""}, "Message is required"),
    ({"clientid": 999}, "Client ID Not Found"),
    ({"clientid": ""}, "Name and email address are required if not a client"),
    ({"priority": "Urgent"}, "Invalid Ticket Priority. Valid priorities are: Low,Medium,High"),
    ({"serviceid": 999}, "Service ID Not Found"),
    ({"domainid": 999}, "Domain ID Not Found"),
    ({"created": "2999-01-01 00:00:00"}, "Ticket creation date cannot be in the future"),
    ({"created": "yesterday"}, "Invalid Date Format"),
    ({"attachments": "not-base64-json"}, None),
])
def test_open_ticket_errors(call, desk, params, message):
    base = {"deptid": desk["dept"], "subject": "Down", "message": "Broken",
            "clientid": desk["client"]}
    status, body = call("OpenTicket", **{**base, **params})
    assert status == 200 and body["result"] == "error"
    if message is None:
        assert body["message"].startswith("Invalid attachments")
    else:
        assert body["message"] == message


def test_open_ticket_for_a_guest_and_a_contact(call, desk, read):
    guest = _open(call, desk, clientid="", name="Gus", email="gus@example.com")
    ticket = read(lambda s: s.get(Ticket, int(guest["id"])))
    assert (ticket.client_id, ticket.email) == (None, "gus@example.com")
    status, body = call("OpenTicket", deptid=desk["dept"], subject="x", message="y",
                        name="Gus", email="not-an-address")
    assert body == {"result": "error", "message": "Email Address Invalid"}
    assert call("OpenTicket", deptid=desk["dept"], subject="x", message="y",
                clientid=desk["other"], contactid=desk["contact"])[1]["message"] == (
        "Contact ID Not Found")
    via_contact = _open(call, desk, contactid=desk["contact"])
    author = read(lambda s: s.scalar(select(TicketMessage.author_type).where(
        TicketMessage.ticket_id == int(via_contact["id"]))))
    assert author == "contact"


def test_reply_as_client_admin_and_guest_sets_statuses(call, desk, read):
    ticket = _open(call, desk)
    tid = ticket["id"]
    assert call("AddTicketReply", ticketid=tid, message="More", clientid=desk["client"]) == (
        200, {"result": "success"})
    assert read(lambda s: s.get(Ticket, int(tid)).status) == "customer_reply"
    assert call("AddTicketReply", ticketid=tid, message="Fixed",
                adminusername="apiadmin")[1]["result"] == "success"
    last = read(lambda s: s.scalars(select(TicketMessage).where(
        TicketMessage.ticket_id == int(tid)).order_by(TicketMessage.id.desc())).first())
    assert (last.author_type, last.admin_id is not None) == ("admin", True)
    assert read(lambda s: s.get(Ticket, int(tid)).status) == "answered"
    call("AddTicketReply", ticketid=tid, message="Hold on", adminusername="apiadmin",
         status="On Hold")
    assert read(lambda s: s.get(Ticket, int(tid)).status) == "on_hold"
    status, body = call("AddTicketReply", ticketid=tid, message="x", status="Sleeping")
    assert body == {"result": "error", "message": "Invalid Ticket Status"}
    assert call("AddTicketReply", ticketid=tid, message="x")[1]["message"] == (
        "Name and email address are required if not a client")
    assert call("AddTicketReply", ticketid=999, message="x")[1]["message"] == (
        "Ticket ID not found")
    assert call("AddTicketReply", ticketid=tid, message="")[1]["message"] == (
        "Message is required")
    assert call("AddTicketReply", ticketid=tid, message="x",
                created="2999-01-01T00:00:00Z")[1]["message"] == (
        "Reply creation date cannot be in the future")


def test_ticket_note_by_number_and_its_deletion(call, desk, read):
    ticket = _open(call, desk)
    assert call("AddTicketNote", ticketnum=ticket["tid"], message="Internal") == (
        200, {"result": "success"})
    note = read(lambda s: s.scalar(select(TicketNote)))
    assert note.body == "Internal" and note.admin_id is not None
    assert call("AddTicketNote", ticketid=ticket["id"], message="")[1]["message"] == (
        "Message is required")
    assert call("DeleteTicketNote", noteid=note.id) == (200, {"result": "success"})
    assert read(lambda s: s.scalar(select(TicketNote))) is None
    assert call("DeleteTicketNote", noteid=note.id)[1]["message"] == "Note ID Not Found"


def test_update_ticket_fields_and_errors(call, desk, read, api_app):
    ticket = _open(call, desk)
    with api_app.extensions["bridge"].transaction(Actor(source="test")) as s:
        second = make_department(s, name="Sales").id
    status, body = call("UpdateTicket", ticketid=ticket["id"], deptid=second, priority="Low",
                        subject="Renamed", status="In Progress", flag=1, cc="a@x.test,b@x.test",
                        message="Opening text edited")
    assert body == {"result": "success", "ticketid": ticket["id"]}
    row = read(lambda s: s.get(Ticket, int(ticket["id"])))
    assert (row.department_id, row.priority, row.subject, row.status, row.assigned_admin_id,
            row.cc) == (second, "low", "Renamed", "in_progress", 1, ["a@x.test", "b@x.test"])
    first = read(lambda s: s.scalars(select(TicketMessage).order_by(TicketMessage.id)).first())
    assert first.body == "Opening text edited"
    call("UpdateTicket", ticketid=ticket["id"], status="Closed", removeFlag="1")
    row = read(lambda s: s.get(Ticket, int(ticket["id"])))
    assert (row.status, row.closed_at is not None, row.assigned_admin_id) == ("closed", True,
                                                                             None)
    bad = call("UpdateTicket", ticketid=ticket["id"], status="Nope")[1]["message"]
    assert bad.startswith("Invalid Ticket Status. Valid statuses are: Open,Answered,")
    assert call("UpdateTicket", ticketid=ticket["id"], priority="Top")[1]["message"] == (
        "Invalid Ticket Priority. Valid priorities are: Low,Medium,High")
    assert call("UpdateTicket", ticketid=ticket["id"], deptid=999)[1]["message"] == (
        "Department ID Not Found")
    assert call("UpdateTicket", ticketid=999)[1]["message"] == "Ticket ID Not Found"


def test_update_and_delete_replies(call, desk, read):
    ticket = _open(call, desk)
    call("AddTicketReply", ticketid=ticket["id"], message="First reply", clientid=desk["client"])
    messages = read(lambda s: list(s.scalars(select(TicketMessage.id).order_by(
        TicketMessage.id))))
    opening, reply = messages
    assert call("UpdateTicketReply", replyid=reply, message="Edited") == (
        200, {"result": "success", "replyid": str(reply)})
    assert read(lambda s: s.get(TicketMessage, reply).body) == "Edited"
    assert call("UpdateTicketReply", replyid=opening, message="x")[1]["message"] == (
        "Reply ID Not Found")
    assert call("UpdateTicketReply", replyid=reply, message="")[1]["message"] == (
        "Message is Required")
    assert call("UpdateTicketReply", message="x")[1]["message"] == "Reply ID Required"
    assert call("DeleteTicketReply", ticketid=ticket["id"], replyid=opening)[1]["message"] == (
        "Reply ID Not Found")
    assert call("DeleteTicketReply", replyid=reply)[1]["message"] == "Ticket ID Required"
    assert call("DeleteTicketReply", ticketid=ticket["id"])[1]["message"] == "Reply ID Required"
    assert call("DeleteTicketReply", ticketid=ticket["id"], replyid=reply) == (
        200, {"result": "success"})
    assert read(lambda s: s.get(TicketMessage, reply)) is None


def test_merge_and_delete_tickets(call, desk, read):
    target, a, b = (_open(call, desk, subject=f"T{n}") for n in range(3))
    assert call("MergeTicket", mergeticketids=a["id"])[1]["message"] == "Ticket ID Required"
    assert call("MergeTicket", ticketid=999, mergeticketids=a["id"])[1]["message"] == (
        "Ticket ID Invalid")
    assert call("MergeTicket", ticketid=target["id"])[1]["message"] == (
        "Merge Ticket IDs Required")
    assert call("MergeTicket", ticketid=target["id"],
                mergeticketids=f"{a['id']},998,x")[1]["message"] == (
        "Invalid Merge Ticket IDs: 998, x")
    status, body = call("MergeTicket", ticketid=target["id"],
                        mergeticketids=f"{a['id']},{b['id']}", newsubject="All in one")
    assert body == {"result": "success", "ticketid": target["id"]}
    merged = read(lambda s: s.get(Ticket, int(target["id"])))
    assert merged.subject == "All in one"
    assert read(lambda s: s.scalar(select(TicketMessage.ticket_id).distinct())) == merged.id
    assert read(lambda s: s.get(Ticket, int(a["id"])).merged_into_id) == merged.id
    assert call("DeleteTicket", ticketid=target["id"]) == (200, {"result": "success"})
    assert read(lambda s: s.get(Ticket, int(target["id"]))) is None
    assert call("DeleteTicket", ticketid=target["id"])[1]["message"] == "Ticket ID not found"


def test_block_ticket_sender(call, desk, read):
    client_ticket = _open(call, desk)
    assert call("BlockTicketSender", ticketid=client_ticket["id"])[1]["result"] == "error"
    guest = _open(call, desk, clientid="", name="Spam", email="Spam@Example.com")
    assert call("BlockTicketSender")[1]["message"] == "Ticket ID Required"
    assert call("BlockTicketSender", ticketid=999)[1]["message"] == "Ticket ID Not Found"
    assert call("BlockTicketSender", ticketid=guest["id"], delete="1") == (
        200, {"result": "success", "deleted": "true"})
    assert read(lambda s: s.scalar(select(BlockedSender.email))) == "spam@example.com"
    assert read(lambda s: s.get(Ticket, int(guest["id"]))) is None


def test_announcements_crud_and_listing(call):
    status, body = call("AddAnnouncement", date="2026-01-02 03:04:05", title="News",
                        announcement="<p>Hello</p>", published="1")
    assert status == 200 and body["announcementid"].isdigit()
    first = body["announcementid"]
    call("AddAnnouncement", date="2026-02-01 00:00:00", title="Later", announcement="Hi")
    assert call("AddAnnouncement", date="soon", title="x", announcement="y")[1]["message"] == (
        "Invalid Date Format")
    _, listing = call("GetAnnouncements", limitnum=1)
    assert (listing["totalresults"], listing["numreturned"]) == (2, 1)
    newest = listing["announcements"]["announcement"][0]
    assert (newest["title"], newest["date"], newest["published"]) == (
        "Later", "2026-02-01 00:00:00", "0")
    _, page2 = call("GetAnnouncements", limitstart=1, limitnum=1)
    old = page2["announcements"]["announcement"][0]
    assert (old["id"], old["announcement"], old["published"]) == (first, "<p>Hello</p>", "1")
    assert call("UpdateAnnouncement", announcementid=first, title="Changed",
                published="0") == (200, {"result": "success", "announcementid": first})
    assert call("UpdateAnnouncement", announcementid=999)[1]["message"] == (
        "Announcement ID Not Found")
    assert call("DeleteAnnouncement", announcementid=first) == (
        200, {"result": "success", "announcementid": first})
    assert call("DeleteAnnouncement", announcementid=first)[1]["message"] == (
        "Announcement ID Not Found")
    assert call("GetAnnouncements")[1]["totalresults"] == 1


def test_add_client_note(call, desk, read):
    status, body = call("AddClientNote", userid=desk["client"], notes="VIP", sticky="1")
    note = read(lambda s: s.get(ClientNote, int(body["noteid"])))
    assert (note.client_id, note.body, note.sticky) == (desk["client"], "VIP", True)
    assert call("AddClientNote", userid=999, notes="x")[1]["message"] == "Client ID not found"
    assert call("AddClientNote", userid=desk["client"], notes=" ")[1]["message"] == (
        "Notes can not be empty")


def test_add_cancel_request(call, desk, read):
    assert call("AddCancelRequest", serviceid=desk["service"], type="Immediate",
                reason="Too dear") == (200, {"result": "success",
                                             "serviceid": str(desk["service"]),
                                             "userid": str(desk["client"])})
    request = read(lambda s: s.scalar(select(CancellationRequest)))
    assert (request.kind, request.reason) == ("immediate", "Too dear")
    assert call("AddCancelRequest", serviceid=desk["service"])[1]["message"] == (
        "Existing Cancellation Request Exists")
    assert call("AddCancelRequest", serviceid=999)[1]["message"] == "Service ID Not Found"


def test_open_ticket_xml(call, desk):
    status, text = call("OpenTicket", fmt="xml", deptid=desk["dept"], subject="x",
                        message="y", clientid=desk["client"])
    root = ET.fromstring(text.encode())
    assert [child.tag for child in root] == ["action", "result", "id", "tid", "c"]
    assert root.findtext("result") == "success" and root.findtext("id").isdigit()


def test_announcements_read_back_through_the_model(call, read):
    call("AddAnnouncement", date="2026-01-02 03:04:05", title="News", announcement="Body")
    row = read(lambda s: s.scalar(select(Announcement)))
    assert (row.title, row.body, row.published_at.year, row.published) == (
        "News", "Body", 2026, False)
