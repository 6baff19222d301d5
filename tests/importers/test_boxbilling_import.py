"""BoxBilling 4.22 / FOSSBilling 0.7.2 / 0.8.5: load the real schema into MariaDB, fill it with
generated data, import into hostbridge and check the report, the quarantine, values read back
through the WHMCS and Blesta APIs, legacy logins, and that a second run changes nothing."""

from __future__ import annotations

import hashlib
import shutil
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bridge import create_app
from bridge.cli import main
from bridge.context import Actor
from bridge.models import (
    ActivityLog,
    Client,
    CreditEntry,
    Domain,
    Invoice,
    Price,
    QuarantinedRow,
    Server,
    Service,
    ServiceAddon,
    Ticket,
    TicketAttachment,
    Tld,
    User,
)
from bridge.models.catalog import addon_products
from bridge.services.access import add_api_credential
from importers._pipeline import RunOptions
from importers.base import UnsupportedSource, run_import
from importers.boxbilling import mapping_billing
from importers.boxbilling.importer import Importer
from tests.importers.boxbilling_gen import (
    BCRYPT_PASSWORD,
    EMOJI_NAME,
    EXPECTED_QUARANTINE,
    MOJIBAKE,
    SALT,
    SHA1_PASSWORD,
    fill,
)

SCHEMAS = ["boxbilling-4.22.1.5.sql", "fossbilling-0.7.2.sql", "fossbilling-0.8.5.sql"]
API_ID, API_SECRET = "imp-api", "imp-api-secret-0123456"


def _run(app: Any, url: str, tz: str = "Europe/Berlin", **kw: Any) -> dict[str, Any]:
    state = app.extensions["bridge"]
    return run_import(Importer(key=SALT, timezone=tz), url, state.db.engine, state.secrets,
                      RunOptions(**kw))


@pytest.fixture(params=SCHEMAS)
def bb_source(request: Any, source_db: Any) -> Any:
    src = source_db(request.param, prefix="timp2_")
    fill(src.engine, request.param)
    src.schema = request.param
    return src


def _quarantined(db: Any) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for row in db.scalars(select(QuarantinedRow).where(QuarantinedRow.source == "boxbilling")):
        found.setdefault(row.source_table, set()).add(row.source_id)
    return found


def test_import_reconciles_and_quarantines(app: Any, db: Any, bb_source: Any) -> None:
    report = _run(app, bb_source.url)
    assert report["ok"], report
    lines = {line["entity"]: line for line in report["entities"]}
    for entity, ids in EXPECTED_QUARANTINE.items():
        assert lines[entity]["quarantined"] == len(ids), (entity, lines[entity])
    by_table = _quarantined(db)
    assert by_table["client"] == EXPECTED_QUARANTINE["clients"]
    assert by_table["transaction"] == EXPECTED_QUARANTINE["transactions"]
    money = {(m["label"], m["currency"]): m for m in report["money"]}
    assert money[("invoices paid", "USD")]["target"] == "21.9500"
    assert money[("invoices paid", "USD")]["quarantined"] == "8.0000"
    assert money[("invoices unpaid", "EUR")]["target"] == "119.4900"
    assert money[("payments", "USD")]["target"] == "21.9500"
    assert money[("credit ledger", "USD")]["target"] == "40.0000"
    assert all(m["ok"] for m in report["money"])
    assert report["version"].startswith("BoxBilling" if "boxbilling" in bb_source.schema
                                        else "FOSSBilling")


