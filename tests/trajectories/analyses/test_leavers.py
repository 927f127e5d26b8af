"""Leavers by certificate and without ESA (both denominators) on a hand-made data set."""

from __future__ import annotations

from pathlib import Path

import pytest

from bimo.core.store import AnalyticStore
from bimo.trajectories.analyses import (
    AnalysisError,
    leavers_by_certificate,
    leavers_without_esa,
)
from tests.trajectories.analyses.builder import FS2, GY1, HS2, RS1, Data, pick, rows


@pytest.fixture
def store(tmp_path: Path) -> AnalyticStore:
    d = Data()
    d.add("L1", 2021, GY1, 12, born=2002, abgang="ENTL", abschluss="AHR")
    d.add("L2", 2021, RS1, 10, sex="w", born=2004, abgang="ENTL", abschluss="MSA")
    d.add("L3", 2021, HS2, 9, born=2005, abgang="ENTL", abschluss="ESA")
    d.add("L4", 2021, HS2, 9, born=2005, abgang="ENTL", abschluss="OHNE")
    d.add("L5", 2021, FS2, 10, sex="w", born=2004, fsp="LE", abgang="ENTL", abschluss="FOES")
    d.add("L6", 2021, RS1, 10, born=2005, abgang="ENTL", abschluss="MSA")
    d.add("L7", 2021, HS2, 8, abgang="WECHSEL")
    d.add("L8", 2021, HS2, 8, abgang="FORTZUG")
    d.add("L9", 2021, HS2, 7)
    for kreis in ("01001", "01002"):
        for alter in (16, 17):
            for sex in ("m", "w"):
                anzahl = 200 if (kreis, alter, sex) == ("01002", 17, "w") else 100
                d.pop(kreis, 2021, alter, sex, anzahl)
    d.pop("01002", 2021, 18, "m", 0)  # a zero population is skipped, not divided by
    return d.store(tmp_path / "l.duckdb")


def test_by_certificate(store: AnalyticStore) -> None:
    sy, sc = store.table("student_years"), store.table("schools")
    res = rows(leavers_by_certificate(sy, sc))
    got = {r["abschlussart"]: (r["numerator"], r["denominator"]) for r in res}
    assert got == {
        "AHR": (1, 6),
        "MSA": (2, 6),
        "ESA": (1, 6),
        "OHNE": (1, 6),
        "FOES": (1, 6),
        "FHR": (0, 6),
        "UNBEKANNT": (0, 6),
    }
    assert pick(res, abschlussart="MSA")[0]["rate"] == round(200 / 6, 4)


def test_without_esa_per_leaver(store: AnalyticStore) -> None:
    sy, sc = store.table("student_years"), store.table("schools")
    res = rows(leavers_without_esa(sy, sc))
    assert [(r["numerator"], r["denominator"], r["rate"]) for r in res] == [
        (2, 6, round(200 / 6, 4))
    ]
    res = rows(leavers_without_esa(sy, sc, by=["kreis"]))
    assert [(r["kreis_ags"], r["numerator"], r["denominator"], r["rate"]) for r in res] == [
        ("01001", 0, 3, 0.0),
        ("01002", 2, 3, round(200 / 3, 4)),
    ]


def test_quotensumme(store: AnalyticStore) -> None:
    sy, sc, pop = (store.table(t) for t in ("student_years", "schools", "population"))
    # L4: male, 16 on 31.12.2021 (born 2005); L5: female, 17 (born 2004), both Kreis 01002.
    # Population aged 16: 400, aged 17: 500 -> 100 · (1/400 + 1/500) = 0.45 %.
    res = rows(leavers_without_esa(sy, sc, pop, denominator="bevoelkerung"))
    assert res == [
        {"schuljahr": 2021, "numerator": 2, "denominator": round(200 / 0.45, 4), "rate": 0.45}
    ]
    res = rows(leavers_without_esa(sy, sc, pop, by=["kreis"], denominator="bevoelkerung"))
    # Kreis 01002: 100 · (1/200 + 1/300) = 0.8333 %; Kreis 01001 has no such leavers.
    assert [(r["kreis_ags"], r["numerator"], r["rate"]) for r in res] == [
        ("01002", 2, round(100 * (1 / 200 + 1 / 300), 4))
    ]
    res = rows(
        leavers_without_esa(sy, sc, pop, by=["kreis", "geschlecht"], denominator="bevoelkerung")
    )
    assert [
        (r["kreis_ags"], r["geschlecht"], r["numerator"], r["denominator"], r["rate"]) for r in res
    ] == [
        ("01002", "m", 1, 100.0, 1.0),
        ("01002", "w", 1, 200.0, 0.5),
    ]


def test_quotensumme_errors(store: AnalyticStore) -> None:
    sy, sc, pop = (store.table(t) for t in ("student_years", "schools", "population"))
    with pytest.raises(AnalysisError, match="population"):
        leavers_without_esa(sy, sc, denominator="bevoelkerung")
    with pytest.raises(AnalysisError, match="„schulform“ ist für diese Auswertung nicht"):
        leavers_without_esa(sy, sc, pop, by=["schulform"], denominator="bevoelkerung")
