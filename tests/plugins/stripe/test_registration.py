"""The Stripe plugin registers through the real hookspec and declares sound settings."""

from __future__ import annotations

import pluggy

import hooks.gateway
import plugins.stripe
from hooks import validate_config
from hooks.markers import PROJECT
from plugins.stripe import StripeGateway


def test_registered_through_the_hook() -> None:
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hooks.gateway)
    pm.register(plugins.stripe)
    modules = [cls for group in pm.hook.register_gateway_modules() for cls in group]
    assert [(m.name, m.kind) for m in modules] == [("stripe", "hybrid")]


def test_settings_validation() -> None:
    fields = StripeGateway.config_fields
    secret = {f.name for f in fields if f.secret}
    assert secret == {"secret_key", "webhook_secret"}
    _, errors = validate_config(fields, {})
    assert set(errors) == {"secret_key"}
    _, errors = validate_config(fields, {"secret_key": "pk_live_oops",
                                         "webhook_secret": "nope", "api_base": "localhost"})
    assert set(errors) == {"secret_key", "webhook_secret", "api_base"}
    clean, errors = validate_config(fields, {"secret_key": "sk_test_123",
                                             "webhook_secret": "whsec_abc"})
    assert errors == {} and clean["api_base"] == ""
