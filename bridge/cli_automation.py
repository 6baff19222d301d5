"""``bridge cron run|list`` and ``bridge scheduler``: running automation."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext

from bridge.app import bridge_state
from bridge.errors import ConfigError


def _parse_date(value: str | None) -> date:
    if not value:
        # "today" where the business is (config timezone), not where the server clock is
        return datetime.now(ZoneInfo(bridge_state().settings.timezone)).date()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD",
                                 param_hint="--date") from exc


@click.group("cron")
def cron_group() -> None:
    """Run automation (billing, reminders, suspensions, ...) once, e.g. from system cron."""


@cron_group.command("run")
@click.option("--date", "run_date", default=None, metavar="YYYY-MM-DD",
              help="Business date to run for (default: today in the configured timezone).")
@click.option("--job", "job", default=None, metavar="NAME", help="Run only this job.")
@with_appcontext
def cron_run(run_date: str | None, job: str | None) -> None:
    """One pass of every job (or --job NAME) for --date; exits 1 when another runner is busy
    and 2 when a job failed."""
    from bridge.jobs.runner import LockBusy, run_pass

    today = _parse_date(run_date)
    try:
        result = run_pass(bridge_state(), today, only=job)
    except LockBusy as busy:
        raise click.ClickException(str(busy)) from busy
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    for name, counts in result.counts.items():
        shown = ", ".join(f"{key}={value}" for key, value in counts.items()) or "-"
        click.echo(f"{today} {name}: {shown}")
    for name, error in result.failed.items():
        click.echo(f"{today} {name}: FAILED {error}", err=True)
    if not result.ok:
        raise SystemExit(2)


@cron_group.command("list")
@with_appcontext
def cron_list() -> None:
    """List the jobs in the order a pass runs them."""
    from bridge.jobs.runner import job_table

    for job in job_table(bridge_state()):
        every = f" (also every {job.every_minutes} min)" if job.every_minutes else ""
        click.echo(f"{job.name:24} {job.description}{every}")


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the APScheduler loop (one process per install; the database lock backs that up)."""
    from bridge.jobs.scheduler import build_scheduler

    scheduler: Any = build_scheduler(bridge_state())
    click.echo("automation scheduler started; Ctrl+C stops it")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)


def register(group: click.Group) -> None:
    """Add ``cron`` and ``scheduler`` to the ``bridge`` command group."""
    group.add_command(cron_group)
    group.add_command(scheduler_command)
