"""Seats taken with a school account (OIDC): binding, resume on any device, refusals, races."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bimo.assessment.delivery import models as m
from bimo.assessment.delivery import sessions as s
from bimo.assessment.delivery.clock import LOCKED_MESSAGE
from bimo.assessment.delivery.errors import DeliveryError
from bimo.assessment.delivery.identity import (
    ALL_SEATS_TAKEN,
    HANDED_IN,
    NO_TEST,
    open_attempt_for_identity,
    subject_hash,
)
from bimo.assessment.delivery.responses import AnswerEvent, final_answers, record_answers
from bimo.assessment.delivery.samples import sample_test
from bimo.core.operational import OperationalStore, begin_write, list_events

T0 = datetime(2027, 5, 4, 8, 0, tzinfo=UTC)
ISSUER = "https://idp.schule.example"
SCHOOL, CLASS = "123456", "8b"


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[OperationalStore]:
    with OperationalStore(f"sqlite:///{tmp_path / 'op.sqlite'}") as st_:
        with st_.session() as db:
            sample_test(db, tmp_path / "bank", block_minutes=20)
        yield st_


@pytest.fixture
def any_store(operational_url: str, tmp_path: Path) -> Iterator[OperationalStore]:
    """The same on SQLite and on PostgreSQL."""
    with OperationalStore(operational_url, migrate=True) as st_:
        with st_.session() as db:
            sample_test(db, tmp_path / "bank", block_minutes=20)
        yield st_


def new_session(
    store: OperationalStore,
    n_codes: int = 4,
    *,
    klasse: str = CLASS,
    open_: bool = True,
    valid_hours: int = 72,
) -> tuple[int, list[s.PrintedCode]]:
    with store.session() as db:
        created = s.create_session(
            db,
            test_key="M8-DEMO",
            schulnummer=SCHOOL,
            klasse=klasse,
            n_codes=n_codes,
            actor="lehrkraft",
            valid_hours=valid_hours,
            now=T0,
        )
        if open_:
            s.open_session(db, created.session.id, "lehrkraft", now=T0)
        return created.session.id, created.codes


def login(
    store: OperationalStore,
    subject: str,
    device: str = "geraet-1",
    *,
    at: datetime = T0,
    klasse: str = CLASS,
    session_id: int | None = None,
) -> s.OpenedAttempt | list[int]:
    """A login as the web layer does it; a choice comes back as the session ids."""
    with store.session() as db:
        begin_write(db)
        result = open_attempt_for_identity(
            db,
            subject_hash=subject_hash(ISSUER, subject),
            schulnummer=SCHOOL,
            klasse=klasse,
            device_token=device,
            session_id=session_id,
            now=at,
        )
        if isinstance(result, list):
            return [session.id for session in result]
        return result


def opened(result: s.OpenedAttempt | list[int]) -> s.OpenedAttempt:
    assert isinstance(result, s.OpenedAttempt), result
    return result


def seat_of(store: OperationalStore, attempt_id: int) -> m.AccessCode:
    with store.session() as db:
        attempt = db.get(m.Attempt, attempt_id)
        assert attempt is not None
        access = db.get(m.AccessCode, attempt.code_id)
        assert access is not None
        return access


def test_subject_hash_is_sha256_of_issuer_and_subject() -> None:
    digest = subject_hash(ISSUER, "anna")
    assert len(digest) == 64 and "anna" not in digest
    assert digest != subject_hash("https://other.example", "anna")  # subjects are per issuer


def test_first_login_binds_the_first_free_seat(store: OperationalStore) -> None:
    session_id, codes = new_session(store)
    # Platz 1 was taken with its printed code: the login skips it.
    with store.session() as db:
        s.open_attempt(db, codes[0].code, "geraet-papier", now=T0)
    first = opened(login(store, "anna"))
    seat = seat_of(store, first.attempt.id)
    assert seat.label == "Platz 2" and seat.oidc_subject_hash == subject_hash(ISSUER, "anna")
    assert seat.used_at is not None
    with store.session() as db:
        progress = {p.label: p for p in s.session_progress(db, session_id, now=minutes(1))}
    assert progress["Platz 2"].via_account and progress["Platz 2"].status == "laufend"
    assert not progress["Platz 1"].via_account and not progress["Platz 3"].via_account
    events = list_events(action="tests.seat_account", db=store)
    assert len(events) == 1 and events[0].details["platz"] == "Platz 2"
    assert events[0].details["klasse"] == CLASS
    # The raw subject is stored nowhere.
    with store.session() as db:
        assert not any(
            "anna" in (a.oidc_subject_hash or "") for a in db.scalars(select(m.AccessCode))
        )


def test_login_resumes_on_the_same_and_on_another_device(store: OperationalStore) -> None:
    new_session(store)
    first = opened(login(store, "anna", "geraet-1"))
    with store.session() as db:
        attempt = db.get(m.Attempt, first.attempt.id)
        assert attempt is not None
        refs = [b.item_ref for b in s.attempt_items(db, attempt) if b.block == 0][:2]
        events = [AnswerEvent(1, refs[0], "A"), AnswerEvent(2, refs[1], "B")]
        record_answers(db, attempt, events, now=minutes(2))
    again = opened(login(store, "anna", "geraet-1", at=minutes(3)))
    assert again.attempt.id == first.attempt.id and again.token != first.token
    assert list_events(action="tests.attempt_device_change", db=store) == []

    moved = opened(login(store, "anna", "geraet-2", at=minutes(4)))
    assert moved.attempt.id == first.attempt.id
    with store.session() as db:
        attempt = db.get(m.Attempt, first.attempt.id)
        assert attempt is not None and attempt.status == "laufend"  # no proctor unlock needed
        assert s.attempt_for_token(db, again.token) is None  # the old device is logged out
        assert s.attempt_for_token(db, moved.token) is not None
        assert final_answers(db, first.attempt.id) == {refs[0]: "A", refs[1]: "B"}
    changes = list_events(action="tests.attempt_device_change", db=store)
    assert len(changes) == 1 and changes[0].actor == "teilnehmer"
    assert changes[0].details == {
        "schulnummer": SCHOOL,
        "klasse": CLASS,
        "durchgang": first.attempt.id,
    }


def test_two_identities_get_different_seats_until_none_is_left(store: OperationalStore) -> None:
    new_session(store, n_codes=3)
    seats = [seat_of(store, opened(login(store, f"kind-{i}")).attempt.id).id for i in range(3)]
    assert len(set(seats)) == 3
    with pytest.raises(DeliveryError, match="alle Plätze vergeben") as exc:
        login(store, "kind-3")
    assert str(exc.value) == ALL_SEATS_TAKEN
    # A known identity still gets back in.
    assert opened(login(store, "kind-1", "anderes-geraet")).attempt is not None


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("login"), st.integers(0, 7)),
            st.tuples(st.just("code"), st.integers(0, 5)),
        ),
        max_size=20,
    )
)
def test_identities_and_codes_never_share_a_seat(
    tmp_path_factory: pytest.TempPathFactory,
    steps: list[tuple[str, int]],
) -> None:
    """Any mix of logins (8 students, repeated) and code entries on 6 seats: each identity
    holds one seat, no two hold the same, and code-opened seats are never taken."""
    tmp = tmp_path_factory.mktemp("seats")
    with OperationalStore(f"sqlite:///{tmp / 'op.sqlite'}") as store:
        with store.session() as db:
            sample_test(db, tmp / "bank", block_minutes=20)
        _, codes = new_session(store, n_codes=6)
        seat_of_kid: dict[str, int] = {}
        code_first: set[int] = set()  # seats whose printed code was used before any login
        for kind, i in steps:
            kid = f"kind-{i}"
            try:
                if kind == "login":
                    seat = seat_of(store, opened(login(store, kid, f"g{i}")).attempt.id)
                else:
                    with store.session() as db:
                        attempt = s.open_attempt(db, codes[i].code, f"c{i}", now=T0).attempt
                    seat = seat_of(store, attempt.id)
            except DeliveryError as exc:
                if str(exc) == ALL_SEATS_TAKEN:
                    assert kid not in seat_of_kid
                    assert len(seat_of_kid) + len(code_first) == len(codes)
                else:  # a code entered on a second device locked the seat
                    assert str(exc) == LOCKED_MESSAGE
                continue
            if kind == "login":
                assert seat.oidc_subject_hash == subject_hash(ISSUER, kid)
                if kid in seat_of_kid:
                    assert seat_of_kid[kid] == seat.id  # always the same seat
                else:
                    assert seat.id not in code_first and seat.id not in seat_of_kid.values()
                    seat_of_kid[kid] = seat.id
            elif seat.id not in seat_of_kid.values():
                code_first.add(seat.id)
        with store.session() as db:
            hashes = [c.oidc_subject_hash for c in db.scalars(select(m.AccessCode))]
        bound = [h for h in hashes if h is not None]
        assert len(bound) == len(set(bound))


def test_concurrent_logins_get_distinct_seats(any_store: OperationalStore) -> None:
    n = 6
    new_session(any_store, n_codes=n)
    barrier = threading.Barrier(n)
    results: dict[int, int] = {}
    errors: list[str] = []

    def enter(i: int) -> None:
        barrier.wait()
        try:
            results[i] = opened(login(any_store, f"kind-{i}", f"g{i}")).attempt.id
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=enter, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == n
    seats = {seat_of(any_store, attempt_id).id for attempt_id in results.values()}
    assert len(seats) == n


def test_concurrent_logins_of_one_student_share_one_seat(any_store: OperationalStore) -> None:
    new_session(any_store, n_codes=4)
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[str] = []

    def enter(device: str) -> None:
        barrier.wait()
        try:
            results.append(opened(login(any_store, "anna", device)).attempt.id)
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=enter, args=(d,)) for d in ("g1", "g2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 2 and results[0] == results[1]
    with any_store.session() as db:
        assert len(list(db.scalars(select(m.Attempt)))) == 1


def test_no_open_session_for_the_class(store: OperationalStore) -> None:
    with pytest.raises(DeliveryError) as exc:
        login(store, "anna")
    assert str(exc.value) == NO_TEST
    new_session(store, open_=False)  # prepared, not yet open
    new_session(store, klasse="8a")  # another class
    with pytest.raises(DeliveryError, match="kein Test freigegeben"):
        login(store, "anna")


def test_class_claim_is_compared_without_blanks_and_case(store: OperationalStore) -> None:
    new_session(store)
    assert opened(login(store, "anna", klasse=" 8 B ")).attempt is not None


def test_several_open_sessions_ask_for_a_choice(store: OperationalStore) -> None:
    first, _ = new_session(store)
    second, _ = new_session(store)
    assert login(store, "anna") == [first, second]
    chosen = opened(login(store, "anna", session_id=second))
    assert chosen.attempt.session_id == second
    # Logged in again: back to the running attempt, no choice.
    assert opened(login(store, "anna", "g2")).attempt.id == chosen.attempt.id
    with pytest.raises(DeliveryError, match="nicht freigegeben"):
        login(store, "bert", session_id=9999)
    other, _ = new_session(store, klasse="9c")
    with pytest.raises(DeliveryError, match="nicht freigegeben"):
        login(store, "bert", session_id=other)


def test_handed_in_attempt_and_the_next_test(store: OperationalStore) -> None:
    first, _ = new_session(store)
    attempt = opened(login(store, "anna")).attempt
    with store.session() as db:
        row = db.get(m.Attempt, attempt.id)
        assert row is not None
        s.submit_attempt(db, row, now=minutes(5))
    with pytest.raises(DeliveryError) as exc:
        login(store, "anna", at=minutes(6))
    assert str(exc.value) == HANDED_IN
    with pytest.raises(DeliveryError, match="bereits abgegeben"):
        login(store, "anna", at=minutes(6), session_id=first)
    # A second test for the class: the same student takes a seat there.
    second, _ = new_session(store)
    assert opened(login(store, "anna", at=minutes(7))).attempt.session_id == second


def test_ended_session_is_ignored(store: OperationalStore) -> None:
    session_id, _ = new_session(store)
    opened(login(store, "anna"))
    with store.session() as db:
        s.end_session(db, session_id, "lehrkraft", now=minutes(30))
    with pytest.raises(DeliveryError) as exc:
        login(store, "anna", at=minutes(31))
    assert str(exc.value) == NO_TEST


def test_paused_session(store: OperationalStore) -> None:
    session_id, _ = new_session(store)
    attempt = opened(login(store, "anna")).attempt
    with store.session() as db:
        s.pause_session(db, session_id, "lehrkraft", now=minutes(2))
    # A student already seated gets back in (the clock stays stopped) …
    assert opened(login(store, "anna", "g2", at=minutes(3))).attempt.id == attempt.id
    # … nobody takes a new seat.
    with pytest.raises(DeliveryError, match="pausiert"):
        login(store, "bert", at=minutes(3))
    with pytest.raises(DeliveryError, match="pausiert"):
        login(store, "bert", at=minutes(3), session_id=session_id)


def test_expired_codes(store: OperationalStore) -> None:
    new_session(store, valid_hours=1)
    opened(login(store, "anna"))
    later = T0 + timedelta(hours=2)
    with pytest.raises(DeliveryError, match="abgelaufen"):
        login(store, "anna", at=later)
    with pytest.raises(DeliveryError, match="kein Test freigegeben"):
        login(store, "bert", at=later)


def test_locked_attempt_stays_locked(store: OperationalStore) -> None:
    _, codes = new_session(store)
    attempt = opened(login(store, "anna", "g1")).attempt
    assert seat_of(store, attempt.id).label == "Platz 1"
    # The printed code of the seat follows the code rules: another device locks the attempt …
    with pytest.raises(DeliveryError, match="gesperrt"), store.session() as db:
        s.open_attempt(db, codes[0].code, "fremd", now=minutes(1))
    # … and the login does not override the lock: the proctor decides.
    with pytest.raises(DeliveryError) as exc:
        login(store, "anna", "g1", at=minutes(2))
    assert str(exc.value) == LOCKED_MESSAGE


def test_code_of_a_seat_taken_by_login_resumes_on_its_device(store: OperationalStore) -> None:
    _, codes = new_session(store)
    attempt = opened(login(store, "anna", "g1")).attempt
    with store.session() as db:
        again = s.open_attempt(db, codes[0].code, "g1", now=minutes(1))
    assert again.attempt.id == attempt.id
    # The binding stays: the next login finds the same attempt.
    assert opened(login(store, "anna", "g1", at=minutes(2))).attempt.id == attempt.id


def test_missing_device_or_claims_are_refused(store: OperationalStore) -> None:
    new_session(store)
    with pytest.raises(DeliveryError, match="Gerätekennung"):
        login(store, "anna", "")
    with pytest.raises(DeliveryError, match="keine Schule"):
        login(store, "anna", klasse="  ")
