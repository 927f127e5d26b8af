"""The compiled indicator queries give the same numbers on PySpark (local mode) as on DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from bimo.indicators import compute, load_catalog
from bimo.indicators.compile import fine_parts
from bimo.indicators.context import IndicatorContext
from tests.indicators.builder import U3, indicator_yaml, write
from tests.indicators.test_engine import NDH, WDH3, _data
from tests.spark_support import to_spark

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

TABLES = ("regions", "schools", "student_years", "population", "childcare")


def _canonical(df: pl.DataFrame) -> list[tuple[Any, ...]]:
    rounded = df.with_columns(pl.col(pl.Float64).round(9))
    return sorted(rounded.rows(), key=repr)


def test_same_values_as_duckdb(tmp_path: Path, spark: Any) -> None:
    import ibis

    folder = tmp_path / "katalog"
    write(folder, "D90", indicator_yaml("D90", WDH3, aufgliederungen="[geschlecht, traeger]"))
    write(folder, "C90", indicator_yaml("C90", U3, art="quote", ebenen="[LAND, KREIS]"))
    write(folder, "B90", indicator_yaml("B90", NDH, art="anzahl", einheit="anzahl"))
    fn = "funktion: tests.indicators.builder:ndh_share\nparameter: {grade: 4}\n"
    write(folder, "B91", indicator_yaml("B91", fn, aufgliederungen="[geschlecht]"))
    est = "funktion: tests.indicators.builder:mean_grade\nadditiv: false\n"
    write(folder, "B92", indicator_yaml("B92", est, art="schaetzung", einheit="punkte"))
    catalog = load_catalog(folder)

    store = _data().store(tmp_path / "s.duckdb")
    to_spark(spark, store, TABLES)
    con = ibis.pyspark.connect(spark)

    # The fine-grained query of every declarative indicator, row for row.
    for ident in ("D90", "C90", "B90"):
        ind = catalog[ident]
        duck_ctx, spark_ctx = IndicatorContext(store), IndicatorContext(con)
        for duck_part, spark_part in zip(
            fine_parts(duck_ctx, ind), fine_parts(spark_ctx, ind), strict=True
        ):
            expected = duck_ctx.execute(duck_part.expr)
            got = spark_ctx.execute(spark_part.expr).select(expected.columns)
            assert expected.height > 0
            assert _canonical(got.cast(dict(expected.schema))) == _canonical(expected), ident

    # The whole computation (functions, rollup, disclosure) gives the same long table.
    expected = compute(store, catalog)
    got = compute(con, catalog)
    assert expected.height > 0
    assert _canonical(got) == _canonical(expected)
    store.close()
