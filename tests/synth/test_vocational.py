"""Neuzugänge in die berufliche Bildung: derived from the leavers, calibrated, importable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bimo.core.schemas import VOCATIONAL_ENTRANTS
from bimo.core.store import AnalyticStore
from bimo.ingest import ImportOptions, import_file, infer_kind
from bimo.synth import SynthResult, check
from bimo.synth import _vocational as voc
from bimo.synth._geography import KREISE
from bimo.synth._records import arrow_schema

N_K, N_V, N_S = len(KREISE), len(voc.VORBILDUNG), len(voc.SEXES)


def _leavers(counts: dict[int, np.ndarray]) -> voc.LeaverCounts:
    return voc.LeaverCounts(None, counts)


def _sql(table: pa.Table, query: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect()
    con.register("t", table)
    return con.execute(query).fetchall()


def _uniform(total_per_cell: int) -> np.ndarray:
    return np.full((N_K, N_V, N_S), total_per_cell, dtype=np.int64)


def test_file_has_the_schema_and_every_output_year(musterland: SynthResult) -> None:
    path = musterland.out / "vocational_entrants.parquet"
    table = pq.read_table(path)
    assert table.schema.equals(arrow_schema(VOCATIONAL_ENTRANTS))
    assert sorted(set(table.column("jahr").to_pylist())) == list(musterland.years)
    assert set(table.column("sektor").to_pylist()) == set(voc.SECTORS)
    assert set(table.column("kreis_ags").to_pylist()) == {k.ags for k in KREISE}
    assert min(table.column("anzahl").to_pylist()) > 0


def test_more_leavers_without_esa_mean_more_uebergangsbereich_entrants() -> None:
    base = _uniform(200)
    base[:, 0, :] = 20  # few leavers without ESA ...
    base[3, 0, :] = 400  # ... except in one Kreis
    counts = {year: base for year in range(2018, 2023)}
    t = voc.entrants(np.random.default_rng(5), _leavers(counts), (2020, 2021, 2022))
    rows = _sql(
        t,
        "SELECT kreis_ags, sum(anzahl) FILTER (sektor = 'UEBERGANG') AS ue, "
        "sum(anzahl) FILTER (sektor = 'UEBERGANG' AND vorbildung = 'OHNE') AS ue_ohne "
        "FROM t GROUP BY ALL ORDER BY kreis_ags",
    )
    by_kreis = {ags: (ue, ohne) for ags, ue, ohne in rows}
    special = by_kreis[KREISE[3].ags]
    others = [v for ags, v in by_kreis.items() if ags != KREISE[3].ags]
    assert all(special[0] > 1.5 * o[0] for o in others)
    assert all(special[1] > 5 * o[1] for o in others)


def test_entrants_follow_the_leavers_over_time_and_cities_receive_commuters() -> None:
    small, large = _uniform(100), _uniform(300)
    counts = {2018: small, 2019: small, 2020: large, 2021: large}
    t = voc.entrants(np.random.default_rng(1), _leavers(counts), (2020, 2021, 2022))
    per_year = dict(_sql(t, "SELECT jahr, sum(anzahl) FROM t GROUP BY ALL"))
    # Leavers of 2020 (three times as many) enter in 2021; the Übergangsbereich cohort of the
    # year before still follows the smaller year.
    assert per_year[2021] > 2.0 * per_year[2020]
    # Equal leavers in every Kreis: the Berufsschulen of the kreisfreie Städte get more dual
    # entrants than the Kreise they come from.
    dual = dict(_sql(t, "SELECT kreis_ags, sum(anzahl) FROM t WHERE sektor = 'DUAL' GROUP BY ALL"))
    kfs = [dual[k.ags] for k in KREISE if k.kreistyp == "KFS"]
    rural = [dual[k.ags] for k in KREISE if k.kreistyp == "DLK"]
    assert min(kfs) > max(rural)


def test_same_seed_same_table_other_seed_other_table() -> None:
    counts = {year: _uniform(150) for year in range(2018, 2022)}
    years = (2020, 2021)
    a = voc.entrants(np.random.default_rng(3), _leavers(counts), years)
    b = voc.entrants(np.random.default_rng(3), _leavers(counts), years)
    c = voc.entrants(np.random.default_rng(4), _leavers(counts), years)
    assert a.equals(b)
    assert not a.equals(c)


def test_calibration_targets_are_met(out_dir: Path) -> None:
    results = {r.target.key: r for r in check(out_dir)}
    for key in ("uebergangsbereich", "dual_anteil", "dual_hzb", "dual_msa", "dual_esa"):
        assert results[key].ok, (key, results[key].achieved)
    # The published figures the targets are computed from.
    assert results["uebergangsbereich"].target.value == 25.2
    assert results["dual_anteil"].target.value == 64.6


def test_file_imports_without_quarantine(musterland: SynthResult, tmp_path: Path) -> None:
    path = musterland.out / "vocational_entrants.parquet"
    assert infer_kind(path) == "vocational_entrants"
    options = ImportOptions(quarantine_dir=tmp_path / "q")
    with AnalyticStore(tmp_path / "store.duckdb") as store:
        first = import_file(path, None, store, options)
        again = import_file(path, None, store, options)
        stored = store.count("vocational_entrants")
    rows = pq.read_metadata(path).num_rows
    assert (first.read, first.stored, first.quarantined) == (rows, rows, 0)
    assert (again.stored, again.duplicates) == (0, rows)
    assert stored == rows
