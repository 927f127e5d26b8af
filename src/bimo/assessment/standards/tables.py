"""Reading and writing the CSV files of the scaling pipeline with German error messages.

Inputs are small (one row per item or per student), so the standard ``csv`` module is enough and
lets every error name the file, the 1-based data row and the column.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TextIO

import numpy as np

from bimo.assessment.standards.irf import ALL_MODELS, ItemParams
from bimo.core.errors import InputFileError, Location

MAX_BYTES = 2_000_000_000


@dataclass(frozen=True)
class CsvTable:
    """A CSV file as text cells; ``rows[i]`` is data row ``i + 1`` (the header is not counted)."""

    path: Path
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    decimal_comma: bool

    @property
    def name(self) -> str:
        return self.path.name

    def index(self, column: str) -> int:
        try:
            return self.header.index(column)
        except ValueError:
            raise InputFileError(
                Location(self.name, column=column),
                f"die Spalte fehlt (vorhanden: {', '.join(self.header)})",
            ) from None

    def text(self, column: str) -> list[str]:
        i = self.index(column)
        return [row[i] for row in self.rows]

    def numbers(self, column: str, *, allow_missing: bool = False) -> np.ndarray:
        """Column as float array; empty cells become NaN only if ``allow_missing``."""
        i = self.index(column)
        out = np.empty(len(self.rows), dtype=np.float64)
        for r, row in enumerate(self.rows):
            out[r] = self.parse_number(row[i], r + 1, column, allow_missing=allow_missing)
        return out

    def parse_number(self, cell: str, row: int, column: str, *, allow_missing: bool) -> float:
        value = cell.strip()
        if value == "" or value.upper() in {"NA", "NAN"}:
            if allow_missing:
                return math.nan
            raise InputFileError(
                Location(self.name, row=row, column=column), "der Wert fehlt (leere Zelle)"
            )
        if self.decimal_comma:
            value = value.replace(",", ".")
        try:
            number = float(value)
        except ValueError:
            raise InputFileError(
                Location(self.name, row=row, column=column),
                f"„{cell}“ ist keine Zahl",
            ) from None
        if not math.isfinite(number):
            raise InputFileError(
                Location(self.name, row=row, column=column), f"„{cell}“ ist keine endliche Zahl"
            )
        return number


def read_csv(path: Path, *, required: Sequence[str] = ()) -> CsvTable:
    """Read a comma- or semicolon-separated UTF-8 file (semicolon files may use decimal commas)."""
    name = path.name
    if not path.is_file():
        raise InputFileError(Location(str(path)), "die Datei existiert nicht")
    if path.stat().st_size > MAX_BYTES:
        raise InputFileError(Location(name), "die Datei ist zu groß (mehr als 2 GB)")
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise InputFileError(Location(name), "die Datei ist keine Textdatei (Binärdaten)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(
            Location(name), "die Datei ist nicht UTF-8-kodiert; bitte als UTF-8 speichern"
        ) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputFileError(Location(name), "die Datei ist leer (keine Kopfzeile)")
    first = lines[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    header = tuple(h.strip() for h in next(reader))
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise InputFileError(Location(name), f"doppelte Spaltennamen: {', '.join(dupes)}")
    rows: list[tuple[str, ...]] = []
    for r, row in enumerate(reader, start=1):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise InputFileError(
                Location(name, row=r),
                f"{len(row)} Felder statt {len(header)} wie in der Kopfzeile",
            )
        rows.append(tuple(c.strip() for c in row))
    if not rows:
        raise InputFileError(Location(name), "die Datei enthält keine Datenzeilen")
    table = CsvTable(path, header, tuple(rows), decimal_comma=delimiter == ";")
    for column in required:
        table.index(column)
    return table


def read_items(path: Path) -> list[ItemParams]:
    """Read ITEMS.csv (``item, model, a, d1, …, dk, …``) as produced by ``bimo scale fit``."""
    table = read_csv(path, required=("item", "model", "a", "d1"))
    d_columns = []
    k = 1
    while f"d{k}" in table.header:
        d_columns.append(f"d{k}")
        k += 1
    items: list[ItemParams] = []
    seen: set[str] = set()
    for r, row in enumerate(table.rows, start=1):
        item = row[table.index("item")]
        if not item:
            raise InputFileError(Location(table.name, row=r, column="item"), "Itemname fehlt")
        if item in seen:
            raise InputFileError(
                Location(table.name, row=r, column="item"), f"Item „{item}“ kommt doppelt vor"
            )
        seen.add(item)
        model = row[table.index("model")].lower()
        if model not in ALL_MODELS:
            raise InputFileError(
                Location(table.name, row=r, column="model"),
                f"unbekanntes Modell „{model}“ (erlaubt: {', '.join(sorted(ALL_MODELS))})",
            )
        a = table.parse_number(row[table.index("a")], r, "a", allow_missing=False)
        if a <= 0:
            raise InputFileError(
                Location(table.name, row=r, column="a"), "die Trennschärfe a muss positiv sein"
            )
        d: list[float] = []
        for col in d_columns:
            value = table.parse_number(row[table.index(col)], r, col, allow_missing=True)
            if math.isnan(value):
                break
            d.append(value)
        if model == "grm" and any(x <= y for x, y in pairwise(d)):
            raise InputFileError(
                Location(table.name, row=r, column="d1"),
                "GRM-Intercepts d1 > d2 > … müssen streng fallen",
            )
        items.append(ItemParams(item=item, model=model, a=a, d=tuple(d)))
    return items


def write_items(path: Path, items: Sequence[ItemParams], se: dict[str, dict[str, float]]) -> None:
    """Write ITEMS.csv in the contract's column order (``b`` only for dichotomous items)."""
    k_max = max(len(it.d) for it in items)
    header = ["item", "model", "a", *[f"d{k}" for k in range(1, k_max + 1)], "b", "se_a"]
    header += [f"se_d{k}" for k in range(1, k_max + 1)]
    with _open_for_writing(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for it in items:
            item_se = se.get(it.item, {})
            ds = [_fmt(v) for v in it.d] + [""] * (k_max - len(it.d))
            b = _fmt(-it.d[0] / it.a) if len(it.d) == 1 else ""
            ses = [_fmt(item_se.get(f"se_d{k}", math.nan)) for k in range(1, k_max + 1)]
            writer.writerow(
                [it.item, it.model, _fmt(it.a), *ds, b, _fmt(item_se.get("se_a", math.nan)), *ses]
            )


def _open_for_writing(path: Path) -> TextIO:
    try:
        return path.open("w", newline="", encoding="utf-8")
    except OSError as exc:
        raise InputFileError(
            Location(str(path)), f"die Ausgabedatei kann nicht geschrieben werden ({exc.strerror})"
        ) from None


def _fmt(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.6g}"


def write_rows(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Write a result CSV; floats get 6 significant digits, NaN/None become empty cells."""
    with _open_for_writing(path) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(v) for v in row])


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _fmt(value)
    return str(value)


def transformed_standard_errors(
    table: CsvTable, items: Sequence[ItemParams], big_a: float, big_b: float
) -> dict[str, dict[str, float]]:
    """SEs on the reference scale by the delta method: se(a*) = se(a)/A and
    se(d*_k) = √(se(d_k)² + (c_k·B/A)²·se(a)²) with c_k = 1 (GRM) or k (divide-by-total).
    The a–d covariance is not part of ITEMS.csv and is therefore ignored."""
    se_a = table.numbers("se_a", allow_missing=True) if "se_a" in table.header else None
    se_d: list[np.ndarray] = []
    while f"se_d{len(se_d) + 1}" in table.header:
        se_d.append(table.numbers(f"se_d{len(se_d) + 1}", allow_missing=True))
    out: dict[str, dict[str, float]] = {}
    for i, item in enumerate(items):
        sa = float(se_a[i]) if se_a is not None else math.nan
        entry = {"se_a": sa / big_a}
        for k, col in enumerate(se_d[: len(item.d)], start=1):
            factor = (1 if item.cumulative else k) * big_b / big_a
            extra = 0.0 if math.isnan(sa) else factor**2 * sa**2
            entry[f"se_d{k}"] = math.sqrt(float(col[i]) ** 2 + extra)
        out[item.item] = entry
    return out
