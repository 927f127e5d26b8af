"""The answer write path: every answer change of the player, stored exactly once.

The player numbers each answer change of an attempt with a sequence number (``seq``) and
keeps it in its browser queue until the server has acknowledged it. Network errors make the
player send the same change again, possibly together with later ones or in another order, and
two tabs or a retry racing its timed-out original can deliver one change twice at the same
moment. :func:`record_answers` makes all of that harmless:

* ``(attempt_id, seq)`` is unique in ``test_responses``; the rows are written with
  ``INSERT … ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL), so a concurrent duplicate
  neither fails nor is stored twice; an identical re-sent change counts as a *duplicate* and is
  acknowledged again;
* the same ``seq`` with a different item or value is a client error: :class:`AnswerConflictError`
  (HTTP 409) and nothing of the batch is stored;
* the acknowledgement ``acked_seq`` is a *watermark*: every change with ``seq ≤ acked_seq`` is
  committed (or finally refused, see below). The player may drop exactly those from its queue,
  however the batches were split, reordered or retried. It is stored in ``attempt.last_seq``;
* all of a batch is one transaction, and the caller acknowledges only after its commit.

**Closed blocks and the grace period.** A change belongs to the block (cluster position) of
its item. Changes to the running block are accepted until its server-side deadline; changes a
player queued offline shortly before a block closed (time up, finished early, submitted, test
session ended) are still accepted for :data:`GRACE_SECONDS` after that moment. Later ones,
and changes to items outside the attempt's booklet, are *refused* with a German reason: they
count as processed (acknowledged, so the player's queue drains), but are not stored, so they
never reach the scores. Changes to a block that has not begun yet raise
:class:`BlockNotOpenError` and stay in the player's queue. A locked attempt (opened on a
second device) raises :class:`AttemptLockedError` until the proctor unlocks it.

**Locking.** Batches of one attempt are serialised by locking the attempt row first
(``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite a no-op ``UPDATE`` that takes the database
write lock as the transaction's first statement, so a concurrent writer waits in the busy
handler instead of failing with a stale snapshot).

**Many requests, one call.** :func:`record_many` stores the batches of many requests (of any
attempts) with a fixed handful of statements; :func:`record_answers` is its one-request form.
The web API does not call either directly but hands its requests to the group commit of
:mod:`bimo.assessment.delivery.answer_writer`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Executable, Insert, bindparam, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import ReturningInsert

from bimo.assessment.delivery.errors import DeliveryError
from bimo.assessment.delivery.models import (
    Attempt,
    AttemptStatus,
    SessionStatus,
    TestDefinition,
    TestResponse,
    TestSession,
)
from bimo.assessment.delivery.sessions import Timer, timer
from bimo.assessment.delivery.tests import booklet_items
from bimo.core.operational import Base, utcnow

__all__ = [
    "GRACE_SECONDS",
    "MAX_EVENTS",
    "AnswerConflictError",
    "AnswerEvent",
    "AnswerWrite",
    "AttemptLockedError",
    "BlockNotOpenError",
    "Recorded",
    "RejectedEvent",
    "SyncResult",
    "UnknownAttemptError",
    "booklet_blocks",
    "canonical_value",
    "final_answers",
    "last_stored_seq",
    "record_answers",
    "record_many",
]

# How long after a block closed its queued answers are still accepted: long enough for a
# classroom WLAN that drops out just before the deadline to come back, short enough that a
# closed block cannot be reworked after the next block's items were seen.
GRACE_SECONDS = 180
# Largest batch the player sends (its queue is sent oldest first, in chunks of this size).
MAX_EVENTS = 200
MAX_VALUE_CHARS = 20_000
# The tables for the Core statements of the hot path (no unit-of-work bookkeeping).
_RESPONSES = Base.metadata.tables[TestResponse.__tablename__]
_ATTEMPTS = Base.metadata.tables[Attempt.__tablename__]
_CONTEXT = (
    select(TestSession, TestDefinition)
    .join(TestDefinition, TestDefinition.id == TestSession.test_id)
    .where(TestSession.id.in_(bindparam("ids", expanding=True)))
)
_STORED = select(
    TestResponse.attempt_id, TestResponse.seq, TestResponse.item_id, TestResponse.value
).where(tuple_(TestResponse.attempt_id, TestResponse.seq).in_(bindparam("keys", expanding=True)))
_LATER = (
    select(TestResponse.attempt_id, TestResponse.seq)
    .join(Attempt, Attempt.id == TestResponse.attempt_id)
    .where(Attempt.id.in_(bindparam("ids", expanding=True)), TestResponse.seq > Attempt.last_seq)
)
_MOVE_WATERMARK = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("attempt"))
    .values(last_seq=bindparam("mark"))
)


class AnswerConflictError(DeliveryError):
    """The same sequence number arrived with a different item or value."""


class AttemptLockedError(DeliveryError):
    """The attempt is locked (second device) or otherwise not writable for now."""


class UnknownAttemptError(DeliveryError):
    """No attempt has this token (a new code entry replaced it, or it never existed)."""


class BlockNotOpenError(DeliveryError):
    """A change for a block that has not begun: kept in the player's queue, sent again later."""


