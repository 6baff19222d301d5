"""invoices/*: add, get (line items, 4-decimal money), lists and status filters, edit, void."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from bridge.db import utcnow
from bridge.models import Company, Invoice
from bridge.services.credit import add_credit, apply_credit
from bridge.services.payments import apply_payment


def load(db, model, ident):
    """A fresh copy of a row, ending the read so the API's writes are not locked out."""
    db.expire_all()
    row = db.get(model, ident)
    db.commit()
    return row


@pytest.fixture
def client_id(db, factories):
    client = factories.client()
    db.commit()
    return client.id


def _add(call, client_id, **extra):
    params = {"vars[client_id]": client_id, "vars[date_billed]": "2026-03-01",
              "vars[date_due]": "2026-03-15", "vars[currency]": "USD",
              "vars[lines][0][description]": "Hosting", "vars[lines][0][qty]": "2",
              "vars[lines][0][amount]": "5.00", "vars[lines][1][description]": "Setup",
              "vars[lines][1][amount]": "2.50", "vars[note_public]": "Thanks",
              "vars[note_private]": "staff only"}
    params.update(extra)
    return call("POST", "invoices/add", **params)


def test_add_returns_the_new_id_as_a_string_and_get_renders_it(call, client_id, db):
    status, body = _add(call, client_id)
    assert status == 200 and isinstance(body["response"], str)
    invoice_id = int(body["response"])
    stored = load(db, Invoice, invoice_id)
    assert stored.client_id == client_id and stored.total == Decimal("12.50")
    got = call("GET", "invoices/get", invoice_id=invoice_id)[1]["response"]
    assert got["id"] == invoice_id and got["status"] == "active"
    assert (got["subtotal"], got["total"], got["paid"], got["due"]) == (
        "12.5000", "12.5000", "0.0000", "12.5000")
    assert got["date_billed"] == "2026-03-01 00:00:00"
    assert got["date_due"] == "2026-03-15 00:00:00"
    assert got["note_public"] == "Thanks" and got["note_private"] == "staff only"
    first, second = got["line_items"]
    assert first["invoice_id"] == invoice_id and first["description"] == "Hosting"
    assert (first["qty"], first["amount"], first["subtotal"]) == ("2.0000", "5.0000", "10.0000")
    assert second["qty"] == "1.0000" and first["taxes"] == []


def test_get_missing_is_false(call):
    assert call("GET", "invoices/get", invoice_id=4040) == (200, {"response": False})


def test_json_body_with_a_list_of_lines(call, client_id):
    status, body = call("POST", "invoices/add", json_body=True, vars={
        "client_id": client_id, "lines": [{"description": "A", "amount": "3.10", "qty": 1}]})
    assert status == 200
    got = call("GET", "invoices/get", invoice_id=body["response"])[1]["response"]
    assert got["total"] == "3.1000"


def test_add_validation_errors_use_blesta_field_names(call, client_id):
    status, body = _add(call, client_id, **{"vars[lines][1][amount]": "abc"})
    assert status == 400 and "lines[1][amount]" in body["errors"]
    status, body = _add(call, 9999)
    assert status == 400 and "client_id" in body["errors"]
    status, body = _add(call, client_id, **{"vars[currency]": "EUR"})
    assert status == 400 and "currency" in body["errors"]
    status, body = _add(call, client_id, **{"vars[term]": "1", "vars[period]": "month"})
    assert status == 400 and "unsupported" in body["errors"]["term"]
    status, body = _add(call, client_id, **{"vars[status]": "proforma"})
    assert status == 400 and "status" in body["errors"]


