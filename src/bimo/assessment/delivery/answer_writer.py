"""Group commit for the answer write path: one writer thread per process and database.

A durable commit costs an ``fsync`` — 0.3 ms on an idle disk, several ms on a busy one — and
every SQL statement of a Python thread gives up the GIL and must win it back from the threads
busy with HTTP, which under load takes up to the interpreter's switch interval (5 ms). One
transaction per request, serialised by SQLite's single writer, therefore caps the answer
writes at a few dozen per second on a loaded two-core server (measured: 20–95 requests/s).

Here every request hands its :class:`~bimo.assessment.delivery.responses.AnswerWrite` to the
process's writer thread and waits for the outcome. The writer takes everything that queued up
while its last commit ran, stores it with one call of
:func:`~bimo.assessment.delivery.responses.record_many` (a fixed handful of statements
however many requests), commits once and only then answers all of them — the acknowledgement
still means "committed". On SQLite the writers of the worker processes take turns through an
``flock`` beside the database file (the kernel hands the lock on at once, unlike SQLite's busy
handler, which polls with sleeps of up to 100 ms). On PostgreSQL the per-attempt row locks
suffice. If a batch contains a change that conflicts with a stored one, the batch is rolled
back and its writes are repeated one transaction each, so only the offending request fails.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from .errors import DeliveryError
from .responses import AnswerConflictError, AnswerWrite, Recorded, record_many

__all__ = [
    "GATHER_SECONDS",
    "GROUP_EVENTS",
    "IDLE_SECONDS",
    "submit_write",
    "write_answers",
    "write_gate",
]

_LOG = logging.getLogger("bimo.assessment.delivery")
# Most answer changes in one transaction (bounds the statement size: 7 values per row).
GROUP_EVENTS = 2000
# How long a writer under load waits for further requests before it commits (see _loop).
GATHER_SECONDS = 0.004
# SQLite: how often the checkpointer looks at the write-ahead log, and from which size on it
# moves the log into the database file (SQLite's default: 1,000 pages of 4 KiB).
CHECKPOINT_SECONDS = 0.5
CHECKPOINT_WAL_BYTES = 64 * 1024 * 1024
# A writer thread without work ends after this long (tests create many apps and engines).
IDLE_SECONDS = 60.0


class _Gate:
    """A thread lock plus an ``flock`` on a file beside the database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.fd: int | None = None

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self.lock:
            if self.fd is None:
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self.fd, fcntl.LOCK_UN)


_LOCK = threading.Lock()
_GATES: dict[tuple[int, str], _Gate] = {}


@contextmanager
def write_gate(engine: Engine) -> Iterator[None]:
    """Serialise the answer writers of one SQLite file across threads and processes.

    Other writers (code entry, proctor actions) still meet SQLite's busy handler, rarely.
    Without effect on other databases.
    """
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        yield
        return
    key = (os.getpid(), str(Path(url.database).resolve()))
    with _LOCK:
        gate = _GATES.get(key)
        if gate is None:
            gate = _GATES[key] = _Gate(Path(key[1] + "-antworten.lock"))
    with gate.hold():
        yield


