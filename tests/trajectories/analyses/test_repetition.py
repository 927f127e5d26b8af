"""Repetition rates (same-year and cohort view) on a hand-made data set."""

from __future__ import annotations

from pathlib import Path

import pytest

from bimo.core.store import AnalyticStore
from bimo.trajectories.analyses import repetition, repetition_cohort
from tests.trajectories.analyses.builder import GS1, GS2, GY1, Data, pick, rows


def repetition_data() -> Data:
    d = Data()
    # Grade 3 in 2020: S1 repeats (NV) in 2021, S5 moves away.
    d.add("S1", 2020, GS1, 3)
    d.add("S1", 2021, GS1, 3, wdh="NV")
    for name, sex in (("S2", "w"), ("S3", "m"), ("S4", "w")):
        d.add(name, 2020, GS1, 3, sex=sex)
        d.add(name, 2021, GS1, 4, sex=sex)
    d.add("S5", 2020, GS1, 3, abgang="FORTZUG")
    # New grade-3 students of 2021 (two in Kreis 01002).
    d.add("R1", 2021, GS1, 3, sex="w")
    d.add("R2", 2021, GS2, 3)
    d.add("R3", 2021, GS2, 3, sex="w")
    # Grade 5 in 2020: U1 repeats voluntarily (FW).
    d.add("U1", 2020, GY1, 5, sex="w")
    d.add("U1", 2021, GY1, 5, sex="w", wdh="FW")
    d.add("U2", 2020, GY1, 5)
    d.add("U2", 2021, GY1, 6)
    d.add("U3", 2020, GY1, 5, sex="w")
    d.add("U3", 2021, GY1, 6, sex="w")
    d.add("V1", 2021, GY1, 5, zugang="ZUZUG")
    d.add("V2", 2021, GY1, 5, zugang="ZUZUG")
    for name, sex in (("W1", "m"), ("W2", "w"), ("W3", "m")):
        d.add(name, 2021, GY1, 7, sex=sex)
    d.add("G1", 2021, GS1, 2, wdh="NV")  # grade 2: outside the definition
    return d


@pytest.fixture
def store(tmp_path: Path) -> AnalyticStore:
    return repetition_data().store(tmp_path / "r.duckdb")


def test_same_year(store: AnalyticStore) -> None:
    sy, sc = store.table("student_years"), store.table("schools")
    res = rows(repetition(sy, sc))
    assert [(r["schuljahr"], r["numerator"], r["denominator"], r["rate"]) for r in res] == [
        (2020, 0, 8, 0.0),
        (2021, 2, 15, round(200 / 15, 4)),
    ]


def test_same_year_by_grade_sex_kreis(store: AnalyticStore) -> None:
    sy, sc = store.table("student_years"), store.table("schools")
    res = pick(rows(repetition(sy, sc, by_grade=True)), schuljahr=2021)
    assert [(r["jahrgangsstufe"], r["numerator"], r["denominator"]) for r in res] == [
        (3, 1, 4),
        (4, 0, 3),
        (5, 1, 3),
        (6, 0, 2),
        (7, 0, 3),
    ]
    res = pick(rows(repetition(sy, sc, by=["geschlecht"])), schuljahr=2021)
    assert [(r["geschlecht"], r["numerator"], r["denominator"], r["rate"]) for r in res] == [
        ("m", 1, 8, 12.5),
        ("w", 1, 7, round(100 / 7, 4)),
    ]
    res = pick(rows(repetition(sy, sc, by=["kreis", "schulform"])), schuljahr=2021)
    assert [(r["kreis_ags"], r["schulform"], r["numerator"], r["denominator"]) for r in res] == [
        ("01001", "GS", 1, 5),
        ("01001", "GY", 1, 8),
        ("01002", "GS", 0, 2),
    ]


def test_cohort_view_differs(store: AnalyticStore) -> None:
    sy, sc = store.table("student_years"), store.table("schools")
    res = rows(repetition_cohort(sy, sc))
    # Only 2020 has a following year; the 2021 cohort is not reported as 0 %.
    assert [(r["schuljahr"], r["numerator"], r["denominator"], r["rate"]) for r in res] == [
        (2020, 2, 8, 25.0),
    ]
    res = rows(repetition_cohort(sy, sc, by_grade=True))
    assert [(r["jahrgangsstufe"], r["numerator"], r["denominator"], r["rate"]) for r in res] == [
        (3, 1, 5, 20.0),
        (5, 1, 3, round(100 / 3, 4)),
    ]
