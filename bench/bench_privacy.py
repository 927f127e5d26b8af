"""Secondary cell suppression: BiMo vs τ-ARGUS (``pytauargus``, modular method).

Table: a seeded, realistic school × certificate count table (2,000 schools × 5 certificates,
many small cells) with all margins. Both patterns are checked by BiMo's LP audit
(every suppressed cell must have an attacker interval of width ≥ 5).

τ-ARGUS is benchmark-only and never imported from ``src``. It writes temporary files with
the original values, so it runs in a temporary directory that is deleted afterwards. If the
package is not installed in the venv, ``BIMO_BENCH_PYTAUARGUS_PATH`` may name a directory
holding the unpacked wheel (it is put on ``sys.path``).
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import time
from types import ModuleType
from typing import Any

import numpy as np
import polars as pl

from bimo.privacy import Table, TableSet, audit
from bimo.privacy.suppression import secondary_suppression, threshold_primary

CERTS = ("OHNE", "FOES", "ESA", "MSA", "AHR")
MIN_CELL = 5


def school_table(n_schools: int, seed: int = 1) -> pl.DataFrame:
    """Leavers per school and certificate: log-normal school sizes, school-specific mix."""
    rng = np.random.default_rng(seed)
    size = rng.lognormal(3.0, 0.9, n_schools).astype(int) + 1
    base = np.array([0.05, 0.03, 0.25, 0.42, 0.25])
    rows: list[tuple[str, str, int]] = []
    for s in range(n_schools):
        counts = rng.multinomial(size[s], rng.dirichlet(base * 20))
        rows.extend((f"S{s:04d}", CERTS[c], int(v)) for c, v in enumerate(counts) if v > 0)
    return pl.DataFrame(rows, schema=["schule", "abschluss", "value"], orient="row")


def _tauargus() -> ModuleType | None:
    extra = os.environ.get("BIMO_BENCH_PYTAUARGUS_PATH")
    if extra and extra not in sys.path:
        sys.path.insert(0, extra)
    try:
        return importlib.import_module("pytauargus")
    except ImportError:
        return None


def _run_tauargus(
    tau: ModuleType, cells: pl.DataFrame, tset: TableSet, safety_range: int
) -> dict[str, Any]:
    # τ-ARGUS builds tables from microdata: one record per person (response n = 1).
    micro = cells.select(
        pl.col("schule").repeat_by("value").explode(),
        pl.col("abschluss").repeat_by("value").explode(),
    ).with_columns(pl.lit(1.0).alias("n"))
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            start = time.perf_counter()
            result = tau.protect(
                micro.to_pandas(),
                ["schule", "abschluss"],
                response="n",
                safety_rules=f"FREQ({MIN_CELL},{safety_range})",
                suppress="MOD(1)",
                workdir=os.path.join(tmp, "run"),
            )
            seconds = time.perf_counter() - start
        finally:
            os.chdir(cwd)
        rows = result.tables[0].rows
    table = tset.tables[0]
    lookup = [{label: i for i, label in enumerate(table.labels(d))} for d in range(len(table.dims))]
    suppressed = np.zeros(tset.n_vars, dtype=bool)
    primary = np.zeros(tset.n_vars, dtype=bool)
    for row in rows:
        pos = tuple(
            lookup[d]["Insgesamt" if str(row[dim]).strip() == "Total" else str(row[dim]).strip()]
            for d, dim in enumerate(table.dims)
        )
        var = tset.index[0][pos]
        suppressed[var] = row["status"] in ("U", "M")
        primary[var] = row["status"] == "U"
    report = audit(tset, suppressed, MIN_CELL)
    # τ-ARGUS only guarantees protection of primary cells; audit those separately, too.
    primary_report = audit(tset, suppressed, MIN_CELL, targets=primary)
    return {
        "version": getattr(tau, "__version__", "?"),
        "safety_rule": f"FREQ({MIN_CELL},{safety_range})",
        "primary": int(primary.sum()),
        "secondary": int((suppressed & ~primary).sum()),
        "seconds": round(seconds, 2),
        "audit_passed": report.passed,
        "audit_failures": len(report.failures),
        "audit_seconds": round(report.seconds, 2),
        "audit_primary_only_passed": primary_report.passed,
        "audit_primary_only_failures": len(primary_report.failures),
    }


def run(quick: bool) -> dict[str, Any]:
    n_schools = 200 if quick else 2000
    cells = school_table(n_schools)
    tset = TableSet([Table.from_inner(cells, ["schule", "abschluss"])])
    primary = threshold_primary(tset, MIN_CELL)
    naive = audit(tset, primary, MIN_CELL)
    out: dict[str, Any] = {
        "table": f"{n_schools} Schulen × {len(CERTS)} Abschlüsse + Randsummen",
        "cells": tset.n_vars,
        "zero_cells": int((tset.values == 0).sum()),
        "primary": int(primary.sum()),
        "naive_audit": {
            "passed": naive.passed,
            "failures": len(naive.failures),
            "seconds": round(naive.seconds, 2),
        },
    }
    for name, prune in (("bimo_greedy", False), ("bimo_pruned", True)):
        start = time.perf_counter()
        result = secondary_suppression(tset, primary, MIN_CELL, prune=prune)
        seconds = time.perf_counter() - start
        report = audit(tset, result.suppressed, MIN_CELL)
        out[name] = {
            "secondary": int((result.suppressed & ~primary).sum()),
            "seconds_total_incl_audit": round(seconds, 2),
            "rounds": result.rounds,
            "audit_passed": report.passed,
            "audit_seconds": round(report.seconds, 2),
            "audit_lp_solves": report.n_lp_solves,
        }
    tau = _tauargus()
    if tau is None:
        out["tauargus"] = {"available": False}
    else:
        out["tauargus"] = {
            "available": True,
            "runs": [_run_tauargus(tau, cells, tset, sr) for sr in (30, 100)],
        }
    return out
