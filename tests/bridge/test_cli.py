"""The ``bridge`` command: idempotent ``init``, ``serve`` on gunicorn, the example config."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import func, select

from bridge.cli import main
from bridge.config import Settings, load_settings
from bridge.db import make_engine
from bridge.models import Company, Currency, TicketStatus

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "bridge.example.toml"


def _cli_env(tmp_path: Path) -> dict[str, str | None]:
    # None removes a variable: the developer's own BRIDGE_CONFIG must not leak in
    return {
        "BRIDGE_CONFIG": None,
        "BRIDGE_INSTANCE_PATH": str(tmp_path / "instance"),
        "BRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "BRIDGE_SECRET_KEY": None,
    }


def _count(url: str, model: Any) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        engine.dispose()


def test_init_twice_seeds_once(tmp_path):
    env = _cli_env(tmp_path)
    runner = CliRunner()

    first = runner.invoke(main, ["init"], env=env)
    assert first.exit_code == 0, first.output
    revision = re.search(r"at revision (\S+)", first.output)
    assert revision and revision.group(1) != "None", first.output
    assert "seeded company" in first.output
    assert "seeded default currency USD" in first.output
    assert "seeded 6 ticket statuses" in first.output
    assert "seeded SQLite journal in WAL mode" in first.output

    second = runner.invoke(main, ["init"], env=env)
    assert second.exit_code == 0, second.output
    assert f"at revision {revision.group(1)}" in second.output
    assert "seeded" not in second.output

    url = env["BRIDGE_DATABASE_URL"]
    assert url is not None
    assert _count(url, Company) == 1
    assert _count(url, Currency) == 1
    assert _count(url, TicketStatus) == 6
    assert (tmp_path / "instance" / "secret.key").exists()
    import sqlite3

    with sqlite3.connect(tmp_path / "cli.db") as raw:  # the mode is kept in the file
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_init_reports_bad_configuration(tmp_path):
    env = {**_cli_env(tmp_path), "BRIDGE_SERVE_PORT": "not-a-port"}
    result = CliRunner().invoke(main, ["init"], env=env)
    assert result.exit_code != 0
    assert "serve_port" in str(result.exception) + result.output


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_runs_gunicorn_and_answers_health(tmp_path):
    bridge_script = Path(sys.executable).with_name("bridge")
    if not bridge_script.exists():
        pytest.skip(f"no `bridge` console script next to {sys.executable}; pip install -e .")
    env_changes = _cli_env(tmp_path)
    init = CliRunner().invoke(main, ["init"], env=env_changes)
    assert init.exit_code == 0, init.output

    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    env.update({k: v for k, v in env_changes.items() if v is not None})
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(bridge_script), "serve", "--port", str(port), "--workers", "1"],
            env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
        )
        try:
            response = None
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    pytest.fail(f"bridge serve exited with {proc.returncode}:\n{log.read_text()}")
                try:
                    response = requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
                except requests.ConnectionError:
                    time.sleep(0.2)
                    continue
                if response.status_code == 200:
                    break
                time.sleep(0.2)
            assert response is not None and response.status_code == 200, log.read_text()
            assert response.json() == {"status": "ok"}
            assert response.headers.get("Server", "").lower().startswith("gunicorn"), \
                response.headers
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def test_example_config_parses_and_documents_every_setting():
    text = EXAMPLE.read_text(encoding="utf-8")
    settings = load_settings(environ={"BRIDGE_CONFIG": str(EXAMPLE)})
    defaults = Settings()
    for f in fields(Settings):
        assert f.name in text, f"config/bridge.example.toml does not mention {f.name}"
        if f.name == "plugin_settings":
            continue  # documented as [plugins.<name>] tables
        # every plain key is written out (active) with its real default
        assert re.search(rf"^{f.name}\s*=", text, re.MULTILINE), f"{f.name} is not set"
        assert getattr(settings, f.name) == getattr(defaults, f.name), f.name
    assert "[plugins." in text


def test_example_plugin_tables_become_plugin_settings(tmp_path):
    # the commented [plugins.<name>] sample, uncommented, is valid and lands in plugin_settings
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# [plugins."))
    sample = []
    for line in lines[start:]:
        if not line.startswith("# ") or line.startswith("# #"):
            break
        sample.append(line[2:])
    copy = tmp_path / "bridge.toml"
    copy.write_text("\n".join(sample) + "\n")
    settings = load_settings(environ={"BRIDGE_CONFIG": str(copy)})
    assert settings.plugin_settings, sample
    assert all(isinstance(v, dict) for v in settings.plugin_settings.values())