def test_values_survive(app: Any, db: Any, bb_source: Any) -> None:
    _run(app, bb_source.url)
    secrets = app.extensions["bridge"].secrets
    zoe = db.get(Client, 2)
    assert (zoe.first_name, zoe.last_name, zoe.country, zoe.currency, zoe.status) == (
        EMOJI_NAME, MOJIBAKE, "DE", "EUR", "inactive")
    # 2024-07-01 00:30 in Berlin (CEST, UTC+2) is 2024-06-30 22:30 UTC
    assert zoe.created_at.replace(tzinfo=None).isoformat() == "2024-06-30T22:30:00"
    assert db.get(Client, 4).group_id is None
    service = db.get(Service, 1)
    assert (service.domain, service.username, service.billing_cycle) == ("ann.com", "annuser", "1M")
    assert secrets.decrypt(service.password_enc) == "host-pass"
    assert service.module_data["meta"] == {"cancel_at_period_end": "1"}
    assert secrets.decrypt(db.get(Server, 1).password_enc) == "srv-pass"
    assert db.get(ServiceAddon, 2).service_id == 1
    # product 1's addons JSON lists addon product 3: the link table keyed by its two columns
    assert set(db.execute(select(addon_products.c.addon_id, addon_products.c.product_id))) == {
        (3, 1)}
    assert db.get(Domain, 3).name == "zoe.de"
    invoice = db.get(Invoice, 2)
    assert (invoice.subtotal, invoice.tax1, invoice.total) == (
        Decimal("99.99"), Decimal("19.50"), Decimal("119.49"))
    assert invoice.due_date == invoice.date  # zero due date falls back to the invoice date
    assert db.get(Invoice, 3).status == "draft"
    assert (db.get(Invoice, 1).number, db.get(Invoice, 1).payment_method) == (
        "BB00001", "paypalemail")
    assert sum(e.amount for e in db.scalars(select(CreditEntry))) == Decimal("40.00")
    assert db.get(Client, 1).credit_balance == Decimal("40.00")  # the ledger's cached sum
    ticket = db.get(Ticket, 1)
    assert [m.body for m in ticket.messages] == ["It broke 😭", "Fixed."]
    assert db.scalar(select(TicketAttachment.filename)) == "log.txt"
    guest = db.scalar(select(Ticket).where(Ticket.number == "P1"))
    has_guest_table = "fossbilling-0.8.5" not in bb_source.schema
    assert (guest is not None) == has_guest_table
    de = db.scalar(select(Tld).where(Tld.extension == ".de"))
    tld_prices = {p.owner_type: (p.amount, p.enabled) for p in db.scalars(
        select(Price).where(Price.owner_id == de.id, Price.owner_type.like("tld_%")))}
    assert tld_prices == {"tld_register": (Decimal("9.99"), True),
                          "tld_transfer": (Decimal("5.00"), False),
                          "tld_renew": (Decimal("11.50"), True)}
    assert db.scalar(select(ActivityLog.ip_address).where(
        ActivityLog.action == "boxbilling.login")) == "10.1.1.9"
    # the legacy hash is kept as it is until the first login
    assert db.get(User, 2).password_hash == hashlib.sha1(SHA1_PASSWORD.encode()).hexdigest()


def test_apis_and_legacy_login(app: Any, db: Any, bb_source: Any) -> None:
    _run(app, bb_source.url)
    state = app.extensions["bridge"]
    with state.transaction(Actor(source="test")) as session:
        add_api_credential(session, API_ID, API_SECRET)
    web = app.test_client()

    def whmcs(action: str, **params: Any) -> Any:
        form = {"action": action, "responsetype": "json", "identifier": API_ID,
                "secret": API_SECRET, **{k: str(v) for k, v in params.items()}}
        return web.post("/includes/api.php", data=form).get_json()

    details = whmcs("GetClientsDetails", clientid=2)
    assert details["result"] == "success", details
    assert details["client"]["email"] == "two@example.com"
    assert details["client"]["firstname"] == EMOJI_NAME
    for email, password in (("two@example.com", SHA1_PASSWORD),
                            ("one@example.com", BCRYPT_PASSWORD)):
        login = whmcs("ValidateLogin", email=email, password2=password)
        assert login["result"] == "success", (email, login)
    assert whmcs("ValidateLogin", email="two@example.com", password2="wrong")["result"] == "error"
    blesta = web.get("/api/clients/get.json", query_string={"client_id": 2},
                     headers={"BLESTA-API-USER": API_ID, "BLESTA-API-KEY": API_SECRET})
    assert blesta.status_code == 200, blesta.get_data(as_text=True)
    client = blesta.get_json()["response"]
    assert str(client["id"]) == "2" and client["email"] == "two@example.com", client
    db.expire_all()
    assert db.get(User, 2).password_hash.startswith("$argon2")  # rehashed at login
    db.rollback()


def test_second_run_changes_nothing(app: Any, db: Any, bb_source: Any) -> None:
    first = _run(app, bb_source.url)
    second = _run(app, bb_source.url)
    assert second["ok"], second
    for a, b in zip(first["entities"], second["entities"], strict=True):
        # secrets are compared decrypted, so rows holding them are unchanged too
        assert b["inserted"] == 0 and b["updated"] == 0, b
        assert b["unchanged"] == a["inserted"] + a["updated"], (a, b)
        assert b["quarantined"] == a["quarantined"]
    assert first["money"] == second["money"]
    secrets = app.extensions["bridge"].secrets
    assert secrets.decrypt(db.get(Service, 1).password_enc) == "host-pass"
    assert db.scalar(select(func.count()).select_from(QuarantinedRow)) == sum(
        len(ids) for ids in EXPECTED_QUARANTINE.values())


