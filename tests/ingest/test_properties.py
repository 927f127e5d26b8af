"""Hypothesis properties of validation, CSV reading and the count reconciliation."""

from __future__ import annotations

import csv
import io
import random
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bimo.core.codes import ALL_CODE_LISTS
from bimo.core.schemas import ANALYTIC_TABLES, ColumnSpec
from bimo.core.store import AnalyticStore
from bimo.ingest import ImportOptions, import_file
from bimo.ingest.models import LINE_COL
from bimo.ingest.rules import GRADE_RANGE
from bimo.ingest.validate import validate_chunk
from tests.ingest.helpers import Row, csv_text, school_rows, text, valid_row

FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
HEX = "0123456789abcdef"


@st.composite
def student_year(draw: st.DrawFn) -> Row:
    """Any valid student_years row (cross-field rules included)."""
    schulform = draw(st.sampled_from(sorted(GRADE_RANGE)))
    lo, hi = GRADE_RANGE[schulform]
    stufe = draw(st.integers(lo, hi))
    schuljahr = draw(st.integers(1990, 2100))
    ein = stufe <= 2 and draw(st.booleans())
    entl = draw(st.booleans())
    return {
        "pseudonym": draw(st.text(HEX, min_size=64, max_size=64)),
        "schuljahr": schuljahr,
        "schulnummer": draw(st.from_regex(r"[0-9]{6}", fullmatch=True)),
        "schulform": schulform,
        "jahrgangsstufe": stufe,
        "klasse": f"{stufe}{draw(st.text('abcXYZ0', max_size=3))}",
        "geburtsjahr": max(1980, schuljahr - draw(st.integers(4, 25))),
        "geburtsmonat": draw(st.integers(1, 12)),
        "geschlecht": draw(st.sampled_from(["m", "w", "d", "x"])),
        "foerderschwerpunkt": draw(st.none() | st.sampled_from(["LE", "SP", "KR"])),
        "ndh": draw(st.booleans()),
        "ganztag": draw(st.booleans()),
        "wiederholung": draw(st.none() | st.sampled_from(["NV", "FW"])),
        "zugangsart": "EIN" if ein else draw(st.none() | st.sampled_from(["WECHSEL", "ZUZUG"])),
        "einschulungsart": draw(st.sampled_from(["FRIST", "VORZ", "ZURUECK"])) if ein else None,
        "abgangsart": "ENTL" if entl else draw(st.none() | st.sampled_from(["WECHSEL", "SONST"])),
        "abschlussart": draw(st.sampled_from(["OHNE", "ESA", "MSA", "AHR"])) if entl else None,
        "record_key": draw(st.none() | st.floats(0, 1, exclude_max=True)),
    }


@st.composite
def table_row(draw: st.DrawFn) -> tuple[str, Row]:
    kind = draw(st.sampled_from(sorted(ANALYTIC_TABLES)))
    if kind == "student_years":
        return kind, draw(student_year())
    return kind, valid_row(kind, draw(st.integers(0, 999)), draw(st.randoms()))


def _frame(kind: str, rows: list[Row]) -> pl.DataFrame:
    cols = ANALYTIC_TABLES[kind].column_names
    data: dict[str, list[object]] = {c: [text(r.get(c)) for r in rows] for c in cols}
    data[LINE_COL] = list(range(2, len(rows) + 2))
    return pl.DataFrame(data, schema={**dict.fromkeys(cols, pl.String), LINE_COL: pl.Int64})


def _invalid_value(col: ColumnSpec, rnd: random.Random) -> str | None:
    """A value that breaks this column's own checks, or None if the column accepts anything."""
    if col.codelist is not None:
        return rnd.choice(["ZZ", "gs", "Gymnasium", "?"])
    if col.dtype in ("int", "float"):
        options = ["abc", "1e", "--3"]
        if col.min_value is not None:
            options.append(str(int(col.min_value) - 1))
        if col.max_value is not None:
            options.append(str(int(col.max_value) + 1))
        return rnd.choice(options)
    if col.dtype == "bool":
        return rnd.choice(["vielleicht", "2", "yes"])
    if col.pattern is not None:
        return rnd.choice(["!", "x y", "ÄÖÜ"])
    if col.required:
        return ""
    return None