def _wal_path(engine: Engine) -> Path | None:
    """The write-ahead log of a SQLite file database (``None`` for anything else)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database + "-wal")


def _checkpoint_loop(engine: Engine, wal: Path, stop: threading.Event) -> None:
    """Move the write-ahead log into the database file while the writer goes on.

    A ``PASSIVE`` checkpoint takes no write lock: the writer keeps committing meanwhile. It
    runs whenever the log has grown beyond SQLite's own default threshold (1,000 pages).
    """
    while not stop.wait(CHECKPOINT_SECONDS):
        try:
            if wal.stat().st_size < CHECKPOINT_WAL_BYTES:
                continue
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception as exc:  # a failed checkpoint is repeated next time; never fatal
            _LOG.warning("WAL-Checkpoint gescheitert: %s", type(exc).__name__)


@dataclass
class _Job:
    write: AnswerWrite
    future: Future[Recorded]


class _Writer:
    """The writer thread of one engine in this process (see the module text)."""

    def __init__(self, engine: Engine, key: tuple[int, int]) -> None:
        self.engine = engine
        self.key = key
        self.jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self.wal = _wal_path(engine)
        self.conn: Connection | None = None
        self.thread = threading.Thread(target=self._run, name="bimo-antworten", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        stop = threading.Event()
        if self.wal is not None:
            # SQLite: the writer's own connection never checkpoints (a checkpoint inside the
            # commit held the write gate and the acknowledgements for tens of milliseconds,
            # the p99 of the whole path); a checkpointer thread beside it does that work.
            self.conn = self.engine.connect()
            self.conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
            self.conn.commit()
            threading.Thread(
                target=_checkpoint_loop, args=(self.engine, self.wal, stop), daemon=True,
                name="bimo-antworten-checkpoint",
            ).start()  # fmt: skip
        try:
            self._loop()
        finally:
            stop.set()
            if self.conn is not None:
                self.conn.close()

    def _next(self) -> _Job | None:
        while True:
            try:
                return self.jobs.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with _LOCK:  # submit_write queues under the same lock: nothing is missed
                    if self.jobs.empty():
                        if _WRITERS.get(self.key) is self:
                            del _WRITERS[self.key]
                        return None

    def _loop(self) -> None:
        busy = False  # the last commit carried several requests: requests are arriving fast
        while (first := self._next()) is not None:
            jobs = [first]
            events = len(first.write.events)
            # Under load, wait a moment for more requests before committing: a commit's cost
            # is mostly fixed (2.6 ms CPU for one request, 3 ms for five, on SQLite), so
            # fuller batches free CPU for the requests still queueing. At a calm pace the
            # batches are single requests and nothing waits.
            until = time.monotonic() + GATHER_SECONDS if busy else 0.0
            while events < GROUP_EVENTS:
                try:
                    wait = until - time.monotonic()
                    job = self.jobs.get(timeout=wait) if wait > 0 else self.jobs.get_nowait()
                except queue.Empty:
                    break
                jobs.append(job)
                events += len(job.write.events)
            busy = len(jobs) > 1
            try:
                self._commit(jobs)
            except AnswerConflictError:
                # One request conflicts with a stored change: find it by going one by one.
                for job in jobs:
                    self._commit([job])

    def _commit(self, jobs: list[_Job]) -> None:
        """Store and commit ``jobs``; resolve their futures (AnswerConflictError propagates
        for a batch of several, so that the caller can repeat them singly)."""
        try:
            bind = self.conn if self.conn is not None else self.engine
            with write_gate(self.engine), Session(bind, expire_on_commit=False) as db:
                outcomes = record_many(db, [job.write for job in jobs])
                db.commit()
        except AnswerConflictError as exc:
            if len(jobs) > 1:
                raise
            jobs[0].future.set_exception(exc)
            return
        except Exception as exc:
            # Nothing of the batch is committed: every request fails, its player retries.
            _LOG.warning("Antwort-Transaktion gescheitert: %s", type(exc).__name__)
            for job in jobs:
                job.future.set_exception(exc)
            return
        for job, outcome in zip(jobs, outcomes, strict=True):
            if isinstance(outcome, DeliveryError):
                job.future.set_exception(outcome)
            else:
                job.future.set_result(outcome)


_WRITERS: dict[tuple[int, int], _Writer] = {}


def submit_write(engine: Engine, write: AnswerWrite) -> Future[Recorded]:
    """Queue ``write`` for the engine's writer in this process (started on demand).

    The future resolves after the commit with the :class:`Recorded` outcome, or with the
    write's :class:`DeliveryError` (or the database error that failed its batch).
    """
    key = (os.getpid(), id(engine))
    future: Future[Recorded] = Future()
    with _LOCK:
        writer = _WRITERS.get(key)
        if writer is None or writer.engine is not engine:
            writer = _WRITERS[key] = _Writer(engine, key)
        writer.jobs.put(_Job(write, future))
    return future


async def write_answers(engine: Engine, write: AnswerWrite) -> Recorded:
    """Await the committed outcome of ``write`` (no pool thread waits for the commit)."""
    return await asyncio.wrap_future(submit_write(engine, write))
