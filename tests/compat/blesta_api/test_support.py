"""support_manager.*: tickets (add + addReply, get, lists, edit, close, merge, delete),
departments, predefined responses and staff."""

from __future__ import annotations

import pytest

from bridge.models import Admin, Company, Ticket, TicketMessage
from bridge.services.content import add_predefined_category, add_predefined_reply

T = "support_manager.support_manager_tickets"
D = "support_manager.support_manager_departments"
R = "support_manager.support_manager_responses"
S = "support_manager.support_manager_staff"


def load(db, model, ident):
    """A fresh copy of a row, ending the read so the API's writes are not locked out."""
    db.expire_all()
    row = db.get(model, ident)
    db.commit()
    return row


@pytest.fixture
def desk(db, factories):
    department = factories.department(name="Billing", company_id=None)
    hidden = factories.department(name="Abuse", hidden=True)
    client = factories.client(first_name="Ann", last_name="Lee")
    admin = Admin(username="staff1", first_name="Sam", last_name="Ops",
                  email="sam@example.com", support_department_ids=[department.id])
    db.add(admin)
    db.commit()
    return {"department": department.id, "hidden": hidden.id, "client": client.id,
            "admin": admin.id}


def _open(call, desk, **extra):
    params = {"vars[department_id]": desk["department"], "vars[client_id]": desk["client"],
              "vars[summary]": "Cannot log in", "vars[priority]": "high",
              "vars[status]": "open"}
    params.update(extra)
    status, body = call("POST", f"{T}/add", **params)
    assert status == 200, body
    return body["response"]


def test_add_then_first_reply_makes_one_opening_message(call, desk, db):
    ticket_id = _open(call, desk)
    assert isinstance(ticket_id, str)
    status, body = call("POST", f"{T}/addReply", ticket_id=ticket_id, new_ticket="true", **{
        "vars[client_id]": desk["client"], "vars[type]": "reply",
        "vars[details]": "My password stopped working."})
    assert status == 200 and isinstance(body["response"], str)
    ticket = call("GET", f"{T}/get", ticket_id=ticket_id)[1]["response"]
    assert ticket["summary"] == "Cannot log in" and ticket["priority"] == "high"
    assert ticket["status"] == "open" and ticket["client_id"] == desk["client"]
    assert ticket["department_name"] == "Billing"
    assert [r["details"] for r in ticket["replies"]] == ["My password stopped working."]
    assert ticket["replies"][0]["first_name"] == "Ann"
    assert str(ticket["code"]) == load(db, Ticket, int(ticket_id)).number


def test_staff_reply_note_and_status(call, desk, db):
    ticket_id = _open(call, desk, **{"vars[details]": "Opening text"})
    status, _ = call("POST", f"{T}/addReply", ticket_id=ticket_id, **{
        "vars[staff_id]": desk["admin"], "vars[type]": "reply", "vars[details]": "Try again"})
    assert status == 200
    assert load(db, Ticket, int(ticket_id)).status == "answered"
    call("POST", f"{T}/addReply", ticket_id=ticket_id, **{
        "vars[staff_id]": desk["admin"], "vars[type]": "note",
        "vars[details]": "internal: reset done", "vars[status]": "on_hold"})
    ticket = call("GET", f"{T}/get", ticket_id=ticket_id)[1]["response"]
    assert ticket["status"] == "on_hold"
    assert [(r["type"], r["details"]) for r in ticket["replies"]] == [
        ("note", "internal: reset done"), ("reply", "Try again"), ("reply", "Opening text")]
    assert ticket["replies"][1]["staff_id"] == desk["admin"]
    assert ticket["replies"][1]["first_name"] == "Sam"
    only_notes = call("GET", f"{T}/get", ticket_id=ticket_id,
                      **{"reply_types[0]": "note"})[1]["response"]
    assert [r["type"] for r in only_notes["replies"]] == ["note"]
    bare = call("GET", f"{T}/get", ticket_id=ticket_id, get_replies="false")[1]["response"]
    assert "replies" not in bare


