from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from bridge.context import pending_events
from bridge.errors import Conflict, ValidationFailed
from bridge.models import Domain, Invoice, Service, Tld
from bridge.services.orders import accept_order, cancel_order, mark_order_fraud, place_order
from bridge.services.pricing import set_prices
from bridge.services.promotions import add_promotion

TODAY = date(2026, 1, 31)


def _tld(db, extension=".com", register="12.00", renew="14.00"):
    tld = Tld(extension=extension)
    db.add(tld)
    db.flush()
    set_prices(db, "tld_register", tld.id, "USD", {"1Y": {"amount": register},
                                                 "2Y": {"amount": "24.00"}})
    set_prices(db, "tld_transfer", tld.id, "USD", {"1Y": {"amount": "9.00"},
                                                 "2Y": {"amount": "18.00"}})
    set_prices(db, "tld_renew", tld.id, "USD", {"1Y": {"amount": renew},
                                              "2Y": {"amount": "28.00"}})
    return tld


def test_order_creates_pending_service_and_invoice(db, factories):
    client = factories.client()
    product = factories.product(prices={"1M": "10.00", "1Y": "100.00"})
    result = place_order(db, client.id, {"products": [{"product_id": product.id,
                                                       "billing_cycle": "1M",
                                                       "domain": "Example.COM"}],
                                         "payment_method": "stripe"}, today=TODAY)
    assert ("order_placed", {"order_id": result.order.id, "client_id": client.id,
                             "invoice_id": result.invoice.id}) in pending_events(db)
    db.commit()
    assert pending_events(db) == []
    (service,) = result.services
    assert service.status == "pending"
    assert service.domain == "example.com"
    assert service.recurring_amount == Decimal("10.00")
    # first invoice covers Jan 31 .. Feb 28, so the next due date is the end of February
    assert service.next_due_date == date(2026, 2, 28)
    assert service.anchor_day == 31
    invoice = db.get(Invoice, result.invoice.id)
    assert invoice.total == Decimal("10.00")
    assert invoice.items[0].service_id == service.id
    assert invoice.items[0].period_end == date(2026, 2, 28)
    assert result.order.invoice_id == invoice.id


def test_setup_fee_and_quantity(db, factories):
    client = factories.client()
    product = factories.product(prices={})
    set_prices(db, "product", product.id, "USD", {"1M": {"amount": "5.00", "setup_fee": "2.50"}})
    result = place_order(db, client.id, {"products": [{"product_id": product.id, "quantity": 2}]},
                         today=TODAY)
    assert len(result.services) == 2
    assert result.invoice.total == Decimal("15.00")
    assert all(s.first_payment_amount == Decimal("7.50") for s in result.services)


def test_cycle_not_offered_is_rejected(db, factories):
    client = factories.client()
    product = factories.product(prices={"1M": "10.00"})
    with pytest.raises(ValidationFailed):
        place_order(db, client.id, {"products": [{"product_id": product.id,
                                                  "billing_cycle": "1Y"}]}, today=TODAY)


def test_unknown_product_and_empty_order(db, factories):
    client = factories.client()
    with pytest.raises(ValidationFailed):
        place_order(db, client.id, {"products": [{"product_id": 999}]}, today=TODAY)
    with pytest.raises(ValidationFailed):
        place_order(db, client.id, {}, today=TODAY)


def test_percent_promotion_recurring(db, factories):
    client = factories.client()
    product = factories.product(prices={"1M": "20.00"})
    add_promotion(db, {"code": "HALF", "type": "percent", "value": "50", "recurring": True})
    result = place_order(db, client.id, {"products": [{"product_id": product.id}],
                                         "promo_code": "half"}, today=TODAY)
    (service,) = result.services
    assert result.invoice.total == Decimal("10.00")
    assert service.recurring_amount == Decimal("10.00")
    assert service.promotion_id is not None
    assert any(item.type == "promo" and item.amount == Decimal("-10.00")
               for item in result.invoice.items)


