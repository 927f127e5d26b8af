"""The dirty CSV deliveries: every line's verdict matches the manifest; totals reconcile."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from bimo.core.codes import ALL_CODE_LISTS
from bimo.core.schemas import SCHOOLS, STUDENT_YEARS, TableSpec

BOOLS = {"true": True, "false": False, "ja": True, "nein": False, "1": True, "0": False}


def _valid(line: bytes, spec: TableSpec, context: dict[str, Any]) -> bool:
    """An independent, strict reading of the schema rules (the importer's job, in small)."""
    try:
        text = line.decode("cp1252")
    except UnicodeDecodeError:
        return False
    fields = text.split(";")
    if len(fields) != len(spec.columns) or '"' in text:
        return False
    row: dict[str, Any] = {}
    for col, raw in zip(spec.columns, fields, strict=True):
        if raw == "":
            if col.required:
                return False
            row[col.name] = None
            continue
        value: Any = raw
        if col.dtype == "int":
            if not re.fullmatch(r"-?\d+", raw):
                return False
            value = int(raw)
        elif col.dtype == "float":
            if not re.fullmatch(r"-?\d+([.,]\d+)?", raw):
                return False
            value = float(raw.replace(",", "."))
        elif col.dtype == "bool":
            if raw not in BOOLS:
                return False
            value = BOOLS[raw]
        if col.codelist and value not in ALL_CODE_LISTS[col.codelist].codes:
            return False
        if col.pattern and not re.fullmatch(col.pattern, value):
            return False
        if col.min_value is not None and value < col.min_value:
            return False
        if col.max_value is not None and value > col.max_value:
            return False
        row[col.name] = value
    if spec.name == "student_years":
        if row["abschlussart"] is not None and row["abgangsart"] != "ENTL":
            return False
        if row["schulform"] == "GS" and row["jahrgangsstufe"] > 4:
            return False
        if row["geburtsjahr"] > row["schuljahr"]:
            return False
        if row["schulnummer"] not in context["schools"]:
            return False
    if spec.name == "schools":
        if not row["gemeinde_ags"].startswith(row["kreis_ags"]):
            return False
        if row["gemeinde_ags"] not in context["gemeinden"]:
            return False
    return True


@pytest.mark.parametrize(("name", "spec"), [("student_years", STUDENT_YEARS), ("schools", SCHOOLS)])
def test_manifest_matches_the_file(out_dir: Path, name: str, spec: TableSpec) -> None:
    manifest = json.loads((out_dir / f"{name}_dirty_manifest.json").read_text("utf-8"))
    raw = (out_dir / f"{name}_dirty.csv").read_bytes()
    assert raw.endswith(b"\r\n")
    header, *lines = raw[:-2].split(b"\r\n")
    assert header.decode("ascii").split(";") == list(spec.column_names)
    context = {
        "schools": set(pq.read_table(out_dir / "schools.parquet").column(0).to_pylist()),
        "gemeinden": set(pq.read_table(out_dir / "regions.parquet").column(0).to_pylist()),
    }
    listed = {e["line"]: e for e in manifest["lines"]}
    seen: set[bytes] = set()
    counts = {"duplicate": 0, "quarantine": 0}
    for number, line in enumerate(lines, start=2):
        entry = listed.get(number)
        action = entry["action"] if entry else "clean"
        if line in seen and _valid(line, spec, context):
            assert action == "duplicate", number
        elif _valid(line, spec, context):
            assert action in ("clean", "normalise"), (number, entry, line)
        else:
            assert action == "quarantine", (number, line)
        if action in counts:
            counts[action] += 1
        seen.add(line)
    expected = manifest["expected"]
    assert expected["read"] == len(lines)
    assert expected["duplicates"] == counts["duplicate"] > 0
    assert expected["quarantined"] == counts["quarantine"] > 0
    assert expected["stored"] == len(lines) - counts["duplicate"] - counts["quarantine"]


def test_all_announced_kinds_of_dirt_are_present(out_dir: Path) -> None:
    manifest = json.loads((out_dir / "student_years_dirty_manifest.json").read_text("utf-8"))
    kinds = {(e["defect"], e["column"]) for e in manifest["lines"]}
    for kind in [
        ("duplicate", None),
        ("wrong_code", "schulform"),
        ("out_of_range", "geburtsmonat"),
        ("out_of_range", "jahrgangsstufe"),
        ("implausible", "geburtsjahr"),
        ("missing_required", "schulnummer"),
        ("cross_field", "abschlussart"),
        ("cross_field", "jahrgangsstufe"),
        ("malformed", "pseudonym"),
        ("field_count", None),
        ("broken_quoting", "schulform"),
        ("invalid_bytes", "klasse"),
        ("utf8_in_cp1252", "klasse"),
        ("bool_spelling", "ndh"),
        ("bool_digit", "ganztag"),
        ("decimal_comma", "record_key"),
    ]:
        assert kind in kinds, kind
    raw = (out_dir / "student_years_dirty.csv").read_bytes()
    assert b"m\xe4nnlich" in raw  # Windows-1252 umlaut
    assert b"\xc3\xa4" in raw  # a UTF-8 sequence in the cp1252 file
    assert b"GYM" in raw and b"abi" in raw
    assert 1_100 <= manifest["expected"]["read"] <= 1_300