def test_add_checks_the_lines_before_reading_the_client(call, client_id, blesta_app):
    """Bad lines are refused before the first statement (on SQLite the one that takes the
    write lock): no client is read, and with a bad client as well the lines are reported."""
    engine = blesta_app.extensions["bridge"].db.engine
    assert _add(call, client_id)[0] == 200  # credential checked and cached
    statements: list[str] = []

    def collect(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", collect)
    try:
        status, body = _add(call, 9999, **{"vars[lines][0][qty]": "0"})
    finally:
        event.remove(engine, "before_cursor_execute", collect)
    assert status == 400 and list(body["errors"]) == ["lines[0][qty]"]
    assert not [s for s in statements if "clients" in s.lower()]


def test_draft_status_filters_and_counts(call, client_id, db):
    open_id = int(_add(call, client_id)[1]["response"])
    draft_id = int(_add(call, client_id, **{"vars[status]": "draft"})[1]["response"])
    paid_id = int(_add(call, client_id)[1]["response"])
    apply_payment(db, paid_id, Decimal("12.50"), gateway="banktransfer")
    db.commit()

    def ids(status):
        rows = call("GET", "invoices/getList", client_id=client_id, status=status)[1]["response"]
        return sorted(row["id"] for row in rows)

    assert ids("open") == [open_id]
    assert ids("draft") == [draft_id]
    assert ids("closed") == [paid_id]
    assert ids("active") == sorted([open_id, paid_id])
    assert call("GET", "invoices/getListCount", client_id=client_id,
                status="open")[1]["response"] == 1
    assert call("GET", "invoices/getListCount", status="all")[1]["response"] == 3
    paid = call("GET", "invoices/get", invoice_id=paid_id)[1]["response"]
    assert paid["paid"] == "12.5000" and paid["due"] == "0.0000"
    assert paid["date_closed"] is not None
    assert call("GET", "invoices/getList", status="to_print")[1]["response"] == []


def test_list_rows_have_client_fields_and_no_lines(call, client_id):
    _add(call, client_id)
    row = call("GET", "invoices/getList")[1]["response"][0]
    assert row["client_id"] == client_id and row["client_first_name"] == "Test"
    assert "line_items" not in row


def test_list_pages_by_twenty_and_orders(call, client_id, db):
    for offset in range(21):
        _add(call, client_id, **{"vars[date_due]": f"2026-04-{offset + 1:02d}"})
    first = call("GET", "invoices/getList", status="open")[1]["response"]
    second = call("GET", "invoices/getList", status="open", page=2)[1]["response"]
    assert len(first) == 20 and len(second) == 1
    assert first[0]["date_due"] < first[-1]["date_due"]
    newest = call("GET", "invoices/getList", status="open",
                  **{"order_by[date_due]": "DESC"})[1]["response"]
    assert newest[0]["date_due"] == "2026-04-21 00:00:00"


def test_past_due_uses_today(call, client_id):
    yesterday = (utcnow().date() - timedelta(days=2)).isoformat()
    later = (utcnow().date() + timedelta(days=30)).isoformat()
    overdue = int(_add(call, client_id, **{"vars[date_billed]": yesterday,
                                           "vars[date_due]": yesterday})[1]["response"])
    _add(call, client_id, **{"vars[date_billed]": yesterday, "vars[date_due]": later})
    rows = call("GET", "invoices/getList", status="past_due")[1]["response"]
    assert [row["id"] for row in rows] == [overdue]


def test_filters_and_get_all(call, client_id):
    first = int(_add(call, client_id)[1]["response"])
    _add(call, client_id, **{"vars[lines][0][description]": "Domain renewal"})
    rows = call("GET", "invoices/getList", **{"filters[invoice_line]": "renewal"})[1]
    assert len(rows["response"]) == 1
    rows = call("GET", "invoices/getAll", client_id=client_id, currency="USD")[1]["response"]
    assert len(rows) == 2
    assert call("GET", "invoices/getAll", currency="EUR")[1]["response"] == []
    lines = call("GET", "invoices/getLineItems", invoice_id=first)[1]["response"]
    assert [line["description"] for line in lines] == ["Hosting", "Setup"]


def test_amounts_and_amount_due(call, client_id, db):
    invoice_id = int(_add(call, client_id)[1]["response"])
    _add(call, client_id)
    add_credit(db, client_id, Decimal("2.50"), "goodwill")
    apply_credit(db, invoice_id)
    db.commit()
    assert call("GET", "invoices/getTotal", invoice_id=invoice_id)[1]["response"] == "12.5000"
    assert call("GET", "invoices/getPaid", invoice_id=invoice_id)[1]["response"] == "2.5000"
    due = call("GET", "invoices/amountDue", client_id=client_id, currency="USD")[1]["response"]
    assert due == "22.5000"


def test_edit_lines_dates_notes(call, client_id, db):
    invoice_id = int(_add(call, client_id)[1]["response"])
    lines = call("GET", "invoices/get", invoice_id=invoice_id)[1]["response"]["line_items"]
    status, body = call("POST", "invoices/edit", invoice_id=invoice_id, **{
        "vars[date_due]": "2026-03-31", "vars[note_public]": "Updated",
        "vars[lines][0][id]": lines[0]["id"], "vars[lines][0][amount]": "6.00",
        "vars[lines][1][id]": lines[1]["id"], "vars[lines][1][description]": "",
        "vars[lines][1][amount]": "",
        "vars[lines][2][description]": "Extra", "vars[lines][2][amount]": "1.00"})
    assert status == 200 and body["response"] == str(invoice_id)
    got = call("GET", "invoices/get", invoice_id=invoice_id)[1]["response"]
    assert [line["description"] for line in got["line_items"]] == ["Hosting", "Extra"]
    assert got["total"] == "13.0000" and got["date_due"] == "2026-03-31 00:00:00"
    assert got["note_public"] == "Updated"
    status, body = call("POST", "invoices/edit", invoice_id=invoice_id,
                        **{"vars[lines][0][id]": 99999, "vars[lines][0][amount]": "1"})
    assert status == 400 and "lines[0][id]" in body["errors"]


def test_publish_draft_and_void(call, client_id, db):
    draft_id = int(_add(call, client_id, **{"vars[status]": "draft"})[1]["response"])
    assert load(db, Invoice, draft_id).status == "draft"
    call("POST", "invoices/edit", invoice_id=draft_id, **{"vars[status]": "active"})
    assert load(db, Invoice, draft_id).status == "unpaid"
    status, _ = call("POST", "invoices/edit", invoice_id=draft_id, **{"vars[status]": "void"})
    assert status == 200
    assert load(db, Invoice, draft_id).status == "cancelled"
    got = call("GET", "invoices/get", invoice_id=draft_id)[1]["response"]
    assert got["status"] == "void"
    assert [r["id"] for r in call("GET", "invoices/getList", status="void")[1]["response"]] \
        == [draft_id]


def test_void_of_a_paid_invoice_is_refused(call, client_id, db):
    invoice_id = int(_add(call, client_id)[1]["response"])
    apply_payment(db, invoice_id, Decimal("5.00"), gateway="banktransfer")
    db.commit()
    status, body = call("POST", "invoices/edit", invoice_id=invoice_id,
                        **{"vars[status]": "void"})
    assert status == 400 and "refund" in body["errors"]["_"]["conflict"]


def test_other_company_invoices_are_hidden(call, db, factories):
    db.add(Company(id=2, name="Other"))
    db.flush()
    other = factories.client(company_id=2)
    invoice = Invoice(client_id=other.id, currency="USD", date=date(2026, 1, 1),
                      due_date=date(2026, 1, 2))
    db.add(invoice)
    db.commit()
    assert call("GET", "invoices/get", invoice_id=invoice.id)[1]["response"] is False
    assert call("GET", "invoices/getListCount", status="all")[1]["response"] == 0


def test_add_refuses_clients_of_another_company_and_unknown_ones(call, db, factories):
    db.add(Company(id=2, name="Other"))
    db.flush()
    other = factories.client(company_id=2)
    shared = factories.client(company_id=None)  # no company: every company's client
    db.commit()
    for client_id in (other.id, 999_999):
        status, body = _add(call, client_id)
        assert status == 400
        assert body["errors"] == {"client_id": {"exists": "Please specify a valid client."}}
    assert db.scalar(select(func.count()).select_from(Invoice)) == 0
    db.commit()  # end the read: the API's write must not wait behind it
    status, body = _add(call, shared.id)
    assert status == 200 and int(body["response"]) > 0


def test_xml_renders_lines(call, client_id):
    invoice_id = int(_add(call, client_id)[1]["response"])
    status, text = call("GET", "invoices/get", fmt="xml", invoice_id=invoice_id)
    assert status == 200 and text.count("<line_items>") == 2
    assert "<total>12.5000</total>" in text


def test_edit_with_only_qty_updates_the_line_and_keeps_it(call, client_id):
    invoice_id = int(_add(call, client_id)[1]["response"])
    lines = call("GET", "invoices/get", invoice_id=invoice_id)[1]["response"]["line_items"]
    status, _ = call("POST", "invoices/edit", invoice_id=invoice_id, **{
        "vars[lines][0][id]": lines[1]["id"], "vars[lines][0][qty]": "3"})
    assert status == 200
    got = call("GET", "invoices/get", invoice_id=invoice_id)[1]["response"]
    assert [line["qty"] for line in got["line_items"]] == ["2.0000", "3.0000"]
    assert got["total"] == "17.5000"


def test_delete_draft_removes_only_drafts(call, client_id, db):
    draft_id = int(_add(call, client_id, **{"vars[status]": "draft"})[1]["response"])
    live_id = int(_add(call, client_id)[1]["response"])
    assert call("POST", "invoices/deleteDraft", invoice_id=draft_id) == (200, {"response": None})
    assert load(db, Invoice, draft_id) is None
    assert call("GET", "invoices/get", invoice_id=draft_id)[1] == {"response": False}
    status, body = call("POST", "invoices/deleteDraft", invoice_id=live_id)
    assert status == 400 and body["errors"] == {
        "invoice_id": {"draft": "Only draft invoices may be deleted."}}
    assert load(db, Invoice, live_id) is not None
    assert call("POST", "invoices/deleteDraft", invoice_id=draft_id)[0] == 400


@pytest.mark.parametrize("client_arg", [True, False])
def test_get_list_common_page_matches_the_general_path(call, client_id, client_arg):
    # the default order (date_due, then id) and no filters take prebuilt statements and
    # plain rows; an equivalent explicit order takes the general path: same answer
    for due in ("2026-03-20", "2026-03-10", "2026-03-15", "2026-03-10"):
        assert _add(call, client_id, **{"vars[date_due]": due})[0] == 200
    args = {"client_id": client_id} if client_arg else {}
    common = call("GET", "invoices/getList", status="active", **args)[1]["response"]
    general = call("GET", "invoices/getList", status="active", **args,
                   **{"order_by[date_due]": "ASC", "order_by[id]": "ASC"})[1]["response"]
    assert len(common) == 4 and common == general
    assert [row["date_due"][:10] for row in common] == [
        "2026-03-10", "2026-03-10", "2026-03-15", "2026-03-20"]
    assert common[0]["id"] < common[1]["id"] and common[0]["client_first_name"]


# -- list rows: printed from driver values, as invoice_object prints the loaded invoice ------

_ROW_STATES = [  # status, amount_paid, credit_applied, amount_refunded, total, stamps
    ("unpaid", "0", "0", "0", "12.50", ()),
    ("unpaid", "5.0050", "0", "0", "12.50", ()),
    ("unpaid", "0", "2.675", "0", "2.675", ()),
    ("paid", "12.50", "0", "0", "12.50", ("paid_at",)),
    ("paid", "10", "2.50", "0", "12.50", ("paid_at",)),
    ("refunded", "12.50", "0", "12.50", "12.50", ("paid_at", "refunded_at")),
    ("paid", "5", "0", "7.25", "12.50", ("paid_at", "refunded_at")),  # refunded past paid
    ("cancelled", "0", "0", "0", "0.005", ("cancelled_at",)),
    ("draft", "0", "0", "0", "0", ()),
    ("collections", "0", "0", "0", "1234567.8950", ()),
]


def _seed_list_states(session):
    """Invoices in every state a list row prints, with amounts stored on rounding ties."""
    from sqlalchemy import update

    from bridge.models import Client
    from bridge.services.invoices import create_invoice
    from bridge.testing import make_client

    plain = make_client(session, company_name="")
    coded = make_client(session, company_name="Acme Ltd")
    session.flush()
    session.execute(update(Client).where(Client.id == coded.id).values(id_code="C-77"))
    stamp = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    for index, (status, paid, credit, refunded, total, stamps) in enumerate(_ROW_STATES):
        owner = coded if index % 2 else plain
        invoice = create_invoice(session, owner.id, [{"description": "x", "unit_amount": "1"}])
        session.flush()
        session.execute(update(Invoice).where(Invoice.id == invoice.id).values(
            status=status, amount_paid=Decimal(paid), credit_applied=Decimal(credit),
            amount_refunded=Decimal(refunded), total=Decimal(total),
            subtotal=Decimal(total), number="INV-9" if index == 3 else "",
            admin_notes="private", **{name: stamp for name in stamps}))
    session.commit()


def _assert_list_rows_equal_loaded_invoices(session):
    from sqlalchemy import select

    from bridge.models import Client
    from compat.blesta.api.methods.invoices import LIST_COLUMNS, invoice_object, list_row

    rows = session.execute(select(*LIST_COLUMNS).join(Client, Client.id == Invoice.client_id)
                           .order_by(Invoice.id)).all()
    session.expire_all()
    assert len(rows) == len(_ROW_STATES)
    for row in rows:
        invoice = session.get(Invoice, row.id)
        expected = invoice_object(invoice, session.get(Client, invoice.client_id), lines=False)
        assert list_row(row) == expected, invoice.status
    printed = [list_row(row) for row in rows]
    assert printed[1]["due"] == "7.4950" and printed[2]["total"] == "2.6750"
    assert printed[6]["paid"] == "-2.2500" and printed[6]["due"] == "14.7500"
    assert printed[3]["date_closed"] == "2026-03-04 05:06:07" and printed[0]["date_closed"] is None
    assert {p["client_company"] for p in printed} == {None, "Acme Ltd"}


def test_list_rows_print_as_invoice_object_prints(db):
    _seed_list_states(db)
    _assert_list_rows_equal_loaded_invoices(db)


@pytest.mark.mysql
def test_list_rows_print_as_invoice_object_prints_on_mariadb(mysql_db):
    _seed_list_states(mysql_db)
    _assert_list_rows_equal_loaded_invoices(mysql_db)
