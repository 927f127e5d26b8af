"""PySpark local mode for the "same expressions on Spark" tests (one session per worker).

``spark`` is registered in ``tests/conftest.py``; ``to_spark`` copies analytic tables of a
DuckDB store into temporary Spark views (nothing is written to a Spark warehouse).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from bimo.core.schemas import ANALYTIC_TABLES, IBIS_TYPES
from bimo.core.store import AnalyticStore

SPARK_TYPES = {"string": "string", "int64": "bigint", "float64": "double", "boolean": "boolean"}


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    sql = pytest.importorskip("pyspark.sql")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        sql.SparkSession.builder.master("local[1]")
        .appName("bimo-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "512m")
        # Never write a warehouse or metastore into the working directory.
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
        .config("spark.sql.catalogImplementation", "in-memory")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def to_spark(spark: Any, store: AnalyticStore, tables: Iterable[str], prefix: str = "") -> None:
    """Copy ``tables`` of ``store`` into temporary Spark views named ``prefix + table``.

    Column types come from the table specs: all-null columns would otherwise be inferred as
    double.
    """
    for name in tables:
        spec = ANALYTIC_TABLES[name]
        frame = store.raw.sql(f'SELECT * FROM "{name}"').pl().to_pandas()
        ddl = ", ".join(f"`{c.name}` {SPARK_TYPES[IBIS_TYPES[c.dtype]]}" for c in spec.columns)
        spark.createDataFrame(frame, schema=ddl).createOrReplaceTempView(prefix + name)
