"""Tickets group over /includes/api.php: GetTickets, GetTicket, notes, counts, departments,
statuses, attachments and predefined replies."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

import bridge.models.blocklists  # noqa: F401  (tables in the schema template)
import bridge.models.content  # noqa: F401
import bridge.models.mail  # noqa: F401
from bridge.context import Actor
from bridge.models import Admin, TicketStatus
from bridge.services.content import add_predefined_category, add_predefined_reply
from bridge.services.tickets import add_ticket_note, open_ticket, reply_ticket, update_ticket
from bridge.testing import make_client, make_department

ATTACHMENT = [{"filename": "screen.png", "stored_name": "abc_screen.png", "size": 5}]


@pytest.fixture
def world(api_app):
    """Two departments; a client ticket with a staff reply, a note and an attachment; a guest
    ticket; ids by name."""
    state = api_app.extensions["bridge"]
    with state.transaction(Actor(source="test")) as s:
        admin = s.query(Admin).filter_by(username="apiadmin").one()
        admin.first_name, admin.last_name = "Demo", "Admin"
        support, sales = make_department(s), make_department(s, name="Sales")
        client = make_client(s, first_name="Ada", last_name="Lovelace",
                             email="ada@example.com")
        ticket = open_ticket(s, {"department_id": support.id, "client_id": client.id,
                                 "subject": "Broken", "message": "It is broken",
                                 "attachments": ATTACHMENT})
        reply = reply_ticket(s, ticket.id, "Fixed it", author="admin", admin_id=admin.id)
        note = add_ticket_note(s, ticket.id, "Looked at it", admin_id=admin.id)
        guest = open_ticket(s, {"department_id": sales.id, "name": "Gus",
                                "email": "gus@example.com", "subject": "Prices?",
                                "message": "How much?"})
        update_ticket(s, guest.id, {"assigned_admin_id": admin.id})
        return {"admin": admin.id, "support": support.id, "sales": sales.id,
                "client": client.id, "ticket": ticket.id, "number": ticket.number,
                "reply": reply.id, "note": note.id, "guest": guest.id,
                "first": ticket.messages[0].id}


def test_get_tickets_rows_and_filters(call, world):
    status, body = call("GetTickets")
    assert status == 200 and (body["totalresults"], body["numreturned"]) == (2, 2)
    rows = {row["id"]: row for row in body["tickets"]["ticket"]}
    own = rows[str(world["ticket"])]
    assert (own["tid"], own["deptid"], own["userid"], own["name"], own["email"]) == (
        world["number"], str(world["support"]), str(world["client"]), "Ada Lovelace",
        "ada@example.com")
    assert (own["status"], own["priority"], own["requestor_type"]) == ("Answered", "Medium",
                                                                      "Owner")
    assert own["attachment"] == "abc_screen.png"
    assert own["attachments"] == [{"filename": "screen.png", "index": 0}]
    assert own["attachments_removed"] is False
    guest = rows[str(world["guest"])]
    assert (guest["userid"], guest["requestor_type"], guest["email"], guest["flag"]) == (
        "0", "Guest", "gus@example.com", str(world["admin"]))
    assert [t["id"] for t in call("GetTickets", clientid=world["client"])[1]
            ["tickets"]["ticket"]] == [str(world["ticket"])]
    assert call("GetTickets", deptid=world["sales"])[1]["totalresults"] == 1
    assert call("GetTickets", email="GUS@example.com")[1]["totalresults"] == 1
    assert call("GetTickets", subject="roke")[1]["totalresults"] == 1


@pytest.mark.parametrize(("status", "expected"), [
    ("Answered", {"ticket"}), ("Open", {"guest"}), ("Awaiting Reply", {"guest"}),
    ("All Active Tickets", {"ticket", "guest"}), ("My Flagged Tickets", {"guest"}),
    ("Closed", set()),
])
def test_get_tickets_status_filters(call, world, status, expected):
    _, body = call("GetTickets", status=status)
    ids = {row["id"] for row in body.get("tickets", {}).get("ticket", [])}
    assert ids == {str(world[name]) for name in expected}
    assert body["numreturned"] == len(expected)


def test_get_tickets_respects_department_assignments(call, world, api_app):
    with api_app.extensions["bridge"].transaction(Actor(source="test")) as s:
        s.get(Admin, world["admin"]).support_department_ids = [world["sales"]]
    assert call("GetTickets")[1]["totalresults"] == 1
    assert call("GetTickets", ignore_dept_assignments="1")[1]["totalresults"] == 2
    _, counts = call("GetTicketCounts")
    assert counts["filteredDepartments"] == [world["sales"]] and counts["allActive"] == 1


def test_get_ticket_with_replies_and_notes(call, world):
    status, body = call("GetTicket", ticketid=world["ticket"])
    assert (body["ticketid"], body["tid"], body["deptname"], body["userid"]) == (
        str(world["ticket"]), world["number"], "Support", str(world["client"]))
    replies = body["replies"]["reply"]
    assert [r["replyid"] for r in replies] == ["0", str(world["reply"])]
    opening, staff = replies
    assert (opening["message"], opening["name"], opening["requestor_type"]) == (
        "It is broken", "Ada Lovelace", "Owner")
    assert opening["attachments"] == [{"filename": "screen.png", "index": 0}]
    assert "rating" not in opening and staff["rating"] == "0"
    assert (staff["admin"], staff["requestor_type"], staff["requestor_name"]) == (
        "Demo Admin", "Operator", "Demo Admin")
    note = body["notes"]["note"][0]
    assert (note["noteid"], note["message"], note["admin"]) == (
        str(world["note"]), "Looked at it", "Demo Admin")
    _, desc = call("GetTicket", ticketnum=world["number"], repliessort="DESC")
    assert [r["replyid"] for r in desc["replies"]["reply"]] == [str(world["reply"]), "0"]
    assert call("GetTicket", ticketid=999) == (200, {"result": "error",
                                                     "message": "Ticket ID Not Found"})


def test_get_ticket_xml_lists_replies(call, world):
    status, text = call("GetTicket", fmt="xml", ticketid=world["ticket"])
    root = ET.fromstring(text.encode())
    assert [r.findtext("replyid") for r in root.findall("replies/reply")] == [
        "0", str(world["reply"])]
    assert root.findtext("notes/note/message") == "Looked at it"


def test_get_ticket_notes(call, world):
    _, body = call("GetTicketNotes", ticketid=world["ticket"])
    assert body["totalresults"] == 1
    note = body["notes"]["note"][0]
    assert (note["id"], note["admin"], note["attachments_removed"]) == (
        str(world["note"]), "Demo Admin", False)


def test_counts_departments_and_statuses(call, world, api_app):
    with api_app.extensions["bridge"].transaction(Actor(source="test")) as s:
        s.add(TicketStatus(key="escalated", title="Escalated", color="#f00", is_open=True,
                           awaiting_reply=True, sort_order=10))
    _, counts = call("GetTicketCounts", includeCountsByStatus="1")
    assert (counts["allActive"], counts["awaitingReply"], counts["flaggedTickets"]) == (2, 1, 1)
    assert counts["status"]["answered"] == {"title": "Answered", "count": 1}
    assert counts["status"]["customerreply"]["title"] == "Customer-Reply"
    assert counts["status"]["escalated"] == {"title": "Escalated", "count": 0}
    assert "status" not in call("GetTicketCounts")[1]
    _, depts = call("GetSupportDepartments")
    by_name = {d["name"]: d for d in depts["departments"]["department"]}
    assert by_name["Support"] == {"id": str(world["support"]), "name": "Support",
                                  "awaitingreply": "0", "opentickets": "1"}
    assert by_name["Sales"]["awaitingreply"] == "1"
    _, statuses = call("GetSupportStatuses")
    titles = [s["title"] for s in statuses["statuses"]["status"]]
    assert titles[:6] == ["Open", "Answered", "Customer-Reply", "On Hold", "In Progress",
                          "Closed"] and titles[-1] == "Escalated"
    assert statuses["totalresults"] == 7
    _, sales = call("GetSupportStatuses", deptid=world["sales"])
    assert {s["title"]: s["count"] for s in sales["statuses"]["status"]}["Open"] == 1
    assert {s["title"]: s["count"] for s in sales["statuses"]["status"]}["Answered"] == 0


def test_get_ticket_attachment_returns_metadata(call, world):
    status, body = call("GetTicketAttachment", relatedid=world["ticket"], type="ticket",
                        index=0)
    assert body == {"result": "success", "filename": "screen.png", "data": ""}
    for params, message in (
            ({"type": "ticket", "index": 0}, "Related ID Required"),
            ({"relatedid": world["ticket"], "type": "file", "index": 0},
             "Invalid Type. Must be one of ticket, reply, note"),
            ({"relatedid": world["ticket"], "type": "ticket"}, "Attachment Index Required"),
            ({"relatedid": world["ticket"], "type": "ticket", "index": 3},
             "Invalid Attachment Index"),
            ({"relatedid": world["reply"], "type": "reply", "index": 0}, "No Attachments Found"),
            ({"relatedid": 999, "type": "note", "index": 0}, "Related ID Not Found")):
        assert call("GetTicketAttachment", **params)[1] == {"result": "error",
                                                            "message": message}


def test_predefined_categories_and_replies(call, api_app):
    with api_app.extensions["bridge"].transaction(Actor(source="test")) as s:
        sales = add_predefined_category(s, "Sales")
        sub = add_predefined_category(s, "Sub-Sales", parent_id=sales.id)
        add_predefined_reply(s, sales.id, "Prices", "Hello [NAME], our prices...")
        add_predefined_reply(s, sub.id, "Discount", "10% off")
    _, cats = call("GetTicketPredefinedCats")
    assert cats["totalresults"] == 2
    assert cats["categories"]["category"] == [
        {"id": str(sales.id), "parentid": "0", "name": "Sales", "replycount": "1"},
        {"id": str(sub.id), "parentid": str(sales.id), "name": "Sub-Sales", "replycount": "1"}]
    _, replies = call("GetTicketPredefinedReplies", catid=sales.id)
    assert replies == {"result": "success", "totalresults": 1, "predefinedreplies": {
        "predefinedreply": [{"name": "Prices", "reply": "Hello [NAME], our prices..."}]}}
    assert call("GetTicketPredefinedReplies")[1]["totalresults"] == 2


def test_get_tickets_runs_a_fixed_number_of_statements(call, world, api_app, sql_log):
    def statements() -> int:
        with sql_log() as counted:
            assert call("GetTickets")[1]["result"] == "success"
        return len(counted)

    statements()  # warm up: the first call of a credential also records its use
    few = statements()
    with api_app.extensions["bridge"].transaction(Actor(source="test")) as s:
        for n in range(23):
            client = make_client(s)
            ticket = open_ticket(s, {"department_id": world["support"], "client_id": client.id,
                                     "subject": f"T{n}", "message": "m",
                                     "attachments": ATTACHMENT})
            reply_ticket(s, ticket.id, "r", author="admin", admin_id=world["admin"])
    assert call("GetTickets")[1]["numreturned"] == 25
    assert statements() == few
