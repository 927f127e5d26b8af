"""Cohort flows (Sankey) and time to certificate on a hand-made data set."""

from __future__ import annotations

from pathlib import Path

import pytest

from bimo.core.store import AnalyticStore
from bimo.trajectories.analyses import YearRange, cohort_flows, time_to_certificate
from tests.trajectories.analyses.builder import (
    FS2,
    GS1,
    GS2,
    GY1,
    HS2,
    IGS2,
    RS1,
    Data,
    rows,
)

GS4 = [(GS1, g) for g in (1, 2, 3, 4)]


@pytest.fixture
def store(tmp_path: Path) -> AnalyticStore:
    d = Data()
    d.path("K1", 2010, GS4 + [(GY1, g) for g in range(5, 13)], end=("ENTL", "AHR"))
    d.path("K2", 2010, GS4 + [(RS1, g) for g in range(5, 11)], sex="w", end=("ENTL", "MSA"))
    # K3 repeats grade 2.
    d.path(
        "K3",
        2010,
        [(GS1, 1), (GS1, 2), (GS1, 2), (GS1, 3), (GS1, 4)] + [(RS1, g) for g in range(5, 11)],
        end=("ENTL", "MSA"),
    )
    d.path("K4", 2010, [*GS4, (GY1, 5)], end=("FORTZUG", None))
    # K5 moves away after grade 2, comes back for grade 4 two years later.
    d.path("K5", 2010, [(GS2, 1), (GS2, 2)], sex="w", end=("FORTZUG", None))
    d.path("K5", 2013, [(GS2, 4)] + [(HS2, g) for g in range(5, 10)], sex="w", end=("ENTL", "ESA"))
    d.path("K6", 2010, GS4 + [(GY1, g) for g in range(5, 14)])  # still at school in 2022
    d.path("K7", 2011, GS4 + [(IGS2, g) for g in range(5, 13)])
    d.path("K8", 2010, [(FS2, g) for g in range(1, 11)], fsp="GE", end=("ENTL", "FOES"))
    return d.store(tmp_path / "k.duckdb")


def _edges(res: list[dict[str, object]], kohorte: int) -> list[tuple[object, ...]]:
    return [
        (r["stufe"], r["quelle"], r["ziel"], r["numerator"], r["denominator"])
        for r in res
        if r["kohorte"] == kohorte
    ]


def test_flows_from_grade_1(store: AnalyticStore) -> None:
    sy, sc = store.table("student_years"), store.table("schools")
    res = rows(cohort_flows(sy, sc))
    assert _edges(res, 2010) == [
        (1, "Start: FS", "Nach Übergang: FS", 1, 7),
        (1, "Start: GS", "Nach Übergang: GY", 3, 7),
        (1, "Start: GS", "Nach Übergang: HS", 1, 7),
        (1, "Start: GS", "Nach Übergang: RS", 2, 7),
        (2, "Nach Übergang: FS", "Abschluss: FOES", 1, 7),
        (2, "Nach Übergang: GY", "Abschluss: AHR", 1, 7),
        (2, "Nach Übergang: GY", "fortgezogen", 1, 7),
        (2, "Nach Übergang: GY", "noch in Schule", 1, 7),
        (2, "Nach Übergang: HS", "Abschluss: ESA", 1, 7),
        (2, "Nach Übergang: RS", "Abschluss: MSA", 2, 7),
    ]
    assert _edges(res, 2011) == [
        (1, "Start: GS", "Nach Übergang: IGS", 1, 1),
        (2, "Nach Übergang: IGS", "noch in Schule", 1, 1),
    ]
    # Each stage of a cohort sums to the cohort.
    assert sum(r["numerator"] for r in res if r["kohorte"] == 2010 and r["stufe"] == 2) == 7


def test_flows_from_grade_5_by_sex(store: AnalyticStore) -> None:
    sy, sc = store.table("student_years"), store.table("schools")
    res = rows(
        cohort_flows(sy, sc, start_grade=5, by=["geschlecht"], cohorts=YearRange(2014, 2014))
    )
    got = [
        (r["geschlecht"], r["stufe"], r["quelle"], r["ziel"], r["numerator"], r["denominator"])
        for r in res
    ]
    assert got == [
        ("m", 1, "Start: FS", "Zuletzt: FS", 1, 4),
        ("m", 1, "Start: GY", "Zuletzt: GY", 3, 4),
        ("m", 2, "Zuletzt: FS", "Abschluss: FOES", 1, 4),
        ("m", 2, "Zuletzt: GY", "Abschluss: AHR", 1, 4),
        ("m", 2, "Zuletzt: GY", "fortgezogen", 1, 4),
        ("m", 2, "Zuletzt: GY", "noch in Schule", 1, 4),
        ("w", 1, "Start: HS", "Zuletzt: HS", 1, 2),
        ("w", 1, "Start: RS", "Zuletzt: RS", 1, 2),
        ("w", 2, "Zuletzt: HS", "Abschluss: ESA", 1, 2),
        ("w", 2, "Zuletzt: RS", "Abschluss: MSA", 1, 2),
    ]


def test_time_to_certificate(store: AnalyticStore) -> None:
    sy, sc = store.table("student_years"), store.table("schools")
    res = rows(time_to_certificate(sy, sc))
    assert [
        (r["kohorte"], r["abschlussart"], r["jahre"], r["numerator"], r["denominator"], r["rate"])
        for r in res
    ] == [
        (2010, "AHR", 12, 1, 1, 100.0),
        (2010, "ESA", 9, 1, 1, 100.0),
        (2010, "FOES", 10, 1, 1, 100.0),
        (2010, "MSA", 10, 1, 2, 50.0),
        (2010, "MSA", 11, 1, 2, 50.0),
    ]
