"""Deliberately dirty CSV deliveries with a manifest of every defect (for importer tests).

Every data line is either clean, an exact duplicate of an earlier clean line, a line with one
*defect* that an importer must quarantine, or a line with a *tolerated spelling* (``ja``/``nein``,
``1``/``0`` for booleans, decimal comma) that a German importer should normalise and store.
The manifest lists the non-clean lines and the totals expected when the file is imported into an
empty store (schools, resp. regions, imported first).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from bimo.core.schemas import SCHOOLS, STUDENT_YEARS

Row = dict[str, Any]

# (defect, column, action). One line per entry and repetition; see _student_defect().
_STUDENT_DEFECTS: tuple[tuple[str, str, str], ...] = (
    ("wrong_code", "schulform", "quarantine"),
    ("wrong_code", "abschlussart", "quarantine"),
    ("wrong_code", "geschlecht", "quarantine"),
    ("out_of_range", "geburtsmonat", "quarantine"),
    ("out_of_range", "jahrgangsstufe", "quarantine"),
    ("implausible", "geburtsjahr", "quarantine"),
    ("missing_required", "schulnummer", "quarantine"),
    ("missing_required", "geschlecht", "quarantine"),
    ("cross_field", "abschlussart", "quarantine"),
    ("cross_field", "jahrgangsstufe", "quarantine"),
    ("malformed", "pseudonym", "quarantine"),
    ("unknown_reference", "schulnummer", "quarantine"),
    ("field_count", "", "quarantine"),
    ("broken_quoting", "schulform", "quarantine"),
    ("invalid_bytes", "klasse", "quarantine"),
    ("utf8_in_cp1252", "klasse", "quarantine"),
    ("bool_spelling", "ndh", "normalise"),
    ("bool_digit", "ganztag", "normalise"),
    ("decimal_comma", "record_key", "normalise"),
)


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _line(row: Row, columns: tuple[str, ...]) -> bytes:
    return ";".join(_format(row[c]) for c in columns).encode("cp1252")


def _student_defect(defect: str, column: str, row: Row, rng: np.random.Generator) -> bytes:
    """Apply one defect to a row and return the encoded line."""
    cols = STUDENT_YEARS.column_names
    row = dict(row)
    if defect == "wrong_code":
        if column == "abschlussart":
            row["abgangsart"] = "ENTL"
        row[column] = {"schulform": "GYM", "abschlussart": "abi", "geschlecht": "männlich"}[column]
    elif defect == "out_of_range":
        row[column] = 13 if column == "geburtsmonat" else 0
    elif defect == "implausible":
        row["geburtsjahr"] = row["schuljahr"] + 1
    elif defect == "missing_required":
        row[column] = None
    elif defect == "cross_field" and column == "abschlussart":
        row["abgangsart"] = None
        row["abschlussart"] = "MSA"
    elif defect == "cross_field":
        row["jahrgangsstufe"] = 9  # a Grundschule row (chosen by the caller)
    elif defect == "malformed":
        row["pseudonym"] = row["pseudonym"][:40].upper() + "Z"
    elif defect == "unknown_reference":
        row["schulnummer"] = "000000"
    elif defect == "field_count":
        return b";".join(_line(row, cols).split(b";")[:-2])
    elif defect == "broken_quoting":
        row["schulform"] = f'"{row["schulform"]}"X'
    elif defect == "invalid_bytes":
        return _line(row, cols).replace(
            f";{row['klasse']};".encode(), f";{row['klasse']}\x81;".encode("latin-1"), 1
        )
    elif defect == "utf8_in_cp1252":
        line = _line(row, cols)
        return line.replace(f";{row['klasse']};".encode(), f";{row['klasse']}ä;".encode(), 1)
    elif defect == "bool_spelling":
        row["ndh"] = "ja" if row["ndh"] else "nein"
    elif defect == "bool_digit":
        row["ganztag"] = "1" if row["ganztag"] else "0"
    elif defect == "decimal_comma":
        row["record_key"] = f"{rng.random():.4f}".replace(".", ",")
    return _line(row, cols)


def _write(
    path: Path, header: tuple[str, ...], lines: list[bytes], manifest: dict[str, Any]
) -> None:
    body = b"\r\n".join([";".join(header).encode("cp1252"), *lines]) + b"\r\n"
    path.write_bytes(body)
    manifest_path = path.with_name(path.stem + "_manifest.json")
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")


def _assemble(
    rng: np.random.Generator,
    clean: list[bytes],
    special: list[tuple[bytes, str, str, str]],
    n_duplicates: int,
) -> tuple[list[bytes], list[dict[str, Any]], dict[str, int]]:
    """Shuffle clean and special lines, then insert exact duplicates of clean lines after
    their originals; return the lines, the manifest entries and the expected totals."""
    items: list[tuple[bytes, str, str, str]] = [(c, "", "", "clean") for c in clean] + special
    order = rng.permutation(len(items))
    lines = [items[i] for i in order]
    for _ in range(n_duplicates):
        while True:
            src = int(rng.integers(0, len(lines)))
            if lines[src][3] == "clean":
                break
        pos = int(rng.integers(src + 1, len(lines) + 1))
        lines.insert(pos, (lines[src][0], "duplicate", "", "duplicate"))
    entries = [
        {"line": i + 2, "defect": d, "column": c or None, "action": a}
        for i, (_, d, c, a) in enumerate(lines)
        if a != "clean"
    ]
    actions = [a for *_, a in lines]
    dup = actions.count("duplicate")
    quarantined = actions.count("quarantine")
    totals = {
        "read": len(lines),
        "duplicates": dup,
        "quarantined": quarantined,
        "stored": len(lines) - dup - quarantined,
    }
    return [b for b, *_ in lines], entries, totals


def write_dirty_student_years(
    rng: np.random.Generator, sample: pa.Table, out: Path, n_lines: int
) -> dict[str, Any]:
    """``student_years_dirty.csv`` with about ``n_lines`` data lines from ``sample``."""
    # A small Land has fewer records than requested: use at most half of the last year.
    n_lines = min(n_lines, sample.num_rows // 2)
    per_defect = max(1, n_lines // 120)
    n_dup = max(2, n_lines // 60)
    n_special = per_defect * len(_STUDENT_DEFECTS)
    n_rows = n_lines - n_dup
    idx = rng.choice(sample.num_rows, size=n_rows, replace=False)
    rows: list[Row] = sample.take(pa.array(idx)).to_pylist()
    gs_rows = [i for i, r in enumerate(rows) if r["schulform"] == "GS"]
    other = [i for i, r in enumerate(rows) if r["schulform"] != "GS"]
    gs_pick = [gs_rows.pop() for _ in range(per_defect)]
    special_idx = set(gs_pick)
    special: list[tuple[bytes, str, str, str]] = []
    for defect, column, action in _STUDENT_DEFECTS:
        for k in range(per_defect):
            if (defect, column) == ("cross_field", "jahrgangsstufe"):
                i = gs_pick[k]
            else:
                i = other.pop()
                special_idx.add(i)
            special.append((_student_defect(defect, column, rows[i], rng), defect, column, action))
    clean = [
        _line(r, STUDENT_YEARS.column_names) for i, r in enumerate(rows) if i not in special_idx
    ]
    lines, entries, totals = _assemble(rng, clean, special, n_dup)
    manifest = {
        "file": "student_years_dirty.csv",
        "table": "student_years",
        "encoding": "cp1252",
        "delimiter": ";",
        "line_terminator": "CRLF",
        "header_line": 1,
        "clean_boolean": ["true", "false"],
        "expected": totals,
        "actions": {
            "quarantine": "Zeile verletzt eine Regel und gehört in die Quarantäne",
            "duplicate": "exaktes Duplikat einer früheren sauberen Zeile, wird nicht erneut "
            "gespeichert",
            "normalise": "zulässige Schreibvariante (ja/nein, 1/0, Dezimalkomma), wird "
            "normalisiert und gespeichert",
        },
        "lines": entries,
    }
    assert n_special < n_rows
    _write(out / "student_years_dirty.csv", STUDENT_YEARS.column_names, lines, manifest)
    return manifest


def write_dirty_schools(rng: np.random.Generator, schools: pa.Table, out: Path) -> dict[str, Any]:
    """``schools_dirty.csv``: new schools of Musterland, some with defects."""
    existing = set(schools.column("schulnummer").to_pylist())
    base: list[Row] = schools.take(
        pa.array(rng.choice(schools.num_rows, 24, replace=False))
    ).to_pylist()
    numbers = (n for n in range(990001, 999999) if str(n) not in existing)
    for r in base:
        r["schulnummer"] = str(next(numbers))
        r["name"] = "Neue " + r["name"]
    base[0]["name"] = "Grundschule Süderfeld-Weißenbach"  # clean, with cp1252 characters
    other_kreis = "17002" if base[-6]["kreis_ags"] != "17002" else "17001"
    # (defect, column, replacement value) applied to one row each.
    defects: tuple[tuple[str, str, str | None], ...] = (
        ("malformed", "schulnummer", base[-1]["schulnummer"][:5]),
        ("wrong_code", "schulform", "Gymnasium"),
        ("wrong_code", "traeger", "kommunal"),
        ("wrong_code", "ganztag_form", "ja"),
        ("missing_required", "name", None),
        ("cross_field", "gemeinde_ags", other_kreis + "001"),
        ("malformed", "kreis_ags", "1700"),
    )
    cols = SCHOOLS.column_names
    special: list[tuple[bytes, str, str, str]] = []
    for k, (defect, column, value) in enumerate(defects):
        row = {**base[-1 - k], column: value}
        special.append((_line(row, cols), defect, column, "quarantine"))
    short = base[-1 - len(defects)]
    special.append(
        (b";".join(_line(short, cols).split(b";")[:-1]), "field_count", "", "quarantine")
    )
    clean = [_line(r, cols) for r in base[: len(base) - len(defects) - 1]]
    lines, entries, totals = _assemble(rng, clean, special, 2)
    manifest = {
        "file": "schools_dirty.csv",
        "table": "schools",
        "encoding": "cp1252",
        "delimiter": ";",
        "line_terminator": "CRLF",
        "header_line": 1,
        "expected": totals,
        "lines": entries,
    }
    _write(out / "schools_dirty.csv", cols, lines, manifest)
    return manifest