@dataclass(frozen=True)
class AnswerEvent:
    """One answer change: ``value`` is the JSON form of the QTI response (None: cleared)."""

    seq: int
    item_ref: str
    value: Any


@dataclass(frozen=True)
class RejectedEvent:
    """A change refused for good (acknowledged, not stored) and the German reason."""

    seq: int
    item_ref: str
    reason: str


@dataclass(frozen=True)
class SyncResult:
    """Outcome of one batch. ``acked_seq``: every change up to it is committed or refused."""

    acked_seq: int
    stored: int
    duplicates: int
    rejected: tuple[RejectedEvent, ...] = ()


def canonical_value(value: Any) -> str:
    """The stored JSON text of a value: key order and spacing never make a re-send differ."""
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise DeliveryError(f"Die Antwort ist kein gültiger JSON-Wert: {exc}") from exc
    if len(text) > MAX_VALUE_CHARS:
        raise DeliveryError(
            f"Die Antwort ist zu lang ({len(text)} Zeichen, höchstens {MAX_VALUE_CHARS})."
        )
    return text


@lru_cache(maxsize=512)
def _blocks(test_id: int, clusters: str, design: str, booklet: int) -> dict[str, int]:
    # Keyed by the definition's JSON, not only its id: a cache entry can never outlive a
    # changed (or, in tests, re-created) definition.
    test = TestDefinition(id=test_id, clusters=clusters, design=design)
    return {item.item_ref: item.block for item in booklet_items(test, booklet)}


def booklet_blocks(test: TestDefinition, booklet: int) -> dict[str, int]:
    """Item reference → block (cluster position) for one booklet of ``test``."""
    return _blocks(test.id, test.clusters, test.design, booklet)


# The write path's statements are built once, with expanding bind parameters for the id
# lists: building a statement (argument coercion, operators) cost more CPU per group commit
# than executing it, and a finished statement object also keeps its cache key memoised.
_INSERTS: dict[str, ReturningInsert[Any]] = {}
_LOCKS: dict[tuple[bool, bool, bool], Executable] = {}


def _insert(db: Session) -> ReturningInsert[Any]:
    name = db.get_bind().dialect.name
    stmt = _INSERTS.get(name)
    if stmt is None:
        table = _RESPONSES
        keys = ["attempt_id", "seq"]
        if name == "postgresql":
            base: Insert = postgresql.insert(table).on_conflict_do_nothing(index_elements=keys)
        elif name == "sqlite":
            base = sqlite.insert(table).on_conflict_do_nothing(index_elements=keys)
        else:
            raise DeliveryError(f"Datenbank {name} wird für Testantworten nicht unterstützt.")
        stmt = _INSERTS[name] = base.returning(table.c.attempt_id, table.c.seq)
    return stmt


