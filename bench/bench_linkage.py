"""Consistency checks and Splink matching on simulated trajectories: time, precision, recall."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from tests.trajectories.linkage.simulate import load_store, simulate

from bimo.core.store import AnalyticStore
from bimo.trajectories.linkage import check_trajectories, student_years_table, to_polars
from bimo.trajectories.matching import evaluate, match_records


def run(quick: bool) -> dict[str, object]:
    n = 3_000 if quick else 30_000
    sim = simulate(n, seed=7)
    out: dict[str, object] = {
        "people": n,
        "store_rows": sim.store_rows.height,
        "unlinked": sim.unlinked.height,
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "analyse.duckdb"
        with AnalyticStore(path) as store:
            load_store(store, sim)
            t0 = time.perf_counter()
            report = to_polars(store.raw, check_trajectories(student_years_table()))
            out["check_seconds"] = round(time.perf_counter() - t0, 2)
            out["check_findings"] = report.height
        t0 = time.perf_counter()
        result = match_records(path, sim.unlinked, threshold=0.9)
        out["match_seconds"] = round(time.perf_counter() - t0, 2)
        out["candidates"] = result.kandidaten
        out["pairs"] = result.paare
        out["u_probabilities"] = result.u_probabilities
        pseudonyms = sim.store_rows["pseudonym"].unique()
        for threshold in (0.5, 0.8, 0.9, 0.95, 0.99):
            ev = evaluate(result.table, sim.truth, pseudonyms, threshold)
            out[f"p{threshold:g}"] = {
                "accepted": ev.accepted,
                "correct": ev.correct,
                "linkable": ev.linkable,
                "precision": round(ev.precision, 4),
                "recall": round(ev.recall, 4),
            }
    return out
