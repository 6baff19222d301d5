"""Pricing and creating the items of one order (used by :mod:`bridge.services.orders`).

Each priced thing becomes rows (service, addon, domain) and invoice lines: the recurring
amount, the setup fee, and a negative promotion line, so the invoice shows what was discounted.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.cycles import parse_cycle
from bridge.errors import ValidationFailed
from bridge.models import (
    Addon,
    Client,
    ConfigOption,
    ConfigOptionValue,
    Domain,
    InvoiceItemType,
    Order,
    Product,
    Promotion,
    Service,
    ServiceAddon,
    ServiceConfigOption,
    Tld,
)
from bridge.money import ZERO, percent_of

from .common import get_or_404


class OrderBuilder:
    """Accumulates the rows and invoice lines of one order."""

    def __init__(self, session: Session, client: Client, order: Order, today: date) -> None:
        self.session = session
        self.client = client
        self.order = order
        self.today = today
        self.lines: list[dict[str, Any]] = []
        self.promotion: Promotion | None = None
        self.promotion_used = False

    # -- products -----------------------------------------------------------------------
    def add_product(
        self, index: int, item: dict[str, Any]
    ) -> tuple[list[Service], list[ServiceAddon]]:
        """Create ``quantity`` pending services of a product (plus their addons) and lines."""
        from .catalog import reserve_stock
        from .pricing import price_for

        product = self.session.get(Product, item["product_id"])
        if product is None or product.retired:
            raise ValidationFailed.single(
                f"products.{index}.product_id",
                "invalid",
                f"product {item['product_id']} is not on sale",
            )
        cycle = self._cycle(product, item["billing_cycle"], index)
        amount, setup = price_for(self.session, "product", product.id, self.client.currency, cycle)
        options, option_amount, option_setup = self._config_options(product, item, cycle, index)
        amount += option_amount
        setup += option_setup
        if item["price_override"] is not None:
            amount = item["price_override"]  # an explicit price is final: no group discount
        else:
            amount -= self._group_discount(amount)
        reserve_stock(self.session, product.id, item["quantity"])
        services, addons = [], []
        for _ in range(item["quantity"]):
            service = self._make_service(product, cycle, amount, setup, item, options)
            services.append(service)
            for addon_id in item["addon_ids"]:
                addons.append(self._make_addon(addon_id, service, cycle, index))
        return services, addons

    def _cycle(self, product: Product, cycle: str, index: int) -> str:
        if product.pay_type == "free":
            return "free"
        if product.pay_type == "onetime":
            return "onetime"
        try:
            return parse_cycle(cycle).code
        except ValueError as exc:
            raise ValidationFailed.single(
                f"products.{index}.billing_cycle", "invalid", str(exc)
            ) from exc

    def _config_options(
        self, product: Product, item: dict[str, Any], cycle: str, index: int
    ) -> tuple[list[ServiceConfigOption], Decimal, Decimal]:
        from .catalog import config_options_for_product
        from .pricing import price_for

        allowed = {opt.id: opt for opt in config_options_for_product(self.session, product.id)}
        chosen: list[ServiceConfigOption] = []
        amount, setup = ZERO, ZERO
        for option_id, choice in item["config_options"].items():
            option: ConfigOption | None = allowed.get(option_id)
            if option is None:
                raise ValidationFailed.single(
                    f"products.{index}.config_options",
                    "invalid",
                    f"option {option_id} does not belong to product {product.id}",
                )
            picked = _option_choice(option, choice, f"products.{index}.config_options")
            if picked is None:
                continue
            value, qty = picked
            if cycle != "free" and self._priced(value.id, cycle):
                unit, unit_setup = price_for(
                    self.session, "config_option_value", value.id, self.client.currency, cycle
                )
                amount += unit * qty
                setup += unit_setup * qty
            is_quantity = option.option_type == "quantity"
            chosen.append(
                ServiceConfigOption(
                    option_id=option.id, value_id=value.id, quantity=qty if is_quantity else 0
                )
            )
        return chosen, amount, setup

    def _priced(self, value_id: int, cycle: str) -> bool:
        from .pricing import get_price

        return (
            get_price(self.session, "config_option_value", value_id, self.client.currency, cycle)
            is not None
        )

    def _group_discount(self, amount: Decimal) -> Decimal:
        group = self.client.group
        if group is None or not group.discount_percent:
            return ZERO
        return percent_of(amount, group.discount_percent)

    def _promo(
        self, kind: str, target_id: int, cycle: str, amount: Decimal, setup: Decimal
    ) -> tuple[Decimal, Decimal]:
        promo = self.promotion
        if promo is None:
            return ZERO, ZERO
        if kind == "product":
            # a promotion without listed products covers every product
            if promo.product_ids and target_id not in promo.product_ids:
                return ZERO, ZERO
        elif target_id not in promo.addon_ids:  # addons are covered only when listed
            return ZERO, ZERO
        if promo.cycles and cycle not in promo.cycles:
            return ZERO, ZERO
        from .promotions import promotion_discount

        self.promotion_used = True
        return promotion_discount(promo, amount, setup, self.client.currency)

    def _make_service(
        self,
        product: Product,
        cycle: str,
        amount: Decimal,
        setup: Decimal,
        item: dict[str, Any],
        options: list[ServiceConfigOption],
    ) -> Service:
        discount, setup_discount = self._promo("product", product.id, cycle, amount, setup)
        promo = self.promotion if (discount or setup_discount) else None
        recurring = amount - discount if promo is not None and promo.recurring else amount
        period_end = _period_end(cycle, self.today)
        service = Service(
            client_id=self.client.id,
            order_id=self.order.id,
            product_id=product.id,
            server_id=item["server_id"],
            status="pending",
            billing_cycle=cycle,
            currency=self.client.currency,
            domain=item["domain"].strip().lower(),
            first_payment_amount=amount + setup - discount - setup_discount,
            recurring_amount=recurring if cycle not in ("free",) else ZERO,
            registration_date=self.today,
            next_due_date=period_end,
            next_invoice_date=period_end,
            anchor_day=self.today.day,
            payment_method=self.order.payment_method,
            promotion_id=promo.id if promo is not None else None,
            config_options=[
                ServiceConfigOption(option_id=o.option_id, value_id=o.value_id, quantity=o.quantity)
                for o in options
            ],
        )
        self.session.add(service)
        self.session.flush()
        label = f"{product.name}" + (f" - {service.domain}" if service.domain else "")
        self._bill(InvoiceItemType.SERVICE, label, f"Promotion {promo.code if promo else ''}",
                   (amount, setup, discount + setup_discount), product.taxable, cycle,
                   period_end, service_id=service.id)
        return service

    # -- addons -------------------------------------------------------------------------
    def _make_addon(self, addon_id: int, service: Service, cycle: str, index: int) -> ServiceAddon:
        from .pricing import price_for

        addon = self.session.get(Addon, addon_id)
        if addon is None or addon.retired:
            raise ValidationFailed.single(
                f"products.{index}.addon_ids", "invalid", f"addon {addon_id} is not on sale"
            )
        if addon.products and service.product_id not in {p.id for p in addon.products}:
            raise ValidationFailed.single(
                f"products.{index}.addon_ids",
                "invalid",
                f"addon {addon_id} is not offered with product {service.product_id}",
            )
        amount, setup = price_for(self.session, "addon", addon.id, self.client.currency, cycle)
        discount, setup_discount = self._promo("addon", addon.id, cycle, amount, setup)
        period_end = _period_end(cycle, self.today)
        row = ServiceAddon(
            service_id=service.id,
            addon_id=addon.id,
            client_id=self.client.id,
            order_id=self.order.id,
            name=addon.name,
            status="pending",
            billing_cycle=cycle,
            currency=self.client.currency,
            setup_fee=setup,
            recurring_amount=amount,
            taxable=addon.taxable,
            registration_date=self.today,
            next_due_date=period_end,
            next_invoice_date=period_end,
            anchor_day=self.today.day,
            payment_method=self.order.payment_method,
        )
        self.session.add(row)
        self.session.flush()
        self._bill(InvoiceItemType.ADDON, f"Addon {addon.name}", "Promotion",
                   (amount, setup, discount + setup_discount), addon.taxable, cycle, period_end,
                   parent_service_id=service.id, service_addon_id=row.id)
        return row

    def add_addon_for_service(self, index: int, item: dict[str, Any]) -> ServiceAddon:
        """An addon ordered for an existing service of the same client."""
        service = get_or_404(self.session, Service, item["service_id"], "Service")
        if service.client_id != self.client.id:
            raise ValidationFailed.single(
                f"addons.{index}.service_id",
                "invalid",
                f"service {service.id} belongs to another client",
            )
        return self._make_addon(
            item["addon_id"], service, parse_cycle(item["billing_cycle"]).code, index
        )

    # -- domains ------------------------------------------------------------------------
    def add_domain(self, index: int, item: dict[str, Any]) -> Domain:
        """A pending domain registration or transfer, priced from its TLD."""
        from .domains import add_domain
        from .pricing import price_for

        name = item["name"].strip().lower()
        tld = self._tld(name, index)
        years = item["years"]
        kind = item["kind"]
        price_type = "tld_register" if kind == "register" else "tld_transfer"
        first, _ = price_for(self.session, price_type, tld.id, self.client.currency, f"{years}Y")
        renew, _ = price_for(self.session, "tld_renew", tld.id, self.client.currency, f"{years}Y")
        if item["price_override"] is not None:
            first = item["price_override"]
        if item["renew_override"] is not None:
            renew = item["renew_override"]
        domain = add_domain(
            self.session,
            self.client.id,
            name,
            kind=kind,
            years=years,
            registrar=tld.registrar,
            recurring_amount=renew,
            first_payment_amount=first,
            order_id=self.order.id,
            payment_method=self.order.payment_method,
            nameservers=item["nameservers"],
            epp_code=item["epp_code"],
        )
        domain.id_protection = item["id_protection"]
        domain.dns_management = item["dns_management"]
        domain.email_forwarding = item["email_forwarding"]
        item_type = (
            InvoiceItemType.DOMAIN_REGISTER
            if kind == "register"
            else InvoiceItemType.DOMAIN_TRANSFER
        )
        verb = "Registration" if kind == "register" else "Transfer"
        self._line(
            item_type,
            f"Domain {verb} - {domain.name} - {years} Year/s",
            first,
            True,
            domain_id=domain.id,
        )
        return domain

    def _tld(self, name: str, index: int) -> Tld:
        labels = name.split(".")
        for start in range(1, len(labels)):
            extension = "." + ".".join(labels[start:])
            tld = self.session.scalar(select(Tld).where(Tld.extension == extension))
            if tld is not None:
                return tld
        raise ValidationFailed.single(
            f"domains.{index}.name", "invalid", f"no TLD of {name!r} is sold here"
        )

    def _bill(
        self,
        item_type: InvoiceItemType,
        label: str,
        promo_label: str,
        amounts: tuple[Decimal, Decimal, Decimal],
        taxed: bool,
        cycle: str,
        period_end: date | None,
        parent_service_id: int | None = None,
        **links: Any,
    ) -> None:
        """The lines of one priced row: first period, setup fee, and the promotion (negative).

        An addon's period line also names its parent service (``parent_service_id``); its setup
        and promotion lines link the addon alone.
        """
        amount, setup, discount = amounts
        if cycle != "free":
            parent = {} if parent_service_id is None else {"service_id": parent_service_id}
            self._line(item_type, label + _period_text(self.today, period_end), amount, taxed,
                       period_start=self.today, period_end=period_end, **parent, **links)
        if setup:
            self._line(InvoiceItemType.SETUP, f"{label} setup fee", setup, taxed, **links)
        if discount:
            self._line(InvoiceItemType.PROMO, promo_label, -discount, taxed, **links)

    def _line(
        self,
        item_type: InvoiceItemType,
        description: str,
        amount: Decimal,
        taxed: bool,
        **links: Any,
    ) -> None:
        self.lines.append(
            {
                "type": item_type.value,
                "description": description,
                "unit_amount": amount,
                "quantity": 1,
                "taxed": taxed,
                **links,
            }
        )


def _period_end(cycle: str, start: date) -> date | None:
    parsed = parse_cycle(cycle)
    return parsed.advance(start, start.day) if parsed.recurring else None


def _period_text(start: date, end: date | None) -> str:
    if end is None:
        return ""
    last_day = end - timedelta(days=1)
    return f" ({start:%d/%m/%Y} - {last_day:%d/%m/%Y})"


def _option_choice(
    option: ConfigOption, choice: int, field: str
) -> tuple[ConfigOptionValue, int] | None:
    """The chosen value and quantity of one configurable option (None: nothing to price).

    Quantity options carry the amount in ``choice`` and are priced per unit of their single
    value; the other kinds carry the id of the chosen value.
    """
    if option.option_type == "quantity":
        if not option.values:
            return None
        if option.qty_max and not option.qty_min <= choice <= option.qty_max:
            raise ValidationFailed.single(
                field, "range", f"{option.name}: quantity must be {option.qty_min}-{option.qty_max}"
            )
        return option.values[0], choice
    value = next((v for v in option.values if v.id == choice), None)
    if value is None:
        raise ValidationFailed.single(field, "invalid", f"{option.name}: unknown choice {choice}")
    return value, 1
