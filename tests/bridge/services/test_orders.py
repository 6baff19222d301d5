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