def test_unknown_release_is_refused(app: Any, bb_source: Any) -> None:
    bb_source.execute("UPDATE setting SET value = '106' WHERE param = 'last_patch'")
    with pytest.raises(UnsupportedSource, match="last_patch 106"):
        _run(app, bb_source.url)


def test_cli_with_config_file_then_delta(app: Any, db: Any, source_db: Any,
                                         tmp_path: Any) -> None:
    src = source_db("fossbilling-0.8.5.sql", prefix="timp2_")
    fill(src.engine, "fossbilling-0.8.5.sql")
    url = make_url(src.url)
    config = tmp_path / "config.php"
    config.write_text(
        "<?php\nreturn [\n  'info' => ['salt' => '" + SALT + "'],\n"
        "  'i18n' => ['timezone' => 'Europe/Berlin'],\n"
        f"  'db' => ['type' => 'mysql', 'host' => '{url.host}', 'port' => '{url.port}',\n"
        f"           'name' => '{url.database}', 'user' => '{url.username}',\n"
        f"           'password' => '{url.password}'],\n];\n")
    runner = app.test_cli_runner()
    first = runner.invoke(main, ["import", "boxbilling", "--config-file", str(config)])
    assert first.exit_code == 0, first.output
    assert "FOSSBilling 0.8.5" in first.output
    # the cutover window: the source changes, a second run copies only what changed
    src.execute("UPDATE client SET first_name = 'Ann-Marie' WHERE id = 1")
    src.execute("INSERT INTO client_balance (id, client_id, type, amount, created_at) "
                "VALUES (4, 1, 'gift', '2.50', '2024-04-01 09:00:00')")
    state = app.extensions["bridge"]
    delta = run_import(Importer(key=SALT, timezone="Europe/Berlin"), src.url,
                       state.db.engine, state.secrets, RunOptions(only=["clients", "credit"]))
    lines = {line["entity"]: line for line in delta["entities"]}
    assert (lines["clients"]["updated"], lines["clients"]["inserted"]) == (1, 0)
    assert (lines["credit"]["inserted"], lines["credit"]["unchanged"]) == (1, 2)
    assert delta["ok"], delta
    db.expire_all()
    assert db.get(Client, 1).first_name == "Ann-Marie"
    db.rollback()


CORE_TABLES = ("clients", "users", "orders", "services", "domains", "service_addons",
               "invoices", "invoice_items", "transactions", "credit_entries", "tickets",
               "ticket_messages", "quarantine", "id_map", "prices", "custom_field_values")


def _snapshot(engine: Any) -> dict[str, Any]:
    with engine.connect() as conn:
        counts = {t: conn.scalar(text(f"SELECT COUNT(*) FROM {t}")) for t in CORE_TABLES}
        counts["money"] = conn.execute(text(
            "SELECT currency, status, SUM(total) FROM invoices GROUP BY currency, status "
            "ORDER BY currency, status")).all()
    return counts


def test_crash_then_resume_equals_a_clean_import(app: Any, source_db: Any, tmp_path: Any,
                                                 schema_template: Any, monkeypatch: Any) -> None:
    src = source_db("boxbilling-4.22.1.5.sql", prefix="timp2_")
    fill(src.engine, "boxbilling-4.22.1.5.sql")
    state = app.extensions["bridge"]
    real = mapping_billing.map_invoice

    def crash_on_third(row: Any, ctx: Any) -> Any:
        if int(row["id"]) == 3:
            raise RuntimeError("simulated crash (kill -9)")
        return real(row, ctx)

    monkeypatch.setattr(mapping_billing, "map_invoice", crash_on_third)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_import(Importer(key=SALT, timezone="Europe/Berlin"), src.url, state.db.engine,
                   state.secrets, RunOptions(batch_size=2))
    monkeypatch.setattr(mapping_billing, "map_invoice", real)
    resumed = run_import(Importer(key=SALT, timezone="Europe/Berlin"), src.url,
                         state.db.engine, state.secrets, RunOptions(batch_size=2, resume=True))
    assert resumed["ok"], resumed
    # a clean import of the same source into a second, empty hostbridge
    clean_db = tmp_path / "clean.db"
    shutil.copyfile(schema_template, clean_db)
    clean_app = create_app({"instance_path": str(tmp_path / "clean"), "testing": True,
                            "database_url": f"sqlite:///{clean_db}", "secret_key": "k" * 20})
    clean_state = clean_app.extensions["bridge"]
    clean = run_import(Importer(key=SALT, timezone="Europe/Berlin"), src.url,
                       clean_state.db.engine, clean_state.secrets, RunOptions(batch_size=2))
    assert _snapshot(state.db.engine) == _snapshot(clean_state.db.engine)
    assert resumed["money"] == clean["money"]
    clean_state.db.dispose()
