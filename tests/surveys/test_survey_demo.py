"""The demo survey round: classes from the analytic store, answers through the service,
careless responders planted by the model and found by the analysis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bimo.core.operational import AuditEvent, OperationalStore
from bimo.surveys.demo import (
    DemoClass,
    DemoSurveyConfig,
    musterland_survey_classes,
    run_demo_round,
)
from bimo.surveys.models import SurveyAnswer, SurveyRound
from bimo.surveys.rounds import SurveyError


@pytest.fixture
def store() -> Iterator[OperationalStore]:
    with OperationalStore("sqlite://", migrate=True) as s:
        yield s


CLASSES = [
    DemoClass("100001", "7a", 7, 24),
    DemoClass("100001", "7b", 7, 22),
    DemoClass("100001", "8a", 8, 25),
    DemoClass("200002", "7a", 7, 23),
    DemoClass("200002", "8a", 8, 21),
    DemoClass("300003", "5a", 5, 5),
]


def test_demo_round_goes_through_the_service(store: OperationalStore) -> None:
    calls: list[tuple[int, int]] = []
    result = run_demo_round(
        store,
        classes=CLASSES,
        config=DemoSurveyConfig(careless_share=0.15, participation=0.95),
        progress=lambda done, total: calls.append((done, total)),
    )
    with store.session() as db:
        stored = db.scalar(select(func.count()).select_from(SurveyAnswer))
        rounds = list(db.scalars(select(SurveyRound).order_by(SurveyRound.id)))
        actions = _actions(db)
    assert len(result.rounds) == len(rounds) == 6
    assert result.answers == stored == sum(r.n_submitted for r in rounds)
    assert calls[-1][0] == stored and calls[-1][1] == sum(c.students for c in CLASSES)
    assert result.released == 5 and not rounds[-1].released
    assert all(r.closed_on is not None for r in rounds)
    assert actions == {"survey.open": 6, "survey.close": 6, "survey.release": 5}
    # Planted straightliners are always found; random answering on a 10-item form only partly
    # (docs/surveys.md: recall ≈ 0.5). The reports count what the analysis flags.
    assert result.careless_simulated >= 5 and result.straightliners >= 1
    assert result.straightliners_detected == result.straightliners
    assert result.careless_simulated >= result.careless_detected >= result.straightliners
    assert result.careless_flagged >= result.careless_detected
    # The 5-student class has at most 5 answers, its report is withheld unless all answered.
    assert result.class_reports + result.class_reports_withheld == 6
    assert result.school_reports["100001"] is True  # three released classes
    assert result.school_reports["200002"] is True
    assert result.school_reports["300003"] is False
    assert result.land_report is True
    summary = result.summary()
    assert summary["befragungen"] == 6 and summary["antworten"] == stored


def _actions(db: Session) -> dict[str, int]:
    rows = db.execute(select(AuditEvent.action, func.count()).group_by(AuditEvent.action))
    return {str(a): int(n) for a, n in rows}


def test_classes_come_from_the_latest_school_year(tmp_path: Path) -> None:
    path = tmp_path / "a.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE student_years (schulnummer VARCHAR, schuljahr INTEGER, "
        "jahrgangsstufe INTEGER, klasse VARCHAR)"
    )
    rows = []
    for school, klasse, jg, n in [
        ("111111", "7a", 7, 20),
        ("111111", "7b", 7, 18),
        ("111111", "2a", 2, 25),  # below Jahrgang 3: no survey
        ("222222", "9a", 9, 30),
        ("222222", "9b", 9, 4),  # fewer than 5 students
        ("333333", "5a", 5, 6),
    ]:
        rows += [(school, 2018, jg, klasse)] * n
    rows += [("333333", 2017, 5, "5z")] * 40  # an earlier year
    con.executemany("INSERT INTO student_years VALUES (?, ?, ?, ?)", rows)
    con.close()
    classes = musterland_survey_classes(path, n_schools=2)
    assert classes == [
        DemoClass("111111", "7a", 7, 20),
        DemoClass("111111", "7b", 7, 18),
        DemoClass("222222", "9a", 9, 30),
    ]
    focus = musterland_survey_classes(path, schulnummer="333333", n_schools=1)
    assert focus == [DemoClass("333333", "5a", 5, 6)]


def test_demo_needs_classes(store: OperationalStore) -> None:
    with pytest.raises(SurveyError, match="fehlen Klassen"):
        run_demo_round(store)
    with pytest.raises(SurveyError, match="keine Klassen"):
        run_demo_round(store, classes=[])
