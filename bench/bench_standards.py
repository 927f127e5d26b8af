"""Benchmark linking, standards shares, fair comparison and MH DIF (in-process, wall time).

Also two accuracy checks: recovery of known linking constants from noisy anchors, and a Monte
Carlo comparison of the jackknife SE (JK1 over schools) with the empirical SD of the estimates
over repeated two-stage samples (one "PV" equal to the true score, so that only the sampling
variance is checked; Rubin's combination is verified by hand in the unit tests).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from bimo.assessment.dif import mantel_haenszel
from bimo.assessment.standards import (
    ItemParams,
    fair_comparison,
    link,
    load_level_model,
    standards_table,
)


def _timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def _cohort(
    rng: np.random.Generator, schools: int, per: int, pvs: int, measurement_sd: float = 30.0
) -> tuple[Any, ...]:
    school = np.repeat(np.arange(schools), per)
    ses = rng.normal(0, 1, school.size)
    true = 500 + rng.normal(0, 35, schools)[school] + 25 * ses + rng.normal(0, 90, school.size)
    values = true[:, None] + rng.normal(0, measurement_sd, (school.size, pvs))
    return values, school, ses


def bench_link(quick: bool) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    k = 20 if quick else 40
    big_a, big_b = 1.15, 0.35
    ref, new = [], []
    for j in range(k):
        a = float(rng.uniform(0.7, 1.9))
        if j % 4 == 3:
            b = np.sort(rng.normal(0, 1, 3))
            item = ItemParams(f"g{j}", "grm", a, tuple(float(-a * x) for x in b))
        else:
            item = ItemParams(f"i{j}", "2pl", a, (float(-a * rng.normal()),))
        ref.append(item)
        shift = a * big_b
        noise = float(rng.normal(0, 0.05))
        new.append(
            ItemParams(
                item.item, item.model, a * big_a, tuple(d + shift - a * noise for d in item.d)
            )
        )
    out: dict[str, Any] = {"anchors": k, "true_A": big_a, "true_B": big_b}
    for method in ("mean-mean", "mean-sigma", "haebara", "stocking-lord"):
        res, secs = _timed(link, ref, new, method)
        out[method] = {
            "seconds_incl_jackknife": round(secs, 3),
            "A": round(res.big_a, 4),
            "B": round(res.big_b, 4),
            "se_B_jackknife": round(res.se_b_jackknife, 4),
        }
    return out


def bench_standards(quick: bool) -> dict[str, Any]:
    rng = np.random.default_rng(2)
    schools, per, m = (100, 20, 5) if quick else (1500, 25, 10)
    values, school, _ = _cohort(rng, schools, per, m)
    model = load_level_model("primar_deutsch_lesen")
    groups = [(f"Land{s % 16:02d}",) for s in school]
    out: dict[str, Any] = {"students": int(school.size), "schools": schools, "pvs": m, "groups": 16}
    for scheme in ("jk1", "jk2"):
        _, secs = _timed(
            standards_table,
            values,
            np.ones(school.size),
            groups,
            school,
            model,
            min_cell=5,
            scheme=scheme,
        )
        out[f"seconds_{scheme}"] = round(secs, 3)
    return out


def bench_jackknife_coverage(quick: bool) -> dict[str, Any]:
    rng = np.random.default_rng(3)
    reps = 20 if quick else 150
    model = load_level_model("primar_deutsch_lesen")
    means: list[float] = []
    below: list[float] = []
    se_means: list[float] = []
    se_below: list[float] = []
    for _ in range(reps):
        values, school, _ = _cohort(rng, 80, 20, 1, measurement_sd=0.0)
        rows = standards_table(values, np.ones(school.size), None, school, model, min_cell=5)
        by = {r.statistic: r for r in rows}
        # No group is suppressed here (1 600 students), so every value is a float.
        means.append(float(by["mean"].estimate or 0.0))
        se_means.append(float(by["mean"].se or 0.0))
        below.append(float(by["below_minimum"].estimate or 0.0))
        se_below.append(float(by["below_minimum"].se or 0.0))
    return {
        "replications": reps,
        "mean_empirical_sd": round(float(np.std(means, ddof=1)), 3),
        "mean_avg_jackknife_se": round(float(np.mean(se_means)), 3),
        "below_min_empirical_sd": round(float(np.std(below, ddof=1)), 3),
        "below_min_avg_jackknife_se": round(float(np.mean(se_below)), 3),
    }


def bench_fair(quick: bool) -> dict[str, Any]:
    rng = np.random.default_rng(4)
    schools, per, m = (100, 20, 5) if quick else (1500, 25, 10)
    values, school, ses = _cohort(rng, schools, per, m)
    names = [f"S{s}" for s in school]
    cov = ses[:, None]
    rows, secs = _timed(fair_comparison, values, cov, cov, names)
    outside = sum(r.classification != "within" for r in rows)
    return {
        "students": int(school.size),
        "schools": schools,
        "pvs": m,
        "seconds": round(secs, 3),
        "share_outside_interval": round(outside / len(rows), 3),
    }


def bench_dif(quick: bool) -> dict[str, Any]:
    rng = np.random.default_rng(5)
    n, items = (2000, 20) if quick else (20000, 40)
    focal = np.arange(n) >= n // 2
    theta = rng.normal(0, 1, n) - 0.3 * focal
    b = np.linspace(-2, 2, items)
    shift = np.zeros((n, items))
    shift[focal, 5] = 0.8
    resp = (rng.random((n, items)) < 1 / (1 + np.exp(-(theta[:, None] - b - shift)))).astype(float)
    resp[::2, : items // 4] = np.nan  # two booklets
    res, secs = _timed(mantel_haenszel, resp, focal, [f"i{j}" for j in range(items)])
    return {
        "persons": n,
        "items": items,
        "seconds": round(secs, 3),
        "planted_item_class": res[5].ets_class,
        "c_items": sum(r.ets_class.startswith("C") for r in res),
    }


def run(quick: bool) -> dict[str, Any]:
    return {
        "link": bench_link(quick),
        "standards": bench_standards(quick),
        "jackknife_coverage": bench_jackknife_coverage(quick),
        "fair": bench_fair(quick),
        "dif": bench_dif(quick),
    }
