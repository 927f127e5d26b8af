"""Column checks and cross-field rules of the vectorised validator."""

from __future__ import annotations

import polars as pl
import pytest

from bimo.core.schemas import ANALYTIC_TABLES
from bimo.ingest.models import LINE_COL
from bimo.ingest.validate import record_key_from_pseudonym, validate_chunk
from tests.ingest.helpers import Row, text, valid_rows


def _frame(kind: str, rows: list[Row]) -> pl.DataFrame:
    cols = ANALYTIC_TABLES[kind].column_names
    data: dict[str, list[object]] = {c: [text(r.get(c)) for r in rows] for c in cols}
    data[LINE_COL] = list(range(2, len(rows) + 2))
    return pl.DataFrame(data, schema={**dict.fromkeys(cols, pl.String), LINE_COL: pl.Int64})


def _problems(kind: str, changes: dict[str, object], base: Row | None = None) -> list[str]:
    row = dict(base or valid_rows(kind, 1)[0])
    row.update(changes)
    result = validate_chunk(_frame(kind, [row]), ANALYTIC_TABLES[kind], "x.csv", ";")
    assert result.good.height + result.bad_rows == 1
    return [f"{s}: {g}" for s, g in result.problems.select("spalte", "grund").iter_rows()]


def test_valid_rows_pass_for_every_table() -> None:
    for kind in ANALYTIC_TABLES:
        rows = valid_rows(kind, 40)
        result = validate_chunk(_frame(kind, rows), ANALYTIC_TABLES[kind], "x.csv", ";")
        assert result.problems.height == 0, (kind, result.problems.to_dicts()[:3])
        assert result.good.height == 40


def test_code_list_message_names_file_row_column_and_allowed_codes() -> None:
    (msg,) = _problems("schools", {"schulform": "GYM"})
    assert msg.startswith("schulform: Datei x.csv, Zeile 2, Spalte schulform: Wert 'GYM' ist kein ")
    assert "Code der Liste Schulform (erlaubt: GS, HS, RS" in msg


@pytest.mark.parametrize(
    ("changes", "column", "fragment"),
    [
        ({"name": "  "}, "name", "Pflichtwert fehlt"),
        ({"schulnummer": "12345"}, "schulnummer", "erwartete Format"),
        ({"schulnummer": "١٢٣٤٥٦"}, "schulnummer", "erwartete Format"),  # non-ASCII digits
        ({"traeger": "oeff"}, "traeger", "kein Code"),
    ],
)
def test_column_checks_schools(changes: dict[str, object], column: str, fragment: str) -> None:
    (msg,) = _problems("schools", changes)
    assert msg.startswith(f"{column}: ") and fragment in msg


@pytest.mark.parametrize(
    ("changes", "column", "fragment"),
    [
        ({"schuljahr": "2020/21"}, "schuljahr", "keine ganze Zahl"),
        ({"geburtsmonat": "13"}, "geburtsmonat", "größer als das Maximum 12"),
        ({"jahrgangsstufe": "0"}, "jahrgangsstufe", "kleiner als das Minimum 1"),
        ({"ndh": "vielleicht"}, "ndh", "kein Wahrheitswert"),
        ({"record_key": "abc"}, "record_key", "keine Zahl"),
        ({"record_key": "1,5"}, "record_key", "größer als das Maximum 1"),
        ({"pseudonym": "ABC"}, "pseudonym", "erwartete Format"),
    ],
)
def test_column_checks_student_years(
    changes: dict[str, object], column: str, fragment: str
) -> None:
    (msg,) = _problems("student_years", changes)
    assert msg.startswith(f"{column}: ") and fragment in msg


@pytest.mark.parametrize("word", ["ja", "NEIN", "j", "N", "Wahr", "falsch", "1", "0", "TRUE"])
def test_boolean_words(word: str) -> None:
    assert _problems("student_years", {"ndh": word}) == []


def test_decimal_comma_is_read() -> None:
    row = valid_rows("student_years", 1)[0] | {"record_key": "0,25"}
    result = validate_chunk(_frame("student_years", [row]), ANALYTIC_TABLES["student_years"],
                            "x.csv", ";")  # fmt: skip
    assert result.good["record_key"].to_list() == [0.25]


