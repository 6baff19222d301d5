"""Product groups, products, stock, addons and configurable options."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bridge.context import pending_events
from bridge.errors import Conflict, NotFound, ValidationFailed
from bridge.models import ServerGroup
from bridge.services import catalog, pricing


@pytest.fixture
def group(db, factories):
    factories.currency("USD")
    factories.currency("EUR", "0.9")
    return catalog.add_product_group(db, {"name": "Shared Hosting!"})


def test_product_group_slug_and_update(db, group):
    assert group.slug == "shared-hosting"
    catalog.update_product_group(db, group.id, {"hidden": True, "headline": "Fast"})
    assert group.hidden and group.headline == "Fast"
    event = [p for n, p in pending_events(db) if n == "product_group_updated"][-1]
    assert event["product_group_id"] == group.id
    assert sorted(event["changed"]) == ["headline", "hidden"]


def test_add_product_with_prices_in_two_currencies(db, group):
    servers = ServerGroup(name="cPanel")
    db.add(servers)
    db.flush()
    product = catalog.add_product(db, {
        "name": "Starter", "group_id": group.id, "type": "hosting", "module": "cpanel",
        "module_config": {"package": "starter"}, "server_group_id": servers.id,
        "prices": {"USD": {"1M": {"amount": "5.00", "setup_fee": "1.00"}},
                   "EUR": {"1M": {"amount": "4.50"}, "1Y": {"amount": "45"}}},
    })
    assert product.slug == "starter" and product.module_config == {"package": "starter"}
    assert pricing.price_for(db, "product", product.id, "USD", "1M") == (
        Decimal("5.00"), Decimal("1.00"))
    assert pricing.offered_cycles(db, "product", product.id, "EUR") == ["1M", "1Y"]
    assert catalog.get_product(db, product.id) is product
    assert ("product_added", {"product_id": product.id}) in pending_events(db)


@pytest.mark.parametrize(("data", "field"), [
    ({"name": "X", "group_id": 999}, "group_id"),
    ({"name": "X", "type": "spaceship"}, "type"),
    ({"name": "X", "pay_type": "sometimes"}, "pay_type"),
    ({"name": "X", "server_group_id": 999}, "server_group_id"),
    ({"name": "X", "stock_quantity": -1}, "stock_quantity"),
    ({"name": "X", "prices": {"USD": {"1M": {"amount": "-3"}}}}, "prices.USD.1M.amount"),
    ({"name": "", "group_id": None}, "name"),
])
def test_add_product_validation(db, group, data, field):
    with pytest.raises(ValidationFailed) as info:
        catalog.add_product(db, data)
    assert field in info.value.errors


def test_update_product_is_partial_and_upserts_prices(db, group):
    product = catalog.add_product(db, {"name": "Plan", "group_id": group.id,
                                       "prices": {"USD": {"1M": {"amount": "5"}}}})
    catalog.update_product(db, product.id, {"description": "New",
                                            "prices": {"USD": {"1M": {"amount": "6"}}}})
    assert product.name == "Plan" and product.description == "New"
    assert pricing.price_for(db, "product", product.id, "USD", "1M")[0] == Decimal(6)
    event = [p for n, p in pending_events(db) if n == "product_updated"][-1]
    assert event["changed"] == ["description", "prices"]
    with pytest.raises(NotFound):
        catalog.update_product(db, 9999, {"name": "x"})


def test_reserve_stock(db, group):
    product = catalog.add_product(db, {"name": "VPS", "stock_control": True,
                                       "stock_quantity": 2})
    catalog.reserve_stock(db, product.id)
    assert product.stock_quantity == 1
    with pytest.raises(Conflict, match="out of stock"):
        catalog.reserve_stock(db, product.id, 2)
    assert product.stock_quantity == 1
    catalog.reserve_stock(db, product.id, 1)
    assert product.stock_quantity == 0
    with pytest.raises(ValidationFailed):
        catalog.reserve_stock(db, product.id, 0)


def test_reserve_stock_without_stock_control_changes_nothing(db, group):
    product = catalog.add_product(db, {"name": "Web", "stock_quantity": 0})
    catalog.reserve_stock(db, product.id, 5)
    assert product.stock_quantity == 0


def test_add_addon_links_products_and_prices(db, group):
    product = catalog.add_product(db, {"name": "Plan"})
    addon = catalog.add_addon(db, {"name": "Backups", "product_ids": [product.id],
                                   "prices": {"USD": {"1M": {"amount": "2"}}}})
    assert [p.id for p in addon.products] == [product.id]
    assert pricing.price_for(db, "addon", addon.id, "USD", "1M")[0] == Decimal(2)
    with pytest.raises(ValidationFailed) as info:
        catalog.add_addon(db, {"name": "Broken", "product_ids": [424242]})
    assert "product_ids" in info.value.errors


def test_config_options_priced_per_value_and_listed_per_product(db, group):
    with_options = catalog.add_product(db, {"name": "VPS"})
    without = catalog.add_product(db, {"name": "Web"})
    option_group = catalog.add_config_option_group(db, {"name": "VPS options",
                                                        "product_ids": [with_options.id]})
    ram = catalog.add_config_option(db, option_group.id, {
        "name": "RAM", "option_type": "select",
        "values": [
            {"name": "1 GB", "value": "1024", "prices": {"USD": {"1M": {"amount": "0"}}}},
            {"name": "2 GB", "value": "2048", "prices": {"USD": {"1M": {"amount": "5"}}}},
        ]})
    ips = catalog.add_config_option(db, option_group.id, {
        "name": "Extra IPs", "option_type": "quantity", "qty_min": 0, "qty_max": 8,
        "sort_order": 1, "values": [{"name": "IP", "prices": {"USD": {"1M": {"amount": "2"}}}}]})
    assert [v.name for v in ram.values] == ["1 GB", "2 GB"]
    assert [v.sort_order for v in ram.values] == [0, 1]
    two_gb = ram.values[1]
    assert pricing.price_for(db, "config_option_value", two_gb.id, "USD", "1M")[0] == Decimal(5)
    assert [o.id for o in catalog.config_options_for_product(db, with_options.id)] == [
        ram.id, ips.id]
    assert catalog.config_options_for_product(db, without.id) == []


def test_config_option_validation(db, group):
    option_group = catalog.add_config_option_group(db, {"name": "Opts"})
    with pytest.raises(ValidationFailed) as no_values:
        catalog.add_config_option(db, option_group.id, {"name": "OS", "option_type": "select"})
    assert "values" in no_values.value.errors
    with pytest.raises(ValidationFailed) as bad_range:
        catalog.add_config_option(db, option_group.id, {"name": "Disks", "option_type":
                                                        "quantity", "qty_min": 5, "qty_max": 2})
    assert "qty_max" in bad_range.value.errors
    with pytest.raises(NotFound):
        catalog.add_config_option(db, 999, {"name": "x", "option_type": "text"})
