"""Bundled offline payment methods: bank transfer and mail-in (see docs/plugins/offline.md)."""

from __future__ import annotations

from hooks import GatewayModule, hookimpl

from .gateways import BankTransferGateway, MailInGateway

__all__ = ["BankTransferGateway", "MailInGateway", "register_gateway_modules"]


@hookimpl
def register_gateway_modules() -> list[type[GatewayModule]]:
    """The bank transfer and mail-in modules."""
    return [BankTransferGateway, MailInGateway]
