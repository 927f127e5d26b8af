"""Benchmark ``bimo scale fit`` / ``bimo scale pv`` against girth on the same simulated data.

Each run is a subprocess timed from the outside (wall time including Python start-up and
reading the CSV), with the peak resident memory of that process. Parameter RMSE is against
the generating values (b = difficulty, a = slope). girth (bench-only dependency) is
imported only in its own subprocess; if it is not importable the girth rows are skipped.
``BIMO_BENCH_GIRTH_PATH`` may point to an unpacked girth package directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from bimo.assessment.irt.simulate import booklet_mask, draw_items, simulate_responses

ROOT = Path(__file__).resolve().parent.parent
BIMO = str(Path(sys.executable).with_name("bimo"))
# girth is single-threaded pure numpy/scipy; runs beyond this are recorded as timeouts.
GIRTH_LIMIT_S = float(os.environ.get("BIMO_BENCH_GIRTH_LIMIT", "600"))

_MEASURE = textwrap.dedent(
    """
    import json, resource, subprocess, sys, time
    limit = float(sys.argv[1])
    start = time.perf_counter()
    try:
        proc = subprocess.run(sys.argv[2:], capture_output=True, text=True, timeout=limit)
        rc, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired:
        rc, out, err = -1, "", f"Zeitlimit {limit:.0f} s überschritten"
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"wall_s": wall, "peak_mib": peak, "rc": rc,
                      "stdout": out[-4000:], "stderr": err[-2000:]}))
    """
)

_GIRTH = textwrap.dedent(
    """
    import json, sys
    import numpy as np, polars as pl
    import girth
    from girth.utilities import INVALID_RESPONSE
    model, path, out = sys.argv[1:4]
    frame = pl.read_csv(path)
    scores = frame.drop(frame.columns[0]).to_numpy()
    data = np.where(np.isnan(scores.astype(float)), INVALID_RESPONSE, scores).astype(int).T
    if model == "2pl":
        res = girth.twopl_mml(data)
        a, b = np.atleast_1d(res["Discrimination"]), res["Difficulty"]
    else:
        res = girth.onepl_mml(data)
        # girth's 1PL fixes θ ~ N(0, 1) and estimates a common slope: on the Rasch metric
        # (slope 1, free variance) the difficulty is a·b.
        alpha = float(res["Discrimination"])
        a, b = np.ones(data.shape[0]), alpha * np.asarray(res["Difficulty"])
    json.dump({"a": np.asarray(a, float).tolist(), "b": np.asarray(b, float).tolist()},
              open(out, "w"))
    """
)


def _measure(
    cmd: list[str], env: dict[str, str] | None = None, limit: float = 1800.0
) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(limit), *cmd],
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, Any] = json.loads(proc.stdout)
    if result["rc"] != 0:
        result["error"] = result["stderr"].strip().splitlines()[-1:] or ["?"]
    return result


def _girth_env() -> dict[str, str] | None:
    env = dict(os.environ)
    extra = os.environ.get("BIMO_BENCH_GIRTH_PATH")
    if extra:
        env["PYTHONPATH"] = os.pathsep.join([extra, env.get("PYTHONPATH", "")])
    probe = subprocess.run([sys.executable, "-c", "import girth"], env=env, capture_output=True)
    return env if probe.returncode == 0 else None


def _rmse(est: np.ndarray, true: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(est) - true) ** 2)))


def _write(path: Path, scores: np.ndarray) -> None:
    cols: dict[str, Any] = {"id": np.arange(scores.shape[0])}
    for j in range(scores.shape[1]):
        col = scores[:, j]
        cols[f"i{j + 1}"] = (
            pl.Series(col).cast(pl.Int8) if not np.isnan(col).any()
            else pl.Series(col).fill_nan(None).cast(pl.Int8)
        )  # fmt: skip
    pl.DataFrame(cols).write_csv(path)


def _case(
    tmp: Path, name: str, model: str, scores: np.ndarray, a: np.ndarray, b: np.ndarray,
    girth_env: dict[str, str] | None,
) -> dict[str, Any]:  # fmt: skip
    csv = tmp / f"{name}.csv"
    _write(csv, scores)
    items = tmp / f"{name}_items.csv"
    run = _measure(
        [BIMO, "scale", "fit", str(csv), "--model", model, "--out", str(items), "--json"]
    )
    row: dict[str, Any] = {"case": name, "model": model, "persons": scores.shape[0],
                           "items": scores.shape[1], "bimo_s": round(run["wall_s"], 2),
                           "bimo_peak_mib": round(run["peak_mib"])}  # fmt: skip
    if "error" in run:
        row["bimo_error"] = run["error"]
        return row
    summary = json.loads(run["stdout"])
    fitted = pl.read_csv(items)
    row["bimo_iterations"] = summary["iterations"]
    row["bimo_engine_s"] = summary["seconds"]
    row["bimo_rmse_b"] = round(_rmse(fitted["b"].to_numpy(), b), 4)
    if model == "2pl":
        row["bimo_rmse_a"] = round(_rmse(fitted["a"].to_numpy(), a), 4)
    if girth_env is None:
        row["girth"] = "nicht installiert"
        return row
    out = tmp / f"{name}_girth.json"
    grun = _measure(
        [sys.executable, "-c", _GIRTH, model, str(csv), str(out)],
        env=girth_env,
        limit=GIRTH_LIMIT_S,
    )
    row["girth_s"] = round(grun["wall_s"], 2)
    row["girth_peak_mib"] = round(grun["peak_mib"])
    if "error" in grun:
        row["girth_error"] = grun["error"]
        return row
    est = json.loads(out.read_text())
    gb = np.asarray(est["b"])
    row["girth_rmse_b"] = round(_rmse(gb, b), 4)
    if model == "2pl":
        row["girth_rmse_a"] = round(_rmse(np.asarray(est["a"]), a), 4)
    row["time_ratio_girth_over_bimo"] = round(row["girth_s"] / row["bimo_s"], 2)
    return row


def run(quick: bool) -> dict[str, Any]:
    rng = np.random.default_rng(2026)
    girth_env = _girth_env()
    # Start-up of the whole ``bimo`` CLI (imports of all domains), included in every time.
    startup = _measure([BIMO, "version"])
    rows: list[dict[str, Any]] = [
        {"case": "bimo_version_startup", "bimo_s": round(startup["wall_s"], 2)}
    ]
    sizes = [(2000, 20), (5000, 30)] if quick else [(10_000, 40), (100_000, 60)]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for n, n_items in sizes:
            sim = draw_items(rng, n_items)
            scores = simulate_responses(rng, sim, rng.normal(size=n)).astype(np.float64)
            b = -sim.d[:, 0] / sim.a
            rows.append(_case(tmp, f"2pl_{n}x{n_items}", "2pl", scores, sim.a, b, girth_env))
        # Booklet design: 10 clusters of 30 items, 2 clusters per booklet → 60 of 300 items.
        n, clusters, size, per = (3000, 6, 10, 2) if quick else (50_000, 10, 30, 2)
        sim = draw_items(rng, clusters * size, slopes=False)
        x = rng.normal(size=(n, 4))
        x[:, 3] = (x[:, 3] > 0).astype(float)
        coef = np.array([0.4, -0.3, 0.2, 0.3])
        theta = x @ coef - 0.15 + rng.normal(0, 0.8, n)
        scores = simulate_responses(rng, sim, theta).astype(np.float64)
        scores[~booklet_mask(n, clusters, size, per)] = np.nan
        b = -sim.d[:, 0]
        row = _case(tmp, f"rasch_booklet_{n}x{clusters * size}", "rasch", scores, sim.a, b,
                    girth_env)  # fmt: skip
        bg = tmp / "bg.csv"
        pl.DataFrame({"id": np.arange(n)} | {f"x{j + 1}": x[:, j] for j in range(4)}).write_csv(bg)
        pv_out = tmp / "pv.csv"
        csv, items = tmp / f"{row['case']}.csv", tmp / f"{row['case']}_items.csv"
        pv_run = _measure([BIMO, "scale", "pv", str(csv), "--items", str(items),
                           "--background", str(bg), "--out", str(pv_out), "--n", "10",
                           "--seed", "1"])  # fmt: skip
        row["bimo_pv_s"] = round(pv_run["wall_s"], 2)
        row["bimo_pv_peak_mib"] = round(pv_run["peak_mib"])
        row["bimo_fit_plus_pv_s"] = round(row["bimo_s"] + pv_run["wall_s"], 2)
        if "error" not in pv_run:
            pvs = pl.read_csv(pv_out).select([f"pv{m + 1}" for m in range(10)]).to_numpy()
            design = np.column_stack([np.ones(n), x])
            est = np.mean([np.linalg.lstsq(design, pvs[:, m], rcond=None)[0] for m in range(10)],
                          axis=0)  # fmt: skip
            row["pv_coef_rmse"] = round(_rmse(est[1:], coef), 4)
            row["pv_mean_error"] = round(float(pvs.mean() - theta.mean()), 4)
            row["pv_var_error"] = round(float(pvs.var(axis=0).mean() - theta.var()), 4)
        else:
            row["bimo_pv_error"] = pv_run["error"]
        row["girth_pv"] = "girth hat keine latente Regression / Plausible Values"
        rows.append(row)
    return {"cores": os.cpu_count(), "load_avg_start": os.getloadavg(), "results": rows}