def test_guest_ticket_and_validation(call, desk, db):
    status, body = call("POST", f"{T}/add", **{
        "vars[department_id]": desk["department"], "vars[email]": "guest@example.com",
        "vars[summary]": "Pre-sales question"})
    assert status == 200
    ticket = load(db, Ticket, int(body["response"]))
    assert ticket.client_id is None and ticket.email == "guest@example.com"
    status, body = call("POST", f"{T}/add", **{"vars[department_id]": desk["department"],
                                                "vars[summary]": "No email"})
    assert status == 400 and "email" in body["errors"]
    status, body = call("POST", f"{T}/add", **{"vars[department_id]": 999,
                                                "vars[client_id]": desk["client"],
                                                "vars[summary]": "x"})
    assert status == 400 and "department_id" in body["errors"]
    status, body = _call_status(call, desk, "trash")
    assert status == 400 and "status" in body["errors"]


def _call_status(call, desk, status):
    return call("POST", f"{T}/add", **{
        "vars[department_id]": desk["department"], "vars[client_id]": desk["client"],
        "vars[summary]": "x", "vars[status]": status})


def test_lists_counts_and_status_filters(call, desk, db):
    first = _open(call, desk)
    second = _open(call, desk, **{"vars[summary]": "Invoice question"})
    call("POST", f"{T}/addReply", ticket_id=second, **{
        "vars[staff_id]": desk["admin"], "vars[details]": "Answered"})
    assert call("GET", f"{T}/getListCount", status="open")[1]["response"] == 1
    assert call("GET", f"{T}/getListCount", status="awaiting_reply")[1]["response"] == 1
    assert call("GET", f"{T}/getListCount", status="not_closed")[1]["response"] == 2
    rows = call("GET", f"{T}/getList", status="not_closed", get_replies="false")[1]
    assert {row["id"] for row in rows["response"]} == {int(first), int(second)}
    rows = call("GET", f"{T}/getList", status="not_closed", client_id=desk["client"],
                **{"filters[summary]": "Invoice"})[1]["response"]
    assert [row["id"] for row in rows] == [int(second)]
    assert rows[0]["replies"][0]["details"] == "Answered"
    assert call("GET", f"{T}/getList", status="trash")[1]["response"] == []
    assert call("GET", f"{T}/getStatusCount", status="closed")[1]["response"] == 0


def test_edit_close_merge_delete(call, desk, db):
    first = _open(call, desk)
    second = _open(call, desk, **{"vars[summary]": "Duplicate"})
    status, body = call("POST", f"{T}/edit", ticket_id=first, **{
        "vars[priority]": "low", "vars[summary]": "Login problem",
        "vars[staff_id]": desk["admin"]})
    assert status == 200
    assert (body["response"]["priority"], body["response"]["summary"],
            body["response"]["staff_id"]) == ("low", "Login problem", desk["admin"])
    status, body = call("POST", f"{T}/edit", ticket_id=first, **{"vars[client_id]": 4242})
    assert status == 400 and "client_id" in body["errors"]
    assert call("POST", f"{T}/merge", ticket_id=first, **{"tickets[0]": second})[0] == 200
    merged = load(db, Ticket, int(second))
    assert (merged.status, merged.merged_into_id) == ("closed", int(first))
    assert len(call("GET", f"{T}/get", ticket_id=first)[1]["response"]["replies"]) == 2
    assert call("POST", f"{T}/close", ticket_id=first) == (200, {"response": None})
    assert call("POST", f"{T}/close", ticket_id=first)[0] == 200  # already closed: no error
    assert call("GET", f"{T}/get", ticket_id=first)[1]["response"]["status"] == "closed"
    assert call("POST", f"{T}/delete", **{"ticket_ids[0]": first})[0] == 200
    assert call("GET", f"{T}/get", ticket_id=first)[1]["response"] is False
    assert load(db, TicketMessage, 1) is None


