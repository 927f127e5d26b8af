"""Define model → fit → results: the public entry point of the calibration engine."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from bimo.assessment.irt.data import ResponseData
from bimo.assessment.irt.engine import Engine, squarem
from bimo.assessment.irt.inference import standard_errors, unpack_se
from bimo.assessment.irt.models import Kind
from bimo.assessment.irt.results import (
    FitResult,
    ItemParams,
    LatentDistribution,
    ModelName,
)
from bimo.assessment.irt.scoring import item_fit, score_persons
from bimo.assessment.irt.threads import blas_threads

SeMethod = Literal["auto", "oakes", "crossprod", "none"]


@dataclass(frozen=True)
class FitSettings:
    """All knobs of a calibration (defaults follow mirt where sensible).

    ``tol``: convergence when one plain EM cycle moves no free parameter (slopes,
    intercepts, latent means, log latent variances) by more than ``tol`` (1e-4 as mirt's
    default; with SQUAREM the remaining distance to the optimum is far below the SEs).
    ``se_method``: ``oakes`` = observed information by central differences of the analytic
    marginal score (Fisher identity); ``crossprod`` = sum of per-person score outer
    products; ``auto`` uses ``oakes`` while its cost (2 × free parameters E-steps) stays
    below ``oakes_budget`` person-item-parameter units, else ``crossprod``.
    """

    n_nodes: int = 61
    theta_range: float = 6.0
    tol: float = 1e-4
    max_evals: int = 5000
    accelerate: bool = True
    newton_steps: int = 8
    se_method: SeMethod = "auto"
    oakes_budget: float = 3e7
    persons: bool = True
    item_fit: bool = True
    # BLAS threads during the fit (None: OpenBLAS default). One thread was faster for every
    # size measured on the shared 2-core machine (100 000 × 60 2PL: 5.2 s vs 8.5 s), because
    # the E-step is memory-bound and spinning BLAS threads compete with other processes.
    blas_threads: int | None = 1


def item_kinds(model: ModelName, ncat: np.ndarray) -> tuple[list[Kind], list[str]]:
    """Kernel and the ITEMS.csv model label of every item for a requested model."""
    kinds: list[Kind] = []
    labels: list[str] = []
    for k in ncat:
        dich = int(k) == 2
        kinds.append("grm" if model == "grm" and not dich else "gpcm")
        if model in ("rasch", "pcm"):
            labels.append("rasch" if dich else "pcm")
        elif model == "1pl":
            labels.append("1pl")
        elif model in ("2pl", "gpcm"):
            labels.append("2pl" if dich else "gpcm")
        else:
            labels.append("2pl" if dich else "grm")
    return kinds, labels


def fit(
    data: ResponseData,
    model: ModelName = "2pl",
    settings: FitSettings | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> FitResult:
    """Calibrate ``model`` on ``data`` by marginal ML (Bock–Aitkin EM + SQUAREM).

    Rasch/PCM: slopes 1, latent variance of the reference group free. 1PL: estimated as
    Rasch and re-expressed with the common slope a = σ_ref and reference variance 1 (the
    two parametrisations have the same likelihood). 2PL/GPCM/GRM: reference group N(0, 1).
    Further groups always get free means and variances.
    """
    cfg = settings or FitSettings()
    with blas_threads(cfg.blas_threads):
        return _fit(data, model, cfg, progress)


def _fit(
    data: ResponseData,
    model: ModelName,
    cfg: FitSettings,
    progress: Callable[[int, float], None] | None,
) -> FitResult:
    started = time.perf_counter()
    kinds, labels = item_kinds(model, data.ncat)
    fixed_slope = model in ("rasch", "1pl", "pcm")
    engine = Engine(
        data,
        kinds,
        free_slope=not fixed_slope,
        ref_var_free=fixed_slope,
        n_nodes=cfg.n_nodes,
        theta_range=cfg.theta_range,
    )
    x0 = engine.pack(engine.start())
    x, loglik, evals, converged = squarem(
        engine.em_map, x0, cfg.tol, cfg.max_evals, cfg.accelerate, progress
    )
    params = engine.unpack(x)
    loglik, _, _, post32 = engine.estep(params)
    post = post32.astype(np.float64)
    se_x, se_method = standard_errors(engine, x, cfg.se_method, cfg.oakes_budget)
    se = unpack_se(engine, x, se_x) if se_x is not None else None
    items = ItemParams(
        names=list(data.items),
        labels=labels,
        kinds=kinds,
        ncat=data.ncat.copy(),
        a=params.a.copy(),
        d=params.d.copy(),
    )
    if se is not None:
        items.se_a = se.a
        items.se_d = se.d
    mean, var = params.mean.copy(), params.var.copy()
    nodes = engine.nodes
    if model == "1pl":
        # θ_rasch = σ·θ*: slope a = σ_ref on the N(0, 1) reference metric.
        sigma = float(np.sqrt(var[0]))
        items.a = np.full(data.n_items, sigma)
        if se is not None:
            items.se_a = np.full(data.n_items, float(se.var[0]) / (2.0 * sigma))
        mean, var, nodes = mean / sigma, var / var[0], nodes / sigma
    persons = None
    if cfg.persons or cfg.item_fit:
        scored = score_persons(items, data, post, nodes)
        if cfg.item_fit:
            items.infit, items.outfit = item_fit(items, data, scored.wle)
        persons = scored if cfg.persons else None
    return FitResult(
        model=model,
        items=items,
        latent=LatentDistribution(list(data.group_labels), mean, var),
        loglik=loglik,
        n_params=engine.n_free(),
        n_persons=data.n_persons,
        iterations=evals,
        converged=converged,
        seconds=time.perf_counter() - started,
        se_method=se_method,
        persons=persons,
    )
