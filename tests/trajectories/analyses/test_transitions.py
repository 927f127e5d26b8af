"""Transition rates after the Grundschule on a hand-made data set."""

from __future__ import annotations

from pathlib import Path

import pytest

from bimo.core.store import AnalyticStore
from bimo.trajectories.analyses import AnalysisError, YearRange, transitions
from tests.trajectories.analyses.builder import (
    FS2,
    GS1,
    GS2,
    GY1,
    HS2,
    IGS2,
    RS1,
    Data,
    pick,
    rows,
)


@pytest.fixture
def store(tmp_path: Path) -> AnalyticStore:
    d = Data()
    # Grade 4 at a Grundschule in 2020.
    d.add("A", 2020, GS1, 4)
    d.add("A", 2021, GY1, 5, zugang="WECHSEL")
    d.add("B", 2020, GS1, 4, sex="w")
    d.add("B", 2021, GY1, 5, sex="w", zugang="WECHSEL")
    d.add("C", 2020, GS1, 4, sex="w")
    d.add("C", 2021, RS1, 5, sex="w", zugang="WECHSEL")
    d.add("D", 2020, GS1, 4)  # repeats grade 4: only in the Viertklässler denominator
    d.add("D", 2021, GS1, 4, wdh="NV")
    d.add("E", 2020, GS2, 4)
    d.add("E", 2021, HS2, 5, zugang="WECHSEL")
    d.add("F", 2020, GS2, 4, sex="w", abgang="FORTZUG")  # leaves, returns a year later
    d.add("F", 2022, HS2, 6, sex="w", zugang="ZUZUG")
    d.add("G", 2020, GS2, 4, ndh=True)  # crosses into Kreis 01001; counted for its GS Kreis
    d.add("G", 2021, GY1, 5, ndh=True, zugang="WECHSEL")
    d.add("H", 2021, GY1, 5, zugang="ZUZUG")  # no previous record
    d.add("I", 2020, FS2, 4, fsp="LE")  # Förderschule, not a Grundschule
    d.add("I", 2021, FS2, 5, fsp="LE")
    # Six-year Grundschule: grade 6 -> 7.
    d.add("J", 2020, GS1, 6)
    d.add("J", 2021, GY1, 7, zugang="WECHSEL")
    d.add("K", 2020, GS1, 6, sex="w")
    d.add("K", 2021, IGS2, 7, sex="w", zugang="WECHSEL")
    return d.store(tmp_path / "t.duckdb")


def _nonzero(result: list[dict[str, object]]) -> list[dict[str, object]]:
    return [r for r in result if r["numerator"]]


def test_overall(store: AnalyticStore) -> None:
    sy, sc = store.table("student_years"), store.table("schools")
    res = rows(transitions(sy, sc))
    assert {r["schuljahr"] for r in res} == {2021}
    got = {r["ziel_schulform"]: (r["numerator"], r["denominator"], r["rate"]) for r in res}
    assert got["GY"] == (3, 5, 60.0)
    assert got["RS"] == (1, 5, 20.0)
    assert got["HS"] == (1, 5, 20.0)
    assert got["IGS"] == (0, 5, 0.0)  # explicit zero rows
    assert sum(r["numerator"] for r in res) == 5


def test_viertklaessler_denominator(store: AnalyticStore) -> None:
    sy, sc = store.table("student_years"), store.table("schools")
    res = rows(transitions(sy, sc, denominator="viertklaessler"))
    gy = pick(res, ziel_schulform="GY")[0]
    assert (gy["numerator"], gy["denominator"], gy["rate"]) == (3, 7, round(300 / 7, 4))


def test_by_kreis_and_sex(store: AnalyticStore) -> None:
    sy, sc = store.table("student_years"), store.table("schools")
    res = _nonzero(rows(transitions(sy, sc, by=["kreis"])))
    assert sorted(
        (r["kreis_ags"], r["ziel_schulform"], r["numerator"], r["denominator"]) for r in res
    ) == [
        ("01001", "GY", 2, 3),
        ("01001", "RS", 1, 3),
        ("01002", "GY", 1, 2),
        ("01002", "HS", 1, 2),
    ]
    res = rows(transitions(sy, sc, by=["kreis"], denominator="viertklaessler"))
    assert pick(res, kreis_ags="01001", ziel_schulform="GY")[0]["rate"] == 50.0
    res = _nonzero(rows(transitions(sy, sc, by=["geschlecht", "ndh"])))
    assert sorted(
        (r["geschlecht"], r["ndh"], r["ziel_schulform"], r["numerator"], r["denominator"])
        for r in res
    ) == [
        ("m", False, "GY", 1, 2),
        ("m", False, "HS", 1, 2),
        ("m", True, "GY", 1, 1),
        ("w", False, "GY", 1, 2),
        ("w", False, "RS", 1, 2),
    ]


def test_six_year_grundschule(store: AnalyticStore) -> None:
    sy, sc = store.table("student_years"), store.table("schools")
    res = _nonzero(rows(transitions(sy, sc, grundschule_jahre=6)))
    assert [(r["ziel_schulform"], r["numerator"], r["denominator"], r["rate"]) for r in res] == [
        ("GY", 1, 2, 50.0),
        ("IGS", 1, 2, 50.0),
    ]


def test_year_filter_and_errors(store: AnalyticStore) -> None:
    sy, sc = store.table("student_years"), store.table("schools")
    assert rows(transitions(sy, sc, years=YearRange(2022, 2023))) == []
    with pytest.raises(AnalysisError, match="Gliederung"):
        transitions(sy, sc, by=["schulform"])
    with pytest.raises(AnalysisError, match="Unbekannte Gliederung „alter“"):
        transitions(sy, sc, by=["alter"])
    with pytest.raises(AnalysisError, match="4 oder 6"):
        transitions(sy, sc, grundschule_jahre=5)


def test_viertklaessler_of_last_year_are_left_out(tmp_path: Path) -> None:
    d = Data()
    d.add("A", 2020, GS1, 4)
    d.add("A", 2021, GY1, 5, zugang="WECHSEL")
    d.add("B", 2021, GS1, 4)  # 2022 is not in the data
    store = d.store(tmp_path / "v.duckdb")
    sy, sc = store.table("student_years"), store.table("schools")
    res = rows(transitions(sy, sc, denominator="viertklaessler"))
    assert {r["schuljahr"] for r in res} == {2021}
    assert pick(res, ziel_schulform="GY")[0]["rate"] == 100.0
