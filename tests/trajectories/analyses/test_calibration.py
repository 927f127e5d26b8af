"""A small generated Musterland, imported, reproduces the generator's calibrated figures."""

from __future__ import annotations

import polars as pl
import pytest

from bimo.core.store import AnalyticStore
from bimo.ingest.importer import import_directory
from bimo.synth.generator import SynthConfig, generate
from bimo.trajectories.analyses import (
    leavers_without_esa,
    repetition,
    transitions,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> AnalyticStore:
    base = tmp_path_factory.mktemp("musterland")
    generate(SynthConfig(base / "synth", students=6_000, years=6, seed=7, dirty_rows=100))
    store = AnalyticStore(base / "store.duckdb")
    import_directory(base / "synth", store)
    return store


def _pooled(df: pl.DataFrame) -> float:
    return 100 * float(df["numerator"].sum()) / float(df["denominator"].sum())


def test_calibrated_figures(store: AnalyticStore) -> None:
    sy, sc, pop = (store.table(t) for t in ("student_years", "schools", "population"))
    con = store.ibis()
    # Published: repetition 2.3 % (2022/23), Gymnasium after grade 4 ≈ 40 % (2014/15),
    # without ESA 6.2–6.8 % of leavers, 6.9 % of the same-age population (2022).
    rep = _pooled(con.to_polars(repetition(sy, sc)))
    assert 1.7 <= rep <= 2.9, rep
    trans = con.to_polars(transitions(sy, sc))
    gy = _pooled(trans.filter(pl.col("ziel_schulform") == "GY"))
    assert 35.0 <= gy <= 45.0, gy
    assert trans.group_by("schuljahr").agg(pl.col("numerator").sum())["numerator"].min() > 0
    ohne = _pooled(con.to_polars(leavers_without_esa(sy, sc)))
    assert 4.5 <= ohne <= 8.5, ohne
    quote = con.to_polars(leavers_without_esa(sy, sc, pop, denominator="bevoelkerung"))
    assert quote.height >= 5
    assert 4.0 <= float(quote["rate"].median()) <= 10.0, quote
