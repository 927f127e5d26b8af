"""Benchmark of the full Bildungsverlauf publication run (``bimo verlauf publish-all``).

Data: the real Musterland generator (:func:`bimo.synth.generate`), full size 1,000,000
students per school year × 13 school years, quick size 100,000 × 5, imported with
:func:`bimo.ingest.import_directory`. Generation and import run in a child process (timed
separately), so the peak RSS measured here belongs to the publication run alone.

Set ``BIMO_BENCH_VERLAUF_DIR`` to a directory to keep the generated data and store between runs
(``DIR/synth`` and ``DIR/store.duckdb`` are reused when present).

Measured: wall time of ``publish_all`` end to end (linkage checks, every standard table,
disclosure control, writing, LP audit) and its parts, the share of wall time inside DuckDB
queries, peak RSS (``VmHWM``: the child process keeps generation and import out of it), CPU
time, load average before/after.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from bench.musterland_data import peak_rss_bytes, prepare
from bimo.trajectories.full_run import publish_all

DIR_ENV = "BIMO_BENCH_VERLAUF_DIR"
FULL = (1_000_000, 13)
QUICK = (100_000, 5)
FIRST_YEAR = 2010
THREADS = 2


def _measure(base: Path, students: int, years: int) -> dict[str, Any]:
    generate_s, import_s, _ = prepare(students, years, base, FIRST_YEAR)
    con = duckdb.connect(str(base / "store.duckdb"), read_only=True)
    con.execute(f"SET threads = {THREADS}")
    rows = con.execute("SELECT count(*) FROM student_years").fetchone()
    load_before = os.getloadavg()
    cpu_before = os.times()
    out = base / "veroeffentlichung"
    steps: list[tuple[str, float]] = []
    start = time.perf_counter()
    result = publish_all(
        con, out, progress=lambda s: steps.append((s, time.perf_counter() - start))
    )
    wall = time.perf_counter() - start
    cpu_after = os.times()
    con.close()
    t = result.timings
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    return {
        "students_per_year": students,
        "years": years,
        "student_years_rows": int(rows[0]) if rows else 0,
        "generate_s": round(generate_s, 1),
        "import_s": round(import_s, 1),
        "publish_all_s": round(wall, 1),
        "parts_s": {k: round(v, 2) for k, v in t.items()},
        "duckdb_share": round(t.get("duckdb", 0.0) / wall, 3),
        "python_protection_share": round(
            (t.get("protection", 0.0) + t.get("audit", 0.0) + t.get("write", 0.0)) / wall, 3
        ),
        "cpu_s": round(cpu, 1),
        "cpu_cores_used_avg": round(cpu / wall, 2),
        "steps_s": {name: round(at, 1) for name, at in steps},
        "tables": len(result.tables),
        "cells": sum(p.table.cells.height for p in result.tables),
        "suppressed_cells": sum(int((p.table.cells["flag"] == ".").sum()) for p in result.tables),
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