@FAST
@given(table_row())
def test_valid_rows_pass(kind_row: tuple[str, Row]) -> None:
    kind, row = kind_row
    result = validate_chunk(_frame(kind, [row]), ANALYTIC_TABLES[kind], "x.csv", ";")
    assert result.problems.to_dicts() == []
    assert result.good.height == 1


@FAST
@given(table_row(), st.data())
def test_one_mutated_field_is_flagged_in_exactly_that_column(
    kind_row: tuple[str, Row], data: st.DataObject
) -> None:
    kind, row = kind_row
    spec = ANALYTIC_TABLES[kind]
    rnd = data.draw(st.randoms())
    mutable = [c for c in spec.columns if _invalid_value(c, rnd) is not None]
    col = data.draw(st.sampled_from(mutable))
    bad = _invalid_value(col, rnd)
    result = validate_chunk(_frame(kind, [{**row, col.name: bad}]), spec, "x.csv", ";")
    assert result.good.height == 0
    assert result.problems["spalte"].to_list() == [col.name]
    assert f"Spalte {col.name}:" in result.problems["grund"][0]


garbage_line = st.one_of(
    st.binary(min_size=1, max_size=60).filter(lambda b: b"\x00" not in b and b"\n" not in b),
    st.text(";,\"'x1 äö\t", min_size=1, max_size=40).map(lambda t: t.encode("utf-8")),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.integers(0, 5), garbage_line), min_size=1, max_size=25))
def test_garbage_lines_keep_counts_reconciled(lines: list[int | bytes]) -> None:
    rnd = random.Random(5)
    good = [valid_row("schools", i, rnd) for i in range(6)]
    body = b"".join(
        (csv_text("schools", [good[x]]).split("\n", 1)[1].encode() if isinstance(x, int)
         else x + b"\n")
        for x in lines
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "schools.csv"
        path.write_bytes(csv_text("schools", []).encode() + body)
        with AnalyticStore(Path(tmp) / "s.duckdb") as store:
            r = import_file(path, None, store, ImportOptions(quarantine_dir=Path(tmp)))
            assert r.read == r.stored + r.quarantined + r.duplicates
            assert r.stored == store.count("schools")
            distinct_good = len({x for x in lines if isinstance(x, int)})
            if not any(isinstance(x, bytes) and b'"' in x for x in lines):
                # Without quotes no garbage line can merge with a good one.
                assert r.stored == distinct_good
            else:
                assert r.stored <= distinct_good


names = (
    st.text(st.sampled_from(list("abcXYZ äöüßÄÖÜé;,\"'\n-1")), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(names, min_size=1, max_size=8),
    st.sampled_from([";", ","]),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_csv_round_trip(name_list: list[str], delimiter: str, encoding: str) -> None:
    rows = [dict(school_rows()[0], schulnummer=f"{i:06d}", name=n) for i, n in enumerate(name_list)]
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    cols = ANALYTIC_TABLES["schools"].column_names
    writer.writerow(cols)
    writer.writerows([[r[c] for c in cols] for r in rows])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "schools.csv"
        path.write_bytes(buf.getvalue().encode(encoding))
        with AnalyticStore(Path(tmp) / "s.duckdb") as store:
            r = import_file(path, None, store, ImportOptions(quarantine_dir=Path(tmp)))
            assert (r.read, r.stored) == (len(rows), len(rows))
            stored = store.raw.execute("SELECT * FROM schools ORDER BY schulnummer").fetchall()
    assert stored == [tuple(r[c] for c in cols) for r in rows]


def test_code_lists_used_by_mutations_are_really_invalid() -> None:
    for cl in ALL_CODE_LISTS.values():
        assert not {"ZZ", "gs", "Gymnasium", "?"} & cl.codes
