from __future__ import annotations

from decimal import Decimal

import pytest

from bridge import create_app
from bridge.config import load_settings
from bridge.errors import ConfigError
from bridge.models import Client


def test_health_and_index(client):
    assert client.get("/health").json == {"status": "ok"}
    assert client.get("/").json["doors"]["whmcs"] == "/includes/api.php"


def test_factories_make_rows(db, factories):
    c = factories.client(email="x@example.com")
    s = factories.service(client=c)
    db.commit()
    assert db.get(Client, c.id).email == "x@example.com"
    assert s.recurring_amount == Decimal("10.00")


def test_config_layers_in_order(tmp_path):
    toml = tmp_path / "bridge.toml"
    toml.write_text('company_name = "From TOML"\nserve_port = 9000\nlog_level = "DEBUG"\n')
    env = {"BRIDGE_CONFIG": str(toml), "BRIDGE_SERVE_PORT": "9100", "BRIDGE_SQL_ECHO": "yes"}
    s = load_settings({"log_level": "WARNING"}, environ=env)
    assert s.company_name == "From TOML"
    assert s.serve_port == 9100  # env beats TOML
    assert s.sql_echo is True
    assert s.log_level == "WARNING"  # mapping beats everything


def test_config_lists_every_problem_at_once(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings({"serve_port": "abc", "default_currency": "dollars", "timezone": "Mars/Base",
                       "database_url": "oracle://x", "bogus": 1}, environ={})
    text = str(err.value)
    for needle in ("serve_port", "default_currency", "timezone", "database_url", "bogus"):
        assert needle in text


def test_missing_config_file_is_reported(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(environ={"BRIDGE_CONFIG": str(tmp_path / "nope.toml")})


def test_default_database_is_sqlite_in_instance(tmp_path):
    app = create_app({"instance_path": str(tmp_path / "inst")})
    state = app.extensions["bridge"]
    assert state.settings.database_url.startswith("sqlite:///")
    assert str(tmp_path / "inst") in state.settings.database_url
    assert (tmp_path / "inst" / "secret.key").exists()
    app2 = create_app({"instance_path": str(tmp_path / "inst")})
    assert app2.extensions["bridge"].settings.secret_key == state.settings.secret_key
