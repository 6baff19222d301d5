"""Blesta coupons (core promotions) over the API door."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bridge.models import Promotion
from bridge.testing import ensure_currency


@pytest.fixture
def currencies(db):
    ensure_currency(db, "USD")
    ensure_currency(db, "EUR", "0.9")
    db.commit()


def _add(call, code="SAVE10", amounts=(("USD", "10", "percent"),), **extra):
    params = {"vars[code]": code, **extra}
    for i, (currency, amount, kind) in enumerate(amounts):
        params.update({f"vars[amounts][{i}][currency]": currency,
                       f"vars[amounts][{i}][amount]": amount,
                       f"vars[amounts][{i}][type]": kind})
    return call("POST", "coupons/add", **params)


def test_percent_coupon_add_then_get(call, currencies, factories, db):
    product = factories.product()
    db.commit()
    status, body = _add(call, "SAVE10", (("USD", "10", "percent"), ("EUR", "10", "percent")),
                        **{"vars[max_qty]": "5", "vars[start_date]": "2024-01-01 00:00:00",
                           "vars[end_date]": "2030-12-31", "vars[recurring]": "1",
                           "vars[packages][0]": str(product.id),
                           "vars[terms][0][term]": "1", "vars[terms][0][period]": "year"})
    assert status == 200 and isinstance(body["response"], str)
    coupon = call("GET", "coupons/get", coupon_id=body["response"])[1]["response"]
    assert coupon["code"] == "SAVE10" and coupon["status"] == "active"
    assert (coupon["max_qty"], coupon["used_qty"], coupon["recurring"]) == (5, 0, 1)
    assert coupon["start_date"] == "2024-01-01 00:00:00"
    assert coupon["end_date"] == "2030-12-31 00:00:00"
    assert sorted((a["currency"], a["amount"], a["type"]) for a in coupon["amounts"]) == [
        ("EUR", "10.0000", "percent"), ("USD", "10.0000", "percent")]
    assert [p["package_id"] for p in coupon["packages"]] == [product.id]
    assert [(t["term"], t["period"]) for t in coupon["terms"]] == [(1, "year")]


def test_fixed_amount_coupon_keeps_its_currency(call, currencies, db):
    status, body = _add(call, "FIVEOFF", (("EUR", "5.5", "amount"),))
    assert status == 200
    promo = db.get(Promotion, int(body["response"]))
    assert (promo.type, promo.value, promo.currency) == ("fixed", Decimal("5.5"), "EUR")
    db.commit()
    coupon = call("GET", "coupons/getByCode", code="fiveoff")[1]["response"]
    assert coupon["amounts"] == [{"coupon_id": promo.id, "currency": "EUR",
                                  "amount": "5.5000", "type": "amount"}]


def test_differing_amounts_are_refused(call, currencies):
    status, body = _add(call, "MIXED", (("USD", "5", "amount"), ("EUR", "4", "amount")))
    assert status == 400 and "single" in body["errors"]["amounts"]
    status, body = _add(call, "NONE", ())
    assert status == 400 and "amounts" in body["errors"]
    status, body = _add(call, "", (("USD", "5", "percent"),))
    assert status == 400 and "code" in body["errors"]


def test_duplicate_code_is_a_400(call, currencies):
    assert _add(call, "TWICE")[0] == 200
    status, body = _add(call, "twice")
    assert status == 400 and "already exists" in body["errors"]["_"]["conflict"]


def test_list_and_count(call, currencies):
    for n in range(21):
        _add(call, f"C{n:02}")
    assert call("GET", "coupons/getListCount", company_id=1)[1]["response"] == 21
    first = call("GET", "coupons/getList", company_id=1)[1]["response"]
    assert len(first) == 20 and first[0]["code"] == "C00"
    second = call("GET", "coupons/getList", company_id=1, page=2)[1]["response"]
    assert [c["code"] for c in second] == ["C20"]
    assert call("GET", "coupons/get", coupon_id=9999)[1]["response"] is False


def test_for_packages_and_usage_limit(call, currencies, factories, db):
    covered, other = factories.product(), factories.product()
    db.commit()
    coupon_id = _add(call, "ONCE", **{"vars[max_qty]": "1",
                                      "vars[packages][0]": str(covered.id)})[1]["response"]
    found = call("GET", "coupons/getForPackages", code="ONCE",
                 **{"packages[0]": str(covered.id)})[1]["response"]
    assert found["id"] == int(coupon_id)
    assert call("GET", "coupons/getForPackages", code="ONCE",
                **{"packages[0]": str(other.id)})[1]["response"] is False
    assert call("POST", "coupons/incrementUsage", coupon_id=coupon_id)[0] == 200
    assert call("GET", "coupons/get", coupon_id=coupon_id)[1]["response"]["used_qty"] == 1
    status, body = call("POST", "coupons/incrementUsage", coupon_id=coupon_id)
    assert status == 400 and "maximum" in body["errors"]["_"]["conflict"]
    assert call("GET", "coupons/getForPackages", coupon_id=coupon_id)[1]["response"] is False


def test_inactive_coupon_is_not_offered(call, currencies):
    coupon_id = _add(call, "OFF", **{"vars[status]": "inactive"})[1]["response"]
    assert call("GET", "coupons/get", coupon_id=coupon_id)[1]["response"]["status"] \
        == "inactive"
    assert call("GET", "coupons/getForPackages", code="OFF")[1]["response"] is False


def test_amount_types_and_unsupported_edit(call):
    assert call("GET", "coupons/getAmountTypes")[1]["response"] == {"amount": "Amount",
                                                                     "percent": "Percent"}
    status, body = call("POST", "coupons/edit", coupon_id=1, **{"vars[code]": "X"})
    assert status == 400 and "unsupported" in body["errors"]["method"]
