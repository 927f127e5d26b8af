"""Parameter-recovery study, bigger than the unit tests.

Run: ``python -m bimo.assessment.irt.recovery [REPLICATIONS]``.

For every scenario: bias and RMSE of slopes/intercepts over items × replications, and the
share of 95 % Wald intervals (estimate ± 1.96 SE) covering the generating value. Prints a
Markdown table (results are recorded in docs/irt.md).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import numpy as np

from bimo.assessment.irt.calibrate import FitSettings, fit
from bimo.assessment.irt.data import ResponseData
from bimo.assessment.irt.models import Kind
from bimo.assessment.irt.results import ModelName
from bimo.assessment.irt.simulate import booklet_mask, draw_items, simulate_responses


@dataclass(frozen=True)
class Scenario:
    name: str
    model: ModelName
    n_persons: int
    n_items: int
    ncat: int = 2
    booklet: tuple[int, int, int] | None = None  # clusters, cluster size, clusters per booklet


SCENARIOS = [
    Scenario("2PL", "2pl", 1000, 20),
    Scenario("2PL", "2pl", 5000, 40),
    Scenario("GRM (4 Kat.)", "grm", 2000, 15, ncat=4),
    Scenario("GPCM (3 Kat.)", "gpcm", 2000, 15, ncat=3),
    Scenario("Rasch, Booklets", "rasch", 6000, 60, booklet=(6, 10, 2)),
]


def run_scenario(sc: Scenario, reps: int, seed: int) -> dict[str, float | str]:
    rng = np.random.default_rng(seed)
    kind: Kind = "grm" if sc.model == "grm" else "gpcm"
    items = draw_items(rng, sc.n_items, sc.ncat, kind, slopes=sc.model not in ("rasch", "pcm"))
    err_a, err_d, cover, seconds = [], [], [], []
    for _ in range(reps):
        scores = simulate_responses(rng, items, rng.normal(size=sc.n_persons)).astype(float)
        if sc.booklet is not None:
            scores[~booklet_mask(sc.n_persons, *sc.booklet)] = np.nan
        started = time.perf_counter()
        res = fit(ResponseData.from_array(scores), sc.model, FitSettings(persons=False))
        seconds.append(time.perf_counter() - started)
        ok = np.isfinite(items.d)
        err_d.append((res.items.d - items.d)[ok])
        cover.append((np.abs(res.items.d - items.d) <= 1.96 * res.items.se_d)[ok])
        if sc.model not in ("rasch", "pcm"):
            err_a.append(res.items.a - items.a)
            cover.append(np.abs(res.items.a - items.a) <= 1.96 * res.items.se_a)
    ea = np.concatenate(err_a) if err_a else np.array([np.nan])
    ed = np.concatenate(err_d)
    return {
        "bias_a": float(np.mean(ea)),
        "rmse_a": float(np.sqrt(np.mean(ea**2))),
        "bias_d": float(np.mean(ed)),
        "rmse_d": float(np.sqrt(np.mean(ed**2))),
        "coverage": float(np.mean(np.concatenate(cover))),
        "seconds": float(np.median(seconds)),
        "se_method": res.se_method,
    }


def main(reps: int = 20) -> None:
    print(
        "| Szenario | N | Items | Bias a | RMSE a | Bias d | RMSE d | 95 %-KI-Deckung "
        "| SE | s/Fit |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for k, sc in enumerate(SCENARIOS):
        r = run_scenario(sc, reps, seed=100 + k)
        print(
            f"| {sc.name} | {sc.n_persons} | {sc.n_items} | {r['bias_a']:+.3f} | "
            f"{r['rmse_a']:.3f} | {r['bias_d']:+.3f} | {r['rmse_d']:.3f} | "
            f"{r['coverage']:.3f} | {r['se_method']} | {r['seconds']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
