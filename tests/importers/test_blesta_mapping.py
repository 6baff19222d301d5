"""Pure parts of the Blesta importer: config file, version check, systemEncrypt compatibility,
and row mappings (no database)."""

from __future__ import annotations

import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bridge.security.passwords import verify_password
from importers.base import MapContext, MappingError
from importers.blesta import mapping as m
from importers.blesta import mapping_billing as b
from importers.blesta.source import (
    SourceError,
    blesta_password_hash,
    check_version,
    read_config_file,
    system_decrypt,
    system_encrypt,
)

KEY = "0123456789abcdefSYSTEMKEY"


def ctx() -> MapContext:
    c = MapContext(tz=ZoneInfo("UTC"), key=KEY, encrypt=lambda s: f"sealed({s})")
    c.lookups.update(default_currency="USD", currencies={"USD", "EUR"},
                     client_field_ids={1: False, 2: True}, shared_logins={})
    return c


def test_config_file(tmp_path) -> None:
    path = tmp_path / "blesta.php"
    path.write_text('<?php\n// Blesta config\nConfigure::set("Blesta.database_info", array(\n'
                    '  "driver" => "mysql", "host" => "db", "port" => "3306",\n'
                    '  "database" => "blesta", "user" => "bl", "pass" => "s3cr#t",\n'
                    '  "persistent" => false));\n'
                    'Configure::set("Blesta.system_key", "KEY123");\n'
                    'Configure::set("Blesta.hash_work", 12);\n')
    config = read_config_file(path)
    assert config.system_key == "KEY123"
    assert config.database_url == "mysql+pymysql://bl:s3cr%23t@db:3306/blesta?charset=utf8mb4"
    (tmp_path / "nokey.php").write_text('<?php Configure::set("Blesta.hash_work", 12);')
    with pytest.raises(SourceError, match="system_key"):
        read_config_file(tmp_path / "nokey.php")


@pytest.mark.parametrize("version", ["4.12.3", "3.6.1", "", None, "6.0.0"])
def test_versions_other_than_5_are_refused(version: str | None) -> None:
    with pytest.raises(SourceError, match="supported"):
        check_version(version)
    assert check_version("5.8.1") == "5.8.1"


def test_system_encrypt_round_trip_and_wrong_key() -> None:
    token = system_encrypt("pässwörd", KEY)
    assert system_decrypt(token, KEY) == "pässwörd"
    # the IV is derived from the key: same plaintext, same ciphertext (as in Blesta)
    assert system_encrypt("pässwörd", KEY) == token
    with pytest.raises(MappingError):
        system_decrypt(token, "another-key-entirely")
    with pytest.raises(MappingError, match="--key"):
        system_decrypt(token, "")


def test_password_hash_verifies_with_the_key_only() -> None:
    stored = "blesta$" + blesta_password_hash("pw-1", KEY)
    assert verify_password("pw-1", stored, blesta_key=KEY).ok
    assert not verify_password("pw-1", stored, blesta_key="other").ok
    assert not verify_password("pw-2", stored, blesta_key=KEY).ok


@pytest.mark.parametrize(("term", "period", "code"), [
    (1, "month", "1M"), (3, "month", "3M"), (2, "year", "2Y"), (1, "week", "1W"),
    (10, "day", "10D"), (0, "onetime", "onetime")])
def test_cycles(term: int, period: str, code: str) -> None:
    assert m.cycle(term, period) == code


def test_bad_cycles() -> None:
    with pytest.raises(MappingError):
        m.cycle(1, "fortnight")
    with pytest.raises(MappingError):
        m.cycle(0, "month")


def test_packed_fields_decrypt_and_unserialize() -> None:
    packed = json.dumps({"00:cpanel_domain": "a.example",
                         "10:cpanel_password": system_encrypt("pw", KEY),
                         "01:ns": 'a:1:{i:0;s:3:"ns1";}'})
    assert m.packed_fields(packed, ctx()) == {"cpanel_domain": "a.example",
                                              "cpanel_password": "pw", "ns": ["ns1"]}


