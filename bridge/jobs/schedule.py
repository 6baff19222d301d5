"""The job table: every automation job, in the order the daily pass runs them.

Order matters: invoices are created before credit is applied and cards are charged, charges
happen before reminders (a paid invoice needs no reminder) and before suspensions (a charged
invoice suspends nothing), and the summary runs last. Plugins add jobs through the
``register_jobs`` hook; they run after the core jobs and before the summary.
"""

from __future__ import annotations

from collections.abc import Iterable

from bridge.errors import ConfigError
from bridge.services.automation import (
    billing,
    housekeeping,
    mailer,
    notices,
    overdue,
    renewals,
    usage,
)
from bridge.services.automation.runs import daily_summary
from hooks import JobSpec

SUMMARY = "daily_summary"

CORE_JOBS: tuple[JobSpec, ...] = (
    JobSpec("renewal_invoices", renewals.invoice_renewals,
            "Invoice services, addons and domains due within the lead days"),
    JobSpec("apply_credit", billing.apply_credit_to_invoices,
            "Apply client credit to open invoices"),
    JobSpec("capture_payments", billing.capture_due_invoices,
            "Charge due invoices to stored pay methods (with retry days)"),
    JobSpec("late_fees", billing.add_late_fees, "Add a late fee to overdue invoices, once"),
    JobSpec("invoice_reminders", notices.queue_invoice_reminders,
            "Queue payment reminders and overdue notices"),
    JobSpec("overdue_suspensions", overdue.suspend_overdue_services,
            "Suspend services overdue past the grace days"),
    JobSpec("overdue_terminations", overdue.terminate_overdue_services,
            "Terminate services overdue past the termination days"),
    JobSpec("cancellation_requests", housekeeping.process_cancellation_requests,
            "Terminate services whose cancellation is due"),
    JobSpec("domain_sync", housekeeping.sync_domain_expiry,
            "Sync expiry and status of expiring domains from registrars"),
    JobSpec("usage_sync", usage.import_server_usage,
            "Import disk and bandwidth usage from the server modules"),
    JobSpec("module_retries", housekeeping.retry_module_queue,
            "Retry failed server module operations", every_minutes=60),
    JobSpec("ticket_autoclose", housekeeping.close_inactive_tickets,
            "Close tickets without a reply for the configured hours"),
    JobSpec("send_mail", mailer.send_outbox, "Send queued mail over SMTP", every_minutes=5),
    JobSpec(SUMMARY, daily_summary, "Write the daily summary and emit the event"),
)


def all_jobs(plugin_jobs: Iterable[Iterable[JobSpec] | None] = ()) -> list[JobSpec]:
    """Core jobs, then plugin jobs (``register_jobs`` results), then the summary.

    Raises ConfigError for something that is not a JobSpec or a duplicate name.
    """
    core = [job for job in CORE_JOBS if job.name != SUMMARY]
    summary = [job for job in CORE_JOBS if job.name == SUMMARY]
    extra: list[JobSpec] = []
    for contributed in plugin_jobs:
        for job in contributed or []:
            if not isinstance(job, JobSpec) or not job.name or not callable(job.function):
                raise ConfigError(f"register_jobs returned {job!r}; return hooks.JobSpec "
                                  "objects with a name and a function")
            extra.append(job)
    jobs = core + extra + summary
    seen: dict[str, JobSpec] = {}
    for job in jobs:
        if job.name in seen:
            raise ConfigError(f"two automation jobs are named {job.name!r} "
                              f"({seen[job.name].function!r} and {job.function!r}); "
                              "rename the plugin's job")
        seen[job.name] = job
    return jobs
