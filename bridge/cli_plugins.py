"""``bridge plugins``: what the plugin host loaded."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import with_appcontext

from bridge.app import bridge_state


@click.group("plugins")
def plugins_group() -> None:
    """Inspect plugins and the modules they provide."""


@plugins_group.command("list")
@with_appcontext
def plugins_list() -> None:
    """Show every plugin: kind(s), name, version, source and status."""
    records = bridge_state().plugins.plugins()
    if not records:
        click.echo("no plugins")
        return
    rows = [("KIND", "NAME", "VERSION", "SOURCE", "STATUS")]
    for record in records:
        kinds = sorted({m.split(":", 1)[0] for m in record.modules}) or (
            ["events"] if record.events else ["-"])
        name = record.name + (f" ({', '.join(record.modules)})" if record.modules else "")
        rows.append((",".join(kinds), name, record.version or "-", record.source, record.status))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


def register(group: Any) -> None:
    """Add this module's commands to the ``bridge`` group."""
    group.add_command(plugins_group)
