"""Scheduler job functions and the job table (:mod:`bridge.jobs.schedule`).

Jobs are thin: the runner (:mod:`bridge.jobs.runner`) opens a transaction and calls one
service of :mod:`bridge.services.automation`; the scheduler (:mod:`bridge.jobs.scheduler`)
calls the runner on a timetable.
"""
