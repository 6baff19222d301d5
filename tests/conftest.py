"""Shared fixtures: ``app``, ``client``, ``db`` (a session), ``mysql_url`` and factories.

``db`` runs on SQLite by default. Set ``BRIDGE_TEST_MYSQL_URL`` (CI does) and tests marked
``mysql`` run against MariaDB; without a reachable server they are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

import bridge.models  # noqa: F401
from bridge import create_app
from bridge.app import BridgeState
from bridge.context import Actor, bind_dispatcher, set_actor
from bridge.db import Base, make_engine
from bridge.plugins import PluginHost
from bridge.security import SecretBox

TEST_SECRET = "test-install-key-0123456789"

# bridge.testing (factories, conformance classes) loads through its pytest11 entry point


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    """The explicit configuration mapping of the test app (SQLite file in tmp_path)."""
    return {
        "instance_path": str(tmp_path / "instance"),
        "database_url": f"sqlite:///{tmp_path / 'bridge.db'}",
        "secret_key": TEST_SECRET,
        "testing": True,
    }


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory: Any) -> Path:
    """An empty SQLite database with the full schema, built once and copied per test."""
    path = tmp_path_factory.mktemp("template") / "schema.db"
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture
def app(app_config: dict[str, Any], schema_template: Path) -> Iterator[Any]:
    """A hostbridge app on a fresh SQLite database with the full schema."""
    # copying a prepared file is far faster than CREATE TABLE x52 for every test
    shutil.copyfile(schema_template, app_config["database_url"].removeprefix("sqlite:///"))
    application = create_app(app_config)
    state: BridgeState = application.extensions["bridge"]
    yield application
    state.db.dispose()


@pytest.fixture
def client(app: Any) -> Any:
    """Flask test client of ``app``."""
    return app.test_client()


def _open_session(engine: Engine, host: PluginHost | None = None) -> Session:
    session = Session(engine, expire_on_commit=False)
    session.info["bridge.secrets"] = SecretBox(TEST_SECRET)
    session.info["bridge.plugins"] = host or PluginHost(bundled=(), entry_points=False)
    bind_dispatcher(session, session.info["bridge.plugins"].dispatch)
    set_actor(session, Actor(kind="admin", id=None, name="test", source="test"))
    return session


@pytest.fixture
def db(app: Any) -> Iterator[Session]:
    """A session on the app's SQLite database, actor 'test', SecretBox attached."""
    state: BridgeState = app.extensions["bridge"]
    session = _open_session(state.db.engine, state.plugins)
    yield session
    session.close()


def mysql_url_or_skip() -> str:
    """The MariaDB URL for tests, or skip with the reason it cannot be used."""
    url = os.environ.get("BRIDGE_TEST_MYSQL_URL", "")
    if not url:
        pytest.skip("BRIDGE_TEST_MYSQL_URL is not set (CI sets it; see .ci/run)")
    try:
        engine = make_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "no server here"
        pytest.skip(f"MariaDB at BRIDGE_TEST_MYSQL_URL is not reachable: {exc}")
    return url


@pytest.fixture
def mysql_url() -> str:
    """URL of an empty-able MariaDB test database (skips when none is reachable)."""
    return mysql_url_or_skip()


@pytest.fixture
def mysql_db(mysql_url: str) -> Iterator[Session]:
    """A session on MariaDB with the full schema, dropped again afterwards."""
    engine = make_engine(mysql_url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    session = _open_session(engine)
    yield session
    session.close()
    Base.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def pm(app: Any) -> PluginHost:
    """The plugin host of ``app`` (bundled plugins plus installed entry points)."""
    host: PluginHost = app.extensions["bridge"].plugins
    return host


@pytest.fixture
def register_plugin(pm: PluginHost) -> Iterator[Any]:
    """Register plugin objects for one test: ``register_plugin(obj, name="x")``."""
    names: list[str] = []

    def register(plugin: object, name: str | None = None) -> object:
        plugin_name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        pm.register(plugin, plugin_name, source="test")
        pm.refresh_modules()
        names.append(plugin_name)
        return plugin

    yield register
    for plugin_name in names:
        pm.unregister(plugin_name)