def test_invalid_promotion_rejected(db, factories):
    client = factories.client()
    product = factories.product()
    with pytest.raises(ValidationFailed):
        place_order(db, client.id, {"products": [{"product_id": product.id}],
                                    "promo_code": "NOPE"}, today=TODAY)


def test_domain_registration_priced_from_tld(db, factories):
    client = factories.client()
    _tld(db)
    result = place_order(db, client.id, {"domains": [{"name": "shop.com", "years": 2}]},
                         today=TODAY)
    (domain,) = result.domains
    assert domain.status == "pending_registration"
    assert domain.first_payment_amount == Decimal("24.00")
    assert domain.recurring_amount == Decimal("28.00")
    assert result.invoice.items[0].type == "domain_register"
    assert result.invoice.items[0].domain_id == domain.id


def test_domain_with_unsold_tld(db, factories):
    client = factories.client()
    with pytest.raises(ValidationFailed, match="TLD"):
        place_order(db, client.id, {"domains": [{"name": "shop.xyz"}]}, today=TODAY)


def test_accept_order_activates_services(db, factories):
    client = factories.client()
    product = factories.product()
    result = place_order(db, client.id, {"products": [{"product_id": product.id}]}, today=TODAY)
    accept_order(db, result.order.id)
    assert result.order.status == "active"
    assert result.services[0].status == "active"
    with pytest.raises(Conflict):
        accept_order(db, result.order.id)


def test_cancel_order_cancels_services_domains_and_invoice(db, factories):
    client = factories.client()
    product = factories.product()
    _tld(db)
    result = place_order(db, client.id, {"products": [{"product_id": product.id}],
                                         "domains": [{"name": "a.com"}]}, today=TODAY)
    cancel_order(db, result.order.id)
    db.commit()
    assert db.get(Service, result.services[0].id).status == "cancelled"
    assert db.get(Domain, result.domains[0].id).status == "cancelled"
    assert db.get(Invoice, result.invoice.id).status == "cancelled"


def test_fraud_order(db, factories):
    client = factories.client()
    product = factories.product()
    result = place_order(db, client.id, {"products": [{"product_id": product.id}]}, today=TODAY)
    mark_order_fraud(db, result.order.id)
    assert result.order.status == "fraud"
    assert result.services[0].status == "fraud"
    statuses = set(db.scalars(select(Invoice.status)))
    assert statuses == {"cancelled"}


def test_closed_client_cannot_order(db, factories):
    client = factories.client(status="closed")
    product = factories.product()
    with pytest.raises(Conflict):
        place_order(db, client.id, {"products": [{"product_id": product.id}]}, today=TODAY)


def test_out_of_stock(db, factories):
    client = factories.client()
    product = factories.product(stock_control=True, stock_quantity=1)
    place_order(db, client.id, {"products": [{"product_id": product.id}]}, today=TODAY)
    with pytest.raises(Conflict):
        place_order(db, client.id, {"products": [{"product_id": product.id}]}, today=TODAY)


def _options(db, product):
    from bridge.services.catalog import add_config_option, add_config_option_group

    group = add_config_option_group(db, {"name": "VPS", "product_ids": [product.id]})
    ram = add_config_option(db, group.id, {"name": "RAM", "option_type": "select", "values": [
        {"name": "2 GB", "prices": {"USD": {"1M": {"amount": "0"}}}},
        {"name": "4 GB", "prices": {"USD": {"1M": {"amount": "5.00", "setup_fee": "1.00"}}}},
    ]})
    ips = add_config_option(db, group.id, {"name": "Extra IPs", "option_type": "quantity",
                                           "qty_min": 0, "qty_max": 8, "values": [
        {"name": "IP", "prices": {"USD": {"1M": {"amount": "2.00"}}}}]})
    return ram, ips


