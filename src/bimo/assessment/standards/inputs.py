"""Loading PV files and background data for the standards/fair/DIF commands.

Background rows are joined by ``id``. Error messages name the file, the data row and the column,
never the value of ``id`` (a pseudonym must not appear in messages or logs).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bimo.assessment.standards.irf import FloatArray
from bimo.assessment.standards.tables import CsvTable, read_csv
from bimo.core.errors import InputFileError, Location

_PV_COLUMN = re.compile(r"^pv(\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class PlausibleValues:
    ids: tuple[str, ...]
    values: FloatArray  # (n, M), θ metric


def read_pvs(path: Path) -> PlausibleValues:
    """PV.csv: ``id, pv1, …, pvM`` (optionally ``eap, eap_sd``, ignored here)."""
    table = read_csv(path, required=("id",))
    pv_cols = sorted(
        (c for c in table.header if _PV_COLUMN.match(c)),
        key=lambda c: int(_PV_COLUMN.match(c).group(1)),  # type: ignore[union-attr]
    )
    if not pv_cols:
        raise InputFileError(
            Location(table.name), "keine Plausible-Value-Spalten gefunden (erwartet: pv1, pv2, …)"
        )
    ids = tuple(table.text("id"))
    check_ids(table, ids)
    values = np.column_stack([table.numbers(c) for c in pv_cols])
    return PlausibleValues(ids=ids, values=values)


def check_ids(table: CsvTable, ids: Sequence[str]) -> None:
    seen: set[str] = set()
    for r, value in enumerate(ids, start=1):
        if not value:
            raise InputFileError(Location(table.name, row=r, column="id"), "die ID fehlt")
        if value in seen:
            raise InputFileError(
                Location(table.name, row=r, column="id"), "die ID kommt mehrfach vor"
            )
        seen.add(value)


@dataclass(frozen=True)
class Background:
    """Background table aligned to the PV rows."""

    table: CsvTable
    order: np.ndarray  # index into table.rows for each PV row

    def text(self, column: str) -> list[str]:
        col = self.table.text(column)
        return [col[i] for i in self.order]

    def numbers(self, column: str) -> FloatArray:
        values = self.table.numbers(column)
        aligned: FloatArray = values[self.order]
        return aligned

    def has(self, column: str) -> bool:
        return column in self.table.header


def read_background(path: Path, ids: Sequence[str], ids_file: str) -> Background:
    """Read BG.csv and align it by ``id`` to the rows of ``ids_file`` (every row needs a match)."""
    table = read_csv(path, required=("id",))
    bg_ids = table.text("id")
    check_ids(table, bg_ids)
    position = {value: i for i, value in enumerate(bg_ids)}
    order = np.empty(len(ids), dtype=np.int64)
    for r, value in enumerate(ids, start=1):
        if value not in position:
            raise InputFileError(
                Location(ids_file, row=r, column="id"),
                f"zu dieser ID gibt es keine Zeile in {table.name}",
            )
        order[r - 1] = position[value]
    return Background(table=table, order=order)


def parse_columns(spec: str | None) -> list[str]:
    """``"a,b , c"`` → ``["a", "b", "c"]``."""
    if not spec:
        return []
    return [c.strip() for c in spec.split(",") if c.strip()]


def is_numeric_column(table: CsvTable, column: str) -> bool:
    """True if every non-empty cell parses as a number."""
    try:
        table.numbers(column, allow_missing=True)
    except InputFileError:
        return False
    return True


def covariate_matrix(bg: Background, columns: Sequence[str]) -> tuple[FloatArray, list[str]]:
    """Numeric columns as they are, text columns as 0/1 dummies (first category = reference)."""
    parts: list[FloatArray] = []
    names: list[str] = []
    for column in columns:
        bg.table.index(column)
        if is_numeric_column(bg.table, column):
            parts.append(bg.numbers(column)[:, None])
            names.append(column)
            continue
        values = bg.text(column)
        for r, value in enumerate(values):
            if not value:
                raise InputFileError(
                    Location(bg.table.name, row=int(bg.order[r]) + 1, column=column),
                    "der Wert fehlt (leere Zelle)",
                )
        categories = sorted(set(values))
        arr = np.array(values)
        for cat in categories[1:]:
            parts.append((arr == cat).astype(np.float64)[:, None])
            names.append(f"{column}={cat}")
    if not parts:
        return np.empty((len(bg.order), 0)), names
    return np.hstack(parts), names