def _unique_events(events: Sequence[AnswerEvent]) -> dict[int, tuple[AnswerEvent, str]]:
    """Events by seq with their canonical value; an in-batch repeat must be identical."""
    if len(events) > MAX_EVENTS:
        raise DeliveryError(
            f"Zu viele Antworten in einer Sendung ({len(events)}, höchstens {MAX_EVENTS})."
        )
    by_seq: dict[int, tuple[AnswerEvent, str]] = {}
    for event in events:
        if isinstance(event.seq, bool) or not isinstance(event.seq, int) or event.seq < 1:
            raise DeliveryError(f"Ungültige Folgenummer {event.seq!r} (erwartet: ganze Zahl ≥ 1).")
        if not isinstance(event.item_ref, str) or not event.item_ref:
            raise DeliveryError(f"Antwort Nr. {event.seq}: Aufgabenkennung fehlt.")
        text = canonical_value(event.value)
        seen = by_seq.get(event.seq)
        if seen is not None and (seen[0].item_ref, seen[1]) != (event.item_ref, text):
            raise _conflict(event.seq)
        by_seq.setdefault(event.seq, (event, text))
    return by_seq


def _conflict(seq: int) -> AnswerConflictError:
    return AnswerConflictError(
        f"Antwort Nr. {seq} wurde schon mit einem anderen Inhalt gespeichert; die Sendung wurde "
        "nicht übernommen. Bitte die Seite neu laden."
    )


@dataclass(frozen=True)
class _Window:
    """Which blocks still accept changes now: the running one and/or the closed ones."""

    current: int
    current_open: bool
    closed_open: bool

    def reason(self, block: int) -> str | None:
        if self.current_open if block == self.current else self.closed_open:
            return None
        return (
            f"Block {block + 1} ist seit mehr als {GRACE_SECONDS // 60} Minuten geschlossen; "
            "die Antwort kam zu spät und wird nicht gewertet."
        )


def _window(attempt: Attempt, session: TestSession, test: TestDefinition, now: datetime) -> _Window:
    grace = timedelta(seconds=GRACE_SECONDS)
    # Everything of the attempt closes when it is submitted or the proctor ends the session.
    ends = [t for t in (attempt.submitted_at, session.ended_at) if t is not None]
    if attempt.status == AttemptStatus.ABGEGEBEN.value and attempt.submitted_at is None:
        ends.append(attempt.block_started_at)
    if session.status == SessionStatus.BEENDET.value and session.ended_at is None:
        ends.append(attempt.block_started_at)
    if ends:
        still = now <= min(ends) + grace
        return _Window(attempt.block, still, still)
    # Earlier blocks closed at the latest when the running block started.
    closed_open = now <= attempt.block_started_at + grace
    if timer(session, test, attempt, now=now).paused:
        return _Window(attempt.block, True, closed_open)
    # The running block is late iff its clock had already run out GRACE_SECONDS ago: asking
    # the server-side timer keeps the deadline rule (extensions, pauses) in one place.
    current_open = not timer(session, test, attempt, now=now - grace).expired
    return _Window(attempt.block, current_open, closed_open)


# --- one call, many requests ----------------------------------------------------------------


@dataclass(frozen=True)
class AnswerWrite:
    """One player request: its changes and its attempt, by id or by the token's hash."""

    events: Sequence[AnswerEvent]
    attempt_id: int | None = None
    token_hash: str | None = None


@dataclass(frozen=True)
class Recorded:
    """What a write reports back: the acknowledgement and the attempt's state and clock."""

    result: SyncResult
    attempt_id: int
    status: str
    clock: Timer


