"""Catalogue areas A, B, C and E: every indicator on a small hand-made data set.

The data set has one Land (01) with two Kreise of different Kreistyp: 01001 (KFS, one Gemeinde,
two schools) and 01002 (DLK, two Gemeinden, three schools). Every group of records is either
empty or has at least 5 members, so no cell falls under disclosure control and every value is
published; the expected values are computed by hand below. A second, separate store puts a
tiny count in one Kreis to check that it is suppressed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from bimo.core.errors import BimoError
from bimo.core.store import AnalyticStore
from bimo.indicators import compute, load_catalog
from bimo.indicators.context import IndicatorContext
from bimo.indicators.functions.kontext import betreuungsquote

ABCE = [
    "A01",
    "A02",
    "A03",
    "B01",
    "B02",
    "B03",
    "C01",
    "C02",
    "C03",
    "C04",
    "E01",
    "E02",
    "E03",
    "E04",
]
LAND, K1, K2 = "01", "01001", "01002"
G1, G2A, G2B = "01001000", "01002001", "01002002"
YEAR = 2023

REGIONS: list[dict[str, Any]] = [
    {"ags": LAND, "name": "Testland", "ebene": "LAND", "parent_ags": None, "kreistyp": None},
    {"ags": K1, "name": "Kreisstadt", "ebene": "KREIS", "parent_ags": LAND, "kreistyp": "KFS"},
    {"ags": K2, "name": "Heidekreis", "ebene": "KREIS", "parent_ags": LAND, "kreistyp": "DLK"},
    {"ags": G1, "name": "Kreisstadt", "ebene": "GEMEINDE", "parent_ags": K1, "kreistyp": None},
    {"ags": G2A, "name": "Heidedorf", "ebene": "GEMEINDE", "parent_ags": K2, "kreistyp": None},
    {"ags": G2B, "name": "Waldheim", "ebene": "GEMEINDE", "parent_ags": K2, "kreistyp": None},
]
# schulnummer: (schulform, traeger, gemeinde)
SCHOOLS: dict[str, tuple[str, str, str]] = {
    "100001": ("GS", "OEFF", G1),
    "200001": ("GY", "PRIV", G1),
    "100002": ("GS", "OEFF", G2A),
    "200002": ("RS", "OEFF", G2A),
    "200003": ("WS", "PRIV", G2B),
}
# Groups of students in school year 2023: (schulnummer, jahrgangsstufe, geschlecht, ndh, n).
STUDENTS: list[tuple[str, int, str, bool, int]] = [
    ("100001", 3, "m", False, 6),
    ("100001", 3, "w", False, 7),
    ("100001", 3, "m", True, 5),
    ("100001", 4, "w", True, 5),
    ("200001", 5, "m", False, 8),
    ("200001", 5, "w", False, 9),
    ("200001", 5, "w", True, 5),
    ("100002", 3, "m", False, 10),
    ("100002", 3, "w", False, 10),
    ("100002", 4, "m", True, 6),
    ("200002", 5, "m", False, 7),
    ("200002", 5, "w", False, 5),
    ("200003", 5, "w", False, 6),
    ("200003", 5, "m", True, 5),
]
# Population at 31.12.: (kreis, jahr, alter, m, w).
POPULATION: list[tuple[str, int, int, int, int]] = [
    (K1, 2023, 1, 30, 28),
    (K1, 2023, 4, 25, 24),
    (K1, 2023, 17, 20, 21),
    (K1, 2023, 19, 15, 16),
    (K1, 2023, 20, 100, 90),
    (K1, 2023, 64, 60, 70),
    (K1, 2023, 65, 40, 50),
    (K1, 2023, 90, 10, 25),
    (K2, 2023, 1, 12, 11),
    (K2, 2023, 4, 14, 13),
    (K2, 2023, 17, 9, 8),
    (K2, 2023, 19, 7, 6),
    (K2, 2023, 20, 50, 45),
    (K2, 2023, 64, 40, 44),
    (K2, 2023, 65, 35, 38),
    (K2, 2023, 90, 6, 12),
    # 31.12.2022: the denominator of the Betreuungsquoten of 2023.
    (K1, 2022, 0, 20, 19),
    (K1, 2022, 2, 22, 21),
    (K1, 2022, 3, 18, 17),
    (K1, 2022, 5, 23, 22),
    (K1, 2022, 40, 100, 100),
    (K2, 2022, 0, 10, 9),
    (K2, 2022, 1, 8, 7),
    (K2, 2022, 3, 11, 12),
    (K2, 2022, 4, 9, 10),
    (K2, 2022, 40, 100, 100),
]
# Childcare on 1 March: (kreis, jahr, altersgruppe, betreute, betreute_ganztag).
# 2022 has no population of 31.12.2021, so no Betreuungsquote for 2022.
CHILDCARE: list[tuple[str, int, str, int, int]] = [
    (K1, 2023, "U3", 30, 12),
    (K1, 2023, "3_6", 76, 40),
    (K2, 2023, "U3", 10, 6),
    (K2, 2023, "3_6", 40, 15),
    (K1, 2022, "U3", 25, 10),
    (K1, 2022, "3_6", 70, 35),
    (K2, 2022, "U3", 9, 5),
    (K2, 2022, "3_6", 38, 14),
]
# Neuzugänge 2023: (kreis, sektor, vorbildung, geschlecht, anzahl).
VOCATIONAL: list[tuple[str, str, str, str, int]] = [
    (K1, "DUAL", "ESA", "m", 20),
    (K1, "DUAL", "MSA", "w", 30),
    (K1, "DUAL", "HZB", "m", 12),
    (K1, "DUAL", "HZB", "w", 8),
    (K1, "DUAL", "OHNE", "m", 6),
    (K1, "SCHULBERUF", "MSA", "w", 25),
    (K1, "SCHULBERUF", "ESA", "m", 5),
    (K1, "UEBERGANG", "OHNE", "m", 14),
    (K1, "UEBERGANG", "OHNE", "w", 9),
    (K1, "UEBERGANG", "ESA", "m", 10),
    (K1, "HZB", "MSA", "w", 18),
    (K1, "HZB", "MSA", "m", 6),
    (K2, "DUAL", "ESA", "m", 15),
    (K2, "DUAL", "MSA", "m", 10),
    (K2, "DUAL", "HZB", "w", 5),
    (K2, "SCHULBERUF", "MSA", "w", 12),
    (K2, "SCHULBERUF", "OHNE", "w", 5),
    (K2, "UEBERGANG", "OHNE", "m", 8),
    (K2, "UEBERGANG", "ESA", "w", 6),
    (K2, "HZB", "MSA", "w", 7),
]


def _pseudonym(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _student_rows(groups: list[tuple[str, int, str, bool, int]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for g, (school, grade, sex, ndh, n) in enumerate(groups):
        for i in range(n):
            rows.append(
                {
                    "pseudonym": _pseudonym(f"{g}-{i}"),
                    "schuljahr": YEAR,
                    "schulnummer": school,
                    "schulform": SCHOOLS[school][0],
                    "jahrgangsstufe": grade,
                    "klasse": f"{grade}a",
                    "geburtsjahr": YEAR - grade - 6,
                    "geburtsmonat": 5,
                    "geschlecht": sex,
                    "ndh": ndh,
                    "ganztag": False,
                    "record_key": (g * 37 + i) % 100 / 100,
                }
            )
    return rows


def build_store(
    path: Path,
    *,
    students: list[tuple[str, int, str, bool, int]] = STUDENTS,
    childcare: list[tuple[str, int, str, int, int]] = CHILDCARE,
    vocational: list[tuple[str, str, str, str, int]] = VOCATIONAL,
) -> AnalyticStore:
    store = AnalyticStore(path)
    schools = [
        {
            "schulnummer": nr,
            "name": f"Schule {nr}",
            "schulform": form,
            "traeger": traeger,
            "gemeinde_ags": gem,
            "kreis_ags": gem[:5],
            "ganztag_form": "KEIN",
        }
        for nr, (form, traeger, gem) in SCHOOLS.items()
    ]
    population = [
        {"kreis_ags": k, "jahr": j, "alter": a, "geschlecht": sex, "anzahl": n}
        for k, j, a, m, w in POPULATION
        for sex, n in (("m", m), ("w", w))
    ]
    cc = [
        {"kreis_ags": k, "jahr": j, "altersgruppe": g, "betreute": b, "betreute_ganztag": gt}
        for k, j, g, b, gt in childcare
    ]
    voc = [
        {"kreis_ags": k, "jahr": YEAR, "sektor": s, "vorbildung": v, "geschlecht": g, "anzahl": n}
        for k, s, v, g, n in vocational
    ]
    tables: dict[str, list[dict[str, Any]]] = {
        "regions": REGIONS,
        "schools": schools,
        "student_years": _student_rows(students),
        "population": population,
        "childcare": cc,
        "vocational_entrants": voc,
    }
    with store.transaction() as con:
        for name, rows in tables.items():
            con.register("_rows", pl.DataFrame(rows, infer_schema_length=None).to_arrow())
            con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM _rows')
            con.unregister("_rows")
    return store


@pytest.fixture(scope="module")
def values(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    store = build_store(tmp_path_factory.mktemp("abce") / "abce.duckdb")
    try:
        return compute(store, ids=ABCE)
    finally:
        store.close()


def cell(
    values: pl.DataFrame,
    ind: str,
    ebene: str,
    ags: str,
    merkmal: str = "insgesamt",
    auspraegung: str = "Insgesamt",
    jahr: int = YEAR,
) -> dict[str, Any]:
    rows = values.filter(
        (pl.col("indikator") == ind)
        & (pl.col("jahr") == jahr)
        & (pl.col("ebene") == ebene)
        & (pl.col("ags") == ags)
        & (pl.col("merkmal") == merkmal)
        & (pl.col("auspraegung") == auspraegung)
    )
    assert rows.height == 1, f"{ind} {ebene} {ags} {merkmal}={auspraegung}: {rows.height} rows"
    row: dict[str, Any] = rows.row(0, named=True)
    return row


# (indicator, ebene, ags, merkmal, auspraegung, zaehler, nenner, wert) — worked out by hand.
# Under-20s K1: 30+28 (age 1) + 25+24 (4) + 20+21 (17) + 15+16 (19) = 179;
# 20 to 64 K1: 100+90 (20) + 60+70 (64) = 320; 65+ K1: 40+50 (65) + 10+25 (90) = 125.
# K2: under 20 = 12+11+14+13+9+8+7+6 = 80; 20 to 64 = 50+45+40+44 = 179; 65+ = 35+38+6+12 = 91.
CASES: list[tuple[str, str, str, str, str, float, float | None, float]] = [
    ("A01", "LAND", LAND, "insgesamt", "Insgesamt", 179 + 80, 320 + 179, 100 * 259 / 499),
    ("A01", "KREIS", K1, "insgesamt", "Insgesamt", 179, 320, 100 * 179 / 320),
    ("A01", "KREIS", K2, "insgesamt", "Insgesamt", 80, 179, 100 * 80 / 179),
    ("A01", "KREISTYP", "KT-DLK", "insgesamt", "Insgesamt", 80, 179, 100 * 80 / 179),
    ("A02", "LAND", LAND, "insgesamt", "Insgesamt", 125 + 91, 499, 100 * 216 / 499),
    ("A02", "KREIS", K1, "insgesamt", "Insgesamt", 125, 320, 100 * 125 / 320),
    ("A02", "KREIS", K2, "insgesamt", "Insgesamt", 91, 179, 100 * 91 / 179),
    # Under-18s K1: 30+28+25+24+20+21 = 148 of 179+320+125 = 624; K2: 12+11+14+13+9+8 = 67
    # of 80+179+91 = 350. Women K1: 28+24+21 = 73 of 28+24+21+16+90+70+50+25 = 324.
    ("A03", "LAND", LAND, "insgesamt", "Insgesamt", 148 + 67, 624 + 350, 100 * 215 / 974),
    ("A03", "KREIS", K1, "insgesamt", "Insgesamt", 148, 624, 100 * 148 / 624),
    ("A03", "KREIS", K2, "insgesamt", "Insgesamt", 67, 350, 100 * 67 / 350),
    ("A03", "KREIS", K1, "geschlecht", "w", 73, 324, 100 * 73 / 324),
    # Men in the Land: K1 30+25+20 = 75 of 30+25+20+15+100+60+40+10 = 300;
    # K2 12+14+9 = 35 of 12+14+9+7+50+40+35+6 = 173.
    ("A03", "LAND", LAND, "geschlecht", "m", 75 + 35, 300 + 173, 100 * 110 / 473),
    # Students: K1 = 6+7+5+5 (GS) + 8+9+5 (GY) = 23 + 22 = 45; K2 = 10+10+6 (GS) + 7+5 (RS)
    # + 6+5 (WS) = 26 + 12 + 11 = 49.
    ("B01", "LAND", LAND, "insgesamt", "Insgesamt", 45 + 49, None, 94),
    ("B01", "KREIS", K1, "insgesamt", "Insgesamt", 45, None, 45),
    ("B01", "KREIS", K2, "insgesamt", "Insgesamt", 49, None, 49),
    ("B01", "GEMEINDE", G2A, "insgesamt", "Insgesamt", 26 + 12, None, 38),
    ("B01", "GEMEINDE", G2B, "insgesamt", "Insgesamt", 11, None, 11),
    ("B01", "LAND", LAND, "schulform", "GS", 23 + 26, None, 49),
    ("B01", "KREIS", K1, "geschlecht", "w", 7 + 5 + 9 + 5, None, 26),
    ("B01", "KREIS", K2, "ndh", "true", 6 + 5, None, 11),
    ("B01", "LAND", LAND, "jahrgangsstufe", "5", 22 + 12 + 11, None, 45),
    # Free Träger: GY in K1 (22), WS in K2 (11).
    ("B02", "LAND", LAND, "insgesamt", "Insgesamt", 22 + 11, 94, 100 * 33 / 94),
    ("B02", "KREIS", K1, "insgesamt", "Insgesamt", 22, 45, 100 * 22 / 45),
    ("B02", "KREIS", K2, "insgesamt", "Insgesamt", 11, 49, 100 * 11 / 49),
    ("B02", "GEMEINDE", G2B, "insgesamt", "Insgesamt", 11, 11, 100.0),
    # Women: private 9+5 (GY) + 6 (WS) = 20 of 26 (K1) + 10+5+6 (K2) = 47.
    ("B02", "LAND", LAND, "geschlecht", "w", 20, 26 + 21, 100 * 20 / 47),
    ("B02", "KREIS", K2, "schulform", "WS", 11, 11, 100.0),
    # ndh: K1 5+5 (GS) + 5 (GY) = 15; K2 6 (GS) + 5 (WS) = 11.
    ("B03", "LAND", LAND, "insgesamt", "Insgesamt", 15 + 11, 94, 100 * 26 / 94),
    ("B03", "KREIS", K1, "insgesamt", "Insgesamt", 15, 45, 100 * 15 / 45),
    ("B03", "KREIS", K2, "insgesamt", "Insgesamt", 11, 49, 100 * 11 / 49),
    ("B03", "KREIS", K1, "geschlecht", "w", 5 + 5, 26, 100 * 10 / 26),
    ("B03", "LAND", LAND, "schulform", "GS", 10 + 6, 23 + 26, 100 * 16 / 49),
    ("B03", "KREIS", K2, "traeger", "PRIV", 5, 11, 100 * 5 / 11),
    ("B03", "SCHULE", "100002", "insgesamt", "Insgesamt", 6, 26, 100 * 6 / 26),
    # Betreuungsquoten 2023 relate to the population of 31.12.2022: U3 K1 = 20+19+22+21 = 82,
    # K2 = 10+9+8+7 = 34; 3 to 5 K1 = 18+17+23+22 = 80, K2 = 11+12+9+10 = 42.
    ("C01", "LAND", LAND, "insgesamt", "Insgesamt", 30 + 10, 82 + 34, 100 * 40 / 116),
    ("C01", "KREIS", K1, "insgesamt", "Insgesamt", 30, 82, 100 * 30 / 82),
    ("C01", "KREIS", K2, "insgesamt", "Insgesamt", 10, 34, 100 * 10 / 34),
    ("C01", "KREISTYP", "KT-KFS", "insgesamt", "Insgesamt", 30, 82, 100 * 30 / 82),
    ("C02", "LAND", LAND, "insgesamt", "Insgesamt", 76 + 40, 80 + 42, 100 * 116 / 122),
    ("C02", "KREIS", K1, "insgesamt", "Insgesamt", 76, 80, 100 * 76 / 80),
    ("C02", "KREIS", K2, "insgesamt", "Insgesamt", 40, 42, 100 * 40 / 42),
    ("C03", "LAND", LAND, "insgesamt", "Insgesamt", 12 + 6, 116, 100 * 18 / 116),
    ("C03", "KREIS", K1, "insgesamt", "Insgesamt", 12, 82, 100 * 12 / 82),
    ("C03", "KREIS", K2, "insgesamt", "Insgesamt", 6, 34, 100 * 6 / 34),
    ("C04", "LAND", LAND, "insgesamt", "Insgesamt", 40 + 15, 122, 100 * 55 / 122),
    ("C04", "KREIS", K1, "insgesamt", "Insgesamt", 40, 80, 100 * 40 / 80),
    ("C04", "KREIS", K2, "insgesamt", "Insgesamt", 15, 42, 100 * 15 / 42),
    # Neuzugänge K1: DUAL 20+30+12+8+6 = 76, SCHULBERUF 25+5 = 30, UEBERGANG 14+9+10 = 33,
    # HZB 18+6 = 24, total 163. K2: DUAL 15+10+5 = 30, SCHULBERUF 12+5 = 17,
    # UEBERGANG 8+6 = 14, HZB 7, total 68.
    # Denominator: the Berufsausbildungssystem (DUAL + SCHULBERUF + UEBERGANG), without the HZB
    # sector: K1 76 + 30 + 33 = 139 (163 − 24 HZB), K2 30 + 17 + 14 = 61 (68 − 7 HZB).
    ("E01", "LAND", LAND, "insgesamt", "Insgesamt", 33 + 14, 139 + 61, 100 * 47 / 200),
    ("E01", "KREIS", K1, "insgesamt", "Insgesamt", 33, 139, 100 * 33 / 139),
    ("E01", "KREIS", K2, "insgesamt", "Insgesamt", 14, 61, 100 * 14 / 61),
    # Women: Übergang 9 (K1) + 6 (K2) of 30+8+25+9+18 = 90 (K1) + 5+12+5+6+7 = 35 (K2).
    ("E01", "LAND", LAND, "geschlecht", "w", 9 + 6, 72 + 28, 100 * 15 / 100),
    ("E01", "KREIS", K1, "vorbildung", "OHNE", 14 + 9, 14 + 9 + 6, 100 * 23 / 29),
    # Without ESA: K1 14+9 of 14+9+6 = 29; K2 8 of 8+5 = 13.
    ("E02", "LAND", LAND, "insgesamt", "Insgesamt", 23 + 8, 29 + 13, 100 * 31 / 42),
    ("E02", "KREIS", K1, "insgesamt", "Insgesamt", 23, 29, 100 * 23 / 29),
    ("E02", "KREIS", K2, "insgesamt", "Insgesamt", 8, 13, 100 * 8 / 13),
    ("E02", "KREIS", K1, "geschlecht", "m", 14, 14 + 6, 100 * 14 / 20),
    ("E03", "LAND", LAND, "insgesamt", "Insgesamt", 106 + 47, 231, 100 * 153 / 231),
    ("E03", "KREIS", K1, "insgesamt", "Insgesamt", 76 + 30, 163, 100 * 106 / 163),
    ("E03", "KREIS", K2, "insgesamt", "Insgesamt", 30 + 17, 68, 100 * 47 / 68),
    # MSA: dual/schulisch 30+25 (K1) + 10+12 (K2) = 77 of those plus HZB sector 18+6+7 = 108.
    ("E03", "LAND", LAND, "vorbildung", "MSA", 77, 77 + 31, 100 * 77 / 108),
    # HZB in dual training: K1 12+8 of 76, K2 5 of 30.
    ("E04", "LAND", LAND, "insgesamt", "Insgesamt", 20 + 5, 76 + 30, 100 * 25 / 106),
    ("E04", "KREIS", K1, "insgesamt", "Insgesamt", 20, 76, 100 * 20 / 76),
    ("E04", "KREIS", K2, "insgesamt", "Insgesamt", 5, 30, 100 * 5 / 30),
    # Women in dual training: K1 30+8 = 38, K2 5; with HZB 8 + 5.
    ("E04", "LAND", LAND, "geschlecht", "w", 13, 43, 100 * 13 / 43),
]


@pytest.mark.parametrize(
    ("ind", "ebene", "ags", "merkmal", "auspraegung", "zaehler", "nenner", "wert"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2]}-{c[3]}-{c[4]}" for c in CASES],
)
def test_hand_computed_value(
    values: pl.DataFrame,
    ind: str,
    ebene: str,
    ags: str,
    merkmal: str,
    auspraegung: str,
    zaehler: float,
    nenner: float | None,
    wert: float,
) -> None:
    row = cell(values, ind, ebene, ags, merkmal, auspraegung)
    assert row["flag"] == ""
    assert row["zaehler"] == pytest.approx(zaehler)
    if nenner is None:
        assert row["nenner"] is None
    else:
        assert row["nenner"] == pytest.approx(nenner)
    assert row["wert"] == pytest.approx(wert)
    assert row["intern"] is (ebene == "SCHULE")


def test_every_abce_indicator_has_cases_at_land_and_kreis() -> None:
    catalog = load_catalog()
    in_catalog = [i.id for i in catalog if i.bereich in "ABCE"]
    assert in_catalog == ABCE
    for ind in ABCE:
        levels = {c[1] for c in CASES if c[0] == ind}
        assert {"LAND", "KREIS"} <= levels, ind
        if catalog[ind].aufgliederungen:
            assert any(c[0] == ind and c[3] != "insgesamt" for c in CASES), ind


def test_levels_follow_the_source(values: pl.DataFrame) -> None:
    catalog = load_catalog()
    for ind in ABCE:
        produced = set(values.filter(pl.col("indikator") == ind)["ebene"].unique().to_list())
        assert produced == set(catalog[ind].output_levels()), ind
    kreis_based = [i for i in ABCE if i[0] in "ACE"]
    for ind in kreis_based:
        assert set(catalog[ind].ebenen) == {"LAND", "KREIS"}, ind


def test_betreuungsquote_uses_previous_years_population(values: pl.DataFrame) -> None:
    # Same-year population (31.12.2023, only age 1: 30 + 28) would give 100 * 30 / 58.
    assert cell(values, "C01", "KREIS", K1)["wert"] != pytest.approx(100 * 30 / 58)
    # Childcare 2022 has no population of 31.12.2021: no value for 2022.
    for ind in ("C01", "C02", "C03", "C04"):
        rows = values.filter((pl.col("indikator") == ind) & (pl.col("jahr") == 2022))
        assert rows.filter(pl.col("wert").is_not_null()).height == 0, ind


def test_betreuungsquote_function_output(tmp_path: Path) -> None:
    store = build_store(tmp_path / "f.duckdb")
    try:
        # Asking for 2023 alone must still reach back to the population of 2022.
        ctx = IndicatorContext(store, years=[2023])
        out = ctx.execute(betreuungsquote(ctx, altersgruppe="3_6", ganztag=True))
        every = IndicatorContext(store)
        all_years = every.execute(betreuungsquote(every, altersgruppe="U3"))
    finally:
        store.close()
    assert out.schema == pl.Schema(
        {"jahr": pl.Int64, "kreis_ags": pl.String, "zaehler": pl.Float64, "nenner": pl.Float64}
    )
    assert sorted(out.rows()) == [(2023, K1, 40.0, 80.0), (2023, K2, 15.0, 42.0)]
    # 2022 has no population of 31.12.2021 and is left out.
    assert sorted(all_years.rows()) == [(2023, K1, 30.0, 82.0), (2023, K2, 10.0, 34.0)]


def test_betreuungsquote_rejects_unknown_age_group(tmp_path: Path) -> None:
    store = build_store(tmp_path / "f.duckdb")
    try:
        with pytest.raises(BimoError, match="Altersgruppe „U6“"):
            betreuungsquote(IndicatorContext(store), altersgruppe="U6")
    finally:
        store.close()


def test_tiny_counts_are_suppressed(tmp_path: Path) -> None:
    # K2 gets only 3 entrants in the Übergangsbereich and only 3 children under 3 in day care.
    vocational = [r for r in VOCATIONAL if not (r[0] == K2 and r[1] == "UEBERGANG")]
    vocational.append((K2, "UEBERGANG", "OHNE", "m", 3))
    childcare = [r if (r[0], r[2]) != (K2, "U3") else (K2, r[1], "U3", 3, 0) for r in CHILDCARE]
    store = build_store(tmp_path / "tiny.duckdb", vocational=vocational, childcare=childcare)
    try:
        out = compute(store, ids=["C01", "E01"], years=[YEAR])
    finally:
        store.close()
    for ind in ("C01", "E01"):
        tiny = cell(out, ind, "KREIS", K2)
        assert tiny["flag"] in (".", "/"), ind
        assert tiny["wert"] is None and tiny["zaehler"] is None, ind
        # The Kreistyp group DLK holds only this Kreis: it must not give the value away.
        assert cell(out, ind, "KREISTYP", "KT-DLK")["zaehler"] is None, ind
        # Nor may it be recomputed as Land minus the other Kreis.
        land, other = cell(out, ind, "LAND", LAND), cell(out, ind, "KREIS", K1)
        assert land["zaehler"] is None or other["zaehler"] is None, ind
