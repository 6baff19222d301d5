"""UpgradeProduct (Service group): price, or place, a package or configurable-option change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bridge.errors import Conflict
from bridge.models import Currency, Product, Service
from bridge.services.order_upgrades import apply_upgrade, open_upgrade_invoice, quote_upgrade

from ..format import CYCLE_OUT, money
from ..registry import ApiError, ApiRequest, action
from .item_helpers import (
    check_payment_method,
    config_choices,
    cycle_code,
    number,
    record,
    serialized,
)

UNPAID = ("Unable to accept upgrade order. Previous upgrade invoice for service is still "
          "unpaid.")


@action("UpgradeProduct", status="partial",
        notes="the change is applied when the upgrade is placed, not when its invoice is "
              "paid; promocode is ignored; a downgrade's negative price is not credited; "
              "no upgrade record id is returned")
def upgrade_product(req: ApiRequest) -> dict[str, Any]:
    """Calculate (``calconly``) or place an upgrade of a service's product or options."""
    raw = req.text("serviceid")
    service = record(req, Service, raw)
    if service is None:
        raise ApiError("Service ID Not Found")
    kind = req.text("type").lower()
    if kind not in ("product", "configoptions"):
        raise ApiError("Invalid Upgrade Type")
    calc_only = req.flag("calconly")
    payment_method = req.text("paymentmethod")
    if not calc_only:
        check_payment_method(req, payment_method)
    new_product_id = number(req, "newproductid") if kind == "product" else None
    if kind == "product" and new_product_id is None:
        raise ApiError("newproductid is required for a product upgrade")
    cycle = req.text("newproductbillingcycle")
    options = config_choices(serialized(req.params.get("configoptions"), "configoptions")) \
        if kind == "configoptions" else {}
    try:
        quote = quote_upgrade(req.session, service.id, new_product_id=new_product_id,
                              new_cycle=cycle_code(cycle) if cycle else None, options=options)
    except Conflict as exc:
        raise ApiError(exc.message) from exc
    old = req.session.get(Product, quote.old_product_id)
    new = req.session.get(Product, quote.new_product_id)
    currency = req.session.scalar(select(Currency).where(Currency.code == quote.currency))
    body: dict[str, Any] = {
        "oldproductid": str(quote.old_product_id), "oldproductname": old.name if old else "",
        "newproductid": quote.new_product_id, "newproductname": new.name if new else "",
        "daysuntilrenewal": quote.days_until_renewal, "totaldays": quote.total_days,
        "newproductbillingcycle": CYCLE_OUT.get(quote.new_cycle, quote.new_cycle)
        .lower().replace("-", "").replace(" ", ""),
        "price": (f"{currency.prefix if currency else ''}{money(quote.price)}"
                  f"{currency.suffix if currency else ''}"),
    }
    if calc_only:
        body["upgradeinprogress"] = open_upgrade_invoice(req.session, service.id) is not None
        return body
    if open_upgrade_invoice(req.session, service.id) is not None:
        raise ApiError(UNPAID)
    try:
        result = apply_upgrade(req.session, quote, payment_method=payment_method)
    except Conflict as exc:
        raise ApiError(exc.message) from exc
    body.update({"orderid": result.order.id, "order_number": result.order.number,
                 "invoiceid": result.invoice.id if result.invoice else None})
    return body
