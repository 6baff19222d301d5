"""Pure parts of the BoxBilling/FOSSBilling importer: config files, version detection,
decryption with the install salt, and row mappings (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from importers.base import Emit, MapContext, MappingError
from importers.boxbilling import mapping as m
from importers.boxbilling import mapping_billing as b
from importers.boxbilling.source import (
    SourceError,
    decrypt,
    detect_version,
    encrypt,
    read_config_file,
)
from importers.php import PhpFormatError, php_configure_calls, php_return_array, php_unserialize


def ctx() -> MapContext:
    c = MapContext(tz=ZoneInfo("America/New_York"), encrypt=lambda s: f"sealed({s})")
    c.lookups.update(default_currency="USD", currencies={"USD", "EUR"}, addon_parents={})
    return c


# ---------------------------------------------------------------- PHP data

def test_php_unserialize_counts_bytes_and_builds_lists() -> None:
    assert php_unserialize('a:2:{i:0;s:6:"héllo";i:1;a:1:{s:1:"k";b:1;}}') == [
        "héllo", {"k": True}]
    assert php_unserialize("a:1:{s:3:\"ns1\";N;}") == {"ns1": None}
    with pytest.raises(PhpFormatError, match="length"):
        php_unserialize('s:9:"short";')


def test_php_config_literals() -> None:
    source = r"""<?php // BoxBilling
    return array(
        'salt' => 'a\'b',  # comment
        "db" => [ 'host' => 'localhost', 'port' => 3306, 'ssl' => false ],
        'list' => array('x', 'y'),
    );"""
    assert php_return_array(source) == {"salt": "a'b", "db": {"host": "localhost",
                                        "port": 3306, "ssl": False}, "list": ["x", "y"]}
    blesta = 'Configure::set("Blesta.system_key", "K1"); Configure::set("X", SOME_CONST);'
    assert php_configure_calls(blesta) == {"Blesta.system_key": "K1"}
    with pytest.raises(PhpFormatError):
        php_return_array("<?php echo 1;")


def test_config_files_of_both_products(tmp_path) -> None:
    bb = tmp_path / "bb-config.php"
    bb.write_text("<?php return array('salt' => 's1', 'timezone' => 'Europe/Paris', 'db' => "
                  "array('type' => 'mysql', 'host' => 'db', 'name' => 'bb', 'user' => 'u', "
                  "'password' => 'p@ss'));")
    config = read_config_file(bb)
    assert (config.salt, config.timezone) == ("s1", "Europe/Paris")
    assert config.database_url == "mysql+pymysql://u:p%40ss@db/bb?charset=utf8mb4"
    fb = tmp_path / "config.php"
    fb.write_text("<?php return ['info' => ['salt' => 's2'], 'i18n' => ['timezone' => 'UTC'],"
                  " 'db' => ['host' => 'h', 'name' => 'fb', 'user' => 'u', 'password' => '',"
                  " 'port' => '3307']];")
    config = read_config_file(fb)
    assert (config.salt, config.database_url) == ("s2", "mysql+pymysql://u:@h:3307/fb?charset=utf8mb4")
    (tmp_path / "empty.php").write_text("<?php return [];")
    with pytest.raises(SourceError, match="salt"):
        read_config_file(tmp_path / "empty.php")


@pytest.mark.parametrize(("patch", "label"), [
    ("17", "BoxBilling 4.x (last_patch 17)"), ("33", "FOSSBilling 0.5 (last_patch 33)"),
    ("43", "FOSSBilling 0.7 (last_patch 43)"), ("91", "FOSSBilling 0.8.5 (last_patch 91)")])
def test_versions(patch: str, label: str) -> None:
    assert detect_version(patch).label == label


@pytest.mark.parametrize("patch", ["106", "27", "abc", None])
def test_unknown_versions_are_refused_naming_what_was_found(patch: str | None) -> None:
    with pytest.raises(SourceError) as err:
        detect_version(patch)
    assert "supported" in str(err.value)
    if patch:
        assert patch in str(err.value)


@pytest.mark.parametrize("v2", [False, True])
def test_decrypt_with_the_salt(v2: bool) -> None:
    token = encrypt('{"key":"sécret"}', "salt-1", v2=v2)
    assert token.startswith("v2:") == v2
    assert decrypt(token, "salt-1") == '{"key":"sécret"}'
    with pytest.raises(SourceError):
        decrypt(token, "another-salt")


# ---------------------------------------------------------------- mappings

def test_client_keeps_hash_and_extra_columns() -> None:
    row = {"id": 7, "email": "a@b.c", "pass": "a" * 40, "status": "canceled", "country": "fr",
           "currency": "", "phone_cc": "33", "phone": "1234", "custom_3": "x", "gender": "",
           "created_at": "2024-01-01 10:00:00"}
    out = m.map_client(row, ctx())
    tables = [e.table for e in out]
    assert tables == ["clients", "users", "user_clients", "custom_field_values"]
    client, user = out[0].row, out[1].row
    assert (client["status"], client["country"], client["currency"], client["phone"]) == (
        "closed", "FR", "USD", "+33.1234")
    assert client["created_at"] == dt.datetime(2024, 1, 1, 15, 0, tzinfo=dt.UTC)
    assert user["password_hash"] == "a" * 40
    assert out[3].resolve == {"field_id": (m.FIELD_KEY, "custom_3")}


@pytest.mark.parametrize(("change", "reason"), [
    ({"country": "Germany"}, "ISO"), ({"status": "deleted"}, "status"),
    ({"currency": "GBP"}, "GBP")])
def test_client_refusals(change: dict, reason: str) -> None:
    row = {"id": 1, "email": "x@y.z", "status": "active", "currency": "USD", **change}
    with pytest.raises(MappingError, match=reason):
        m.map_client(row, ctx())


def test_recurrent_prices_per_cycle() -> None:
    row = {"id": 3, "title": "P", "pay_type": "recurrent", "m_price": Decimal("9.99"),
           "m_enabled": 1, "a_price": Decimal("99.00"), "a_setup_price": Decimal("5.00"),
           "a_enabled": 1, "w_enabled": 0, "active": 1, "type": "hosting"}
    prices = {e.row["cycle"]: e.row for e in m.map_product(row, ctx()) if e.table == "prices"}
    assert set(prices) == {"1W", "1M", "3M", "6M", "1Y", "2Y", "3Y"}
    assert (prices["1Y"]["amount"], prices["1Y"]["setup_fee"]) == (Decimal("99.00"),
                                                                   Decimal("5.00"))
    assert prices["1W"]["enabled"] is False and prices["1M"]["enabled"] is True


def test_invoice_total_from_items_and_php_rounding() -> None:
    # 33.33 * 19.5% = 6.49935 per unit -> 6.50 (rounded per unit, then times quantity)
    row = {"id": 1, "client_id": 1, "currency": "EUR", "status": "unpaid", "approved": 1,
           "taxrate": "19.5", "item_list": "33.33:3:1;10.00:1:0", "nr": "12", "serie": "BB",
           "created_at": "2024-02-01 01:00:00", "due_at": "0000-00-00 00:00:00"}
    invoice = b.map_invoice(row, ctx())
    assert (invoice["subtotal"], invoice["tax1"], invoice["total"]) == (
        Decimal("109.99"), Decimal("19.50"), Decimal("129.49"))
    assert invoice["number"] == "BB00012"
    assert invoice["due_date"] == dt.date(2024, 2, 1)  # zero due date -> the invoice's day
    assert b.map_invoice({**row, "approved": 0}, ctx())["status"] == "draft"


def test_php_round_is_half_away_from_zero() -> None:
    assert b.php_round(Decimal("0.125")) == Decimal("0.13")
    assert b.php_round(Decimal("-0.125")) == Decimal("-0.13")


def test_transaction_amounts() -> None:
    row = {"id": 4, "type": "refund", "status": "processed", "amount": " 5.10 ",
           "currency": "usd", "txn_id": "T1", "gateway_name": "PayPalEmail"}
    txn = b.map_transaction(row, ctx())
    assert (txn["kind"], txn["amount_out"], txn["status"], txn["gateway_txn_id"]) == (
        "refund", Decimal("5.10"), "completed", "T1")
    assert b.map_transaction({**row, "status": "received"}, ctx())["gateway_txn_id"] is None
    with pytest.raises(MappingError, match="plain decimal"):
        b.map_transaction({**row, "amount": "5,10"}, ctx())
    with pytest.raises(MappingError):
        b.map_transaction({**row, "amount": "five"}, ctx())


def test_hosting_order_becomes_order_and_service() -> None:
    row = {"id": 9, "client_id": 1, "product_id": 2, "currency": "USD", "period": "3M",
           "quantity": 2, "price": 10.1, "discount": 1.0, "status": "suspended",
           "reason": "abuse", "service_type": "hosting", "sh_id": 4, "sh_sld": "site",
           "sh_tld": ".org", "sh_username": "u", "sh_pass": "********", "sh_server_id": 3}
    out = b.map_order(row, ctx())
    assert [e.table for e in out] == ["orders", "services"]
    order, service = out[0].row, out[1].row
    assert order["amount"] == Decimal("19.20")
    assert (service["recurring_amount"], service["status"], service["domain"]) == (
        Decimal("20.20"), "suspended", "site.org")
    assert service["suspend_reason"] == "abuse"
    assert service["password_enc"] == "sealed()"  # masked source password is not kept
    assert service["module_data"]["password_masked_in_source"] is True
    with pytest.raises(MappingError, match="period"):
        b.map_order({**row, "period": "monthly"}, ctx())


def test_ticket_message_with_attachment() -> None:
    row = {"id": 5, "support_ticket_id": 2, "admin_id": 1, "content": "ok 👍",
           "attachment": "up/2024/a.png", "created_at": "2024-01-01 00:00:00"}
    out = b.map_ticket_message(row, ctx())
    assert isinstance(out[1], Emit) and out[1].row["filename"] == "a.png"
    assert out[0].row["author_type"] == "admin" and out[0].row["body"] == "ok 👍"