@dataclass
class _Plan:
    """One write after validation: the rows it inserts, what it refuses, what it repeats."""

    attempt: Attempt
    session: TestSession
    test: TestDefinition
    by_seq: dict[int, tuple[AnswerEvent, str]]
    rows: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[RejectedEvent] = field(default_factory=list)
    duplicates: int = 0
    stored: int = 0


def _lock_attempts(db: Session, ids: set[int], hashes: set[str]) -> list[Attempt]:
    """Re-read the attempts inside this transaction, locked until the commit.

    SQLite: a no-op ``UPDATE … RETURNING`` as the transaction's first statement takes the
    database write lock before anything is read (no stale snapshot, no SQLITE_BUSY_SNAPSHOT).
    PostgreSQL: ``SELECT … FOR UPDATE`` in id order, so two batches never deadlock.
    """
    if not ids and not hashes:
        return []
    sqlite_db = db.get_bind().dialect.name == "sqlite"
    key = (sqlite_db, bool(ids), bool(hashes))
    stmt = _LOCKS.get(key)
    if stmt is None:
        conditions: list[ColumnElement[bool]] = []
        if ids:
            conditions.append(Attempt.id.in_(bindparam("ids", expanding=True)))
        if hashes:
            conditions.append(Attempt.token_hash.in_(bindparam("hashes", expanding=True)))
        if sqlite_db:
            stmt = (
                update(Attempt)
                .where(or_(*conditions))
                .values(last_seq=Attempt.last_seq)
                .returning(Attempt)
            )
        else:
            stmt = select(Attempt).where(or_(*conditions)).order_by(Attempt.id).with_for_update()
        _LOCKS[key] = stmt
    params: dict[str, list[Any]] = {}
    if ids:
        params["ids"] = sorted(ids)
    if hashes:
        params["hashes"] = sorted(hashes)
    return list(db.scalars(stmt, params, execution_options={"populate_existing": True}))


def _context(
    db: Session, attempts: list[Attempt]
) -> tuple[dict[int, TestSession], dict[int, TestDefinition]]:
    sessions: dict[int, TestSession] = {}
    tests: dict[int, TestDefinition] = {}
    if not attempts:
        return sessions, tests
    rows = db.execute(_CONTEXT, {"ids": sorted({a.session_id for a in attempts})})
    for session, test in rows:
        sessions[session.id] = session
        tests[test.id] = test
    return sessions, tests


def _plan(
    db: Session,
    writes: Sequence[AnswerWrite],
    outcomes: list[Recorded | DeliveryError | None],
    now: datetime,
) -> dict[int, _Plan]:
    """Validate every write against its (locked) attempt; refused writes get their error."""
    checked: dict[int, dict[int, tuple[AnswerEvent, str]]] = {}
    for index, write in enumerate(writes):
        try:
            checked[index] = _unique_events(write.events)
        except DeliveryError as exc:
            outcomes[index] = exc
    attempts = _lock_attempts(
        db,
        {i for i in (writes[k].attempt_id for k in checked) if i is not None},
        {h for h in (writes[k].token_hash for k in checked) if h is not None},
    )
    by_id = {a.id: a for a in attempts}
    by_hash = {a.token_hash: a for a in attempts}
    sessions, tests = _context(db, attempts)
    plans: dict[int, _Plan] = {}
    planned: dict[tuple[int, int], tuple[str, str]] = {}  # rows earlier writes insert
    for index, by_seq in checked.items():
        write = writes[index]
        if write.attempt_id is not None:
            attempt = by_id.get(write.attempt_id)
        else:
            attempt = by_hash.get(write.token_hash or "")
        try:
            if attempt is None:
                raise UnknownAttemptError("Diese Testbearbeitung gibt es nicht (mehr).")
            if attempt.status == AttemptStatus.GESPERRT.value:
                raise AttemptLockedError(
                    "Dieser Test ist gesperrt, weil er auf einem anderen Gerät geöffnet wurde. "
                    "Bitte von der Testleitung freigeben lassen; die Antworten bleiben auf "
                    "diesem Gerät gespeichert."
                )
            session = sessions[attempt.session_id]
            plan = _Plan(attempt, session, tests[session.test_id], by_seq)
            _classify(plan, now, planned)
        except DeliveryError as exc:
            outcomes[index] = exc
            continue
        plan.duplicates += len(write.events) - len(by_seq)
        for row in plan.rows:
            planned[(attempt.id, row["seq"])] = (row["item_id"], row["value"])
        plans[index] = plan
    return plans


