"""Billing automation: the services behind the daily run (one module per job).

Every job service takes the business date ``today`` explicitly (never the clock), processes
what is due on it, and returns counts. Each is idempotent: what it did is visible in the data
(an invoice for the period, a moved date, a status, or an :class:`AutomationMark`), so a
second run, or a rerun after a crash, finds nothing left to do for the items already done.
Long jobs call ``checkpoint()`` between items or batches; the runner passes ``session.commit``
so a crash loses at most the batch in flight, which the rerun then redoes.
"""

from __future__ import annotations
