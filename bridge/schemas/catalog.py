"""Input schemas of the catalogue use-cases: product groups, products, addons, configurable
options and promotions.

Prices are ``{currency: {cycle: {"amount", "setup_fee", "enabled"}}}``; their amounts and
cycles are checked by ``bridge.services.pricing.set_prices``, not here.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from bridge.models.enums import PayType, ProductType, PromotionType

AUTO_SETUP = ("", "order", "payment", "manual")
OPTION_TYPES = ("select", "radio", "yesno", "quantity", "text")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _prices() -> fields.Dict:
    return fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(),
                                                                values=fields.Dict()))


class ProductGroupSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    slug = fields.String(validate=validate.Length(max=255))
    headline = fields.String()
    tagline = fields.String()
    hidden = fields.Boolean()
    sort_order = fields.Integer()
    company_id = fields.Integer(allow_none=True)


class ProductSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    group_id = fields.Integer(allow_none=True)
    type = fields.String(validate=validate.OneOf([t.value for t in ProductType]))
    slug = fields.String(validate=validate.Length(max=255))
    description = fields.String()
    pay_type = fields.String(validate=validate.OneOf([p.value for p in PayType]))
    hidden = fields.Boolean()
    retired = fields.Boolean()
    taxable = fields.Boolean()
    requires_domain = fields.Boolean()
    auto_setup = fields.String(validate=validate.OneOf(AUTO_SETUP))
    module = fields.String(validate=validate.Length(max=64))
    module_config = fields.Dict(keys=fields.String())
    server_group_id = fields.Integer(allow_none=True)
    stock_control = fields.Boolean()
    stock_quantity = fields.Integer(validate=validate.Range(min=0))
    allow_quantity = fields.Integer(validate=validate.OneOf([0, 1, 3]))
    prorata_billing = fields.Boolean()
    prorata_day = fields.Integer(validate=validate.Range(min=0, max=31))
    prorata_charge_next_month_day = fields.Integer(validate=validate.Range(min=0, max=31))
    recurring_cycles_limit = fields.Integer(validate=validate.Range(min=0))
    auto_terminate_days = fields.Integer(validate=validate.Range(min=0))
    welcome_email = fields.String(validate=validate.Length(max=128))
    upgrade_product_ids = fields.List(fields.Integer())
    sort_order = fields.Integer()
    prices = _prices()


class AddonSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    description = fields.String()
    taxable = fields.Boolean()
    show_on_order = fields.Boolean()
    hidden = fields.Boolean()
    retired = fields.Boolean()
    auto_activate = fields.Boolean()
    suspend_parent = fields.Boolean()
    module = fields.String(validate=validate.Length(max=64))
    welcome_email = fields.String(validate=validate.Length(max=128))
    sort_order = fields.Integer()
    product_ids = fields.List(fields.Integer())
    prices = _prices()


class ConfigOptionGroupSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    description = fields.String()
    product_ids = fields.List(fields.Integer())


class ConfigOptionValueSchema(_Strict):
    # WHMCS writes "value|Display Name" in one field; facades split it into value + name
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    value = fields.String(validate=validate.Length(max=255))
    hidden = fields.Boolean()
    sort_order = fields.Integer()
    prices = _prices()


class ConfigOptionSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    label = fields.String(validate=validate.Length(max=255))
    option_type = fields.String(validate=validate.OneOf(OPTION_TYPES))
    qty_min = fields.Integer(validate=validate.Range(min=0))
    qty_max = fields.Integer(validate=validate.Range(min=0))
    hidden = fields.Boolean()
    sort_order = fields.Integer()
    values = fields.List(fields.Nested(ConfigOptionValueSchema))


class PromotionSchema(_Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    type = fields.String(validate=validate.OneOf([t.value for t in PromotionType]))
    value = fields.Decimal(places=4, validate=validate.Range(min=0))
    currency = fields.String(allow_none=True, validate=validate.Regexp(r"^([A-Za-z]{3})?$"))
    recurring = fields.Boolean()
    recur_for = fields.Integer(validate=validate.Range(min=0))
    cycles = fields.List(fields.String())
    product_ids = fields.List(fields.Integer())
    addon_ids = fields.List(fields.Integer())
    tlds = fields.List(fields.String())
    starts_at = fields.AwareDateTime(allow_none=True)
    expires_at = fields.AwareDateTime(allow_none=True)
    max_uses = fields.Integer(validate=validate.Range(min=0))
    apply_once = fields.Boolean()
    once_per_client = fields.Boolean()
    new_signups_only = fields.Boolean()
    existing_clients_only = fields.Boolean()
    active = fields.Boolean()
    notes = fields.String()
    company_id = fields.Integer(allow_none=True)
