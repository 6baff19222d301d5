"""The ``bridge`` command group (a Flask CLI group).

Each issue adds its subcommands in a module of its own and registers it in
:data:`COMMAND_MODULES`; this module keeps only the group and the core commands.
"""

from __future__ import annotations

import importlib
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from bridge.app import bridge_state, create_app

# modules with a ``register(group)`` function adding their subcommands
COMMAND_MODULES: tuple[str, ...] = ("bridge.cli_data", "bridge.cli_plugins",
                                    "bridge.cli_automation")
# `bridge import`: named, not imported, so the core never depends on the importers package
COMMAND_MODULES += ("importers.cli",)


def _make_app() -> Flask:
    return create_app()


@click.group(
    cls=FlaskGroup, create_app=_make_app, add_default_commands=False, add_version_option=False
)
def main() -> None:
    """hostbridge: billing and automation that speaks WHMCS and Blesta."""


@main.command("init")
@with_appcontext
def init_command() -> None:
    """Create or upgrade the database to the newest schema and seed the basics (idempotent)."""
    from bridge.bootstrap import initialize

    state = bridge_state()
    summary = initialize(state)
    click.echo(
        f"database {state.db.engine.url.render_as_string(hide_password=True)} "
        f"at revision {summary['revision']}"
    )
    for line in summary["seeded"]:
        click.echo(f"  seeded {line}")


@main.command("serve")
@click.option("--host", default=None, help="Address to listen on (default from config: 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default from config: 8080).")
@click.option("--workers", default=None, type=int, help="Worker processes (default from config).")
@with_appcontext
def serve_command(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the app with gunicorn (a production WSGI server, not Flask's dev server)."""
    from bridge.serve import run_gunicorn

    settings = bridge_state().settings
    run_gunicorn(
        host or settings.serve_host,
        port or settings.serve_port,
        workers or settings.serve_workers,
    )


def _register_command_modules(group: Any) -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(group)


_register_command_modules(main)
