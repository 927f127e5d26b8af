from __future__ import annotations

import pytest

from bimo.core.codes import ALL_CODE_LISTS, schuljahr_label
from bimo.core.config import Settings
from bimo.core.schemas import ANALYTIC_TABLES, IDENTIFYING_COLUMNS, IDENTITIES
from bimo.core.store import AnalyticStore


def test_every_codelist_reference_exists() -> None:
    for spec in ANALYTIC_TABLES.values():
        for col in spec.columns:
            if col.codelist is not None:
                assert col.codelist in ALL_CODE_LISTS, (spec.name, col.name)


def test_identities_never_in_analytic_store(tmp_path) -> None:
    assert IDENTITIES.name not in ANALYTIC_TABLES
    with AnalyticStore(tmp_path / "a.duckdb") as store:
        cols = {
            r[0]
            for r in store.raw.execute(
                "SELECT column_name FROM information_schema.columns"
            ).fetchall()
        }
        tables = {r[0] for r in store.raw.execute("SHOW TABLES").fetchall()}
    assert not cols & IDENTIFYING_COLUMNS
    assert "identities" not in tables
    assert set(ANALYTIC_TABLES) <= tables


def test_schuljahr_label() -> None:
    assert schuljahr_label(2024) == "2024/25"
    assert schuljahr_label(1999) == "1999/00"


def test_min_cell_cannot_go_below_five() -> None:
    with pytest.raises(ValueError, match="nicht unterschreiten"):
        Settings(min_cell=4)
    assert Settings(min_cell=10).min_cell == 10


def test_transaction_rolls_back(tmp_path) -> None:
    with AnalyticStore(tmp_path / "a.duckdb") as store:
        with pytest.raises(RuntimeError), store.transaction() as con:
            con.execute("INSERT INTO regions VALUES ('01', 'Musterland', 'LAND', NULL, NULL)")
            raise RuntimeError("crash")
        assert store.count("regions") == 0


def test_count_leaves_connection_usable(tmp_path) -> None:
    with AnalyticStore(tmp_path / "a.duckdb") as store:
        assert store.count("schools") == 0
        assert store.raw.sql("SELECT 1 AS x").fetchall() == [(1,)]
