"""Test sessions: access codes, attempts bound to devices, the server-side clock, progress."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bimo.assessment.delivery import models as m
from bimo.assessment.delivery import sessions as s
from bimo.assessment.delivery.codes import (
    CODE_ALPHABET,
    CODE_BITS,
    format_code,
    generate_code,
    normalise_code,
)
from bimo.assessment.delivery.errors import DeliveryError
from bimo.assessment.delivery.samples import sample_test
from bimo.core.operational import OperationalStore, list_events

T0 = datetime(2027, 5, 4, 8, 0, tzinfo=UTC)
BLOCK = 20  # minutes per block of the sample test


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def _setup(store: OperationalStore, tmp_path: Path) -> None:
    with store.session() as db:
        sample_test(db, tmp_path / "bank", block_minutes=BLOCK)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[OperationalStore]:
    """SQLite store with the sample test (7 clusters, 3 blocks of 20 minutes)."""
    with OperationalStore(f"sqlite:///{tmp_path / 'op.sqlite'}") as st:
        _setup(st, tmp_path)
        yield st


@pytest.fixture
def any_store(operational_url: str, tmp_path: Path) -> Iterator[OperationalStore]:
    """The same on SQLite and on PostgreSQL."""
    with OperationalStore(operational_url, migrate=True) as st:
        _setup(st, tmp_path)
        yield st


def new_session(
    store: OperationalStore, n_codes: int = 4, *, open_: bool = True, valid_hours: int = 72
) -> tuple[int, list[s.PrintedCode]]:
    with store.session() as db:
        created = s.create_session(
            db,
            test_key="M8-DEMO",
            schulnummer="123456",
            klasse="8b",
            n_codes=n_codes,
            actor="lehrkraft",
            valid_hours=valid_hours,
            now=T0,
        )
        if open_:
            s.open_session(db, created.session.id, "lehrkraft", now=T0)
        return created.session.id, created.codes


def open_(store: OperationalStore, code: str, device: str, at: datetime) -> s.OpenedAttempt:
    with store.session() as db:
        return s.open_attempt(db, code, device, now=at)


def status(store: OperationalStore, attempt_id: int) -> str:
    with store.session() as db:
        attempt = db.get(m.Attempt, attempt_id)
        assert attempt is not None
        return attempt.status


# --- codes ----------------------------------------------------------------------------------


def test_codes_have_high_entropy_and_an_unambiguous_alphabet() -> None:
    assert not set("0O1IL") & set(CODE_ALPHABET)
    assert CODE_BITS >= 45
    codes = [generate_code() for _ in range(20_000)]
    assert len(set(codes)) == len(codes)
    assert all(len(c) == 10 and set(c) <= set(CODE_ALPHABET) for c in codes)
    # Every character is used about equally often (200 000 draws over 31 characters: a
    # biased generator, e.g. modulo bias or a missing character, shows up far beyond 15 %).
    counts = Counter("".join(codes))
    assert set(counts) == set(CODE_ALPHABET)
    expected = 200_000 / len(CODE_ALPHABET)
    assert all(abs(n - expected) < 0.15 * expected for n in counts.values())
    assert format_code("ABCDEFGHJK") == "ABCDE-FGHJK"
    assert normalise_code(" abcde - fghjk\n") == "ABCDEFGHJK"
    assert normalise_code("abcde–fghjk") == "ABCDEFGHJK"  # en dash from a word processor


def test_codes_are_stored_only_as_hashes(store: OperationalStore) -> None:
    session_id, codes = new_session(store, 5)
    clear = {normalise_code(c.code) for c in codes}
    assert all(len(c.code) == 11 and c.code[5] == "-" for c in codes)
    with store.session() as db:
        rows = db.scalars(select(m.AccessCode).where(m.AccessCode.session_id == session_id))
        hashes = {r.code_hash for r in rows}
        dump = "\n".join(
            str(row)
            for table in ("test_access_codes", "test_sessions", "audit_events")
            for row in db.execute(text(f"SELECT * FROM {table}"))
        )
    assert hashes == {hashlib.sha256(c.encode()).hexdigest() for c in clear}
    for code in clear:
        assert code not in dump and code[:5] not in dump


def test_booklets_are_dealt_in_rotation(store: OperationalStore) -> None:
    _, codes = new_session(store, 30)
    booklets = [c.booklet for c in codes]
    start = booklets[0]
    assert booklets == [(start + i) % 7 for i in range(30)]
    assert [c.label for c in codes[:2]] == ["Platz 1", "Platz 2"]
    # Random start: over many sessions every booklet gets to be first.
    starts = {new_session(store, 1)[1][0].booklet for _ in range(60)}
    assert len(starts) >= 5


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("ABCDE", "10 Zeichen"),
        ("ABCDE-FGHJ0", "0, O, 1, I und L"),
        ("ABCDE-FGHJ#", "ungültige Zeichen"),
        ("ABCDE-FGHJK", "gibt es nicht"),
    ],
)
def test_malformed_or_unknown_code(store: OperationalStore, typed: str, message: str) -> None:
    new_session(store)
    with pytest.raises(DeliveryError, match=message):
        open_(store, typed, "geraet-a", T0)


def test_code_expires(store: OperationalStore) -> None:
    _, codes = new_session(store, valid_hours=2)
    with pytest.raises(DeliveryError, match="abgelaufen"):
        open_(store, codes[0].code, "geraet-a", minutes(121))
    opened = open_(store, codes[1].code, "geraet-a", minutes(119))
    assert opened.attempt.booklet == codes[1].booklet


def test_session_must_be_open(store: OperationalStore) -> None:
    session_id, codes = new_session(store, open_=False)
    with pytest.raises(DeliveryError, match="noch nicht freigegeben"):
        open_(store, codes[0].code, "a", T0)
    with store.session() as db:
        s.open_session(db, session_id, "lehrkraft", now=T0)
    open_(store, codes[0].code, "a", minutes(1))
    with store.session() as db:
        s.pause_session(db, session_id, "lehrkraft", now=minutes(2))
    with pytest.raises(DeliveryError, match="pausiert"):
        open_(store, codes[1].code, "b", minutes(3))
    resumed = open_(store, codes[0].code, "a", minutes(3))  # resuming is fine during a pause
    assert resumed.attempt.status == m.AttemptStatus.PAUSIERT
    with store.session() as db:
        s.end_session(db, session_id, "lehrkraft", now=minutes(4))
    with pytest.raises(DeliveryError, match="beendet"):
        open_(store, codes[2].code, "c", minutes(5))
    with pytest.raises(DeliveryError, match="beendet"), store.session() as db:
        s.open_session(db, session_id, "lehrkraft")


def test_code_is_single_use_and_bound_to_the_device(any_store: OperationalStore) -> None:
    store = any_store
    _, codes = new_session(store)
    code = codes[0].code
    first = open_(store, code.lower(), "geraet-a", minutes(1))
    attempt_id = first.attempt.id
    with store.session() as db:
        assert s.attempt_for_token(db, first.token).id == attempt_id  # type: ignore[union-attr]
    # Same device (browser restarted): the attempt resumes with a new token.
    again = open_(store, code, "geraet-a", minutes(2))
    assert again.attempt.id == attempt_id and again.token != first.token
    with store.session() as db:
        assert s.attempt_for_token(db, first.token) is None
        assert s.attempt_for_token(db, again.token) is not None
        assert s.attempt_for_token(db, "") is None
    # Another device: locked, and the lock survives the caller's rollback.
    with pytest.raises(DeliveryError, match="von der Testleitung freigeben lassen"):
        open_(store, code, "geraet-b", minutes(3))
    assert status(store, attempt_id) == m.AttemptStatus.GESPERRT
    with pytest.raises(DeliveryError, match="gesperrt"):
        open_(store, code, "geraet-a", minutes(4))  # also for the first device
    with store.session() as db:
        s.unlock_attempt(db, attempt_id, "lehrkraft", now=minutes(5))
    taken = open_(store, code, "geraet-b", minutes(6))  # the next device takes it over
    assert taken.attempt.id == attempt_id
    with pytest.raises(DeliveryError, match="freigeben"):
        open_(store, code, "geraet-a", minutes(7))
    with store.session() as db:
        assert len(list(db.scalars(select(m.Attempt)))) == 1
        events = [e.action for e in list_events(db=db)]
    assert events.count("tests.attempt_lock") == 2 and "tests.attempt_unlock" in events


def test_submitted_attempt_cannot_be_reopened(store: OperationalStore) -> None:
    _, codes = new_session(store)
    opened = open_(store, codes[0].code, "a", minutes(1))
    with store.session() as db:
        attempt = db.get(m.Attempt, opened.attempt.id)
        assert attempt is not None
        s.submit_attempt(db, attempt, now=minutes(2))
        s.submit_attempt(db, attempt, now=minutes(3))  # idempotent
        assert attempt.submitted_at == minutes(2)
    with pytest.raises(DeliveryError, match="bereits abgegeben"):
        open_(store, codes[0].code, "a", minutes(4))


def test_missing_device_token_is_refused(store: OperationalStore) -> None:
    _, codes = new_session(store)
    with pytest.raises(DeliveryError, match="Gerätekennung"):
        open_(store, codes[0].code, "", T0)


def test_concurrent_first_use_creates_one_attempt(any_store: OperationalStore) -> None:
    _, codes = new_session(any_store)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def enter(device: str) -> None:
        barrier.wait()
        try:
            open_(any_store, codes[0].code, device, minutes(1))
            outcomes.append("ok")
        except DeliveryError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=enter, args=(d,)) for d in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1
    assert "freigeben" in next(o for o in outcomes if o != "ok")
    with any_store.session() as db:
        assert len(list(db.scalars(select(m.Attempt)))) == 1


# --- clock ----------------------------------------------------------------------------------


def _attempt(store: OperationalStore, codes: list[s.PrintedCode], i: int = 0) -> int:
    return open_(store, codes[i].code, f"geraet-{i}", T0).attempt.id


def clock(store: OperationalStore, attempt_id: int, at: datetime) -> s.Timer:
    with store.session() as db:
        attempt = db.get(m.Attempt, attempt_id)
        assert attempt is not None
        return s.timer(db, attempt, now=at)


def test_timer_pause_resume_and_extension(store: OperationalStore) -> None:
    session_id, codes = new_session(store)
    a, b = _attempt(store, codes, 0), _attempt(store, codes, 1)
    assert clock(store, a, minutes(5)) == s.Timer(0, 15 * 60, False, False)
    with store.session() as db:
        s.pause_session(db, session_id, "lehrkraft", now=minutes(5))
    assert clock(store, a, minutes(15)) == s.Timer(0, 15 * 60, True, False)
    assert status(store, a) == m.AttemptStatus.PAUSIERT
    with store.session() as db:
        s.resume_session(db, session_id, "lehrkraft", now=minutes(15))
    assert clock(store, a, minutes(20)) == s.Timer(0, 10 * 60, False, False)
    with store.session() as db:
        s.extend_time(db, session_id, 3, "lehrkraft")
        s.extend_time(db, session_id, 2, "lehrkraft", attempt_id=b)
        assert s.get_session(db, session_id).extra_minutes == 3
    assert clock(store, a, minutes(20)).remaining_seconds == 13 * 60
    assert clock(store, b, minutes(20)).remaining_seconds == 15 * 60
    # Time is up at 33 minutes for a (20 + 10 pause + 3 extra).
    assert clock(store, a, minutes(33)).expired
    assert not clock(store, a, minutes(32.99)).expired
    with store.session() as db:
        attempt = db.get(m.Attempt, a)
        assert attempt is not None
        after = s.advance_if_expired(db, attempt, now=minutes(34))
        # The next block starts with the full time and without the old extension.
        assert after == s.Timer(1, 20 * 60, False, False)
    with pytest.raises(DeliveryError, match="1–120 Minuten"), store.session() as db:
        s.extend_time(db, session_id, 0, "lehrkraft")


def test_locked_attempt_loses_no_time(store: OperationalStore) -> None:
    _, codes = new_session(store)
    a = _attempt(store, codes)
    with pytest.raises(DeliveryError):
        open_(store, codes[0].code, "fremd", minutes(5))
    assert clock(store, a, minutes(12)) == s.Timer(0, 15 * 60, True, False)
    with store.session() as db:
        s.unlock_attempt(db, a, "lehrkraft", now=minutes(12))
    assert clock(store, a, minutes(13)).remaining_seconds == 14 * 60
    with pytest.raises(DeliveryError, match="nicht gesperrt"), store.session() as db:
        s.unlock_attempt(db, a, "lehrkraft")


def test_lock_during_class_pause_keeps_the_clock_stopped(store: OperationalStore) -> None:
    session_id, codes = new_session(store)
    a = _attempt(store, codes)
    with store.session() as db:
        s.pause_session(db, session_id, "lehrkraft", now=minutes(2))
    with pytest.raises(DeliveryError):
        open_(store, codes[0].code, "fremd", minutes(3))
    with store.session() as db:
        s.resume_session(db, session_id, "lehrkraft", now=minutes(4))
    assert status(store, a) == m.AttemptStatus.GESPERRT
    assert clock(store, a, minutes(9)).remaining_seconds == 18 * 60
    with store.session() as db:
        s.unlock_attempt(db, a, "lehrkraft", now=minutes(9))
    assert clock(store, a, minutes(10)).remaining_seconds == 17 * 60


def test_next_block_is_idempotent_and_submits_after_the_last(store: OperationalStore) -> None:
    _, codes = new_session(store)
    a = _attempt(store, codes)
    with store.session() as db:
        attempt = db.get(m.Attempt, a)
        assert attempt is not None
        s.next_block(db, attempt, now=minutes(5), expected_block=0)
        s.next_block(db, attempt, now=minutes(5), expected_block=0)  # a retried request
        assert attempt.block == 1 and attempt.block_started_at == minutes(5)
        s.next_block(db, attempt, now=minutes(6))
        assert attempt.block == 2
        s.next_block(db, attempt, now=minutes(7))
        assert attempt.status == m.AttemptStatus.ABGEGEBEN and attempt.block == 2
        assert s.timer(db, attempt, now=minutes(7)).expired
        with pytest.raises(DeliveryError, match="bereits abgegeben"):
            s.next_block(db, attempt)


def test_timer_from_objects_matches_db_form(store: OperationalStore) -> None:
    session_id, codes = new_session(store)
    a = _attempt(store, codes)
    with store.session() as db:
        attempt = db.get(m.Attempt, a)
        assert attempt is not None
        session = s.get_session(db, session_id)
        test = s.attempt_test(db, attempt)
        assert s.timer(session, test, attempt, now=minutes(3)) == s.timer(
            db, attempt, now=minutes(3)
        )
        with pytest.raises(TypeError):
            s.timer(db, attempt, attempt)  # type: ignore[call-overload]


def test_end_session_submits_everything(store: OperationalStore) -> None:
    session_id, codes = new_session(store)
    a = _attempt(store, codes)
    with store.session() as db:
        s.end_session(db, session_id, "lehrkraft", now=minutes(30))
    assert status(store, a) == m.AttemptStatus.ABGEGEBEN
    with pytest.raises(DeliveryError, match="bereits beendet"), store.session() as db:
        s.end_session(db, session_id, "lehrkraft")
    with pytest.raises(DeliveryError, match="beendet"), store.session() as db:
        s.extend_time(db, session_id, 5, "lehrkraft")


def test_session_input_is_checked(store: OperationalStore) -> None:
    bad: list[dict[str, object]] = [
        {"test_key": "GIBTSNICHT"},
        {"schulnummer": "12345"},
        {"klasse": " "},
        {"n_codes": 0},
        {"n_codes": 201},
        {"valid_hours": 0},
    ]
    for override in bad:
        args: dict[str, object] = {
            "test_key": "M8-DEMO",
            "schulnummer": "123456",
            "klasse": "8b",
            "n_codes": 3,
            "actor": "x",
        } | override
        with pytest.raises(DeliveryError), store.session() as db:
            s.create_session(db, **args)  # type: ignore[arg-type]


def test_progress_for_the_proctor(any_store: OperationalStore) -> None:
    store = any_store
    session_id, codes = new_session(store, 3)
    a = _attempt(store, codes, 0)
    b = _attempt(store, codes, 1)
    with store.session() as db:
        for seq, (item, at) in enumerate(
            [("X@v1", minutes(1)), ("Y@v1", minutes(2)), ("X@v1", minutes(3))], start=1
        ):
            db.add(
                m.TestResponse(
                    attempt_id=a, seq=seq, item_id=item, value='"A"', block=0, received_at=at
                )
            )
        with pytest.raises(DeliveryError):
            s.session_progress(db, 999)
    with store.session() as db:
        rows = s.session_progress(db, session_id, now=minutes(4))
    assert [r.label for r in rows] == ["Platz 1", "Platz 2", "Platz 3"]
    first, second, third = rows
    assert (first.attempt_id, first.answered, first.total) == (a, 2, 9)
    assert first.last_answer_at == minutes(3)
    assert first.remaining_seconds == 16 * 60 and first.status == "laufend"
    assert (second.attempt_id, second.answered, second.last_answer_at) == (b, 0, None)
    assert third.attempt_id is None and third.status == s.NOT_STARTED
    with store.session() as db:
        listed = s.list_sessions(db, schulnummer="123456", klasse="8b", test_key="M8-DEMO")
        assert [x.id for x in listed] == [session_id]
        assert s.list_sessions(db, schulnummer="654321") == []
