"""Every bundled module passes the conformance checks shipped to module authors."""

from __future__ import annotations

import pytest

from bridge.plugins import BUNDLED_PLUGINS, PluginHost, _bundled_name
from bridge.testing import (
    GatewayModuleConformance,
    RegistrarModuleConformance,
    ServerModuleConformance,
)

HOST = PluginHost(bundled=BUNDLED_PLUGINS, entry_points=False)
CLASSES = {
    "server": ServerModuleConformance,
    "registrar": RegistrarModuleConformance,
    "gateway": GatewayModuleConformance,
}


def test_every_bundled_plugin_loads():
    failed = {r.name: r.status for r in HOST.plugins() if r.status != "active"}
    assert failed == {}
    assert {r.name for r in HOST.plugins()} == {_bundled_name(b) for b in BUNDLED_PLUGINS}


CASES = [(kind, name, cls, check) for kind, modules in HOST.modules.items()
         for name, cls in sorted(modules.items())
         for check in dir(CLASSES[kind]) if check.startswith("test_")]


@pytest.mark.parametrize(("kind", "name", "module_class", "check"), CASES,
                         ids=[f"{k}:{n}:{c}" for k, n, _, c in CASES])
def test_conformance(kind, name, module_class, check):
    case = CLASSES[kind]()
    case.module_class = module_class
    getattr(case, check)()
