"""A third-party package installed with pip is discovered through the ``bridge`` entry-point
group, listed by ``bridge plugins list``, provisions an ordered service and receives events."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

PACKAGE = '''
"""A third-party hostbridge plugin: a server module and an event subscriber."""
from hooks import ActionResult, ServerModule, hookimpl

__version__ = "1.2.3"
EVENTS = []


class AcmeHosting(ServerModule):
    name = "acme"
    label = "ACME Hosting"
    requires_server = False

    def create(self, ctx):
        return ActionResult.success(username="acme" + str(ctx.service_id), password="acme-pw")

    def suspend(self, ctx, reason=""):
        return ActionResult.success()

    def unsuspend(self, ctx):
        return ActionResult.success()

    def terminate(self, ctx):
        return ActionResult.success()


@hookimpl
def register_server_modules():
    return [AcmeHosting]


@hookimpl
def service_provisioned(service_id):
    EVENTS.append(("service_provisioned", service_id))
'''


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory):
    src = tmp_path_factory.mktemp("src")
    (src / "acme_bridge").mkdir()
    (src / "acme_bridge" / "__init__.py").write_text(PACKAGE)
    (src / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "acme-bridge"
        version = "1.2.3"

        [project.entry-points.bridge]
        acme = "acme_bridge"

        [tool.setuptools]
        packages = ["acme_bridge"]
    """))
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--no-build-isolation", "--target", str(target), str(src)],
                   check=True, capture_output=True, timeout=300)
    sys.path.insert(0, str(target))
    yield target
    sys.path.remove(str(target))
    for name in [m for m in sys.modules if m.startswith("acme_bridge")]:
        del sys.modules[name]


def test_installed_package_is_discovered_and_works(installed_plugin, app_config, schema_template):
    import shutil

    from bridge import create_app
    from bridge.context import Actor
    from bridge.services.orders import accept_order, place_order
    from bridge.testing import make_client, make_product

    shutil.copyfile(schema_template, app_config["database_url"].removeprefix("sqlite:///"))
    app = create_app(app_config)
    state = app.extensions["bridge"]
    record = next(r for r in state.plugins.plugins() if r.name == "acme")
    assert record.source == "entry point acme-bridge"
    assert record.version == "1.2.3"
    assert record.modules == ["server:acme"]

    with state.transaction(Actor(kind="admin", source="test")) as session:
        client = make_client(session)
        product = make_product(session, module="acme")
        result = place_order(session, client.id, {"products": [{"product_id": product.id}]})
        _, outcomes = accept_order(session, result.order.id)
        service_id = result.services[0].id
    assert outcomes[0].ok
    import acme_bridge

    assert ("service_provisioned", service_id) in acme_bridge.EVENTS

    runner = CliRunner()
    from bridge.cli import main

    listing = runner.invoke(main, ["plugins", "list"],
                            env={"BRIDGE_DATABASE_URL": app_config["database_url"],
                                 "BRIDGE_INSTANCE_PATH": app_config["instance_path"],
                                 "BRIDGE_SECRET_KEY": app_config["secret_key"]})
    assert listing.exit_code == 0, listing.output
    line = next(line for line in listing.output.splitlines() if line.startswith("server"))
    assert "acme (server:acme)" in line and "1.2.3" in line and "entry point acme-bridge" in line
    assert line.rstrip().endswith("active")


def test_blocked_plugin_is_not_loaded(installed_plugin, app_config):
    from bridge import create_app

    app = create_app({**app_config, "blocked_plugins": ["acme"]})
    host = app.extensions["bridge"].plugins
    assert host.records["acme"].status == "blocked"
    assert "acme" not in host.modules["server"]


def test_plugins_dir_is_loaded(tmp_path, app_config):
    from bridge import create_app

    folder = tmp_path / "local_plugins"
    folder.mkdir()
    (folder / "localmod.py").write_text(PACKAGE.replace('"acme"', '"localacme"'))
    app = create_app({**app_config, "plugins_dir": str(folder)})
    host = app.extensions["bridge"].plugins
    assert host.records["localmod"].source == f"directory {folder}"
    assert "localacme" in host.modules["server"]


def test_broken_plugin_is_reported_not_fatal(tmp_path, app_config):
    from bridge import create_app

    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "bad.py").write_text("raise RuntimeError('oops')\n")
    app = create_app({**app_config, "plugins_dir": str(folder)})
    assert app.extensions["bridge"].plugins.records["bad"].status.startswith("failed: RuntimeError")
