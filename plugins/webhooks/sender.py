"""The delivery worker: a queue of signed POSTs sent from one background thread, with retries.

Event hooks run right after the core commits, inside the request that made the change, so
:meth:`WebhookSender.submit` only encodes the body and queues it; a worker thread does the
network I/O. Retries are scheduled (a heap ordered by due time), not slept in line, so one
slow endpoint's backoff never delays another's first attempt.
"""

from __future__ import annotations

import atexit
import heapq
import itertools
import json
import logging
import os
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from .signing import compute_signature, encode_body

log = logging.getLogger(__name__)

USER_AGENT = "hostbridge-webhooks/1"


@dataclass(frozen=True)
class Endpoint:
    """One receiver: its URL, the shared secret, and the event names it wants (``*``: all)."""

    url: str
    secret: str = field(repr=False)
    events: frozenset[str] = frozenset({"*"})

    def wants(self, event: str) -> bool:
        """Whether ``event`` should be sent to this endpoint."""
        return "*" in self.events or event in self.events


@dataclass
class _Job:
    endpoint: Endpoint
    delivery_id: str
    event: str
    body: str
    attempt: int = 1


def _utc_iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class WebhookSender:
    """Queues deliveries and sends them on a worker thread, logging every attempt.

    ``max_attempts`` counts the first try. Connection errors, timeouts, HTTP 5xx and 429 are
    retried after ``backoff * 2**(attempt-1)`` seconds (capped at ``backoff_max``), scaled by
    a random factor in [0.5, 1] so receivers recovering from an outage are not hit in step;
    a numeric ``Retry-After`` on 429/503 is honoured up to the cap. Other answers (2xx done;
    3xx and 4xx refused) are final. Each attempt is appended to :attr:`deliveries` (a ring
    buffer of ``log_size`` entries) and, when ``log_path`` is set, to that JSONL file.
    At interpreter exit :meth:`close` gets ``shutdown_timeout`` seconds to drain the queue.
    """

    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        *,
        timeout: float = 10.0,
        max_attempts: int = 5,
        backoff: float = 2.0,
        backoff_max: float = 300.0,
        log_path: str | None = None,
        log_size: int = 1000,
        shutdown_timeout: float = 5.0,
        session: requests.Session | None = None,
    ) -> None:
        self.endpoints = tuple(endpoints)
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.log_path = log_path
        self.shutdown_timeout = shutdown_timeout
        self._atexit = False
        self._session = session or requests.Session()
        self._log: deque[dict[str, Any]] = deque(maxlen=log_size)
        self._log_lock = threading.Lock()
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Job]] = []
        self._seq = itertools.count()
        self._inflight = 0
        self._stopping = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    # -- producer side ---------------------------------------------------------------------

    def submit(self, event: str, payload: Any) -> str | None:
        """Queue ``event`` for every endpoint that wants it; returns the delivery id.

        Returns None (and sends nothing) when no endpoint subscribes to ``event`` or the
        sender is closed. Never blocks on the network.
        """
        targets = [ep for ep in self.endpoints if ep.wants(event)]
        if not targets:
            return None
        if self._closed:
            log.warning("webhooks: sender closed, dropping event %s", event)
            return None
        delivery_id = str(uuid.uuid4())
        body = encode_body(delivery_id, event, _utc_iso(datetime.now(UTC)), payload)
        with self._cond:
            self._ensure_worker()
            for endpoint in targets:
                self._push(time.monotonic(), _Job(endpoint, delivery_id, event, body))
            self._cond.notify_all()
        return delivery_id

    def _push(self, due: float, job: _Job) -> None:
        heapq.heappush(self._heap, (due, next(self._seq), job))

    def _ensure_worker(self) -> None:
        # A worker thread does not survive fork (gunicorn workers): start one per process.
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name="webhooks-sender", daemon=True)
        self._thread.start()
        if not self._atexit:
            # the worker is a daemon thread: give queued deliveries a few seconds at exit
            atexit.register(self.close, self.shutdown_timeout)
            self._atexit = True

    # -- waiting and shutdown --------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued delivery (retries included) is finished; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._heap and not self._inflight, timeout)

    def close(self, timeout: float | None = 5.0) -> bool:
        """Stop accepting events, wait up to ``timeout`` for the queue, then stop the worker.

        Deliveries still queued after the wait are logged with outcome ``abandoned``.
        Returns True when everything queued was finished.
        """
        self._closed = True
        if self._atexit:
            atexit.unregister(self.close)
            self._atexit = False
        drained = self.flush(timeout)
        with self._cond:
            self._stopping = True
            leftover = [job for _, _, job in self._heap]
            self._heap.clear()
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.timeout + 1.0)
        for job in leftover:
            self._record(job, None, "sender closed before delivery", 0.0, "abandoned")
        return drained and not leftover

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        """A copy of the in-memory attempt log, oldest first."""
        with self._log_lock:
            return list(self._log)

    # -- worker side -----------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                job = self._next_job()
                if job is None:
                    return
                self._inflight += 1
            retry_at: float | None = None
            try:
                retry_at = self._attempt(job)
            except Exception:  # the worker must outlive any single delivery's bug
                log.exception("webhooks: delivery %s to %s crashed", job.delivery_id,
                              job.endpoint.url)
            dropped = False
            with self._cond:
                self._inflight -= 1
                if retry_at is not None:
                    dropped = self._stopping
                    if not dropped:
                        job.attempt += 1
                        self._push(retry_at, job)
                self._cond.notify_all()
            if dropped:
                self._record(job, None, "sender closed before retry", 0.0, "abandoned")

    def _next_job(self) -> _Job | None:
        """Pop the next due job (caller holds the condition); None when stopping."""
        while not self._stopping:
            if self._heap:
                wait = self._heap[0][0] - time.monotonic()
                if wait <= 0:
                    return heapq.heappop(self._heap)[2]
                self._cond.wait(wait)
            else:
                self._cond.wait()
        return None

    def _attempt(self, job: _Job) -> float | None:
        """Send one attempt; returns when to retry (monotonic time) or None when final."""
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Hostbridge-Event": job.event,
            "X-Hostbridge-Delivery": job.delivery_id,
            "X-Hostbridge-Timestamp": str(timestamp),
            "X-Hostbridge-Signature": compute_signature(job.endpoint.secret, timestamp, job.body),
        }
        status: int | None = None
        error: str | None = None
        retry_after: float | None = None
        started = time.monotonic()
        try:
            response = self._session.post(
                job.endpoint.url, data=job.body.encode("utf-8"), headers=headers,
                timeout=self.timeout, allow_redirects=False,
            )
            status = response.status_code
            retry_after = _retry_after(response.headers.get("Retry-After"))
            response.close()
        except requests.Timeout:
            error = f"timed out after {self.timeout}s"
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"
        duration = time.monotonic() - started

        if status is not None and 200 <= status < 300:
            self._record(job, status, None, duration, "delivered")
            return None
        retryable = status is None or status >= 500 or status == 429
        if not retryable or job.attempt >= self.max_attempts:
            self._record(job, status, error, duration, "failed")
            return None
        delay = self._delay(job.attempt)
        if retry_after is not None and status in (429, 503):
            delay = max(delay, min(retry_after, self.backoff_max))
        self._record(job, status, error, duration, "retrying")
        return time.monotonic() + delay

    def _delay(self, attempt: int) -> float:
        base: float = min(self.backoff_max, self.backoff * 2.0 ** (attempt - 1))
        return base * random.uniform(0.5, 1.0)

    def _record(
        self, job: _Job, status: int | None, error: str | None, duration: float, outcome: str
    ) -> None:
        entry = {
            "at": _utc_iso(datetime.now(UTC)),
            "delivery_id": job.delivery_id,
            "event": job.event,
            "url": job.endpoint.url,
            "attempt": job.attempt,
            "status_code": status,
            "error": error,
            "duration_ms": round(duration * 1000, 1),
            "outcome": outcome,
        }
        level = logging.INFO if outcome == "delivered" else logging.WARNING
        log.log(level, "webhook %s %s -> %s attempt %d: %s", job.event, job.delivery_id,
                job.endpoint.url, job.attempt, error or status)
        with self._log_lock:
            self._log.append(entry)
            if self.log_path:
                try:
                    with open(self.log_path, "a", encoding="utf-8") as handle:
                        handle.write(json.dumps(entry) + "\n")
                except OSError as exc:
                    log.warning("webhooks: cannot write delivery log %s: %s", self.log_path, exc)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a numeric ``Retry-After`` header (HTTP-date forms are ignored)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
