"""The bundled offline gateways: instructions rendering and settings validation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pluggy
import pytest

import hooks.gateway
import plugins.offline
from hooks import (
    ClientInfo,
    GatewayModule,
    PaymentContext,
    PaymentStatus,
    validate_config,
)
from hooks.markers import PROJECT
from plugins.offline import BankTransferGateway, MailInGateway
from plugins.offline.render import render

BANK = {"account_holder": "Example Hosting Ltd", "iban": "de89 3704 0044 0532 0130 00",
        "bic": "cobadeffxxx", "bank_name": "Commerzbank"}
MAIL = {"payee": "Example Hosting Ltd", "address": "1 Main Street\nSpringfield 12345"}


def ctx(config: dict[str, str], amount: str = "49.9000", currency: str = "EUR",
        **overrides: Any) -> PaymentContext:
    values: dict[str, Any] = {
        "invoice_id": 1234, "amount": Decimal(amount), "currency": currency,
        "client": ClientInfo(5, first_name="Ada", last_name="Lovelace",
                             company_name="Analytical Engines"),
        "description": "Invoice #1234", "config": config,
    }
    values.update(overrides)
    return PaymentContext(**values)


def clean(module: type[GatewayModule], values: dict[str, str]) -> dict[str, str]:
    settings, errors = validate_config(module.config_fields, values)
    assert errors == {}
    return settings


def test_registered_through_the_hook() -> None:
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hooks.gateway)
    pm.register(plugins.offline)
    modules = [cls for group in pm.hook.register_gateway_modules() for cls in group]
    assert {(m.name, m.kind) for m in modules} == {("banktransfer", "offsite"),
                                                   ("mailin", "offsite")}


def test_bank_transfer_default_instructions() -> None:
    link = BankTransferGateway().payment_link(ctx(clean(BankTransferGateway, BANK)))
    assert link.url == "" and link.html == ""
    lines = link.instructions.splitlines()
    assert lines[0] == "Please transfer 49.90 EUR to:"
    assert "Account holder: Example Hosting Ltd" in lines
    assert "IBAN: DE89 3704 0044 0532 0130 00" in lines
    assert "BIC: COBADEFFXXX" in lines
    assert "Reference: Invoice 1234" in lines


def test_blank_optional_settings_leave_no_empty_lines() -> None:
    settings = clean(BankTransferGateway, {"account_holder": "Example", "iban": BANK["iban"]})
    text = BankTransferGateway().payment_link(ctx(settings)).instructions
    assert "BIC" not in text and "Bank:" not in text
    assert "IBAN: DE89" in text


def test_mail_in_default_instructions_keep_the_address_lines() -> None:
    text = MailInGateway().payment_link(ctx(clean(MailInGateway, MAIL), "100",
                                            currency="JPY")).instructions
    assert "for 100 JPY" in text
    assert "payable to Example Hosting Ltd, to:\n1 Main Street\nSpringfield 12345" in text
    assert 'Write "Invoice 1234"' in text


def test_custom_template_with_format_specs_and_client_fields() -> None:
    template = ("Hi {client_name} ({company_name}, #{client_id}): pay {amount:,.2f} "
                "{currency} for {description!s} to {payee}.")
    settings = clean(MailInGateway, {**MAIL, "instructions": template})
    text = MailInGateway().payment_link(ctx(settings, "1234.5")).instructions
    assert text == ("Hi Ada Lovelace (Analytical Engines, #5): pay 1,234.50 EUR for "
                    "Invoice #1234 to Example Hosting Ltd.")


@pytest.mark.parametrize(("template", "expected"), [
    ("Ref {invoice_ref} / {invoice_id}", "Ref {invoice_ref} / 1234"),
    ("{0} and {} and {amount}", "{0} and {} and 49.90"),
    ("{payee.__class__} {payee[0]}", "{payee.__class__} {payee[0]}"),
    ("{amount:%Y} {payee!r}", "{amount:%Y} 'P'"),
    ("{{literal}} {amount}", "{literal} 49.90"),
    ("unbalanced { brace {amount}", "unbalanced { brace {amount}"),
    ("closing } brace", "closing } brace"),
])
def test_rendering_is_robust(template: str, expected: str) -> None:
    values = {"invoice_id": 1234, "amount": Decimal("49.90"), "payee": "P"}
    assert render(template, values) == expected


def test_unknown_placeholder_lines_are_kept_and_empty_known_dropped() -> None:
    template = "A: {unknown}\nB: {blank}\nC: {blank} {filled}\nD: plain"
    out = render(template, {"blank": "", "filled": "x"})
    assert out.splitlines() == ["A: {unknown}", "C:  x", "D: plain"]


def test_cleared_template_falls_back_to_default() -> None:
    settings = {**clean(BankTransferGateway, BANK), "instructions": "  "}
    assert "Please transfer" in BankTransferGateway().payment_link(ctx(settings)).instructions


def test_no_charging() -> None:
    result = BankTransferGateway().charge(ctx(clean(BankTransferGateway, BANK)))
    assert result.status is PaymentStatus.UNKNOWN


@pytest.mark.parametrize(("module", "values", "field"), [
    (BankTransferGateway, {"iban": "DE89370400440532013000"}, "account_holder"),
    (BankTransferGateway, {**BANK, "iban": "not an iban"}, "iban"),
    (BankTransferGateway, {**BANK, "iban": "DE89 37"}, "iban"),
    (BankTransferGateway, {**BANK, "bic": "COBA"}, "bic"),
    (BankTransferGateway, {**BANK, "swift": "x"}, "swift"),
    (MailInGateway, {"payee": "X"}, "address"),
    (MailInGateway, {"address": "Somewhere"}, "payee"),
])
def test_config_validation_errors(module: type[GatewayModule], values: dict[str, str],
                                  field: str) -> None:
    _, errors = validate_config(module.config_fields, values)
    assert field in errors


def test_config_validation_accepts_and_fills_defaults() -> None:
    settings, errors = validate_config(BankTransferGateway.config_fields,
                                       {"account_holder": "X", "iban": "GB82WEST12345698765432",
                                        "bic": "NWBKGB2L"})
    assert errors == {}
    assert settings["instructions"].startswith("Please transfer")
    assert settings["bank_name"] == ""
