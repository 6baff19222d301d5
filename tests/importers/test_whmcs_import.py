"""WHMCS 8.4 -> hostbridge: a generated source imported through the pipeline, checked in the
report (counts and money reconcile exactly), the quarantine, the database and the APIs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bridge.models import (
    Client,
    Invoice,
    QuarantinedRow,
    Server,
    Service,
    Ticket,
    TicketAttachment,
    TicketMessage,
    Transaction,
    User,
)
from importers._pipeline import RunOptions, run_import
from importers.base import UnsupportedSource
from importers.whmcs.importer import Importer
from tests.importers.whmcs_data import CC_HASH, TIMEZONE, Facts, generate


@pytest.fixture
def whmcs(source_db: Any) -> tuple[Any, Facts]:
    src = source_db("whmcs-8.4.sql")
    return src, generate(src)


def run_whmcs(app: Any, src: Any, **kw: Any) -> dict[str, Any]:
    state = app.extensions["bridge"]
    importer = Importer(key=CC_HASH, timezone=TIMEZONE)
    return run_import(importer, src.url, state.db.engine, state.secrets, RunOptions(**kw))


def test_report_reconciles_and_quarantine_is_explained(app: Any, db: Any, whmcs: Any) -> None:
    src, facts = whmcs
    report = run_whmcs(app, src)
    bad = [e for e in report["entities"] if not e["reconciled"]]
    assert not bad, bad
    money_bad = [m for m in report["money"] if not m["ok"]]
    assert not money_bad, money_bad
    assert report["ok"]
    held: dict[str, set[str]] = {}
    for row in db.scalars(select(QuarantinedRow)):
        held.setdefault(row.source_table, set()).add(row.source_id)
    assert held == facts.quarantined
    reasons = {(q.source_table, q.source_id): q.reason for q in db.scalars(select(QuarantinedRow))}
    assert reasons[("tblhosting", str(len(facts.client_ids)))].startswith("orphan: userid=999")
    assert "unknown billing cycle 'Fortnightly'" in reasons[
        ("tblhosting", str(len(facts.client_ids) + 2))]
    assert "clients.country is 7 characters" in reasons[("tblclients", "3")]
    assert reasons[("tblinvoices", "901")] == "invoices.date may not be empty (NULL)"
    invoice_money = {m["currency"]: Decimal(m["target"]) for m in report["money"]
                     if m["label"] == "invoice totals by status"}
    for key, total in facts.invoice_totals.items():
        assert invoice_money[key] == total


IDENTIFIER, SECRET = "imp-id", "imp-secret-0123456789"
BLESTA_USER, BLESTA_KEY = "imp-blesta", "imp-blesta-key-0123456789"


@pytest.fixture
def imported(app: Any, db: Any, whmcs: Any) -> Facts:
    """The generated source imported, plus API credentials for both doors."""
    from bridge.context import Actor
    from bridge.services.access import add_admin, add_api_credential

    src, facts = whmcs
    assert run_whmcs(app, src)["ok"]
    with app.extensions["bridge"].transaction(Actor(source="test")) as session:
        admin = add_admin(session, "apiadmin", "admin-password-1", email="api@example.test")
        add_api_credential(session, IDENTIFIER, SECRET, admin_id=admin.id)
        add_api_credential(session, BLESTA_USER, BLESTA_KEY)
    return facts


def whmcs_api(app: Any, action: str, **params: Any) -> dict[str, Any]:
    form = {"action": action, "responsetype": "json", "identifier": IDENTIFIER,
            "secret": SECRET, **{k: str(v) for k, v in params.items()}}
    response = app.test_client().post("/includes/api.php", data=form,
                                      environ_base={"REMOTE_ADDR": "127.0.0.1"})
    body: dict[str, Any] = response.get_json()
    return body


def test_whmcs_api_reads_migrated_records_by_source_ids(app: Any, imported: Facts) -> None:
    body = whmcs_api(app, "GetClientsDetails", clientid=1, stats="false")
    assert body["result"] == "success", body
    details = body.get("client", body)
    assert details["id"] in (1, "1")
    assert details["firstname"] == "J\u00c3\u00bcrgen"  # mojibake kept exactly as stored
    assert details["lastname"] == "M\u00fcller"
    assert details["companyname"] == "Smile \U0001F600 GmbH"  # entity decoded to a real emoji
    assert details["currency_code"] == "EUR"

    invoice = whmcs_api(app, "GetInvoice", invoiceid=101)
    assert invoice["result"] == "success", invoice
    assert invoice["invoiceid"] in (101, "101")
    assert invoice["userid"] in (1, "1")
    assert invoice["status"] == "Paid"
    assert Decimal(invoice["subtotal"]) == Decimal("10.00")
    assert Decimal(invoice["credit"]) == Decimal("2.00")
    # WHMCS shows the total after credit: 10.00 + 1.90 tax - 2.00 credit
    assert Decimal(invoice["total"]) == Decimal("9.90")
    assert [item["id"] for item in invoice["items"]["item"]] in ([1010], ["1010"])


def test_blesta_api_reads_the_same_client(app: Any, imported: Facts) -> None:
    response = app.test_client().get(
        "/api/clients/get.json", query_string={"client_id": 5},
        headers={"BLESTA-API-USER": BLESTA_USER, "BLESTA-API-KEY": BLESTA_KEY})
    body = response.get_json()
    assert response.status_code == 200, body
    client = body["response"]
    assert str(client["id"]) == "5"
    assert client["first_name"] == "First5" and client["email"] == "client5@example.test"


@pytest.mark.parametrize("email", ["client1@example.test", "client2@example.test"])
def test_validate_login_with_the_old_password_then_rehash(app: Any, db: Any, imported: Facts,
                                                          email: str) -> None:
    before = db.scalar(select(User.password_hash).where(User.email == email))
    assert before.startswith("$2y$") or ":" in before  # the legacy hash as imported
    db.rollback()
    assert whmcs_api(app, "ValidateLogin", email=email, password2="wrong")["result"] == "error"
    body = whmcs_api(app, "ValidateLogin", email=email, password2=imported.passwords[email])
    assert body["result"] == "success", body
    db.expire_all()
    assert db.scalar(select(User.password_hash).where(User.email == email)).startswith(
        "$argon2")


def test_secrets_times_and_links(app: Any, db: Any, imported: Facts) -> None:
    box = app.extensions["bridge"].secrets
    server = db.get(Server, 1)
    assert box.decrypt(server.password_enc) == imported.server_password
    for service_id, password in imported.service_passwords.items():
        service = db.get(Service, service_id)
        assert service.username == f"user{service_id}"
        assert box.decrypt(service.password_enc) == password
    # 2024-07-01 00:30 in Europe/Berlin (CEST, UTC+2) is 2024-06-30 22:30 UTC
    payment = db.get(Transaction, 101)
    assert payment.date == dt.datetime(2024, 6, 30, 22, 30, tzinfo=dt.UTC)
    assert db.get(Invoice, 101).paid_at == dt.datetime(2024, 6, 30, 22, 30, tzinfo=dt.UTC)
    refund = db.get(Transaction, 5000)
    assert (refund.kind, refund.refund_of_id, refund.amount_out) == ("refund", 101, Decimal(3))
    duplicate = db.get(Transaction, 5002)
    assert duplicate.gateway_txn_id is None and duplicate.raw == {"whmcs_transid": "TX101"}
    client2 = db.get(Client, 2)
    assert client2.last_login_at is None  # 0000-00-00 00:00:00 -> NULL
    assert client2.created_at == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    ticket = db.get(Ticket, 1)
    assert ticket.subject == "Site down \U0001F631" and ticket.service_id == 1
    messages = db.scalars(select(TicketMessage).where(TicketMessage.ticket_id == 1)
                          .order_by(TicketMessage.created_at)).all()
    assert [(m.author_type, m.body) for m in messages] == [
        ("client", "My site is down"), ("admin", "Looking now"), ("client", "Thanks!")]
    assert messages[1].admin_id == 1
    files = db.scalars(select(TicketAttachment).order_by(TicketAttachment.id)).all()
    assert [(f.filename, f.message_id) for f in files] == [
        ("screenshot.png", messages[0].id), ("log.txt", messages[0].id),
        ("fix.diff", messages[1].id)]


def test_unknown_whmcs_version_is_refused(app: Any, db: Any, whmcs: Any) -> None:
    src, _ = whmcs
    src.execute("UPDATE tblconfiguration SET value = '7.10.2-release.1' WHERE setting='Version'")
    with pytest.raises(UnsupportedSource, match="WHMCS version '7.10.2-release.1' is not"):
        run_whmcs(app, src)
    assert db.scalars(select(Client)).all() == []
