"""The area-D indicator functions give the same values on PySpark (local mode) as on DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from bimo.indicators import compute, load_catalog
from tests.indicators.builder_d import FS1, GS1, GS2, GY1, GY2, HS2, IGS2, K1, K2, RS1, Data
from tests.spark_support import to_spark

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

TABLES = ("regions", "schools", "student_years", "population", "assessment_results")
# Every function of schule.py and lernstand.py, additive and non-additive.
FUNCTION_IDS = ["D02", "D07", "D13", "D15", "D20"]


def _data() -> Data:
    d = Data()
    for target in (GY1, RS1, GY2):
        d.move(5, 2022, GS1, target)
    for target in (HS2, IGS2):
        d.move(5, 2022, GS2, target, geschlecht="w")
    d.move(5, 2022, GY1, RS1, grade=6)
    d.add(GY1, 2023, 12, 5, abgangsart="ENTL", abschlussart="AHR")
    d.add(FS1, 2023, 10, 5, abgangsart="ENTL", abschlussart="FOES")
    d.add(HS2, 2023, 9, 6, abgangsart="ENTL", abschlussart="OHNE")
    for kreis in (K1, K2):
        for alter in (15, 16):
            d.pop(kreis, 2023, alter, "m", 200)
    for i, pid in enumerate(d.add(GS1, 2023, 4, 8) + d.add(GS2, 2023, 4, 7, geschlecht="w")):
        school = GS1 if i < 8 else GS2
        d.result(pid, school, [330.0 + 25 * i + 7 * m for m in range(5)])
    return d


def _canonical(df: pl.DataFrame) -> list[tuple[Any, ...]]:
    rounded = df.with_columns(pl.col(pl.Float64).round(9))
    return sorted(rounded.rows(), key=repr)


def test_area_d_functions_on_spark(tmp_path: Path, spark: Any) -> None:
    import ibis

    store = _data().store(tmp_path / "d.duckdb")
    to_spark(spark, store, TABLES)
    con = ibis.pyspark.connect(spark)
    catalog = load_catalog()
    # Each non-additive function runs once per level × Merkmal; three levels cover the
    # region paths (Land prefix, Kreis, school with classes as clusters) at half the Spark time.
    levels = ["LAND", "KREIS", "SCHULE"]
    expected = compute(store, catalog, ids=FUNCTION_IDS, levels=levels)
    got = compute(con, catalog, ids=FUNCTION_IDS, levels=levels)
    store.close()
    assert set(expected["indikator"].unique()) == set(FUNCTION_IDS)
    assert _canonical(got) == _canonical(expected)
