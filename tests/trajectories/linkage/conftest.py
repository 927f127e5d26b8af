"""Hand-made trajectories in a temporary analytic store."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from bimo.core.schemas import STUDENT_YEARS
from bimo.core.store import AnalyticStore


def pseudonym(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def record(label: str, schuljahr: int, jahrgangsstufe: int, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "pseudonym": pseudonym(label),
        "schuljahr": schuljahr,
        "schulnummer": "100001",
        "schulform": "GS" if jahrgangsstufe <= 4 else "GY",
        "jahrgangsstufe": jahrgangsstufe,
        "klasse": f"{jahrgangsstufe}a",
        "geburtsjahr": 2014,
        "geburtsmonat": 5,
        "geschlecht": "w",
        "foerderschwerpunkt": None,
        "ndh": False,
        "ganztag": False,
        "wiederholung": None,
        "zugangsart": None,
        "einschulungsart": None,
        "abgangsart": None,
        "abschlussart": None,
        "record_key": 0.5,
    }
    row.update(overrides)
    return row


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema = {
        c.name: {"string": pl.String, "int": pl.Int64, "float": pl.Float64, "bool": pl.Boolean}[
            c.dtype
        ]
        for c in STUDENT_YEARS.columns
    }
    return pl.DataFrame(rows, schema=schema)


def load(store: AnalyticStore, rows: list[dict[str, Any]]) -> None:
    with store.transaction() as con:
        con.register("incoming", frame(rows).to_arrow())
        con.execute("INSERT INTO student_years SELECT * FROM incoming")
        con.unregister("incoming")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AnalyticStore]:
    s = AnalyticStore(tmp_path / "analyse.duckdb")
    yield s
    s.close()
