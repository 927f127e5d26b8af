"""The answer write path: idempotent, conflict-detecting, watermark acknowledgement, grace period.

Runs on SQLite and on the throwaway PostgreSQL (``operational_url``); the concurrency test
writes the same batch from two connections at the same moment.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bimo.assessment.delivery.answer_writer import submit_write
from bimo.assessment.delivery.errors import DeliveryError
from bimo.assessment.delivery.models import (
    AccessCode,
    Attempt,
    AttemptStatus,
    SessionStatus,
)
from bimo.assessment.delivery.models import TestDefinition as Definition
from bimo.assessment.delivery.models import TestResponse as Response
from bimo.assessment.delivery.models import TestSession as Sitting
from bimo.assessment.delivery.responses import (
    GRACE_SECONDS,
    MAX_EVENTS,
    AnswerConflictError,
    AnswerEvent,
    AnswerWrite,
    AttemptLockedError,
    BlockNotOpenError,
    Recorded,
    UnknownAttemptError,
    final_answers,
    last_stored_seq,
    record_answers,
    record_many,
)
from bimo.assessment.delivery.sessions import pause_session, resume_session
from bimo.core.operational import create_operational_engine, upgrade_to_head

T0 = datetime(2027, 5, 4, 8, 0, tzinfo=UTC)
BLOCK_MINUTES = 20
# Three clusters, booklets of two: booklet 0 presents cluster 0 (block 0) then cluster 1.
CLUSTERS = [["a@v1", "b@v1"], ["c@v1", "d@v1"], ["e@v1", "f@v1"]]
DESIGN = [[0, 1], [1, 2], [2, 0]]
_CODES = itertools.count()


@dataclass
class Db:
    engine: Engine
    sessions: sessionmaker[Session]
    attempt_id: int

    def session(self) -> Session:
        return self.sessions()

    def attempt(self, db: Session) -> Attempt:
        found = db.get(Attempt, self.attempt_id)
        assert found is not None
        return found

    def write(self, events: list[AnswerEvent], now: datetime | None = None) -> Any:
        with self.sessions.begin() as db:
            return record_answers(db, self.attempt(db), events, now=now or T0)

    def update(self, **values: Any) -> None:
        with self.sessions.begin() as db:
            attempt = self.attempt(db)
            for key, value in values.items():
                setattr(attempt, key, value)

    def rows(self) -> int:
        with self.session() as db:
            return int(db.scalar(select(func.count()).select_from(Response)) or 0)

    def final(self) -> dict[str, Any]:
        with self.session() as db:
            return final_answers(db, self.attempt_id)


def _hash(kind: str, code: str) -> str:
    return hashlib.sha256(f"{kind}:{code}".encode()).hexdigest()


def _seed(db: Session, code: str, booklet: int = 0) -> int:
    test = db.scalar(select(Definition).where(Definition.key == "M8-T"))
    if test is None:
        test = Definition(
            key="M8-T", title="Mathematik 8", domain="Mathematik", grade=8,
            clusters=json.dumps(CLUSTERS), design=json.dumps(DESIGN),
            block_minutes=BLOCK_MINUTES, created_by="test",
        )  # fmt: skip
        db.add(test)
        db.flush()
    session = Sitting(
        test_id=test.id, schulnummer="100001", klasse="8a", status=SessionStatus.OFFEN.value,
        created_by="test", codes_expire_at=T0 + timedelta(days=3), opened_at=T0,
    )  # fmt: skip
    db.add(session)
    db.flush()
    access = AccessCode(
        session_id=session.id, code_hash=_hash("code", code), label="Platz 1", booklet=booklet,
        expires_at=T0 + timedelta(days=3),
    )  # fmt: skip
    db.add(access)
    db.flush()
    attempt = Attempt(
        token_hash=_hash("token", code), session_id=session.id, code_id=access.id, booklet=booklet,
        device_hash="d" * 64, started_at=T0, block_started_at=T0,
    )  # fmt: skip
    db.add(attempt)
    db.flush()
    return attempt.id


@pytest.fixture
def db(operational_url: str) -> Iterator[Db]:
    engine = create_operational_engine(operational_url)
    upgrade_to_head(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions.begin() as session:
        attempt_id = _seed(session, "a")
    try:
        yield Db(engine, sessions, attempt_id)
    finally:
        engine.dispose()


def ev(seq: int, item: str, value: Any) -> AnswerEvent:
    return AnswerEvent(seq, item, value)


def test_stores_a_batch_and_acknowledges_it(db: Db) -> None:
    result = db.write([ev(1, "a@v1", "A"), ev(2, "b@v1", ["x", "y"]), ev(3, "a@v1", "B")])
    assert (result.acked_seq, result.stored, result.duplicates) == (3, 3, 0)
    assert result.rejected == ()
    # The highest seq per item is the final answer; a cleared answer is None.
    assert db.final() == {"a@v1": "B", "b@v1": ["x", "y"]}
    db.write([ev(4, "b@v1", None)])
    assert db.final() == {"a@v1": "B", "b@v1": None}
    with db.session() as session:
        assert db.attempt(session).last_seq == 4
        assert last_stored_seq(session, db.attempt_id) == 4


def test_a_replayed_batch_is_acknowledged_not_stored_again(db: Db) -> None:
    batch = [ev(1, "a@v1", {"x": 1, "y": [1, 2]}), ev(2, "c@v1", "C")]
    db.update(block=1)
    assert db.write(batch).stored == 2
    # Key order of an object does not make a re-send differ (canonical JSON).
    replay = [ev(1, "a@v1", {"y": [1, 2], "x": 1}), ev(2, "c@v1", "C"), ev(2, "c@v1", "C")]
    again = db.write(replay)
    assert (again.acked_seq, again.stored, again.duplicates) == (2, 0, 3)
    assert db.rows() == 2


def test_reordered_batches_acknowledge_only_the_contiguous_prefix(db: Db) -> None:
    later = db.write([ev(3, "a@v1", "3"), ev(4, "b@v1", "4")])
    # 1 and 2 are still missing: the player must not drop 3 and 4's predecessors.
    assert (later.acked_seq, later.stored) == (0, 2)
    middle = db.write([ev(2, "b@v1", "2")])
    assert middle.acked_seq == 0
    first = db.write([ev(1, "a@v1", "1")])
    assert (first.acked_seq, first.stored) == (4, 1)
    assert db.final() == {"a@v1": "3", "b@v1": "4"}
    with db.session() as session:
        assert last_stored_seq(session, db.attempt_id) == 4


def test_a_conflicting_payload_fails_the_whole_batch(db: Db) -> None:
    db.write([ev(1, "a@v1", "A")])
    with pytest.raises(AnswerConflictError, match=r"Antwort Nr\. 1"):
        db.write([ev(2, "b@v1", "B"), ev(1, "a@v1", "anders")])
    with pytest.raises(AnswerConflictError):
        db.write([ev(2, "b@v1", "B"), ev(1, "b@v1", "A")])  # same value, other item
    with pytest.raises(AnswerConflictError):
        db.write([ev(5, "b@v1", "B"), ev(5, "b@v1", "C")])  # within one batch
    # Nothing of the refused batches was stored, and the watermark did not move.
    assert db.rows() == 1
    assert db.final() == {"a@v1": "A"}
    assert db.write([]).acked_seq == 1


def test_invalid_batches_are_refused(db: Db) -> None:
    with pytest.raises(DeliveryError, match="Folgenummer"):
        db.write([ev(0, "a@v1", "A")])
    with pytest.raises(DeliveryError, match="Zu viele"):
        db.write([ev(i, "a@v1", i) for i in range(1, MAX_EVENTS + 2)])
    with pytest.raises(DeliveryError, match="zu lang"):
        db.write([ev(1, "a@v1", "x" * 30_000)])
    assert db.rows() == 0


def test_items_outside_the_booklet_are_refused_but_acknowledged(db: Db) -> None:
    result = db.write([ev(1, "a@v1", "A"), ev(2, "e@v1", "E"), ev(3, "nie@v1", "N")])
    assert (result.acked_seq, result.stored) == (3, 1)
    assert [r.seq for r in result.rejected] == [2, 3]
    assert "gehört nicht zu diesem Testheft" in result.rejected[0].reason
    assert db.final() == {"a@v1": "A"}


def test_grace_period_of_the_running_block(db: Db) -> None:
    deadline = T0 + timedelta(minutes=BLOCK_MINUTES)
    ok = db.write([ev(1, "a@v1", "A")], now=deadline + timedelta(seconds=GRACE_SECONDS - 5))
    assert ok.stored == 1
    late = db.write([ev(2, "b@v1", "B")], now=deadline + timedelta(seconds=GRACE_SECONDS + 5))
    assert (late.stored, late.acked_seq) == (0, 2)
    assert "zu spät" in late.rejected[0].reason
    # A re-send of a stored change is a duplicate even after the grace period.
    replay = db.write([ev(1, "a@v1", "A")], now=deadline + timedelta(hours=1))
    assert (replay.duplicates, replay.rejected) == (1, ())
    # Extra time moves the deadline.
    db.update(extra_seconds=600)
    extended = db.write([ev(3, "b@v1", "B")], now=deadline + timedelta(seconds=GRACE_SECONDS + 5))
    assert extended.stored == 1
    assert db.final() == {"a@v1": "A", "b@v1": "B"}


def test_closed_blocks_accept_changes_only_within_the_grace_period(db: Db) -> None:
    started = T0 + timedelta(minutes=12)  # finished block 0 early
    db.update(block=1, block_started_at=started)
    early = db.write([ev(1, "a@v1", "A"), ev(2, "c@v1", "C")], now=started + timedelta(seconds=30))
    assert early.stored == 2
    late = db.write([ev(3, "b@v1", "B")], now=started + timedelta(seconds=GRACE_SECONDS + 1))
    assert (late.stored, late.acked_seq) == (0, 3)
    assert late.rejected[0].reason.startswith("Block 1 ist seit mehr als")


def test_a_block_that_has_not_begun_keeps_its_changes_queued(db: Db) -> None:
    with pytest.raises(BlockNotOpenError, match="Block 2"):
        db.write([ev(1, "a@v1", "A"), ev(2, "c@v1", "C")])
    assert db.rows() == 0


def test_a_submitted_attempt_closes_after_the_grace_period(db: Db) -> None:
    submitted = T0 + timedelta(minutes=5)
    db.update(status=AttemptStatus.ABGEGEBEN.value, submitted_at=submitted)
    inside = db.write([ev(1, "a@v1", "A")], now=submitted + timedelta(seconds=10))
    outside = db.write([ev(2, "b@v1", "B")], now=submitted + timedelta(seconds=GRACE_SECONDS + 1))
    assert (inside.stored, outside.stored, outside.acked_seq) == (1, 0, 2)


def test_a_paused_attempt_does_not_run_out_of_time(db: Db) -> None:
    with db.sessions.begin() as session:
        sitting = db.attempt(session).session_id
        pause_session(session, sitting, "testleitung", now=T0 + timedelta(minutes=5))
    late = T0 + timedelta(minutes=BLOCK_MINUTES, seconds=GRACE_SECONDS + 60)
    assert db.write([ev(1, "a@v1", "A")], now=late).stored == 1
    with db.sessions.begin() as session:
        resume_session(session, sitting, "testleitung", now=late)
    # The 5 minutes before the pause count; 15 are left after the resume.
    assert db.write([ev(2, "b@v1", "B")], now=late + timedelta(minutes=14)).stored == 1
    after = late + timedelta(minutes=15, seconds=GRACE_SECONDS + 5)
    assert db.write([ev(3, "b@v1", "C")], now=after).stored == 0


def test_a_locked_attempt_refuses_writes(db: Db) -> None:
    db.update(status=AttemptStatus.GESPERRT.value)
    with pytest.raises(AttemptLockedError, match="Testleitung freigeben"):
        db.write([ev(1, "a@v1", "A")])
    assert db.rows() == 0


def test_concurrent_duplicates_from_two_connections_are_stored_once(db: Db) -> None:
    """Two connections send the same batches at the same moment (a retry racing its original)."""
    rounds, size = 15, 4
    barrier = threading.Barrier(2)
    results: list[list[Any]] = [[], []]
    errors: list[BaseException] = []

    def client(index: int) -> None:
        try:
            for r in range(rounds):
                batch = [ev(r * size + i + 1, "ab"[i % 2] + "@v1", f"{r}-{i}") for i in range(size)]
                barrier.wait(timeout=30)
                with db.session() as session:
                    attempt = session.get(Attempt, db.attempt_id)
                    assert attempt is not None
                    session.commit()  # end the read: the write starts its own transaction
                    results[index].append(record_answers(session, attempt, batch, now=T0))
                    session.commit()
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert db.rows() == rounds * size
    for r, (first, second) in enumerate(zip(*results, strict=True)):
        assert first.stored + second.stored == size
        assert first.duplicates + second.duplicates == size
        assert first.acked_seq == second.acked_seq == (r + 1) * size
    with db.session() as session:
        assert db.attempt(session).last_seq == rounds * size
    assert db.final() == {"a@v1": f"{rounds - 1}-2", "b@v1": f"{rounds - 1}-3"}


def test_attempts_are_independent(db: Db) -> None:
    with db.sessions.begin() as session:
        other = _seed(session, "b", booklet=2)  # booklet 2: cluster 2 first
    db.write([ev(1, "a@v1", "A")])
    with db.sessions.begin() as session:
        attempt = session.get(Attempt, other)
        assert attempt is not None
        result = record_answers(session, attempt, [ev(1, "e@v1", "E"), ev(2, "c@v1", "C")], now=T0)
    # Booklet 2 presents clusters 2 and 0: c@v1 (cluster 1) is not in it.
    assert (result.stored, [r.seq for r in result.rejected], result.acked_seq) == (1, [2], 2)
    with db.session() as session:
        assert final_answers(session, other) == {"e@v1": "E"}
        assert final_answers(session, db.attempt_id) == {"a@v1": "A"}


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[AnswerEvent], list[list[AnswerEvent]]]:
    """An answer stream and how the network delivered it: split, reordered, repeated."""
    n = draw(st.integers(1, 25))
    items = ["a@v1", "b@v1"]
    stream = [
        ev(seq, draw(st.sampled_from(items)), draw(st.one_of(st.none(), st.text(max_size=3))))
        for seq in range(1, n + 1)
    ]
    chunks = draw(st.lists(st.lists(st.sampled_from(stream), max_size=8), max_size=8))
    # Whatever got lost on the way, the player finally re-sends its whole queue once.
    return stream, [*chunks, stream]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=deliveries())
def test_any_delivery_order_gives_the_entered_answers(db: Db, case: Any) -> None:
    stream, batches = case
    with db.sessions.begin() as session:
        attempt_id = _seed(session, f"h{next(_CODES)}")
    acked = 0
    for batch in batches:
        with db.sessions.begin() as session:
            attempt = session.get(Attempt, attempt_id)
            assert attempt is not None
            result = record_answers(session, attempt, batch, now=T0)
        assert result.acked_seq >= acked
        acked = result.acked_seq
    expected: dict[str, Any] = {}
    for event in stream:
        expected[event.item_ref] = event.value
    with db.session() as session:
        assert final_answers(session, attempt_id) == expected
        count = session.scalar(
            select(func.count()).select_from(Response).where(Response.attempt_id == attempt_id)
        )
    assert count == len(stream)
    assert acked == len(stream)


def test_one_call_stores_the_writes_of_many_requests(db: Db) -> None:
    with db.sessions.begin() as session:
        other = _seed(session, "m", booklet=1)  # booklet 1: cluster 1 (c, d) first
        locked = _seed(session, "l")
        locked_attempt = session.get(Attempt, locked)
        assert locked_attempt is not None
        locked_attempt.status = AttemptStatus.GESPERRT.value
    writes = [
        AnswerWrite([ev(1, "a@v1", "A"), ev(2, "b@v1", "B")], attempt_id=db.attempt_id),
        AnswerWrite([ev(1, "c@v1", "C")], token_hash=_hash("token", "m")),
        AnswerWrite([ev(2, "b@v1", "B"), ev(3, "a@v1", "A2")], attempt_id=db.attempt_id),
        AnswerWrite([ev(2, "b@v1", "anders")], attempt_id=db.attempt_id),  # same batch, other
        AnswerWrite([ev(1, "a@v1", "A")], attempt_id=locked),
        AnswerWrite([ev(1, "a@v1", "A")], token_hash="0" * 64),
        AnswerWrite([ev(1, "c@v1", "C")], attempt_id=db.attempt_id),  # block 1: not yet
    ]
    with db.sessions.begin() as session:
        outcomes = record_many(session, writes, now=T0)
    first, second, third, fourth, fifth, sixth, seventh = outcomes
    assert isinstance(first, Recorded) and isinstance(third, Recorded)
    assert (first.result.stored, third.result.stored, third.result.duplicates) == (2, 1, 1)
    # Both requests of the attempt are acknowledged up to the batch's watermark.
    assert first.result.acked_seq == third.result.acked_seq == 3
    assert first.status == "laufend" and first.clock.remaining_seconds == BLOCK_MINUTES * 60
    assert isinstance(second, Recorded) and second.attempt_id == other
    assert isinstance(fourth, AnswerConflictError)
    assert isinstance(fifth, AttemptLockedError)
    assert isinstance(sixth, UnknownAttemptError)
    assert isinstance(seventh, BlockNotOpenError)
    assert db.final() == {"a@v1": "A2", "b@v1": "B"}
    with db.session() as session:
        assert final_answers(session, other) == {"c@v1": "C"}


def test_a_batch_conflicting_with_stored_changes_raises(db: Db) -> None:
    db.write([ev(1, "a@v1", "A")])
    with pytest.raises(AnswerConflictError), db.sessions.begin() as session:
        record_many(
            session,
            [
                AnswerWrite([ev(2, "b@v1", "B")], attempt_id=db.attempt_id),
                AnswerWrite([ev(1, "a@v1", "Z")], attempt_id=db.attempt_id),
            ],
            now=T0,
        )
    assert db.rows() == 1


def test_the_group_writer_commits_before_it_answers(db: Db) -> None:
    """Many requests at once share transactions; a conflicting one fails alone."""
    with db.sessions.begin() as session:
        ids = [_seed(session, f"g{i}") for i in range(12)]
    db.write([ev(1, "a@v1", "A")])
    futures = [
        submit_write(db.engine, AnswerWrite([ev(s, "ab"[s % 2] + "@v1", s)], attempt_id=i))
        for i in ids
        for s in (1, 2, 3)
    ]
    bad = submit_write(db.engine, AnswerWrite([ev(1, "a@v1", "Z")], attempt_id=db.attempt_id))
    good = submit_write(db.engine, AnswerWrite([ev(2, "a@v1", "B")], attempt_id=db.attempt_id))
    outcomes = [f.result(timeout=60) for f in futures]
    assert all(o.result.stored == 1 for o in outcomes)
    with pytest.raises(AnswerConflictError):
        bad.result(timeout=60)
    assert good.result(timeout=60).result.acked_seq == 2
    with db.session() as session:
        for attempt_id in ids:
            assert final_answers(session, attempt_id) == {"a@v1": 2, "b@v1": 3}
            assert db.attempt(session).last_seq == 2
            attempt = session.get(Attempt, attempt_id)
            assert attempt is not None and attempt.last_seq == 3
