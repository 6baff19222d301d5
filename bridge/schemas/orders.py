"""Input schema of ``place_order`` (core field names only)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class OrderProductSchema(_Strict):
    product_id = fields.Integer(required=True)
    billing_cycle = fields.String(load_default="1M")
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))
    domain = fields.String(load_default="")
    # option id -> value id (select/radio/yesno) or quantity (quantity options)
    config_options = fields.Dict(keys=fields.Integer(), values=fields.Integer(), load_default=dict)
    addon_ids = fields.List(fields.Integer(), load_default=list)
    price_override = fields.Decimal(
        allow_none=True, load_default=None, places=4, validate=validate.Range(min=0)
    )
    server_id = fields.Integer(allow_none=True, load_default=None)


class OrderDomainSchema(_Strict):
    name = fields.String(required=True)
    kind = fields.String(load_default="register", validate=validate.OneOf(["register", "transfer"]))
    years = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10))
    epp_code = fields.String(allow_none=True, load_default=None)
    nameservers = fields.List(fields.String(), load_default=list)
    price_override = fields.Decimal(
        allow_none=True, load_default=None, places=4, validate=validate.Range(min=0)
    )
    renew_override = fields.Decimal(
        allow_none=True, load_default=None, places=4, validate=validate.Range(min=0)
    )
    id_protection = fields.Boolean(load_default=False)
    dns_management = fields.Boolean(load_default=False)
    email_forwarding = fields.Boolean(load_default=False)


class OrderAddonSchema(_Strict):
    """An addon ordered for a service the client already has."""

    addon_id = fields.Integer(required=True)
    service_id = fields.Integer(required=True)
    billing_cycle = fields.String(load_default="1M")


class PlaceOrderSchema(_Strict):
    products = fields.List(fields.Nested(OrderProductSchema), load_default=list)
    domains = fields.List(fields.Nested(OrderDomainSchema), load_default=list)
    addons = fields.List(fields.Nested(OrderAddonSchema), load_default=list)
    promo_code = fields.String(load_default="")
    payment_method = fields.String(load_default="")
    ip_address = fields.String(load_default="")
    notes = fields.String(load_default="")
    create_invoice = fields.Boolean(load_default=True)