def test_config_options_are_priced_and_kept(db, factories):
    client = factories.client()
    product = factories.product(prices={"1M": "10.00"})
    ram, ips = _options(db, product)
    four_gb = ram.values[1]
    result = place_order(db, client.id, {"products": [{
        "product_id": product.id, "config_options": {ram.id: four_gb.id, ips.id: 3}}]},
        today=TODAY)
    (service,) = result.services
    # 10.00 + 5.00 (4 GB) + 3 x 2.00 (IPs) recurring; 1.00 setup for the RAM upgrade
    assert service.recurring_amount == Decimal("21.00")
    assert service.first_payment_amount == Decimal("22.00")
    assert result.invoice.total == Decimal("22.00")
    chosen = {(o.option_id, o.value_id, o.quantity) for o in service.config_options}
    assert chosen == {(ram.id, four_gb.id, 0), (ips.id, ips.values[0].id, 3)}


def test_config_option_validation(db, factories):
    client = factories.client()
    product = factories.product(prices={"1M": "10.00"})
    other = factories.product(prices={"1M": "10.00"})
    ram, ips = _options(db, product)
    with pytest.raises(ValidationFailed, match="quantity"):
        place_order(db, client.id, {"products": [{"product_id": product.id,
                                                  "config_options": {ips.id: 9}}]}, today=TODAY)
    with pytest.raises(ValidationFailed, match="unknown choice"):
        place_order(db, client.id, {"products": [{"product_id": product.id,
                                                  "config_options": {ram.id: 99999}}]},
                    today=TODAY)
    with pytest.raises(ValidationFailed, match="does not belong"):
        place_order(db, client.id, {"products": [{"product_id": other.id,
                                                  "config_options": {ram.id: ram.values[0].id}}]},
                    today=TODAY)


def test_addons_with_product_and_for_existing_service(db, factories):
    from bridge.services.catalog import add_addon

    client = factories.client()
    product = factories.product(prices={"1M": "10.00"})
    addon = add_addon(db, {"name": "Backups", "product_ids": [product.id],
                           "prices": {"USD": {"1M": {"amount": "2.00", "setup_fee": "1.00"}}}})
    result = place_order(db, client.id, {"products": [{"product_id": product.id,
                                                       "addon_ids": [addon.id]}]}, today=TODAY)
    (row,) = result.addons
    assert row.service_id == result.services[0].id
    assert row.recurring_amount == Decimal("2.00")
    assert result.invoice.total == Decimal("13.00")
    again = place_order(db, client.id, {"addons": [{"addon_id": addon.id,
                                                    "service_id": result.services[0].id}]},
                        today=TODAY)
    assert again.invoice.total == Decimal("3.00")
    stranger = factories.client()
    with pytest.raises(ValidationFailed, match="another client"):
        place_order(db, stranger.id, {"addons": [{"addon_id": addon.id,
                                                  "service_id": result.services[0].id}]},
                    today=TODAY)


def test_group_discount_and_price_override(db, factories):
    from bridge.services.clients import add_client_group

    group = add_client_group(db, {"name": "Resellers", "discount_percent": "10"})
    client = factories.client(group_id=group.id)
    product = factories.product(prices={"1M": "20.00"})
    result = place_order(db, client.id, {"products": [{"product_id": product.id}]}, today=TODAY)
    assert result.services[0].recurring_amount == Decimal("18.00")
    overridden = place_order(db, client.id, {"products": [{"product_id": product.id,
                                                           "price_override": "7.50"}]},
                             today=TODAY)
    # an explicit override is the final price
    assert overridden.services[0].recurring_amount == Decimal("7.50")


def test_paid_order_end_to_end_keeps_billing_invariants(db, factories):
    from bridge.services.payments import apply_payment

    client = factories.client()
    product = factories.product(prices={"1M": "10.00"})
    result = place_order(db, client.id, {"products": [{"product_id": product.id}]}, today=TODAY)
    apply_payment(db, result.invoice.id, Decimal("10.00"), gateway="stripe",
                  gateway_txn_id="ch_x")
    accept_order(db, result.order.id)
    db.commit()
    assert result.invoice.status == "paid"
    assert result.services[0].status == "active"
