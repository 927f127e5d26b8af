"""Benchmark of the indicator engine: the whole real catalogue on Musterland.

Data: the real Musterland generator (:func:`bimo.synth.generate`), full size 1,000,000
students per school year × 13 school years, quick size 100,000 × 5, imported with
:func:`bimo.ingest.import_directory` in a child process (timed separately, kept out of the
peak RSS). Set ``BIMO_BENCH_INDICATORS_DIR`` to keep generated data and store between runs
(``DIR/synth`` and ``DIR/store.duckdb`` are reused when present).

Measured: wall time of :func:`bimo.indicators.compute` for every indicator × every level ×
every year, split into query time (DuckDB), rollup (Polars), disclosure control and labels;
the slowest indicators; output rows; suppressed rows; peak RSS; CPU time.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.musterland_data import peak_rss_bytes, prepare

DIR_ENV = "BIMO_BENCH_INDICATORS_DIR"
FULL = (1_000_000, 13)
QUICK = (100_000, 5)
FIRST_YEAR = 2012
THREADS = 2


def _measure(base: Path, students: int, years: int) -> dict[str, Any]:
    from bimo.core.store import AnalyticStore
    from bimo.indicators import load_catalog
    from bimo.indicators.engine import Timings, compute

    generate_s, import_s, lernstand_s = prepare(students, years, base, FIRST_YEAR, lernstand=True)
    store = AnalyticStore(base / "store.duckdb", read_only=True)
    store.raw.execute(f"SET threads = {THREADS}")
    catalog = load_catalog()
    timings = Timings()
    load_before = os.getloadavg()
    cpu_before = os.times()
    start = time.perf_counter()
    values = compute(store, catalog, timings=timings)
    wall = time.perf_counter() - start
    cpu_after = os.times()
    rows = store.count("student_years")
    store.close()
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    slowest = sorted(timings.per_indicator.items(), key=lambda kv: -kv[1])[:5]
    public = values.filter(~values["intern"])
    return {
        "students_per_year": students,
        "years": years,
        "student_years_rows": rows,
        "indicators": len(catalog),
        "generate_s": round(generate_s, 1),
        "import_s": round(import_s, 1),
        "lernstand_waves_s": round(lernstand_s, 1),
        "compute_s": round(wall, 1),
        "query_s": round(timings.query, 1),
        "rollup_s": round(timings.rollup, 1),
        "disclosure_s": round(timings.disclosure, 1),
        "labels_s": round(timings.labels, 1),
        "slowest_s": {k: round(v, 1) for k, v in slowest},
        "rows": values.height,
        "public_rows": public.height,
        "public_suppressed": int((public["flag"] == ".").sum()),
        "cpu_s": round(cpu, 1),
        "peak_rss_mib": round(peak_rss_bytes() / 2**20),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "duckdb_threads": THREADS,
    }


def run(quick: bool) -> dict[str, Any]:
    students, years = QUICK if quick else FULL
    kept = os.environ.get(DIR_ENV)
    if kept:
        return _measure(Path(kept), students, years)
    with tempfile.TemporaryDirectory() as tmp:
        return _measure(Path(tmp), students, years)