def _classify(plan: _Plan, now: datetime, planned: dict[tuple[int, int], tuple[str, str]]) -> None:
    """Rows to insert and refused events of one write (raises for a block not yet begun)."""
    attempt = plan.attempt
    blocks = booklet_blocks(plan.test, attempt.booklet)
    window = _window(attempt, plan.session, plan.test, now)
    for seq, (event, text) in sorted(plan.by_seq.items()):
        block = blocks.get(event.item_ref)
        if block is None:
            reason: str | None = (
                f"Die Aufgabe {event.item_ref} gehört nicht zu diesem Testheft; "
                "die Antwort wird nicht gewertet."
            )
        elif block > window.current:
            raise BlockNotOpenError(
                f"Antwort Nr. {seq} gehört zu Block {block + 1}, der noch nicht begonnen hat."
            )
        else:
            reason = window.reason(block)
        if reason is not None:
            plan.rejected.append(RejectedEvent(seq, event.item_ref, reason))
            continue
        earlier = planned.get((attempt.id, seq))
        if earlier is not None:  # an earlier request of this batch carries the same seq
            if earlier != (event.item_ref, text):
                raise _conflict(seq)
            plan.duplicates += 1
            continue
        plan.rows.append(
            {"attempt_id": attempt.id, "seq": seq, "item_id": event.item_ref, "value": text,
             "block": block, "received_at": now}
        )  # fmt: skip


def _stored_before(
    db: Session, plans: Iterable[_Plan], inserted: set[tuple[int, int]]
) -> dict[tuple[int, int], tuple[str, str]]:
    """Rows that existed before this call among the planned (not inserted) and refused ones."""
    keys = [
        key
        for plan in plans
        for key in [(row["attempt_id"], row["seq"]) for row in plan.rows]
        + [(plan.attempt.id, r.seq) for r in plan.rejected]
        if key not in inserted
    ]
    if not keys:
        return {}
    rows = db.execute(_STORED, {"keys": keys})
    return {(a, s): (item, value) for a, s, item, value in rows}


def _advance_watermarks(db: Session, plans: Iterable[_Plan]) -> None:
    """Move each attempt's ``last_seq`` over every now contiguous stored or refused seq."""
    attempts = {plan.attempt.id: plan.attempt for plan in plans}
    if not attempts:
        return
    done: dict[int, set[int]] = {attempt_id: set() for attempt_id in attempts}
    for plan in plans:
        done[plan.attempt.id].update(r.seq for r in plan.rejected)
    later = db.execute(_LATER, {"ids": sorted(attempts)})
    for attempt_id, seq in later:
        done[attempt_id].add(seq)
    moved: list[dict[str, int]] = []
    for attempt_id, attempt in attempts.items():
        mark = attempt.last_seq
        while mark + 1 in done[attempt_id]:
            mark += 1
        if mark != attempt.last_seq:
            moved.append({"attempt": attempt_id, "mark": mark})
            # Committed-value semantics: the row is written below, not by the unit of work.
            set_committed_value(attempt, "last_seq", mark)
    if moved:
        # One executemany statement instead of the unit of work's per-object bookkeeping.
        db.connection().execute(_MOVE_WATERMARK, moved)


