"""Survey rounds: opening, codes, submissions, closing, releases (SQLite and PostgreSQL)."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bimo.core.config import get_settings
from bimo.core.operational import AuditEvent, OperationalStore
from bimo.surveys.models import SurveyCode
from bimo.surveys.rounds import (
    CODE_ALPHABET,
    SurveyError,
    answers_of_round,
    close_round,
    code_digest,
    get_round,
    is_open,
    n_answers,
    normalize_code,
    open_round,
    release_round,
    released,
    round_for_code,
    round_label,
    rounds_of_class,
    shipped_instruments,
    submit_answers,
    withdraw_release,
)

DAY = date(2026, 9, 14)


@pytest.fixture
def store(operational_url: str) -> Iterator[OperationalStore]:
    with OperationalStore(operational_url, migrate=True) as s:
        yield s


def _open(store: OperationalStore, **kw: object) -> tuple[int, list[str]]:
    args: dict[str, object] = {
        "instrument_id": "wohlbefinden",
        "schulnummer": "100001",
        "klasse": "7a",
        "jahrgang": 7,
        "teacher": "lehrkraft1",
        "single_use": True,
        "n_codes": 6,
        "closes_on": DAY + timedelta(days=14),
        "on": DAY,
    }
    args.update(kw)
    with store.session() as db:
        opened = open_round(db, **args)  # type: ignore[arg-type]
        return opened.round.id, opened.codes


def _sheet() -> dict[str, int | str | None]:
    inst = shipped_instruments()["wohlbefinden"]
    return {iid: 1 + i % 4 for i, iid in enumerate(inst.item_ids)}


def _submit(store: OperationalStore, code: str, answers: dict[str, int | str | None]) -> None:
    with store.session() as db:
        submit_answers(db, code, answers, on=DAY)


def test_round_label_follows_school_year_halves() -> None:
    assert round_label(date(2026, 8, 1)) == "2026/27 · 1. Halbjahr"
    assert round_label(date(2027, 1, 31)) == "2026/27 · 1. Halbjahr"
    assert round_label(date(2027, 2, 1)) == "2026/27 · 2. Halbjahr"
    assert round_label(date(2027, 7, 31)) == "2026/27 · 2. Halbjahr"
    assert round_label(date(2099, 9, 1)) == "2099/00 · 1. Halbjahr"


def test_single_use_codes_are_unambiguous_strong_and_stored_as_digests(
    store: OperationalStore,
) -> None:
    round_id, codes = _open(store, n_codes=30)
    assert len(codes) == len(set(codes)) == 30
    assert not set("01OIL") & set(CODE_ALPHABET)
    for code in codes:
        groups = code.split("-")
        assert [len(g) for g in groups] == [5, 5]
        assert set("".join(groups)) <= set(CODE_ALPHABET)
    assert 10 * math.log2(len(CODE_ALPHABET)) >= 40
    with store.session() as db:
        stored = set(db.scalars(select(SurveyCode.code_hash)))
        survey_round = get_round(db, round_id)
        assert survey_round.label == "2026/27 · 1. Halbjahr"
        assert survey_round.opened_on == DAY
        assert survey_round.band == "7-13"
    assert stored == {code_digest(c) for c in codes}
    assert not stored & {normalize_code(c) for c in codes}


def test_codes_are_read_leniently_and_checked(store: OperationalStore) -> None:
    _, codes = _open(store)
    with store.session() as db:
        sloppy = " " + codes[0].lower().replace("-", " ") + " "
        assert round_for_code(db, sloppy, on=DAY).klasse == "7a"
        for bad in ("", "ABC", "ABCDE-FGHI0", codes[0] + "X"):
            with pytest.raises(SurveyError, match="Code"):
                round_for_code(db, bad, on=DAY)
        with pytest.raises(SurveyError, match="gibt es nicht oder"):
            round_for_code(db, "22222-22222", on=DAY)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"instrument_id": "gibtsnicht"}, "Fragebogen „gibtsnicht“ gibt es nicht"),
        ({"jahrgang": 2}, "Jahrgänge 3 bis 13"),
        ({"klasse": " "}, "Klasse fehlt"),
        ({"min_answers": 4}, "nicht unter 5"),
        ({"n_codes": 4}, "zwischen 5 und 60"),
        ({"n_codes": 61}, "zwischen 5 und 60"),
        ({"n_codes": 8, "min_answers": 9}, "zwischen 9 und 60"),
        ({"closes_on": DAY - timedelta(days=1)}, "Vergangenheit"),
        ({"closes_on": DAY + timedelta(days=91)}, "höchstens 90 Tage"),
    ],
)
def test_open_round_refuses_bad_input(
    store: OperationalStore, change: dict[str, object], message: str
) -> None:
    with pytest.raises(SurveyError, match=message):
        _open(store, **change)


def test_configured_minimum_is_the_floor(
    store: OperationalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIMO_MIN_CELL", "7")
    get_settings.cache_clear()
    with pytest.raises(SurveyError, match="nicht unter 7"):
        _open(store, min_answers=6, n_codes=10)
    round_id, _ = _open(store, n_codes=10)
    raised, _ = _open(store, n_codes=10, min_answers=9)
    with store.session() as db:
        assert get_round(db, round_id).min_answers == 7
        assert get_round(db, raised).min_answers == 9


def test_single_use_code_is_consumed_exactly_once(store: OperationalStore) -> None:
    round_id, codes = _open(store)
    _submit(store, codes[0], _sheet())
    with pytest.raises(SurveyError, match="schon verwendet"):
        _submit(store, codes[0], _sheet())
    with store.session() as db, pytest.raises(SurveyError, match="schon verwendet"):
        round_for_code(db, codes[0], on=DAY)
    _submit(store, codes[1], _sheet())
    with store.session() as db:
        assert n_answers(db, round_id) == 2
        assert get_round(db, round_id).n_submitted == 2
        remaining = set(db.scalars(select(SurveyCode.code_hash)))
    assert remaining == {code_digest(c) for c in codes[2:]}


def test_class_code_is_capped_at_n_codes(store: OperationalStore) -> None:
    round_id, codes = _open(store, single_use=False, n_codes=5)
    assert len(codes) == 1
    for _ in range(5):
        _submit(store, codes[0], _sheet())
    with pytest.raises(SurveyError, match="alle vorgesehenen Antworten"):
        _submit(store, codes[0], _sheet())
    with store.session() as db:
        assert n_answers(db, round_id) == 5
        with pytest.raises(SurveyError, match="alle vorgesehenen Antworten"):
            round_for_code(db, codes[0], on=DAY)


def test_concurrent_submissions_respect_single_use_and_cap(store: OperationalStore) -> None:
    _, single = _open(store, n_codes=5)
    class_round, class_code = _open(store, single_use=False, n_codes=5, klasse="7b")
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(code: str) -> None:
        try:
            _submit(store, code, _sheet())
            result = "ok"
        except SurveyError:
            result = "refused"
        with lock:
            outcomes.append(result)

    for code in (single[0], class_code[0]):
        threads = [threading.Thread(target=attempt, args=(code,)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert outcomes.count("ok") == 1 + 5
    assert outcomes.count("refused") == 7 + 3
    with store.session() as db:
        assert n_answers(db, class_round) == 5


def test_answers_are_validated_against_the_instrument(store: OperationalStore) -> None:
    round_id, codes = _open(store)
    cases: list[tuple[dict[str, int | str | None], str]] = [
        ({"wb1": 5}, "zwischen 1 und 4"),
        ({"wb1": 0}, "zwischen 1 und 4"),
        ({"wb1": True}, "keine gültige"),  # type: ignore[dict-item]
        ({"wb1": "drei"}, "keine gültige"),
        ({"xx": 1}, "gehört nicht zu diesem Fragebogen"),
        ({"wb1": None, "wb_offen": "nur Text"}, "noch keine Frage"),
        ({"wb1": 2, "wb_offen": "x" * 1001}, "höchstens 1000 Zeichen"),
        ({"wb1": 2, "wb_offen": 3}, "muss ein Text sein"),  # type: ignore[dict-item]
    ]
    for answers, message in cases:
        # The caller catches the error and commits: nothing of the failed call remains.
        with store.session() as db, pytest.raises(SurveyError, match=message):
            submit_answers(db, codes[0], answers, on=DAY)
    with store.session() as db:
        assert get_round(db, round_id).n_submitted == 0
        assert n_answers(db, round_id) == 0
        assert round_for_code(db, codes[0], on=DAY).id == round_id
    _submit(store, codes[0], {"wb2": "3", "zg1": "", "wb1": 4, "wb_offen": "  Mehr\nPausen \t "})
    with store.session() as db:
        [stored] = answers_of_round(db, round_id)
    assert stored == {"wb1": 4, "wb2": 3, "wb_offen": "Mehr Pausen"}
    assert list(stored) == ["wb1", "wb2", "wb_offen"]  # instrument order, not input order


def test_closed_and_expired_rounds_take_no_answers(store: OperationalStore) -> None:
    round_id, codes = _open(store, closes_on=DAY + timedelta(days=3))
    with store.session() as db:
        assert is_open(get_round(db, round_id), DAY + timedelta(days=3))
        assert not is_open(get_round(db, round_id), DAY + timedelta(days=4))
        with pytest.raises(SurveyError, match=r"lief bis zum 17\.09\.2026"):
            submit_answers(db, codes[0], _sheet(), on=DAY + timedelta(days=4))
    with store.session() as db:
        close_round(db, round_id, "lehrkraft1", on=DAY + timedelta(days=1))
    with store.session() as db:
        survey_round = get_round(db, round_id)
        assert survey_round.closed_on == DAY + timedelta(days=1)
        assert not is_open(survey_round, DAY)
        # The remaining codes are gone: they can never be used again.
        assert db.scalar(select(func.count()).select_from(SurveyCode)) == 0
        with pytest.raises(SurveyError, match="gibt es nicht oder"):
            submit_answers(db, codes[1], _sheet(), on=DAY)
        with pytest.raises(SurveyError, match="bereits beendet"):
            close_round(db, round_id, "lehrkraft1")


def test_closed_round_message_while_codes_still_exist(store: OperationalStore) -> None:
    round_id, codes = _open(store, single_use=False)
    with store.session() as db:
        get_round(db, round_id).closed_on = DAY  # closed without deleting codes (old data)
    with store.session() as db, pytest.raises(SurveyError, match="beendet"):
        round_for_code(db, codes[0], on=DAY)


def test_release_and_withdraw_are_recorded(store: OperationalStore) -> None:
    round_id, _ = _open(store)
    with store.session() as db:
        assert not released(db, round_id)
        release_round(db, round_id, "lehrkraft1")
    with store.session() as db:
        assert released(db, round_id)
        assert get_round(db, round_id).released_by == "lehrkraft1"
        withdraw_release(db, round_id, "lehrkraft1")
    with store.session() as db:
        assert not released(db, round_id)
        actions = list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["survey.open", "survey.release", "survey.withdraw_release"]


def test_rounds_of_class_newest_first_and_unknown_round(store: OperationalStore) -> None:
    first, _ = _open(store)
    second, _ = _open(store, on=DAY + timedelta(days=30), closes_on=DAY + timedelta(days=40))
    _open(store, klasse="7b")
    with store.session() as db:
        assert [r.id for r in rounds_of_class(db, "100001", "7a")] == [second, first]
        assert rounds_of_class(db, "100001", "9c") == []
        with pytest.raises(SurveyError, match=r"Nr\. 999 gibt es nicht"):
            get_round(db, 999)


def test_grade_band_must_fit_the_instrument(store: OperationalStore) -> None:
    round_id, _ = _open(store, jahrgang=4, klasse="4a")
    with store.session() as db:
        assert get_round(db, round_id).band == "3-6"
