"""Geschlecht as published: ``d`` and ``x`` are assigned to m or w by the record key."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from bimo.indicators import compute, load_catalog
from bimo.privacy.protect import ProtectionConfig
from tests.indicators.builder import Data, indicator_yaml, write

COUNT = "zaehler: {quelle: student_years, filter: {jahrgangsstufe: {zwischen: [3, 3]}}}\n"


def test_divers_and_ohne_angabe_are_assigned_to_m_or_w(tmp_path: Path) -> None:
    d = Data()
    d.add("100001", 2020, 3, 10, sex="w")
    d.add("100001", 2020, 3, 10, sex="m")
    d.add("100001", 2020, 3, 1, sex="d")
    d.add("100001", 2020, 3, 1, sex="x")
    # Record keys decide: < 0.5 → m, otherwise w (the builder's default key is 0.5).
    d.rows[-1]["record_key"] = 0.25
    store = d.store(tmp_path / "s.duckdb")
    folder = tmp_path / "cat"
    write(
        folder,
        "B90",
        indicator_yaml(
            "B90", COUNT, art="anzahl", einheit="anzahl", nenner="null",
            aufgliederungen="[geschlecht]",
        ),
    )  # fmt: skip
    values = compute(store, load_catalog(folder), config=ProtectionConfig(min_cell=5))
    store.close()
    land = values.filter((pl.col("ebene") == "LAND") & (pl.col("merkmal") == "geschlecht"))
    by_sex = dict(zip(land["auspraegung"], land["zaehler"], strict=True))
    # 10 w + the d person (key 0.5) = 11; 10 m + the x person (key 0.25) = 11; no d/x category.
    assert by_sex == {"m": 11.0, "w": 11.0}
    total = values.filter((pl.col("ebene") == "LAND") & (pl.col("merkmal") == "insgesamt"))
    assert total["zaehler"].to_list() == [22.0]