def record_many(
    db: Session, writes: Sequence[AnswerWrite], *, now: datetime | None = None
) -> list[Recorded | DeliveryError]:
    """Store the writes of several requests in the caller's transaction.

    A write refused before anything is stored (unknown or locked attempt, block not begun,
    malformed) gets its :class:`DeliveryError` in the returned list; the others are stored.
    A payload that conflicts with a change *already in the database* raises
    :class:`AnswerConflictError` for the whole call: roll back and repeat the writes one by
    one to find the culprit (:mod:`~bimo.assessment.delivery.answer_writer` does). The number
    of statements does not grow with the number of writes (lock, two lookups, insert,
    watermark query, update), so a batch costs little more than a single request.
    """
    now = now or utcnow()
    outcomes: list[Recorded | DeliveryError | None] = [None] * len(writes)
    plans = _plan(db, writes, outcomes, now)
    rows = [row for plan in plans.values() for row in plan.rows]
    inserted: set[tuple[int, int]] = set()
    if rows:
        # executemany with RETURNING ("insertmanyvalues"): one cached statement, sent as
        # multi-row INSERTs; ON CONFLICT DO NOTHING returns only the rows really inserted.
        returned = db.connection().execute(_insert(db), rows)
        inserted = {(attempt_id, seq) for attempt_id, seq in returned}
    before = _stored_before(db, plans.values(), inserted)
    for plan in plans.values():
        attempt_id = plan.attempt.id
        for row in plan.rows:
            key = (attempt_id, row["seq"])
            if key in inserted:
                plan.stored += 1
            elif before.get(key) == (row["item_id"], row["value"]):
                plan.duplicates += 1
            else:
                raise _conflict(row["seq"])
        refused = []
        for rejected in plan.rejected:
            stored = before.get((attempt_id, rejected.seq))
            if stored is None:
                refused.append(rejected)
            elif stored == (rejected.item_ref, plan.by_seq[rejected.seq][1]):
                plan.duplicates += 1  # stored while still in time: a plain re-send
            else:
                raise _conflict(rejected.seq)
        plan.rejected = refused
    _advance_watermarks(db, plans.values())
    for index, plan in plans.items():
        attempt = plan.attempt
        outcomes[index] = Recorded(
            SyncResult(attempt.last_seq, plan.stored, plan.duplicates, tuple(plan.rejected)),
            attempt.id,
            attempt.status,
            timer(plan.session, plan.test, attempt, now=now),
        )
    done: list[Recorded | DeliveryError] = []
    for outcome in outcomes:
        assert outcome is not None  # every write is planned or refused
        done.append(outcome)
    return done


def record_answers(
    db: Session,
    attempt: Attempt,
    events: Sequence[AnswerEvent],
    *,
    now: datetime | None = None,
) -> SyncResult:
    """Store a batch of answer changes of ``attempt`` idempotently (see the module text).

    Runs in the caller's transaction and flushes; acknowledge the result only after the commit.
    With concurrent writers on SQLite call it at the start of a transaction (its first
    statement takes the write lock). ``attempt`` may come from another session: it is re-read
    (and locked) here; the caller's object is refreshed when it belongs to ``db``.
    """
    (outcome,) = record_many(db, [AnswerWrite(events, attempt_id=attempt.id)], now=now)
    if isinstance(outcome, DeliveryError):
        raise outcome
    return outcome.result


def last_stored_seq(db: Session, attempt_id: int) -> int:
    """The highest seq stored for the attempt (0: none): a resuming player continues above it."""
    value = db.scalar(
        select(TestResponse.seq)
        .where(TestResponse.attempt_id == attempt_id)
        .order_by(TestResponse.seq.desc())
        .limit(1)
    )
    return int(value or 0)


def final_answers(db: Session, attempt_id: int) -> dict[str, Any]:
    """The final answer per item (the change with the highest seq), JSON-decoded."""
    rows = db.execute(
        select(TestResponse.item_id, TestResponse.value)
        .where(TestResponse.attempt_id == attempt_id)
        .order_by(TestResponse.seq)
    )
    return {item_id: json.loads(value) for item_id, value in rows}
