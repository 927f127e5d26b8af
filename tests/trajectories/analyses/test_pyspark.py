"""The same Ibis expressions on PySpark (local mode) give the same results as on DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bimo.core.store import AnalyticStore
from bimo.trajectories.analyses import (
    cohort_flows,
    leavers_without_esa,
    repetition,
    repetition_cohort,
    school_form_changes,
    transitions,
)
from tests.spark_support import to_spark
from tests.trajectories.analyses.builder import GS1, GY1, HS2, RS1, Data
from tests.trajectories.analyses.test_repetition import repetition_data

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

TABLES = ("student_years", "schools", "population")


def _data() -> Data:
    d = repetition_data()
    # Transitions, a school-form change and leavers on top of the repetition data.
    d.add("A", 2020, GS1, 4)
    d.add("A", 2021, GY1, 5, zugang="WECHSEL")
    d.add("B", 2020, GS1, 4, sex="w")
    d.add("B", 2021, RS1, 5, sex="w", zugang="WECHSEL")
    d.add("C", 2020, RS1, 7)
    d.add("C", 2021, HS2, 8, zugang="WECHSEL")
    d.add("L", 2021, HS2, 9, born=2005, abgang="ENTL", abschluss="OHNE")
    d.add("M", 2021, RS1, 10, sex="w", born=2004, abgang="ENTL", abschluss="MSA")
    for sex in ("m", "w"):
        for alter in (16, 17):
            d.pop("01002", 2021, alter, sex, 50)
            d.pop("01001", 2021, alter, sex, 70)
    return d


def _normalise(df: Any) -> list[tuple[Any, ...]]:
    out = []
    for row in df.itertuples(index=False):
        out.append(tuple(round(float(v), 6) if isinstance(v, float) else v for v in row))
    return sorted(out, key=repr)


def test_same_results_as_duckdb(tmp_path: Path, spark: Any) -> None:
    import ibis

    store: AnalyticStore = _data().store(tmp_path / "s.duckdb")
    duck = {t: store.table(t) for t in TABLES}
    con = ibis.pyspark.connect(spark)
    to_spark(spark, store, TABLES, prefix="bimo_")
    sparkt = {t: con.table(f"bimo_{t}") for t in TABLES}

    def both(build: Any) -> None:
        expected = _normalise(store.ibis().to_pandas(build(duck)))
        got = _normalise(con.to_pandas(build(sparkt)))
        assert expected, "the DuckDB result must not be empty"
        assert got == expected

    both(lambda t: repetition(t["student_years"], t["schools"], by=["geschlecht"]))
    both(lambda t: repetition_cohort(t["student_years"], t["schools"], by_grade=True))
    both(lambda t: transitions(t["student_years"], t["schools"], by=["kreis"]))
    both(lambda t: school_form_changes(t["student_years"], t["schools"]))
    both(
        lambda t: leavers_without_esa(
            t["student_years"],
            t["schools"],
            t["population"],
            by=["geschlecht"],
            denominator="bevoelkerung",
        )
    )
    both(lambda t: cohort_flows(t["student_years"], t["schools"], start_grade=5))
