"""The runner: one at a time (database lock), plugin jobs, failures recorded, the CLI and
the scheduler's persistent job store."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import inspect, select

from bridge.cli import main
from bridge.db import utcnow
from bridge.errors import ConfigError
from bridge.jobs.runner import CRON, LockBusy, job_table, run_pass
from bridge.jobs.scheduler import JOBSTORE_TABLE, build_scheduler
from bridge.models import AutomationRun, JobLock
from bridge.services.automation.runs import acquire_lock, release_lock
from hooks import JobSpec, hookimpl

DAY = date(2028, 5, 1)


class SlowJobPlugin:
    """Adds a job that takes a while and records the dates it ran for."""

    def __init__(self, seconds: float = 0.0, fail: bool = False) -> None:
        self.seconds, self.fail, self.ran = seconds, fail, []

    @hookimpl
    def register_jobs(self):
        def work(session, today, *, checkpoint=None):
            self.ran.append(today)
            time.sleep(self.seconds)
            if self.fail:
                raise ValueError("plugin job broke")
            return {"done": 1}

        return [JobSpec("plugin_work", work, "A plugin's job")]


def test_plugin_jobs_run_after_core_jobs_and_before_the_summary(state, register_plugin):
    plugin = register_plugin(SlowJobPlugin(), name="slow-job")
    names = [job.name for job in job_table(state)]
    assert names[-2:] == ["plugin_work", "daily_summary"]
    result = run_pass(state, DAY)
    assert result.ok and result.counts["plugin_work"] == {"done": 1}
    assert plugin.ran == [DAY]


def test_a_failing_job_is_recorded_and_the_others_still_run(state, register_plugin):
    register_plugin(SlowJobPlugin(fail=True), name="broken-job")
    result = run_pass(state, DAY)
    assert result.failed == {"plugin_work": "ValueError: plugin job broke"}
    assert "renewal_invoices" in result.counts and "daily_summary" not in result.counts
    with state.transaction(CRON) as session:
        run = session.scalar(select(AutomationRun).where(AutomationRun.job == "plugin_work"))
        assert (run.status, run.error) == ("failed", "ValueError: plugin job broke")


def test_duplicate_job_names_are_refused(state, register_plugin):
    class Clash:
        @hookimpl
        def register_jobs(self):
            return [JobSpec("renewal_invoices", lambda s, t, **k: {})]

    register_plugin(Clash(), name="clash")
    with pytest.raises(ConfigError, match="two automation jobs are named 'renewal_invoices'"):
        job_table(state)


def test_unknown_job_is_a_clear_error(state):
    with pytest.raises(ConfigError, match="no automation job named 'nope'; jobs: renewal_"):
        run_pass(state, DAY, only="nope")


def test_a_second_concurrent_runner_is_refused(state, register_plugin):
    register_plugin(SlowJobPlugin(seconds=1.5), name="slow-job")
    outcomes: dict[str, object] = {}

    def runner(name: str) -> None:
        try:
            outcomes[name] = run_pass(state, DAY, holder=name)
        except LockBusy as busy:
            outcomes[name] = busy

    threads = [threading.Thread(target=runner, args=(f"runner-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
        time.sleep(0.3)
    for thread in threads:
        thread.join()
    assert not isinstance(outcomes["runner-1"], LockBusy)
    busy = outcomes["runner-2"]
    assert isinstance(busy, LockBusy) and "runner-1" in str(busy)
    with state.transaction(CRON) as session:
        # the refused runner ran nothing; the lock is free again
        assert session.scalar(select(JobLock.holder)) == ""
        jobs = session.scalars(select(AutomationRun.holder)).all()
        assert set(jobs) == {"runner-1"}


def test_a_stale_lock_is_taken_over(state):
    with state.transaction(CRON) as session:
        acquire_lock(session, "dead-runner", timedelta(minutes=5))
    with pytest.raises(LockBusy, match="dead-runner"):
        run_pass(state, DAY, only="apply_credit")
    with state.transaction(CRON) as session:
        lock = session.get(JobLock, "automation")
        lock.expires_at = utcnow() - timedelta(seconds=1)
    assert run_pass(state, DAY, only="apply_credit").ok


def test_release_only_by_the_holder(state):
    with state.transaction(CRON) as session:
        acquire_lock(session, "a", timedelta(minutes=5))
    with state.transaction(CRON) as session:
        release_lock(session, "b")
    with state.transaction(CRON) as session:
        assert session.get(JobLock, "automation").holder == "a"


def test_cli_cron_run(app, state):
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["cron", "run", "--date", "2028-05-01", "--job",
                                 "renewal_invoices"])
    assert result.exit_code == 0, result.output
    assert "2028-05-01 renewal_invoices: clients=0, invoices=0, lines=0" in result.output
    with state.transaction(CRON) as session:
        acquire_lock(session, "other-host:42", timedelta(minutes=5))
    busy = runner.invoke(main, ["cron", "run", "--date", "2028-05-01"])
    assert busy.exit_code == 1
    assert "another automation runner (other-host:42) holds the lock" in busy.output
    bad = runner.invoke(main, ["cron", "run", "--date", "2028-13-01"])
    assert bad.exit_code == 2 and "use YYYY-MM-DD" in bad.output
    listing = runner.invoke(main, ["cron", "list"])
    assert listing.output.splitlines()[0].startswith("renewal_invoices")


def test_scheduler_keeps_its_jobs_in_the_app_database(state, configure):
    from apscheduler.schedulers.background import BackgroundScheduler

    configure(daily_time="03:30")
    scheduler = build_scheduler(state, BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"daily_pass", "job:module_retries", "job:send_mail"}
        assert str(jobs["daily_pass"].trigger) == "cron[hour='3', minute='30']"
        assert jobs["job:send_mail"].kwargs == {"job": "send_mail"}
    finally:
        scheduler.shutdown(wait=False)
    assert JOBSTORE_TABLE in inspect(state.db.engine).get_table_names()


def test_scheduler_refuses_a_bad_daily_time(state, configure):
    configure(daily_time="25:00")
    with pytest.raises(ConfigError, match="HH:MM"):
        build_scheduler(state)