BASE = {
    "pseudonym": "a" * 64, "schuljahr": 2020, "schulnummer": "100001", "schulform": "GS",
    "jahrgangsstufe": 3, "klasse": "3a", "geburtsjahr": 2012, "geburtsmonat": 5,
    "geschlecht": "w", "ndh": False, "ganztag": True, "zugangsart": None,
    "einschulungsart": None, "abgangsart": None, "abschlussart": None, "record_key": None,
}  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "column", "fragment"),
    [
        ({"abschlussart": "ESA"}, "abschlussart", "nicht ENTL"),
        ({"abgangsart": "ENTL"}, "abschlussart", "fehlt die Abschlussart"),
        ({"einschulungsart": "FRIST", "zugangsart": "WECHSEL"}, "einschulungsart", "nicht EIN"),
        ({"zugangsart": "EIN", "einschulungsart": "FRIST"}, "jahrgangsstufe", "1 oder 2"),
        ({"geburtsjahr": 2017}, "geburtsjahr", "zwischen 4 und 25"),
        ({"record_key": "1"}, "record_key", "kleiner als 1"),
        ({"geburtsjahr": 1990}, "geburtsjahr", "zwischen 4 und 25"),
        ({"jahrgangsstufe": 7, "klasse": "7a", "geburtsjahr": 2008}, "jahrgangsstufe",
         "passt nicht zur Schulform"),
        ({"schulform": "HS"}, "jahrgangsstufe", "passt nicht zur Schulform"),
    ],
)  # fmt: skip
def test_cross_field_rules_student_years(
    changes: dict[str, object], column: str, fragment: str
) -> None:
    assert _problems("student_years", {}, BASE) == []
    (msg,) = _problems("student_years", changes, BASE)
    assert msg.startswith(f"{column}: ") and fragment in msg


@pytest.mark.parametrize(
    ("kind", "changes", "column"),
    [
        ("schools", {"gemeinde_ags": "02001000"}, "gemeinde_ags"),
        ("childcare", {"betreute": 10, "betreute_ganztag": 11}, "betreute_ganztag"),
        ("regions", {"parent_ags": "02"}, "parent_ags"),
        ("regions", {"parent_ags": None}, "parent_ags"),
        ("regions", {"ebene": "GEMEINDE", "kreistyp": None}, "ags"),
        ("regions", {"ags": "01", "ebene": "LAND", "parent_ags": None}, "kreistyp"),
    ],
)
def test_cross_field_rules_other_tables(kind: str, changes: dict[str, object], column: str) -> None:
    problems = _problems(kind, changes)
    assert column in {p.split(":")[0] for p in problems}


def test_regions_all_levels_valid() -> None:
    rows: list[Row] = [
        {"ags": "01", "name": "Land", "ebene": "LAND", "parent_ags": None, "kreistyp": None},
        {"ags": "01001", "name": "K", "ebene": "KREIS", "parent_ags": "01", "kreistyp": "KFS"},
        {"ags": "01001000", "name": "G", "ebene": "GEMEINDE", "parent_ags": "01001",
         "kreistyp": None},
    ]  # fmt: skip
    result = validate_chunk(_frame("regions", rows), ANALYTIC_TABLES["regions"], "x.csv", ";")
    assert result.problems.height == 0


def test_record_key_is_derived_from_pseudonym_when_empty() -> None:
    rows = valid_rows("student_years", 20)
    for r in rows:
        r["record_key"] = None
    result = validate_chunk(_frame("student_years", rows), ANALYTIC_TABLES["student_years"],
                            "x.csv", ";")  # fmt: skip
    keys = result.good["record_key"].to_list()
    expected = [int(str(r["pseudonym"])[-13:], 16) / 16**13 for r in rows]
    assert keys == expected
    assert all(0 <= k < 1 for k in keys)
    direct = pl.select(record_key_from_pseudonym(pl.lit("f" * 64))).item()
    assert direct == (16**13 - 1) / 16**13


def test_typed_parquet_values_are_checked() -> None:
    frame = pl.DataFrame(
        {"kreis_ags": ["01001", "01001"], "jahr": [2020, 2020], "alter": [3, 130],
         "geschlecht": ["m", "w"], "anzahl": [5.0, 2.5], LINE_COL: [2, 3]}
    )  # fmt: skip
    result = validate_chunk(frame, ANALYTIC_TABLES["population"], "p.parquet", ";")
    assert result.good.height == 1
    cols = sorted(result.problems["spalte"].to_list())
    assert cols == ["alter", "anzahl"]