def test_get_by_code_and_vocabularies(call, desk, db):
    ticket_id = _open(call, desk)
    number = load(db, Ticket, int(ticket_id)).number
    got = call("GET", f"{T}/getTicketByCode", code=number)[1]["response"]
    assert got["id"] == int(ticket_id)
    assert call("GET", f"{T}/getTicketByCode", code="nope")[1]["response"] is False
    assert "trash" not in call("GET", f"{T}/getStatuses")[1]["response"]
    assert call("GET", f"{T}/getPriorities")[1]["response"]["emergency"] == "Emergency"


def test_other_company_tickets_are_hidden(call, desk, db, factories):
    db.add(Company(id=2, name="Other"))
    db.flush()
    foreign = factories.department(name="Other desk", company_id=2)
    db.commit()
    status, body = call("POST", f"{T}/add", **{"vars[department_id]": foreign.id,
                                                "vars[client_id]": desk["client"],
                                                "vars[summary]": "x"})
    assert status == 400 and "department_id" in body["errors"]


def test_departments(call, desk):
    got = call("GET", f"{D}/get", department_id=desk["department"])[1]["response"]
    assert got["name"] == "Billing" and got["status"] == "visible"
    assert call("GET", f"{D}/get", department_id=999)[1]["response"] is False
    rows = call("GET", f"{D}/getList", company_id=1)[1]["response"]
    assert [row["name"] for row in rows] == ["Abuse", "Billing"]
    assert call("GET", f"{D}/getListCount", company_id=1)[1]["response"] == 2
    assert call("GET", f"{D}/getListCount", company_id=7)[1]["response"] == 0
    visible = call("GET", f"{D}/getAll", company_id=1, status="visible")[1]["response"]
    assert [row["id"] for row in visible] == [desk["department"]]


def test_department_add_edit_delete(call, desk):
    status, body = call("POST", f"{D}/add", **{
        "vars[company_id]": 1, "vars[name]": "Sales", "vars[email]": "sales@example.com",
        "vars[clients_only]": "0", "vars[status]": "hidden", "vars[method]": "none"})
    assert status == 200, body
    added = body["response"]
    assert (added["name"], added["email"], added["clients_only"], added["status"]) == \
        ("Sales", "sales@example.com", 0, "hidden")
    status, body = call("POST", f"{D}/edit", department_id=added["id"],
                        **{"vars[status]": "visible", "vars[description]": "Buy things"})
    assert status == 200 and body["response"]["status"] == "visible", body
    assert call("GET", f"{D}/get", department_id=added["id"])[1]["response"][
        "description"] == "Buy things"
    status, body = call("POST", f"{D}/add", **{"vars[name]": "", "vars[email]": "nope"})
    assert status == 400 and {"name", "email"} <= set(body["errors"]), body
    status, body = call("POST", f"{D}/edit", department_id=added["id"],
                        **{"vars[status]": "gone"})
    assert status == 400 and "status" in body["errors"]
    assert call("POST", f"{D}/delete", department_id=added["id"]) == (200, {"response": None})
    assert call("GET", f"{D}/get", department_id=added["id"])[1]["response"] is False
    # a department with tickets stays
    call("POST", f"{T}/add", **{"vars[department_id]": desk["department"],
                                "vars[email]": "guest@example.com", "vars[summary]": "Hi"})
    status, body = call("POST", f"{D}/delete", department_id=desk["department"])
    assert status == 400 and "tickets" in str(body["errors"]), body


