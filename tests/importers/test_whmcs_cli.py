"""``bridge import``: configuration.php parsing, the whmcs command end to end after
``bridge init`` (config file, dry run, report), and clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bridge.cli import main
from bridge.db import make_engine
from bridge.models import Client, ImportRun, Invoice
from importers import cli as import_cli
from importers.whmcs.importer import parse_configuration_php
from tests.importers.whmcs_data import CC_HASH, generate

CONFIG_PHP = r"""<?php
$license = 'WHMCS-abc';
$db_host = 'db.internal';
$db_port = '3307';
$db_username = 'whmcs';
$db_password = 'p@ss\'word';
$db_name = 'whmcs_live';
$cc_encryption_hash = '%s';
$templates_compiledir = 'templates_c';
$mysql_charset = 'utf8';
date_default_timezone_set('Europe/Berlin');
"""


def test_configuration_php_gives_key_database_and_timezone() -> None:
    config = parse_configuration_php(CONFIG_PHP % "k3y")
    assert config.key == "k3y" and config.timezone == "Europe/Berlin"
    assert config.url == ("mysql+pymysql://whmcs:p%40ss%27word@db.internal:3307/whmcs_live"
                          "?charset=utf8mb4")


def test_configuration_php_without_the_key_is_refused() -> None:
    with pytest.raises(ValueError, match="no \\$cc_encryption_hash"):
        parse_configuration_php("<?php $db_name = 'x';")


def _env(tmp_path: Path) -> dict[str, str | None]:
    return {"BRIDGE_CONFIG": None, "BRIDGE_INSTANCE_PATH": str(tmp_path / "instance"),
            "BRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
            "BRIDGE_SECRET_KEY": "cli-install-key-0123456789"}


def _count(tmp_path: Path, model: Any) -> int:
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        engine.dispose()


def test_import_command_dry_run_then_real_then_report(tmp_path: Path, source_db: Any) -> None:
    src = source_db("whmcs-8.4.sql")
    facts = generate(src)
    config = tmp_path / "configuration.php"
    config.write_text(CONFIG_PHP % CC_HASH)
    runner = CliRunner()
    env = _env(tmp_path)
    assert runner.invoke(main, ["init"], env=env).exit_code == 0
    args = ["import", "whmcs", "--config-file", str(config), "--source", src.url]

    dry = runner.invoke(main, [*args, "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing written" in dry.output and "reconciled" in dry.output
    # nothing written but the record of the dry run, which `import report` shows
    assert _count(tmp_path, Client) == 0 and _count(tmp_path, ImportRun) == 1
    shown = runner.invoke(main, ["import", "report"], env=env)
    assert shown.exit_code == 0 and "dry run: nothing written" in shown.output
    assert "clients                      11       11       10" in shown.output

    real = runner.invoke(main, args, env=env)
    assert real.exit_code == 0, real.output
    assert _count(tmp_path, Client) == len(facts.client_ids) - 1  # one quarantined
    report = runner.invoke(main, ["import", "report"], env=env)
    assert report.exit_code == 0, report.output
    assert "whmcs 8.4.0-release.1" in report.output
    assert "dry run" not in report.output  # the last run is the real one now
    assert "clients                      11       11       10" in report.output


def test_missing_importer_and_empty_report_are_clear_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    env = _env(tmp_path)
    assert runner.invoke(main, ["init"], env=env).exit_code == 0
    empty = runner.invoke(main, ["import", "report"], env=env)
    assert empty.exit_code == 1 and "no finished import run yet" in empty.output
    monkeypatch.setitem(import_cli.SOURCES, "whmcs", "importers.not_there.importer")
    missing = runner.invoke(main, ["import", "whmcs", "--source", "mysql+pymysql://x@y/z"],
                            env=env)
    assert missing.exit_code == 1
    assert "the whmcs importer is not available" in missing.output
    unreachable = runner.invoke(main, ["import", "boxbilling", "--source",
                                       "mysql+pymysql://nobody:x@127.0.0.1:1/none"], env=env)
    assert unreachable.exit_code == 1 and "Traceback" not in unreachable.output


def test_only_refuses_a_selection_whose_parents_are_missing(tmp_path: Path,
                                                             source_db: Any) -> None:
    src = source_db("whmcs-8.4.sql")
    generate(src)
    runner = CliRunner()
    env = _env(tmp_path)
    assert runner.invoke(main, ["init"], env=env).exit_code == 0
    args = ["import", "whmcs", "--source", src.url, "--key", CC_HASH]
    refused = runner.invoke(main, [*args, "--only", "invoices"], env=env)
    assert refused.exit_code == 1
    assert "--only invoices: its parent clients has not been imported yet" in refused.output
    assert _count(tmp_path, Invoice) == 0 and _count(tmp_path, ImportRun) == 0
    # parents selected together (or imported before) are fine
    ok = runner.invoke(main, [*args, "--only", "currencies,client_groups,clients"], env=env)
    assert ok.exit_code == 0, ok.output
    then = runner.invoke(main, [*args, "--only", "invoices"], env=env)
    assert then.exit_code == 0, then.output
    assert _count(tmp_path, Invoice) > 0
