"""Blesta 5.8: load the schema into MariaDB, fill it with generated data (real Blesta hashes
and system-key encryption), import, and check report, quarantine, decrypted secrets, values
through the Blesta and WHMCS APIs, the legacy login, and that a second run changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bridge.cli import main
from bridge.context import Actor
from bridge.models import (
    ActivityLog,
    Client,
    Contact,
    CreditEntry,
    CustomFieldValue,
    Invoice,
    Price,
    Promotion,
    QuarantinedRow,
    Server,
    Service,
    ServiceConfigOption,
    Ticket,
    TicketAttachment,
    Transaction,
    User,
    UserClient,
)
from bridge.models.catalog import config_group_products
from bridge.services.access import add_api_credential
from importers._pipeline import RunOptions
from importers.base import UnsupportedSource, run_import
from importers.blesta.importer import Importer
from tests.importers.blesta_gen import (
    CLIENT_PASSWORD,
    EMOJI,
    EXPECTED_QUARANTINE,
    MOJIBAKE,
    SYSTEM_KEY,
    fill,
)

API_ID, API_SECRET = "imp-blesta", "imp-blesta-secret-0123"


def _run(app: Any, url: str, key: str = SYSTEM_KEY) -> dict[str, Any]:
    state = app.extensions["bridge"]
    return run_import(Importer(key=key, timezone="UTC"), url, state.db.engine, state.secrets,
                      RunOptions())


@pytest.fixture
def blesta_source(source_db: Any) -> Any:
    src = source_db("blesta-5.8.sql", prefix="timp2_")
    fill(src.engine)
    return src


def test_import_reconciles_and_quarantines(app: Any, db: Any, blesta_source: Any) -> None:
    report = _run(app, blesta_source.url)
    assert report["ok"], report
    lines = {line["entity"]: line for line in report["entities"]}
    for entity, ids in EXPECTED_QUARANTINE.items():
        assert lines[entity]["quarantined"] == len(ids), lines[entity]
    reasons = {(q.source_table, q.source_id): q.reason
               for q in db.scalars(select(QuarantinedRow))}
    assert "decrypt" in reasons[("module_rows", "2")]
    assert "client_group_id=42" in reasons[("clients", "3")]
    money = {(m["label"], m["currency"]): m for m in report["money"]}
    assert money[("invoices paid", "USD")]["target"] == "17.9900"
    assert money[("invoices unpaid", "USD")]["quarantined"] == "7.0000"
    assert money[("payments", "EUR")]["target"] == "100.0000"
    assert money[("refunds", "EUR")]["target"] == "50.0000"
    assert money[("credit (unapplied payments)", "USD")]["target"] == "12.0100"
    assert report["version"] == "5.8.1"


def test_values_and_secrets(app: Any, db: Any, blesta_source: Any) -> None:
    _run(app, blesta_source.url)
    secrets = app.extensions["bridge"].secrets
    alice = db.get(Client, 1)
    assert (alice.first_name, alice.email, alice.id_code, alice.phone) == (
        EMOJI, "alice@example.com", "1500", "+1.5550100")
    bob = db.get(Client, 2)
    assert (bob.last_name, bob.currency, bob.status) == (MOJIBAKE, "EUR", "inactive")
    assert bob.created_at.year == 2024  # zero contact date falls back to the user's date
    # two Blesta users with one email: the lower user id keeps the login, staff get a note
    assert db.get(Client, 4).email == "ALICE@example.com" and db.get(User, 15) is None
    note = db.scalar(select(ActivityLog).where(
        ActivityLog.action == "import.login_not_imported"))
    assert (note.client_id, note.data["blesta_user_id"]) == (4, 15)
    billing = db.get(Contact, 3)
    assert (billing.kind, billing.user_id) == ("billing", 14)  # a sub-account login
    link = db.scalar(select(UserClient).where(UserClient.user_id == 14))
    assert (link.client_id, link.is_owner) == (1, False)
    values = {v.entity_id: secrets.decrypt(v.value) for v in db.scalars(select(CustomFieldValue))}
    assert values[1] == "GB123"
    assert values[2].startswith("blesta-encrypted:")  # wrong key: kept, flagged
    server = db.get(Server, 1)
    assert secrets.decrypt(server.access_hash_enc) == "WHM-TOKEN"
    assert server.nameservers == ["ns1.example.com", "ns2.example.com"]
    assert server.max_accounts == 200
    service = db.get(Service, 1)
    assert (service.domain, service.username, service.billing_cycle) == (
        "alice.example", "alice", "1M")
    assert secrets.decrypt(service.password_enc) == "svc-pass"
    two = db.get(Service, 2)
    assert (two.server_id, two.recurring_amount, two.currency) == (None, Decimal("198.0000"),
                                                                  "EUR")
    assert db.get(Price, 8).cycle == "1Y"
    coupon = db.get(Promotion, 1)
    assert (coupon.code, coupon.type, coupon.value, coupon.product_ids, coupon.cycles) == (
        "WELCOME", "percent", Decimal("15.0000"), [1], ["1M", "1Y"])
    invoice = db.get(Invoice, 1)
    assert (invoice.number, invoice.status, invoice.tax1) == ("INV-100", "paid", Decimal("3"))
    assert db.get(Invoice, 2).status == "unpaid"
    refund = db.scalar(select(Transaction).where(Transaction.kind == "refund"))
    assert (refund.refund_of_id, refund.amount_out) == (2, Decimal("50"))
    assert db.scalar(select(func.sum(CreditEntry.amount))) == Decimal("12.01")
    assert (alice.credit_balance, bob.credit_balance) == (Decimal("12.01"), Decimal(0))
    ticket = db.get(Ticket, 1)
    assert (ticket.number, ticket.priority) == ("482913", "high")
    assert [m.body for m in ticket.messages] == ["Site is down 😱", "Restarted."]
    assert sorted(n.body for n in ticket.notes) == ["Disk full", "[log] Status changed"]
    assert db.scalar(select(TicketAttachment.message_id)) == 1
    # package_option (package 1 offers option group 1) -> the id-less link table
    assert set(db.execute(select(config_group_products.c.group_id,
                                 config_group_products.c.product_id))) == {(1, 1)}
    choice = db.get(ServiceConfigOption, 1)
    assert (choice.service_id, choice.option_id, choice.value_id) == (1, 1, 2)
    ram = db.scalar(select(Price).where(Price.owner_type == "config_option_value"))
    assert (ram.owner_id, ram.amount, ram.cycle) == (2, Decimal("2.0000"), "1M")
    login = db.get(ActivityLog, 1)
    assert (login.action, login.ip_address) == ("blesta.login.success", "192.0.2.7")


def test_apis_and_blesta_login(app: Any, db: Any, blesta_source: Any) -> None:
    _run(app, blesta_source.url)
    with app.extensions["bridge"].transaction(Actor(source="test")) as session:
        add_api_credential(session, API_ID, API_SECRET)
    web = app.test_client()
    got = web.get("/api/clients/get.json", query_string={"client_id": 1},
                  headers={"BLESTA-API-USER": API_ID, "BLESTA-API-KEY": API_SECRET})
    assert got.status_code == 200, got.get_data(as_text=True)
    assert got.get_json()["response"]["id_code"] == "1500"
    form = {"action": "GetClientsDetails", "responsetype": "json", "identifier": API_ID,
            "secret": API_SECRET, "clientid": "2"}
    details = web.post("/includes/api.php", data=form).get_json()
    assert details["result"] == "success" and details["client"]["lastname"] == MOJIBAKE
    login = web.post("/includes/api.php", data={
        "action": "ValidateLogin", "responsetype": "json", "identifier": API_ID,
        "secret": API_SECRET, "email": "alice@example.com",
        "password2": CLIENT_PASSWORD}).get_json()
    assert login["result"] == "success", login  # verified with the imported system key
    wrong = web.post("/includes/api.php", data={
        "action": "ValidateLogin", "responsetype": "json", "identifier": API_ID,
        "secret": API_SECRET, "email": "alice@example.com", "password2": "nope"}).get_json()
    assert wrong["result"] == "error"
    assert db.get(User, 10).password_hash.startswith("$argon2")  # rehashed after the login
    db.rollback()


def test_second_run_changes_nothing(app: Any, db: Any, blesta_source: Any) -> None:
    first = _run(app, blesta_source.url)
    second = _run(app, blesta_source.url)
    assert second["ok"], second
    for a, b in zip(first["entities"], second["entities"], strict=True):
        # secrets in *_enc columns are compared decrypted, so their rows are unchanged too;
        # the system key setting and encrypted custom field values are sealed values in
        # plain text columns: rewritten (same plaintext, fresh nonce)
        resealed = b["entity"] in ("system_key", "clients")
        assert b["inserted"] == 0 and (resealed or b["updated"] == 0), b
        assert b["unchanged"] + b["updated"] == a["inserted"] + a["updated"], (a, b)
        assert b["quarantined"] == a["quarantined"]
    assert first["money"] == second["money"]
    assert db.scalar(select(func.count()).select_from(QuarantinedRow)) == sum(
        len(ids) for ids in EXPECTED_QUARANTINE.values())


def test_other_versions_are_refused(app: Any, blesta_source: Any) -> None:
    blesta_source.execute("UPDATE settings SET value = '4.12.3' WHERE `key` = 'database_version'")
    with pytest.raises(UnsupportedSource, match="4.12.3"):
        _run(app, blesta_source.url)


def test_cli_with_config_file(app: Any, db: Any, blesta_source: Any, tmp_path: Any) -> None:
    url = make_url(blesta_source.url)
    config = tmp_path / "blesta.php"
    config.write_text(
        "<?php\n// written by the Blesta installer\n"
        'Configure::set("Blesta.database_info", array(\n  "driver" => "mysql",\n'
        f'  "host" => "{url.host}", "port" => "{url.port}", "database" => "{url.database}",\n'
        f'  "user" => "{url.username}", "pass" => "{url.password}", "persistent" => false,\n'
        "));\n"
        f'Configure::set("Blesta.system_key", "{SYSTEM_KEY}");\n')
    result = app.test_cli_runner().invoke(main, ["import", "blesta", "--config-file",
                                                 str(config)])
    assert result.exit_code == 0, result.output
    assert "5.8.1" in result.output
    secrets = app.extensions["bridge"].secrets
    assert secrets.decrypt(db.get(Service, 1).password_enc) == "svc-pass"
    db.rollback()
