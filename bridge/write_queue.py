"""A queue in front of SQLite's write lock, shared by every process of an instance.

On SQLite a write transaction (``BEGIN IMMEDIATE``) holds the database's one write lock until
it commits. A second writer does not wait on the lock itself: SQLite's busy handler sleeps in
growing steps (1, 2, 5, 10, 15, 20, 25, ... ms) and retries, so a writer queued behind a
2 ms transaction often sleeps 10-25 ms, and with two gunicorn workers the writes got slower
than with one. :class:`WriteQueue` is an exclusive ``flock`` on a file in the instance folder
taken before the transaction begins and released after its commit or rollback: a writer
that finds it held sleeps in the kernel and wakes the moment the holder lets go.

Rules that keep it safe:
- Reentrant per thread: a thread that holds it and opens another write transaction passes
  straight through (the inner transaction then meets SQLite's own lock exactly as without
  the queue).
- Each thread locks through its own open file (``flock`` locks belong to an open file, so a
  shared descriptor would let two threads of one process in together); a forked child opens
  its own.
- The wait is bounded (the busy timeout): past it the writer goes on without the queue and
  SQLite's busy handler does the waiting, as before. A holder that dies releases the lock
  with its process.
- Processes that do not use it (a console, another tool) still meet SQLite's lock and its
  busy timeout; they are not queued, only not helped.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path


class _Waiter:
    """A blocking ``flock`` run in a helper thread so the wait can time out."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.done = threading.Event()
        self.state = threading.Lock()
        self.abandoned = False
        self.failed = False

    def run(self) -> None:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except OSError:
            self.failed = True
        with self.state:
            if self.abandoned:  # the writer went on without the queue: let the next one in
                os.close(self.fd)
                return
            self.done.set()

    def wait(self, timeout: float) -> bool:
        """True when the lock was taken within ``timeout``; otherwise the helper closes the
        file (releasing the lock) whenever its ``flock`` returns."""
        self.done.wait(timeout)
        with self.state:  # run() decides under the same lock: taken, or closed by it
            if not self.done.is_set():
                self.abandoned = True
                return False
        if self.failed:
            os.close(self.fd)
            return False
        return True


class _Handle:
    """One thread's open file on the queue (closed when the thread's locals go)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pid = os.getpid()
        self.depth = 0

    def __del__(self) -> None:
        if self.fd >= 0 and self.pid == os.getpid():
            os.close(self.fd)


class WriteQueue:
    """The instance-wide queue of SQLite writers (see the module docstring)."""

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(self._open())  # fail now (unwritable folder), not on the first write
        self._local = threading.local()

    def _open(self) -> int:
        # O_NOFOLLOW: never lock a file a symlink planted in the instance folder points to
        return os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)

    def _handle(self) -> _Handle:
        handle: _Handle | None = getattr(self._local, "handle", None)
        if handle is None or handle.pid != os.getpid():  # new thread, or a forked child
            if handle is not None:
                handle.fd = -1  # the parent's open file: shared with it, never locked here
            handle = self._local.handle = _Handle(self._open())
        return handle

    def acquire(self) -> bool:
        """Take the queue's lock (reentrant per thread). False when the wait ran past the
        timeout: the caller goes on unqueued and must not call :meth:`release`."""
        try:
            handle = self._handle()
        except OSError:  # the file went away or the descriptors ran out: SQLite waits
            return False
        if handle.depth:
            handle.depth += 1
            return True
        try:
            fcntl.flock(handle.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # held elsewhere: wait in the kernel, in a helper thread so the wait is bounded
            waiter = _Waiter(handle.fd)
            threading.Thread(target=waiter.run, name="bridge-write-queue", daemon=True).start()
            if not waiter.wait(self.timeout):
                handle.fd = -1  # the helper owns (and closes) that open file now
                self._local.handle = None
                return False
        except OSError:  # e.g. no locks on this file system: SQLite waits, as before
            return False
        handle.depth = 1
        return True

    def release(self) -> None:
        """Let the next writer in (after the commit or rollback of the outermost transaction
        that took the lock in this thread)."""
        handle: _Handle = self._local.handle
        handle.depth -= 1
        if handle.depth == 0:
            fcntl.flock(handle.fd, fcntl.LOCK_UN)

    def held(self) -> bool:
        """Whether this thread holds the lock."""
        handle: _Handle | None = getattr(self._local, "handle", None)
        return handle is not None and handle.pid == os.getpid() and handle.depth > 0
