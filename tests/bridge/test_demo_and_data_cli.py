from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bridge.cli import main
from bridge.demo import load_demo
from bridge.errors import Conflict
from bridge.models import (
    Admin,
    ApiCredential,
    Client,
    Invoice,
    Service,
    Ticket,
    Transaction,
)
from bridge.security import verify_api_secret, verify_password
from bridge.services.reconcile import audit_billing


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def test_demo_data_is_realistic_and_reconciles(db):
    summary = load_demo(db)
    db.commit()
    assert summary["clients"] == _count(db, Client) == 5
    assert _count(db, Service) == 5
    assert _count(db, Ticket) == 3
    statuses = set(db.scalars(select(Invoice.status)))
    assert {"paid", "unpaid"} <= statuses
    assert _count(db, Transaction) >= 3
    assert audit_billing(db) == []
    with pytest.raises(Conflict):
        load_demo(db)


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIDGE_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("BRIDGE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("BRIDGE_SECRET_KEY", "cli-test-secret-key-000")
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    return runner, tmp_path


def _session(tmp_path):
    from bridge.db import Database

    return Database(f"sqlite:///{tmp_path / 'cli.db'}").session()


def test_admin_add(cli_env):
    runner, tmp_path = cli_env
    result = runner.invoke(main, ["admin", "add", "alice", "--password", "s3cret-pass",
                                  "--email", "alice@example.com"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(main, ["admin", "add", "alice", "--password", "x"])
    assert again.exit_code != 0
    with _session(tmp_path) as s:
        admin = s.scalar(select(Admin).where(Admin.username == "alice"))
        assert admin.email == "alice@example.com"
        assert verify_password("s3cret-pass", admin.password_hash).ok


def test_credential_add_with_ips_roles_and_generated_secret(cli_env):
    runner, tmp_path = cli_env
    assert runner.invoke(main, ["role", "add", "billing", "--action", "GetInvoices"]).exit_code == 0
    result = runner.invoke(main, ["credential", "add", "--identifier", "deploy-bot",
                                  "--secret", "a-long-enough-secret", "--role", "billing",
                                  "--allow-ip", "10.0.0.0/8", "--allow-ip", "192.0.2.7"])
    assert result.exit_code == 0, result.output
    generated = runner.invoke(main, ["credential", "add"])
    assert generated.exit_code == 0
    secret = generated.output.split("secret:")[1].split()[0]
    ident = generated.output.split("identifier:")[1].split()[0]
    bad_ip = runner.invoke(main, ["credential", "add", "--allow-ip", "10.0.0.300"])
    assert bad_ip.exit_code != 0 and "10.0.0.300" in bad_ip.output
    with _session(tmp_path) as s:
        cred = s.scalar(select(ApiCredential).where(ApiCredential.identifier == "deploy-bot"))
        assert cred.allowed_ips == ["10.0.0.0/8", "192.0.2.7"]
        assert [r.name for r in cred.roles] == ["billing"]
        assert "a-long-enough-secret" not in cred.secret_hash
        assert verify_api_secret("a-long-enough-secret", cred.secret_hash)
        other = s.scalar(select(ApiCredential).where(ApiCredential.identifier == ident))
        assert other.allowed_ips == [] and verify_api_secret(secret, other.secret_hash)


def test_demo_command_once(cli_env):
    runner, _ = cli_env
    first = runner.invoke(main, ["demo"])
    assert first.exit_code == 0, first.output
    assert "clients: 5" in first.output
    second = runner.invoke(main, ["demo"])
    assert second.exit_code != 0 and "already loaded" in second.output
