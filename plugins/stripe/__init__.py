"""Bundled Stripe gateway plugin (see docs/plugins/stripe.md)."""

from __future__ import annotations

from hooks import GatewayModule, hookimpl

from .gateway import StripeGateway

__all__ = ["StripeGateway", "register_gateway_modules"]


@hookimpl
def register_gateway_modules() -> list[type[GatewayModule]]:
    """The Stripe gateway module."""
    return [StripeGateway]
