"""Protected class, school and Land reports: minimums, open texts, references, change,
careless responders, and agreement of the reported statistics with the analysis module."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from bimo.core.config import get_settings
from bimo.core.operational import OperationalStore
from bimo.privacy import audit_published
from bimo.surveys import analyze_scale, flag_careless, model_for, simulate_round
from bimo.surveys.reporting import (
    ClassReport,
    LandReport,
    SchoolReport,
    Withheld,
    class_report,
    land_report,
    response_matrix,
    school_report,
    sheets_from_matrix,
)
from bimo.surveys.rounds import (
    SurveyError,
    close_round,
    open_round,
    release_round,
    shipped_instruments,
    submit_answers,
)

DAY = date(2026, 9, 14)
INST = shipped_instruments()["wohlbefinden"]


@pytest.fixture
def store() -> Iterator[OperationalStore]:
    # In-memory SQLite (one connection per thread): the reports do not depend on the backend,
    # which test_rounds/test_anonymity cover on SQLite files and PostgreSQL.
    with OperationalStore("sqlite://", migrate=True) as s:
        yield s


def _simulated(n: int, seed: int, careless: float = 0.0) -> np.ndarray:
    sim = simulate_round(
        model_for(INST, careless_share=careless),
        n_schools=1,
        classes_per_school=1,
        students_per_class=n,
        seed=seed,
    )
    return sim.responses


def run_round(
    store: OperationalStore,
    responses: np.ndarray,
    *,
    schule: str = "100001",
    klasse: str = "7a",
    jahrgang: int = 7,
    teacher: str = "lk1",
    texts: list[str] | None = None,
    release: bool = True,
    close: bool = True,
    on: date = DAY,
    min_answers: int | None = None,
) -> int:
    n = responses.shape[0]
    with store.session() as db:
        opened = open_round(
            db,
            instrument_id=INST.id,
            schulnummer=schule,
            klasse=klasse,
            jahrgang=jahrgang,
            teacher=teacher,
            single_use=False,
            n_codes=max(n, 5, min_answers or 5),
            closes_on=on + timedelta(days=7),
            min_answers=min_answers,
            on=on,
        )
    for i, sheet in enumerate(sheets_from_matrix(INST, responses)):
        answers: dict[str, int | str | None] = dict(sheet)
        if texts is not None:
            answers["wb_offen"] = texts[i]
        with store.session() as db:
            submit_answers(db, opened.codes[0], answers, on=on)
    with store.session() as db:
        if close:
            close_round(db, opened.round.id, teacher, on=on)
        if release:
            release_round(db, opened.round.id, teacher)
    return opened.round.id


def _class(store: OperationalStore, round_id: int, **kw: object) -> ClassReport | Withheld:
    with store.session() as db:
        return class_report(db, round_id, **kw)  # type: ignore[arg-type]


def test_too_few_answers_are_withheld_without_the_count(store: OperationalStore) -> None:
    round_id = run_round(store, _simulated(4, 1))
    report = _class(store, round_id)
    assert isinstance(report, Withheld)
    assert report.reason == (
        "Der Bericht wird erst ab 5 Antworten angezeigt, damit niemand erkannt werden kann."
    )
    assert "4" not in report.reason
    assert isinstance(_class(store, run_round(store, _simulated(5, 2), klasse="7b")), ClassReport)


def test_open_round_has_no_report_yet(store: OperationalStore) -> None:
    round_id = run_round(store, _simulated(12, 1), close=False)
    with store.session() as db:
        report = class_report(db, round_id, on=DAY)
        assert isinstance(report, Withheld)
        assert "sobald die Befragung beendet ist" in report.reason
        # After the last day the round has ended by itself.
        assert isinstance(class_report(db, round_id, on=DAY + timedelta(days=8)), ClassReport)


def test_minimum_can_be_raised_not_lowered(
    store: OperationalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    seven = run_round(store, _simulated(7, 1), min_answers=8)
    assert isinstance(_class(store, seven), Withheld)
    assert "ab 8 Antworten" in _class(store, seven).reason  # type: ignore[union-attr]
    six = run_round(store, _simulated(6, 2), klasse="7b")
    assert isinstance(_class(store, six), ClassReport)
    assert "ab 7 Antworten" in _class(store, six, min_answers=7).reason  # type: ignore[union-attr]
    with pytest.raises(SurveyError, match="nicht unter 5"):
        _class(store, six, min_answers=4)
    monkeypatch.setenv("BIMO_MIN_CELL", "7")
    get_settings.cache_clear()
    assert isinstance(_class(store, six), Withheld)


def test_class_report_numbers_come_from_the_analysis(store: OperationalStore) -> None:
    responses = _simulated(24, 5)
    report = _class(store, run_round(store, responses))
    assert isinstance(report, ClassReport)
    assert report.n == 24 and report.label == "2026/27 · 1. Halbjahr"
    for scale in report.scales:
        expected = analyze_scale(INST, responses, scale.scale_id)
        assert scale.mean is not None
        assert scale.mean.mean == pytest.approx(expected.mean.mean)
        assert scale.mean.lower == pytest.approx(expected.mean.lower)
        assert scale.alpha == pytest.approx(expected.alpha)
        assert scale.omega == pytest.approx(expected.omega)
        assert [i.item for i in scale.items] == [i.item for i in expected.items]
        assert [i.item_total for i in scale.items] == pytest.approx(
            [i.item_total for i in expected.items]
        )
        assert scale.items[0].text == INST.wording("7-13")[scale.items[0].item]
        # Distribution: counts are shown only from the minimum on (0 = nobody), and the
        # suppressed ones cannot be recovered from the rest (LP audit of the published cells).
        cells = {c.label: c for c in scale.distribution}
        assert cells["Insgesamt"].count == 24
        for cell in scale.distribution:
            assert cell.count is None or cell.count == 0 or cell.count >= 5
        published = pl.DataFrame(
            {
                "bereich": [c.label for c in scale.distribution],
                "value": [c.count for c in scale.distribution],
                "flag": [c.flag for c in scale.distribution],
            },
            schema={"bereich": pl.String, "value": pl.Int64, "flag": pl.String},
        )
        assert audit_published(published, ["bereich"], 5).passed


def test_open_texts_only_from_ten_and_only_for_the_teacher(store: OperationalStore) -> None:
    nine = run_round(store, _simulated(9, 1), texts=[f"Text {i}" for i in range(9)])
    report = _class(store, nine)
    assert isinstance(report, ClassReport)
    assert report.open_texts is None and "erst ab 10 Antworten" in report.open_texts_note
    texts = [f"Idee {i}" for i in range(10)]
    ten = run_round(store, _simulated(10, 2), texts=texts, klasse="7b", teacher="lk2")
    report = _class(store, ten)
    assert isinstance(report, ClassReport) and report.open_texts is not None
    [(question, shown)] = report.open_texts.items()
    assert question == INST.wording("7-13")["wb_offen"]
    assert Counter(shown) == Counter(texts)
    hidden = _class(store, ten, open_texts=False)
    assert isinstance(hidden, ClassReport) and hidden.open_texts is None
    run_round(store, _simulated(10, 3), texts=texts, klasse="7c", teacher="lk3")
    with store.session() as db:
        school = school_report(db, "100001", INST.id)
    assert isinstance(school, SchoolReport)
    assert not any(t in repr(school) for t in texts)


def test_change_against_the_previous_round(store: OperationalStore) -> None:
    before = _simulated(20, 1)
    after = np.minimum(_simulated(20, 2) + 1, 4)
    run_round(store, before)
    later = DAY + timedelta(days=150)
    round_id = run_round(store, after, on=later)
    report = _class(store, round_id, on=later + timedelta(days=10))
    assert isinstance(report, ClassReport)
    scale = report.scales[0]
    assert scale.change is not None
    assert scale.change.previous_label == "2026/27 · 1. Halbjahr"
    assert report.label == "2026/27 · 2. Halbjahr"
    from bimo.surveys import change_between_rounds, scale_scores

    expected = change_between_rounds(
        scale_scores(INST, before, scale.scale_id), scale_scores(INST, after, scale.scale_id)
    )
    assert scale.change.change.difference == pytest.approx(expected.difference)
    assert scale.change.change.lower == pytest.approx(expected.lower)


def test_references_leave_out_own_data_and_need_two_other_units(
    store: OperationalStore,
) -> None:
    own = run_round(store, _simulated(20, 1), teacher="lk1")
    run_round(store, _simulated(20, 2), klasse="7b", teacher="lk1")  # the same teacher
    run_round(store, _simulated(20, 3), klasse="7c", teacher="lk2")
    report = _class(store, own)
    assert isinstance(report, ClassReport)
    assert report.scales[0].school is None  # only one other teacher's class
    other = _simulated(20, 4)
    run_round(store, other, klasse="7d", teacher="lk3")
    run_round(store, _simulated(20, 5), klasse="8a", teacher="lk4", release=False)
    report = _class(store, own)
    assert isinstance(report, ClassReport)
    school = report.scales[0].school
    assert school is not None and school.units == 2 and school.n == 40
    assert report.scales[0].land is None  # no other school yet
    for i, schule in enumerate(("200002", "300003")):
        run_round(store, _simulated(20, 10 + i), schule=schule, teacher=f"x{i}")
    report = _class(store, own)
    assert isinstance(report, ClassReport)
    land = report.scales[0].land
    assert land is not None and land.units == 2 and land.n == 40


def test_careless_responders_are_counted(store: OperationalStore) -> None:
    responses = _simulated(40, 7, careless=0.25)
    report = _class(store, run_round(store, responses))
    assert isinstance(report, ClassReport)
    assert report.careless == int(flag_careless(INST, responses).flagged.sum()) > 0


def test_school_report_uses_released_ended_rounds_only(store: OperationalStore) -> None:
    run_round(store, _simulated(20, 1), klasse="7a")
    with store.session() as db:
        assert isinstance(school_report(db, "100001", INST.id), Withheld)
    run_round(store, _simulated(20, 2), klasse="7b", release=False)
    run_round(store, _simulated(20, 3), klasse="7c", close=False)  # released, still open
    run_round(store, _simulated(4, 4), klasse="7d")  # below the minimum: never pooled
    with store.session() as db:
        withheld = school_report(db, "100001", INST.id, on=DAY)
        assert isinstance(withheld, Withheld) and "2 Klassen" in withheld.reason
        # After its last day the open round has ended and counts.
        report = school_report(db, "100001", INST.id, on=DAY + timedelta(days=8))
    assert isinstance(report, SchoolReport)
    assert report.n == 40 and report.n_classes == 2


def test_land_report_has_no_school_rows(store: OperationalStore) -> None:
    for i in range(3):
        run_round(store, _simulated(20, i), schule=f"10000{i}", klasse="8a", jahrgang=8)
    with store.session() as db:
        report = land_report(db, INST.id)
    assert isinstance(report, LandReport)
    assert report.n == 60 and report.n_schools == 3
    for scale in report.scales:
        assert [c.label for c in scale.cells] == ["Jahrgang 8", "Insgesamt"]
    assert "10000" not in repr(report)


def test_response_matrix_round_trip() -> None:
    responses = _simulated(6, 3)
    responses[0, 2] = np.nan
    matrix, texts = response_matrix(INST, sheets_from_matrix(INST, responses))
    np.testing.assert_array_equal(matrix, responses)
    assert texts == {"wb_offen": []}


def test_reports_on_sqlite_file_and_postgresql(operational_url: str) -> None:
    responses = [_simulated(12, 20 + k) for k in range(3)]
    with OperationalStore(operational_url, migrate=True) as db_store:
        ids = [
            run_round(
                db_store,
                r,
                klasse=f"7{'abc'[k]}",
                teacher=f"lk{k}",
                texts=[f"T{i}" for i in range(12)],
            )
            for k, r in enumerate(responses)
        ]
        with db_store.session() as db:
            report = class_report(db, ids[0])
            school = school_report(db, "100001", INST.id)
    assert isinstance(report, ClassReport) and isinstance(school, SchoolReport)
    expected = analyze_scale(INST, responses[0], "wohlbefinden")
    assert report.scales[0].mean is not None
    assert report.scales[0].mean.mean == pytest.approx(expected.mean.mean)
    assert report.open_texts is not None and sorted(next(iter(report.open_texts.values()))) == (
        sorted(f"T{i}" for i in range(12))
    )
    assert report.scales[0].school is not None and report.scales[0].school.n == 24
    assert school.n == 36 and school.n_classes == 3
