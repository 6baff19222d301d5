"""``bridge import``: copy a WHMCS, Blesta or BoxBilling/FOSSBilling database in, and
``bridge import report`` to show the last stored reconciliation report.

Registered on the ``bridge`` group through ``bridge.cli.COMMAND_MODULES`` (a module name, so
the core never imports the importers package).  Each source command loads
``importers.<source>.importer.Importer`` when it runs.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from bridge.app import bridge_state
from importers._report import render_report
from importers.base import SourceConfig, SourceImporter, UnsupportedSource

SOURCES: dict[str, str] = {
    "whmcs": "importers.whmcs.importer",
    "blesta": "importers.blesta.importer",
    "boxbilling": "importers.boxbilling.importer",
}


def importer_class(source: str) -> type[SourceImporter]:
    """The ``Importer`` class of ``source``, or a ClickException saying it is not available."""
    module_name = SOURCES[source]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            raise click.ClickException(
                f"the {source} importer is not available in this version ({module_name} is "
                "missing)") from exc
        raise
    cls = getattr(module, "Importer", None)
    if not (isinstance(cls, type) and issubclass(cls, SourceImporter)):
        raise click.ClickException(f"{module_name} has no Importer class (SourceImporter)")
    return cls


class _Progress:
    """Per-entity counters on stderr: ``clients  1200/5000`` rewritten in place."""

    def __init__(self) -> None:
        self.current = ""

    def __call__(self, entity: str, done: int, total: int) -> None:
        if entity != self.current and self.current:
            click.echo("", err=True)
        self.current = entity
        click.echo(f"\r{entity:<22}{done:>10}/{total}", err=True, nl=False)

    def close(self) -> None:
        if self.current:
            click.echo("", err=True)


def _resolve(cls: type[SourceImporter], source: str | None, key: str | None,
             config_file: str | None, timezone: str | None) -> tuple[str, str, str]:
    config = SourceConfig()
    if config_file:
        try:
            config = cls.parse_config_file(Path(config_file))
        except (OSError, ValueError) as exc:
            raise click.ClickException(f"cannot read {config_file}: {exc}") from exc
    url = source or config.url
    if not url:
        raise click.UsageError("--source URL is required (or a --config-file with the database)")
    return url, key if key is not None else config.key, timezone or config.timezone or "UTC"


def _make_command(name: str) -> click.Command:
    @click.command(name, help=f"Import a {name} database (ids kept; see docs/importers).")
    @click.option("--source", "source_url", default=None, metavar="URL",
                  help="Source database, e.g. mysql+pymysql://user:pass@host/db")
    @click.option("--key", default=None,
                  help="Source encryption key (WHMCS cc_encryption_hash, Blesta system key...).")
    @click.option("--config-file", type=click.Path(exists=True, dir_okay=False), default=None,
                  help="The source's config file (key, timezone, database) instead of flags.")
    @click.option("--timezone", default=None, help="Zone of the source's datetimes (IANA name).")
    @click.option("--dry-run", is_flag=True, help="Do everything but write nothing.")
    @click.option("--only", default="", help="Comma-separated entity names to import.")
    @click.option("--resume", is_flag=True, help="Continue the last unfinished run.")
    @click.option("--batch-size", type=int, default=None, help="Source rows per committed batch.")
    @with_appcontext
    def command(source_url: str | None, key: str | None, config_file: str | None,
                timezone: str | None, dry_run: bool, only: str, resume: bool,
                batch_size: int | None) -> None:
        from importers._pipeline import RunOptions, run_import

        cls = importer_class(name)
        url, source_key, tz = _resolve(cls, source_url, key, config_file, timezone)
        state = bridge_state()
        progress = _Progress()
        options = RunOptions(dry_run=dry_run, resume=resume, progress=progress,
                             only=[s.strip() for s in only.split(",") if s.strip()],
                             batch_size=batch_size)
        try:
            importer = cls(key=source_key, timezone=tz)
            report = run_import(importer, url, state.db.engine, state.secrets, options)
        except (UnsupportedSource, ValueError) as exc:
            progress.close()
            raise click.ClickException(str(exc)) from exc
        progress.close()
        click.echo(render_report(report))
        if not report["ok"]:
            sys.exit(1)

    return command


@click.group("import")
def import_group() -> None:
    """Import a WHMCS, Blesta or BoxBilling/FOSSBilling database (ids kept)."""


for _name in SOURCES:
    import_group.add_command(_make_command(_name))


@import_group.command("report")
@click.option("--json", "as_json", is_flag=True, help="Print the stored JSON.")
@with_appcontext
def report_command(as_json: bool) -> None:
    """Show the report of the last finished import run."""
    from bridge.models import ImportRun

    state = bridge_state()
    with state.db.session() as session:
        run = session.scalar(select(ImportRun).where(ImportRun.status == "finished")
                             .order_by(ImportRun.id.desc()).limit(1))
        report: dict[str, Any] | None = run.report if run is not None else None
    if not report:
        raise click.ClickException("no finished import run yet")
    click.echo(json.dumps(report, indent=2) if as_json else render_report(report))


def register(group: Any) -> None:
    """Add ``import`` to the ``bridge`` command group."""
    group.add_command(import_group)
