"""Catalogue area D (allgemeinbildende Schulen): every indicator on a small hand-made data set.

Each group of indicators gets its own store (see ``builder_d``), so denominators of one group do
not pick up the records of another. Every group of records is empty or at least 5 strong (also
``nenner − zaehler``), so nothing is suppressed and the expected values, computed by hand in
each test, are published. The trajectory-based indicators are also compared with the
Bildungsverlauf tables (``bimo.trajectories.analyses``) on the same data: they must agree.
D20–D22 (plausible values) are tested in ``test_lernstand_indicators.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from bimo.core.store import AnalyticStore
from bimo.indicators import Catalog, compute, load_catalog
from bimo.indicators.context import IndicatorContext
from bimo.trajectories.analyses import (
    leavers_by_certificate,
    leavers_without_esa,
    repetition,
    school_form_changes,
    transitions,
)
from tests.indicators.builder_d import (
    FS1,
    G1,
    G2A,
    G2B,
    GS1,
    GS2,
    GY1,
    GY2,
    HS2,
    IGS2,
    K1,
    K2,
    LAND,
    RS1,
    SMBG2,
    Data,
    pick,
)

YEAR = 2023


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _compute(store: AnalyticStore, catalog: Catalog, ids: list[str]) -> pl.DataFrame:
    return compute(store, catalog, ids=ids)


def _check(df: pl.DataFrame, ident: str, ebene: str, ags: str, expected: float, **kw: str) -> None:
    row = pick(df, ident, ebene, ags, jahr=YEAR, **kw)
    assert row["flag"] == "", row
    assert row["wert"] == pytest.approx(expected, abs=1e-9), row


def _published_counts_safe(df: pl.DataFrame, min_cell: int = 5) -> None:
    """No published (non-internal) anteil row shows a count or complement of 1 … min − 1."""
    pub = df.filter(~pl.col("intern") & pl.col("zaehler").is_not_null())
    small = pub.filter(
        ((pl.col("zaehler") > 0) & (pl.col("zaehler") < min_cell))
        | (
            pl.col("nenner").is_not_null()
            & (pl.col("nenner") - pl.col("zaehler") > 0)
            & (pl.col("nenner") - pl.col("zaehler") < min_cell)
        )
    )
    assert small.is_empty(), small


def _store(tmp_path_factory: pytest.TempPathFactory, d: Data, name: str) -> Iterator[AnalyticStore]:
    store = d.store(tmp_path_factory.mktemp(name) / "d.duckdb")
    yield store
    store.close()


# --- D01 Anteil Gymnasium in der Sekundarstufe I -------------------------------------------


@pytest.fixture(scope="module")
def sek1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalyticStore]:
    d = Data()
    d.add(GY1, YEAR, 7, 15)
    d.add(GY1, YEAR, 7, 15, geschlecht="w")
    d.add(RS1, YEAR, 7, 10)
    d.add(RS1, YEAR, 7, 10, geschlecht="w")
    d.add(FS1, YEAR, 7, 10)  # Förderschule: not in the denominator
    d.add(GS1, YEAR, 4, 10)  # grade 4: not Sekundarstufe I
    d.add(GY1, YEAR, 11, 10)  # Oberstufe: not Sekundarstufe I
    d.add(GY2, YEAR, 7, 10)
    d.add(HS2, YEAR, 7, 10)
    d.add(IGS2, YEAR, 7, 15)
    d.add(SMBG2, YEAR, 7, 5)
    yield from _store(tmp_path_factory, d, "sek1")


def test_d01_gymnasium_share(sek1: AnalyticStore, catalog: Catalog) -> None:
    df = _compute(sek1, catalog, ["D01"])
    # Kreis 1: GY 30 of GY 30 + RS 20 = 50; Kreis 2: GY 10 of 10 + 10 + 15 + 5 = 40.
    _check(df, "D01", "KREIS", K1, 100 * 30 / 50)
    _check(df, "D01", "KREIS", K2, 100 * 10 / 40)
    _check(df, "D01", "LAND", LAND, 100 * 40 / 90)
    _check(df, "D01", "KREISTYP", "KT-LKV", 100 * 10 / 40)
    # Gemeinde 01002001: GY2 10 + SMBG2 5; 01002002: HS2 10 + IGS2 15, no Gymnasium.
    _check(df, "D01", "GEMEINDE", G2A, 100 * 10 / 15)
    _check(df, "D01", "GEMEINDE", G2B, 0.0)
    # Girls: 15 at GY1 and 10 at RS1, all in Kreis 1.
    _check(df, "D01", "LAND", LAND, 100 * 15 / 25, merkmal="geschlecht", auspraegung="w")
    _check(df, "D01", "KREIS", K1, 100 * 15 / 25, merkmal="geschlecht", auspraegung="m")
    # The Integrierte Gesamtschule is private: Kreis 2, Träger PRIV = 0 of 15.
    _check(df, "D01", "KREIS", K2, 0.0, merkmal="traeger", auspraegung="PRIV")
    assert pick(df, "D01", "KREIS", K1, jahr=YEAR)["nenner"] == 50
    _published_counts_safe(df)


# --- D02–D05 Übergangsquoten ----------------------------------------------------------------


@pytest.fixture(scope="module")
def uebergaenge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalyticStore]:
    d = Data()
    prev = YEAR - 1
    # Grundschule in Kreis 1: 20 transitions (GY 15, of them 5 into Kreis 2; RS 5).
    d.move(5, prev, GS1, GY1)
    d.move(5, prev, GS1, GY1, geschlecht="w")
    d.move(5, prev, GS1, RS1)
    d.move(5, prev, GS1, GY2)
    # Grundschule in Kreis 2: 20 transitions (HS 5, IGS 5, SMBG 5, GY 5).
    for target in (HS2, IGS2, SMBG2, GY2):
        d.move(5, prev, GS2, target)
    # Not transitions: grade-4 repeaters, arrivals without a previous record, a Förderschule.
    rep = d.add(GS2, prev, 4, 5)
    d.add(GS2, YEAR, 4, pids=rep, wiederholung="NV")
    d.add(GY2, YEAR, 5, 5, zugangsart="ZUZUG")
    d.move(5, prev, FS1, RS1)
    yield from _store(tmp_path_factory, d, "uebergaenge")


def test_d02_to_d05_transition_rates(uebergaenge: AnalyticStore, catalog: Catalog) -> None:
    df = _compute(uebergaenge, catalog, ["D02", "D03", "D04", "D05"])
    # Kreis 1 (by the Grundschule): 20 transitions; GY 10 + 5 = 15, RS 5.
    _check(df, "D02", "KREIS", K1, 100 * 15 / 20)
    _check(df, "D03", "KREIS", K1, 100 * 5 / 20)
    _check(df, "D04", "KREIS", K1, 0.0)
    _check(df, "D05", "KREIS", K1, 0.0)
    # Kreis 2: 20 transitions, 5 each to HS, IGS, SMBG, GY; D04 = IGS + SMBG.
    _check(df, "D02", "KREIS", K2, 100 * 5 / 20)
    _check(df, "D04", "KREIS", K2, 100 * 10 / 20)
    _check(df, "D05", "KREIS", K2, 100 * 5 / 20)
    # Land: 40 transitions; GY 20, RS 5, IGS + SMBG 10, HS 5.
    _check(df, "D02", "LAND", LAND, 100 * 20 / 40)
    _check(df, "D03", "LAND", LAND, 100 * 5 / 40)
    _check(df, "D04", "LAND", LAND, 100 * 10 / 40)
    _check(df, "D05", "LAND", LAND, 100 * 5 / 40)
    # Sex of the Grundschule record: boys of Kreis 1 10 of 15 to GY, girls 5 of 5.
    _check(df, "D02", "KREIS", K1, 100 * 10 / 15, merkmal="geschlecht", auspraegung="m")
    _check(df, "D02", "LAND", LAND, 100.0, merkmal="geschlecht", auspraegung="w")
    # Boys of the Land: 15 from Kreis 1 + 20 from Kreis 2 = 35 transitions.
    _check(df, "D03", "KREIS", K1, 100 * 5 / 15, merkmal="geschlecht", auspraegung="m")
    _check(df, "D04", "LAND", LAND, 100 * 10 / 35, merkmal="geschlecht", auspraegung="m")
    _check(df, "D05", "LAND", LAND, 100 * 5 / 35, merkmal="geschlecht", auspraegung="m")
    _check(df, "D05", "KREIS", K1, 0.0, merkmal="ndh", auspraegung="false")
    # School level = the Grundschule (internal only).
    row = pick(df, "D02", "SCHULE", GS1, jahr=YEAR)
    assert (row["zaehler"], row["nenner"], row["intern"]) == (15, 20, True)
    assert pick(df, "D04", "GEMEINDE", G2A, jahr=YEAR)["nenner"] == 20
    # The rates of one Kreis add up to 100 % (WS, FS and GS receive nobody here).
    total = sum(pick(df, i, "KREIS", K2, jahr=YEAR)["wert"] for i in ("D02", "D03", "D04", "D05"))
    assert total == pytest.approx(100.0)
    _published_counts_safe(df)


def test_transition_indicators_agree_with_verlauf_table(
    uebergaenge: AnalyticStore, catalog: Catalog
) -> None:
    ctx = IndicatorContext(uebergaenge)
    verlauf = ctx.execute(
        transitions(ctx.table("student_years"), ctx.table("schools"), by=["kreis"])
    )
    df = _compute(uebergaenge, catalog, ["D02", "D03", "D04", "D05"])
    targets = {"D02": ["GY"], "D03": ["RS"], "D04": ["IGS", "SMBG"], "D05": ["HS"]}
    for ident, forms in targets.items():
        for kreis in (K1, K2):
            rows = verlauf.filter(
                (pl.col("kreis_ags") == kreis) & pl.col("ziel_schulform").is_in(forms)
            )
            row = pick(df, ident, "KREIS", kreis, jahr=YEAR)
            assert row["zaehler"] == rows["numerator"].sum()
            assert row["nenner"] == rows["denominator"][0]


# --- D06 Wiederholerquote and D07 Abwärtswechsel ---------------------------------------------


@pytest.fixture(scope="module")
def wiederholung(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalyticStore]:
    d = Data()
    d.add(GY1, YEAR, 7, 5, wiederholung="NV")
    d.add(GY1, YEAR, 7, 5, wiederholung="FW", geschlecht="w")
    d.add(GY1, YEAR, 7, 10)
    d.add(GY1, YEAR, 7, 10, geschlecht="w")
    d.add(GS1, YEAR, 3, 20)
    d.add(GS1, YEAR, 2, 5, wiederholung="NV")  # grades 1–2 are not counted at all
    d.add(HS2, YEAR, 8, 5, wiederholung="NV")
    d.add(HS2, YEAR, 8, 15)
    yield from _store(tmp_path_factory, d, "wiederholung")


def test_d06_repetition_rate(wiederholung: AnalyticStore, catalog: Catalog) -> None:
    df = _compute(wiederholung, catalog, ["D06"])
    # Kreis 1: (5 NV + 5 FW) of 30 at GY1 + 20 in grade 3 = 50; Kreis 2: 5 of 20.
    _check(df, "D06", "KREIS", K1, 100 * 10 / 50)
    _check(df, "D06", "KREIS", K2, 100 * 5 / 20)
    _check(df, "D06", "LAND", LAND, 100 * 15 / 70)
    # Kreis 1 boys: 5 of 5 + 10 + 20 = 35; girls: 5 of 15.
    _check(df, "D06", "KREIS", K1, 100 * 5 / 35, merkmal="geschlecht", auspraegung="m")
    _check(df, "D06", "KREIS", K1, 100 * 5 / 15, merkmal="geschlecht", auspraegung="w")
    _check(df, "D06", "LAND", LAND, 100 * 10 / 30, merkmal="jahrgangsstufe", auspraegung="7")
    _published_counts_safe(df)


def test_d06_agrees_with_verlauf_table(wiederholung: AnalyticStore, catalog: Catalog) -> None:
    ctx = IndicatorContext(wiederholung)
    verlauf = ctx.execute(
        repetition(ctx.table("student_years"), ctx.table("schools"), by=["kreis"])
    )
    df = _compute(wiederholung, catalog, ["D06"])
    for row in verlauf.iter_rows(named=True):
        ind = pick(df, "D06", "KREIS", row["kreis_ags"], jahr=row["schuljahr"])
        assert (ind["zaehler"], ind["nenner"]) == (row["numerator"], row["denominator"])
        assert ind["wert"] == pytest.approx(row["rate"])


@pytest.fixture(scope="module")
def wechsel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalyticStore]:
    d = Data()
    prev = YEAR - 1
    d.move(5, prev, GY1, RS1, grade=6)  # AB, Kreis 1
    d.move(5, prev, GY2, HS2, grade=6)  # AB, received in Kreis 2
    d.move(5, prev, RS1, GY1, grade=6)  # AUF
    d.move(5, prev, GY1, FS1, grade=6)  # into a Förderschule: not an Abwärtswechsel
    stay = d.add(RS1, prev, 6, 20)
    d.add(RS1, YEAR, 7, pids=stay)
    stay = d.add(HS2, prev, 6, 10)
    d.add(HS2, YEAR, 7, pids=stay)
    yield from _store(tmp_path_factory, d, "wechsel")


def test_d07_downward_changes(wechsel: AnalyticStore, catalog: Catalog) -> None:
    df = _compute(wechsel, catalog, ["D07"])
    # Kreis 1, grades 7–9 in 2023: RS1 5 AB + 20 staying, GY1 5 AUF, FS1 5 -> 5 of 35.
    _check(df, "D07", "KREIS", K1, 100 * 5 / 35)
    # Kreis 2: HS2 5 AB (from a Gymnasium in Kreis 2) + 10 staying -> 5 of 15.
    _check(df, "D07", "KREIS", K2, 100 * 5 / 15)
    _check(df, "D07", "LAND", LAND, 100 * 10 / 50)
    # By receiving Schulform in Kreis 1: RS 5 of 25, GY 0 of 5.
    _check(df, "D07", "KREIS", K1, 100 * 5 / 25, merkmal="schulform", auspraegung="RS")
    _check(df, "D07", "KREIS", K1, 0.0, merkmal="schulform", auspraegung="GY")
    # The grade-6 year has no grade 7–9 students: no row at all for 2022.
    assert df.filter((pl.col("indikator") == "D07") & (pl.col("jahr") == YEAR - 1)).is_empty()
    _published_counts_safe(df)


def test_d07_agrees_with_verlauf_table(wechsel: AnalyticStore, catalog: Catalog) -> None:
    ctx = IndicatorContext(wechsel)
    verlauf = ctx.execute(
        school_form_changes(ctx.table("student_years"), ctx.table("schools"), by=["kreis"])
    ).filter(pl.col("wechselart") == "AB")
    df = _compute(wechsel, catalog, ["D07"])
    assert verlauf.height == 2
    for row in verlauf.iter_rows(named=True):
        ind = pick(df, "D07", "KREIS", row["kreis_ags"], jahr=row["schuljahr"])
        assert (ind["zaehler"], ind["nenner"]) == (row["numerator"], row["denominator"])


def test_d07_first_data_year_has_no_value(tmp_path: Path, catalog: Catalog) -> None:
    d = Data()
    d.add(GY1, YEAR, 7, 10)
    d.add(RS1, YEAR, 8, 10)
    with d.store(tmp_path / "first.duckdb") as store:
        df = _compute(store, catalog, ["D07"])
    # Without a previous year nobody can have changed; a 0 % would be an artefact.
    assert df.is_empty()


# --- D08–D13 Förderung, Ganztag, Klassengröße ------------------------------------------------


@pytest.fixture(scope="module")
def foerderung(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalyticStore]:
    d = Data()
    # Kreis 1: GS1 grade 2 in classes 2a/2b (20 each), 5 with Förderschwerpunkt SP, 20 in
    # the Ganztag; a mixed class 1x (6 in grade 1, 4 in grade 2); FS1 10 with LE, Ganztag.
    d.add(GS1, YEAR, 2, 5, klasse="2a", foerderschwerpunkt="SP", ganztag=True)
    d.add(GS1, YEAR, 2, 15, klasse="2a", ganztag=True)
    d.add(GS1, YEAR, 2, 20, klasse="2b")
    d.add(GS1, YEAR, 1, 6, klasse="1x")
    d.add(GS1, YEAR, 2, 4, klasse="1x")
    d.add(FS1, YEAR, 5, 10, klasse="5a", foerderschwerpunkt="LE", ganztag=True)
    d.add(GY1, YEAR, 11, 10, klasse="11")  # Oberstufe: outside grades 1–10
    # Kreis 2: GS2 grade 3 (classes of 15), 5 with ES; IGS2 grade 7 (classes of 10), 5 with LE,
    # 10 in the Ganztag.
    d.add(GS2, YEAR, 3, 5, klasse="3a", foerderschwerpunkt="ES")
    d.add(GS2, YEAR, 3, 10, klasse="3a")
    d.add(GS2, YEAR, 3, 15, klasse="3b")
    d.add(IGS2, YEAR, 7, 5, klasse="7a", foerderschwerpunkt="LE", ganztag=True)
    d.add(IGS2, YEAR, 7, 5, klasse="7a", ganztag=True)
    d.add(IGS2, YEAR, 7, 10, klasse="7b")
    yield from _store(tmp_path_factory, d, "foerderung")


FOERDER = ["D08", "D09", "D10", "D11", "D12", "D13"]


@pytest.fixture(scope="module")
def foerder_values(foerderung: AnalyticStore, catalog: Catalog) -> pl.DataFrame:
    return _compute(foerderung, catalog, FOERDER)


def test_d08_to_d11_special_needs(foerder_values: pl.DataFrame) -> None:
    df = foerder_values
    # Grades 1–10: Kreis 1 = 40 + 10 (class 1x) + 10 (FS1) = 60; Kreis 2 = 30 + 20 = 50.
    # With special needs: Kreis 1 5 inclusive (SP) + 10 at FS1; Kreis 2 5 (ES) + 5 (LE), inclusive.
    _check(df, "D08", "KREIS", K1, 100 * 15 / 60)
    _check(df, "D08", "KREIS", K2, 100 * 10 / 50)
    _check(df, "D08", "LAND", LAND, 100 * 25 / 110)
    _check(df, "D09", "KREIS", K1, 100 * 10 / 60)
    _check(df, "D09", "KREIS", K2, 0.0)
    _check(df, "D09", "LAND", LAND, 100 * 10 / 110)
    _check(df, "D10", "KREIS", K1, 100 * 5 / 60)
    _check(df, "D10", "KREIS", K2, 100 * 10 / 50)
    _check(df, "D10", "LAND", LAND, 100 * 15 / 110)
    # Förderquote = Exklusionsquote + Inklusionsquote.
    for ags, level in ((K1, "KREIS"), (K2, "KREIS"), (LAND, "LAND")):
        parts = [pick(df, i, level, ags, jahr=YEAR)["wert"] for i in ("D08", "D09", "D10")]
        assert parts[0] == pytest.approx(parts[1] + parts[2])
    _check(df, "D11", "KREIS", K1, 100 * 5 / 15)
    _check(df, "D11", "KREIS", K2, 100 * 10 / 10)
    _check(df, "D11", "LAND", LAND, 100 * 15 / 25)
    # Disaggregations: D08 in grade 2 of Kreis 1 (5 of 44); D11 by Förderschwerpunkt LE (5 of 15).
    _check(df, "D08", "KREIS", K1, 100 * 5 / 44, merkmal="jahrgangsstufe", auspraegung="2")
    _check(df, "D11", "LAND", LAND, 100 * 5 / 15, merkmal="foerderschwerpunkt", auspraegung="LE")
    # D09 in grade 5 of Kreis 1: all 10 at FS1; D10 at Grundschulen: (5 + 5) of (50 + 30).
    _check(df, "D09", "KREIS", K1, 100.0, merkmal="jahrgangsstufe", auspraegung="5")
    _check(df, "D10", "LAND", LAND, 100 * 10 / 80, merkmal="schulform", auspraegung="GS")
    _published_counts_safe(df)


def test_d12_ganztag(foerder_values: pl.DataFrame) -> None:
    df = foerder_values
    # Kreis 1: 20 at GS1 + 10 at FS1 of 60; Kreis 2: 10 at IGS2 of 50.
    _check(df, "D12", "KREIS", K1, 100 * 30 / 60)
    _check(df, "D12", "KREIS", K2, 100 * 10 / 50)
    _check(df, "D12", "LAND", LAND, 100 * 40 / 110)
    # By Ganztagsform of the school: offene GS1 20 of 50; gebundene FS1 + IGS2 20 of 30.
    _check(df, "D12", "KREIS", K1, 100 * 20 / 50, merkmal="ganztag_form", auspraegung="OFFEN")
    _check(df, "D12", "LAND", LAND, 100 * 20 / 30, merkmal="ganztag_form", auspraegung="GEB")
    _check(df, "D12", "GEMEINDE", G2B, 100 * 10 / 20)


def test_d13_students_per_class(foerder_values: pl.DataFrame) -> None:
    df = foerder_values
    # Kreis 1: 60 students in 2a, 2b, 1x, 5a = 4 classes; Kreis 2: 50 in 3a, 3b, 7a, 7b.
    _check(df, "D13", "KREIS", K1, 60 / 4)
    _check(df, "D13", "KREIS", K2, 50 / 4)
    _check(df, "D13", "LAND", LAND, 110 / 8)
    _check(df, "D13", "GEMEINDE", G1, 60 / 4)
    # The mixed class 1x counts 0.6 for grade 1 and 0.4 for grade 2:
    # grade 1 = 6 / 0.6 = 10; grade 2 = (40 + 4) / (2 + 0.4).
    _check(df, "D13", "KREIS", K1, 6 / 0.6, merkmal="jahrgangsstufe", auspraegung="1")
    _check(df, "D13", "KREIS", K1, 44 / 2.4, merkmal="jahrgangsstufe", auspraegung="2")
    _check(df, "D13", "LAND", LAND, 10 / 1, merkmal="schulform", auspraegung="FS")
    row = pick(df, "D13", "LAND", LAND, jahr=YEAR)
    assert (row["zaehler"], row["nenner"]) == (110, pytest.approx(8.0))


# --- D14–D19 Abgänge -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def abgaenge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalyticStore]:
    d = Data()
    entl: dict[str, Any] = {"abgangsart": "ENTL"}
    d.add(GY1, YEAR, 12, 5, abschlussart="AHR", **entl)
    d.add(GY1, YEAR, 12, 5, abschlussart="AHR", geschlecht="w", **entl)
    d.add(GY1, YEAR, 12, 5, abschlussart="FHR", **entl)
    d.add(RS1, YEAR, 10, 15, abschlussart="MSA", **entl)
    d.add(RS1, YEAR, 10, 5, abschlussart="ESA", **entl)
    d.add(RS1, YEAR, 8, 5, abgangsart="WECHSEL")  # not a leaver of general schooling
    # Born 2007: aged 16 on 31.12.2023.
    d.add(FS1, YEAR, 10, 5, abschlussart="FOES", foerderschwerpunkt="LE", **entl)
    d.add(HS2, YEAR, 9, 10, abschlussart="ESA", **entl)
    # Born 2008: aged 15 on 31.12.2023.
    d.add(HS2, YEAR, 9, 5, abschlussart="OHNE", **entl)
    d.add(IGS2, YEAR, 10, 10, abschlussart="MSA", **entl)
    d.add(IGS2, YEAR, 13, 5, abschlussart="AHR", **entl)
    for kreis, p15, p16 in ((K1, (150, 150), (200, 100)), (K2, (250, 250), (100, 100))):
        for sex, n15, n16 in zip(("m", "w"), p15, p16, strict=True):
            d.pop(kreis, YEAR, 15, sex, n15)
            d.pop(kreis, YEAR, 16, sex, n16)
    yield from _store(tmp_path_factory, d, "abgaenge")


LEAVERS = ["D14", "D15", "D16", "D17", "D18", "D19"]


@pytest.fixture(scope="module")
def leaver_values(abgaenge: AnalyticStore, catalog: Catalog) -> pl.DataFrame:
    return _compute(abgaenge, catalog, LEAVERS)


def test_d14_d16_to_d19_by_certificate(leaver_values: pl.DataFrame) -> None:
    df = leaver_values
    # Leavers (ENTL): Kreis 1 = 10 AHR + 5 FHR + 15 MSA + 5 ESA + 5 FOES = 40;
    # Kreis 2 = 10 ESA + 5 OHNE + 10 MSA + 5 AHR = 30; Land 70.
    expected = {
        "D14": (5, 5, 10),  # without ESA: FOES in Kreis 1, OHNE in Kreis 2
        "D16": (5, 10, 15),
        "D17": (15, 10, 25),
        "D18": (5, 0, 5),
        "D19": (10, 5, 15),
    }
    for ident, (k1, k2, land) in expected.items():
        _check(df, ident, "KREIS", K1, 100 * k1 / 40)
        _check(df, ident, "KREIS", K2, 100 * k2 / 30)
        _check(df, ident, "LAND", LAND, 100 * land / 70)
    # The certificate shares of a Kreis add up to 100 %.
    assert sum(pick(df, i, "KREIS", K1, jahr=YEAR)["wert"] for i in expected) == pytest.approx(100)
    # Girls: the 5 AHR in Kreis 1 -> 100 %; boys in Kreis 1: 5 AHR of 35.
    _check(df, "D19", "KREIS", K1, 100.0, merkmal="geschlecht", auspraegung="w")
    _check(df, "D19", "LAND", LAND, 100 * 10 / 65, merkmal="geschlecht", auspraegung="m")
    _check(df, "D14", "KREIS", K1, 100.0, merkmal="schulform", auspraegung="FS")
    # Boys of the Land (65 leavers): all 15 ESA, all 25 MSA, all 5 FHR.
    _check(df, "D16", "LAND", LAND, 100 * 15 / 65, merkmal="geschlecht", auspraegung="m")
    _check(df, "D17", "LAND", LAND, 100 * 25 / 65, merkmal="geschlecht", auspraegung="m")
    _check(df, "D18", "KREIS", K1, 100 * 5 / 35, merkmal="geschlecht", auspraegung="m")
    _check(df, "D18", "KREIS", K1, 0.0, merkmal="geschlecht", auspraegung="w")
    _published_counts_safe(df)


def test_d15_quotensumme(leaver_values: pl.DataFrame) -> None:
    df = leaver_values
    # Kreis 1: 5 FOES aged 16, population aged 16 = 200 + 100 -> 100 · 5/300.
    _check(df, "D15", "KREIS", K1, 100 * 5 / 300)
    # Kreis 2: 5 OHNE aged 15, population aged 15 = 500 -> 1 %.
    _check(df, "D15", "KREIS", K2, 100 * 5 / 500)
    # Land: 100 · (5/800 + 5/500) = 1.625 % — not the mean of the Kreise, not 10 / 1300.
    _check(df, "D15", "LAND", LAND, 100 * (5 / 800 + 5 / 500))
    row = pick(df, "D15", "LAND", LAND, jahr=YEAR)
    assert row["zaehler"] == 10
    assert row["nenner"] == pytest.approx(100 * 10 / 1.625)
    # Boys (all leavers without ESA are boys): 100 · (5/400 + 5/300).
    _check(
        df, "D15", "LAND", LAND, 100 * (5 / 400 + 5 / 300), merkmal="geschlecht", auspraegung="m"
    )
    _check(df, "D15", "KREISTYP", "KT-LKV", 1.0)
    # Population is by Kreis: no Gemeinde or school values.
    d15 = df.filter(pl.col("indikator") == "D15")
    assert set(d15["ebene"].unique()) == {"LAND", "KREIS", "KREISTYP"}


def test_leaver_indicators_agree_with_verlauf_tables(
    abgaenge: AnalyticStore, leaver_values: pl.DataFrame
) -> None:
    ctx = IndicatorContext(abgaenge)
    sy, sc, pop = (ctx.table(t) for t in ("student_years", "schools", "population"))
    certificates = ctx.execute(leavers_by_certificate(sy, sc, by=["kreis"]))
    codes = {"D16": "ESA", "D17": "MSA", "D18": "FHR", "D19": "AHR"}
    for ident, code in codes.items():
        for row in certificates.filter(pl.col("abschlussart") == code).iter_rows(named=True):
            ind = pick(leaver_values, ident, "KREIS", row["kreis_ags"], jahr=YEAR)
            assert (ind["zaehler"], ind["nenner"]) == (row["numerator"], row["denominator"])
    without = ctx.execute(leavers_without_esa(sy, sc, by=["kreis"]))
    quota = ctx.execute(leavers_without_esa(sy, sc, pop, by=["kreis"], denominator="bevoelkerung"))
    for row in without.iter_rows(named=True):
        ind = pick(leaver_values, "D14", "KREIS", row["kreis_ags"], jahr=YEAR)
        assert (ind["zaehler"], ind["nenner"]) == (row["numerator"], row["denominator"])
    assert quota.height == 2
    for row in quota.iter_rows(named=True):
        ind = pick(leaver_values, "D15", "KREIS", row["kreis_ags"], jahr=YEAR)
        assert ind["wert"] == pytest.approx(row["rate"])
        assert ind["zaehler"] == row["numerator"]


# --- D23 Zurückstellungsquote ----------------------------------------------------------------


def test_d23_deferred_enrolment(tmp_path: Path, catalog: Catalog) -> None:
    d = Data()
    ein: dict[str, Any] = {"zugangsart": "EIN"}
    d.add(GS1, YEAR, 1, 10, einschulungsart="FRIST", **ein)
    d.add(GS1, YEAR, 1, 10, einschulungsart="FRIST", geschlecht="w", **ein)
    d.add(GS1, YEAR, 1, 5, einschulungsart="ZURUECK", **ein)
    d.add(GS1, YEAR, 1, 5, einschulungsart="VORZ", geschlecht="w", **ein)
    d.add(GS1, YEAR, 1, 10, wiederholung="FW")  # no Einschulung this year
    d.add(GS2, YEAR, 1, 15, einschulungsart="FRIST", **ein)
    d.add(GS2, YEAR, 1, 5, einschulungsart="ZURUECK", **ein)
    with d.store(tmp_path / "d23.duckdb") as store:
        df = _compute(store, catalog, ["D23"])
    # Kreis 1: 5 of 30 Einschulungen; Kreis 2: 5 of 20; Land 10 of 50.
    _check(df, "D23", "KREIS", K1, 100 * 5 / 30)
    _check(df, "D23", "KREIS", K2, 100 * 5 / 20)
    _check(df, "D23", "LAND", LAND, 100 * 10 / 50)
    # Kreis 1 boys 5 of 15, girls 0 of 15.
    _check(df, "D23", "KREIS", K1, 100 * 5 / 15, merkmal="geschlecht", auspraegung="m")
    _check(df, "D23", "KREIS", K1, 0.0, merkmal="geschlecht", auspraegung="w")
    _published_counts_safe(df)


# --- disclosure control and the catalogue itself --------------------------------------------


def test_small_cells_are_suppressed(tmp_path: Path, catalog: Catalog) -> None:
    d = Data()
    d.add(GY1, YEAR, 7, 5, wiederholung="NV")
    d.add(GY1, YEAR, 7, 25)
    d.add(HS2, YEAR, 8, 3, wiederholung="NV")  # 3 repeaters: below the minimum of 5
    d.add(HS2, YEAR, 8, 17)
    with d.store(tmp_path / "small.duckdb") as store:
        df = _compute(store, catalog, ["D06"])
    small = pick(df, "D06", "KREIS", K2, jahr=YEAR)
    assert small["flag"] == "."
    assert small["zaehler"] is None and small["wert"] is None
    # Kreis 2 = Land − Kreis 1, so one of them must be suppressed too.
    others = [pick(df, "D06", "KREIS", K1, jahr=YEAR), pick(df, "D06", "LAND", LAND, jahr=YEAR)]
    assert any(r["flag"] == "." for r in others)
    _published_counts_safe(df)
    # Internal school rows keep primary suppression only: HS2 is suppressed as well.
    assert pick(df, "D06", "SCHULE", HS2, jahr=YEAR)["flag"] == "."


def test_catalogue_area_d_is_complete(catalog: Catalog) -> None:
    ids = [i.id for i in catalog.by_area()["D"]]
    assert ids == [f"D{n:02d}" for n in range(1, 24)]
    for ind in catalog.by_area()["D"]:
        assert ind.bereich == "D"
        if ind.art == "anteil":
            assert ind.einheit == "prozent"
    # Published reference values are given with a source.
    assert catalog["D06"].referenz is not None and catalog["D06"].referenz.wert == 2.3
    assert catalog["D15"].referenz is not None and catalog["D15"].referenz.wert == 6.9