def test_client_needs_primary_contact_and_known_currency() -> None:
    row = {"id": 5, "status": "active", "client_group_id": 1, "company_id": 1, "pc_id": 9,
           "pc_email": "a@b.c", "u_id": 3, "u_password": "$2y$10$x", "id_format": "C{num}",
           "id_value": 77, "values_json": json.dumps({"10:2": system_encrypt("v", KEY)})}
    out = m.map_client(row, ctx())
    client, user = out[0].row, out[1].row
    assert (client["id_code"], client["currency"], user["password_hash"]) == (
        "C77", "USD", "blesta$$2y$10$x")
    assert out[-1].row["value"] == "sealed(v)"  # field 2 is an encrypted custom field
    with pytest.raises(MappingError, match="primary contact"):
        m.map_client({**row, "pc_id": None}, ctx())
    with pytest.raises(MappingError, match="GBP"):
        m.map_client({**row, "client_currency": "GBP"}, ctx())


@pytest.mark.parametrize(("status", "total", "paid", "closed", "core"), [
    ("active", "10", "10", "2024-01-01", "paid"), ("active", "10", "4", None, "unpaid"),
    ("active", "0", "0", "2024-01-01", "paid"), ("active", "0", "0", None, "unpaid"),
    ("void", "10", "0", None, "cancelled"), ("proforma", "10", "0", None, "draft")])
def test_invoice_status(status: str, total: str, paid: str, closed: str | None,
                        core: str) -> None:
    assert b.invoice_status({"status": status, "total": total, "paid": paid,
                             "date_closed": closed}) == core


def test_refunded_payment_and_unapplied_credit() -> None:
    row = {"id": 4, "client_id": 1, "amount": Decimal("20.0000"), "currency": "EUR",
           "status": "refunded", "transaction_id": "t-4", "applied_total": Decimal("0")}
    emits = b.map_transaction(row, ctx())
    assert [(e.table, e.row.get("kind")) for e in emits] == [
        ("transactions", "payment"), ("transactions", "refund")]
    assert emits[1].row["id"] == b.REFUND_ID_OFFSET + 4
    approved = b.map_transaction({**row, "status": "approved",
                                  "applied_total": Decimal("15")}, ctx())
    assert approved[-1].table == "credit_entries"
    assert approved[-1].row["amount"] == Decimal("5.0000")
    declined = b.map_transaction({**row, "status": "declined"}, ctx())
    assert len(declined) == 1 and declined[0].row["gateway_txn_id"] is None


def test_service_secrets_are_sealed_and_hidden_from_module_data() -> None:
    row = {"id": 1, "client_id": 1, "package_id": 2, "status": "in_review", "qty": 3,
           "pr_term": 1, "pr_period": "month", "pr_price": Decimal("2.50"),
           "pr_currency": "EUR", "fields_json": json.dumps({
               "00:plesk_domain": "d.example", "10:plesk_password": system_encrypt("x", KEY)})}
    service = b.map_service(row, ctx())
    assert (service["status"], service["recurring_amount"], service["currency"]) == (
        "pending", Decimal("7.50"), "EUR")
    assert service["password_enc"] == "sealed(x)"
    assert "plesk_password" not in service["module_data"]["fields"]


def test_service_with_an_unreadable_secret_is_flagged_not_lost() -> None:
    row = {"id": 1, "client_id": 1, "package_id": 2, "status": "active", "pr_term": 1,
           "pr_period": "month", "pr_price": Decimal("1"), "pr_currency": "USD",
           "fields_json": json.dumps({"10:cpanel_password": system_encrypt("x", "other-key"),
                                      "00:cpanel_username": "u"})}
    service = b.map_service(row, ctx())
    assert service["username"] == "u" and service["password_enc"] == "sealed()"
    assert service["module_data"]["fields"][m.UNREADABLE] == ["cpanel_password"]
    with pytest.raises(MappingError):
        m.packed_fields(row["fields_json"], ctx())
