"""School-form changes in grades 7–9 on a hand-made data set."""

from __future__ import annotations

from pathlib import Path

import pytest

from bimo.core.store import AnalyticStore
from bimo.trajectories.analyses import school_form_changes
from tests.trajectories.analyses.builder import (
    FS2,
    GY1,
    GY2,
    HS2,
    IGS2,
    RS1,
    SMBG2,
    WS1,
    Data,
    pick,
    rows,
)


@pytest.fixture
def store(tmp_path: Path) -> AnalyticStore:
    d = Data()
    moves = [
        ("C1", "w", (GY1, 6), (RS1, 7)),  # down
        ("C2", "m", (RS1, 7), (GY1, 8)),  # up
        ("C3", "m", (HS2, 8), (FS2, 9)),  # into Förderschule
        ("C4", "w", (FS2, 7), (HS2, 8)),  # out of Förderschule
        ("C5", "w", (SMBG2, 8), (IGS2, 9)),  # equal rank: other
        ("C6", "m", (GY1, 7), (GY2, 8)),  # new school, same Schulform: no change
        ("C7", "w", (GY1, 8), (GY1, 9)),
        ("C9", "m", (RS1, 9), (GY1, 10)),  # grade 10: outside 7–9
        ("C10", "m", (WS1, 7), (RS1, 8)),  # Waldorf has no rank: other
    ]
    for name, sex, (s0, g0), (s1, g1) in moves:
        d.add(name, 2020, s0, g0, sex=sex)
        d.add(name, 2021, s1, g1, sex=sex, zugang="WECHSEL" if s0 != s1 else None)
    d.add("C8", 2021, GY1, 7, zugang="ZUZUG")
    d.add("C11", 2019, RS1, 6, sex="w", abgang="FORTZUG")  # gap year, then back
    d.add("C11", 2021, GY1, 7, sex="w", zugang="ZUZUG")
    return d.store(tmp_path / "c.duckdb")


def test_changes(store: AnalyticStore) -> None:
    sy, sc = store.table("student_years"), store.table("schools")
    res = pick(rows(school_form_changes(sy, sc)), schuljahr=2021)
    got = {r["wechselart"]: (r["numerator"], r["denominator"], r["rate"]) for r in res}
    assert got == {
        "AUF": (1, 10, 10.0),
        "AB": (1, 10, 10.0),
        "IN_FS": (1, 10, 10.0),
        "AUS_FS": (1, 10, 10.0),
        "SONST": (2, 10, 20.0),
    }
    # 2020 has no 2019 records for grades 7–9 students: every kind is 0.
    assert {
        r["numerator"] for r in rows(school_form_changes(sy, sc)) if r["schuljahr"] == 2020
    } == {0}


def test_changes_by_sex(store: AnalyticStore) -> None:
    sy, sc = store.table("student_years"), store.table("schools")
    res = [
        r
        for r in rows(school_form_changes(sy, sc, by=["geschlecht"]))
        if r["schuljahr"] == 2021 and r["numerator"]
    ]
    assert sorted(
        (r["geschlecht"], r["wechselart"], r["numerator"], r["denominator"]) for r in res
    ) == [
        ("m", "AUF", 1, 5),
        ("m", "IN_FS", 1, 5),
        ("m", "SONST", 1, 5),
        ("w", "AB", 1, 5),
        ("w", "AUS_FS", 1, 5),
        ("w", "SONST", 1, 5),
    ]