def test_responses(call, db):
    folder = add_predefined_category(db, "Billing")
    add_predefined_reply(db, folder.id, "Thanks", "Thanks for paying.")
    db.commit()
    rows = call("GET", f"{R}/getAll", company_id=1, category_id=folder.id)[1]["response"]
    assert [(r["name"], r["details"]) for r in rows] == [("Thanks", "Thanks for paying.")]
    status, body = call("POST", f"{R}/add", **{"vars[category_id]": folder.id,
                                                "vars[name]": "Refund",
                                                "vars[details]": "Refund sent."})
    assert status == 200 and body["response"]["details"] == "Refund sent."
    assert call("GET", f"{R}/get", response_id=body["response"]["id"])[1]["response"][
        "name"] == "Refund"
    status, body = call("POST", f"{R}/addCategory", **{"vars[company_id]": 1,
                                                        "vars[name]": "Sub",
                                                        "vars[parent_id]": folder.id})
    assert status == 200
    subs = call("GET", f"{R}/getAllCategories", company_id=1,
                category_id=folder.id)[1]["response"]
    assert [c["name"] for c in subs] == ["Sub"]
    tops = call("GET", f"{R}/getAllCategories", company_id=1)[1]["response"]
    assert [c["name"] for c in tops] == ["Billing"]
    status, body = call("POST", f"{R}/add", **{"vars[category_id]": 999,
                                                "vars[name]": "x", "vars[details]": "y"})
    assert status == 400 and "category_id" in body["errors"]


def test_response_edit_and_delete(call, db):
    folder = add_predefined_category(db, "Billing")
    other = add_predefined_category(db, "Sales")
    reply = add_predefined_reply(db, folder.id, "Thanks", "Thanks for paying.")
    db.commit()
    status, body = call("POST", f"{R}/edit", response_id=reply.id,
                        **{"vars[details]": "Thank you!", "vars[category_id]": other.id})
    assert status == 200, body
    assert body["response"] == {"id": reply.id, "category_id": other.id, "name": "Thanks",
                                "details": "Thank you!"}
    status, body = call("POST", f"{R}/edit", response_id=reply.id, **{
        "vars[name]": "", "vars[details]": " ", "vars[category_id]": 999})
    assert status == 400 and set(body["errors"]) == {"name", "details", "category_id"}, body
    assert call("POST", f"{R}/delete", response_id=reply.id) == (200, {"response": None})
    assert call("GET", f"{R}/get", response_id=reply.id)[1] == {"response": False}
    status, body = call("POST", f"{R}/delete", response_id=reply.id)
    assert status == 400 and "response_id" in body["errors"]


def test_staff(call, desk, db):
    db.add(Admin(username="staff2", first_name="Ada", email="ada@example.com"))
    db.commit()
    rows = call("GET", f"{S}/getAll", company_id=1)[1]["response"]
    assert [r["first_name"] for r in rows] == ["Ada", "Sam"]
    sam = call("GET", f"{S}/get", staff_id=desk["admin"], company_id=1)[1]["response"]
    assert [d["id"] for d in sam["departments"]] == [desk["department"]]
    in_billing = call("GET", f"{S}/getAll", company_id=1,
                      department_id=desk["department"])[1]["response"]
    assert [r["id"] for r in in_billing] == [desk["admin"]]
    assert call("GET", f"{S}/getListCount", company_id=1)[1]["response"] == 2
    assert call("GET", f"{S}/get", staff_id=desk["admin"], company_id=3)[1]["response"] \
        is False


def test_xml_and_php_render_replies(call, desk):
    ticket_id = _open(call, desk, **{"vars[details]": "First"})
    call("POST", f"{T}/addReply", ticket_id=ticket_id, **{
        "vars[staff_id]": desk["admin"], "vars[details]": "Second"})
    status, text = call("GET", f"{T}/get", fmt="xml", ticket_id=ticket_id)
    assert status == 200 and text.count("<replies>") == 2
    assert "<supportmanager.supportmanagertickets>" in text
    status, text = call("GET", f"{T}/get", fmt="php", ticket_id=ticket_id)
    assert status == 200 and 's:7:"details";s:6:"Second";' in text
