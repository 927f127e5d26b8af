"""Person estimates (EAP, Warm's WLE) and item fit (infit/outfit MNSQ).

* EAP and posterior SD come from the final E-step posterior on the quadrature grid.
* WLE (Warm 1989) solves S(θ) + J(θ)/(2 I(θ)) = 0 by Fisher-scoring steps, per person, over
  the items the person answered; the SE is 1/√I(θ̂). Bounded to [−WLE_BOUND, WLE_BOUND].
* Item fit uses WLE-based residuals: z = (x − E[X|θ̂]) / √Var[X|θ̂];
  outfit = weighted mean of z², infit = Σ w (x − E)² / Σ w Var (information-weighted).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from bimo.assessment.irt.data import ResponseData
from bimo.assessment.irt.models import PROB_FLOOR, Kind, probabilities, theta_derivatives
from bimo.assessment.irt.results import ItemParams, PersonEstimates

FloatArray = NDArray[np.float64]
WLE_BOUND = 8.0
_CELLS = 4_000_000  # persons × items × categories per chunk (bounds memory)


def _blocks(items: ItemParams) -> list[tuple[Kind, int, NDArray[np.int64]]]:
    keys = sorted({(items.kinds[i], int(items.ncat[i])) for i in range(items.n_items)})
    return [
        (
            kind,
            ncat,
            np.array(
                [
                    i
                    for i in range(items.n_items)
                    if items.kinds[i] == kind and items.ncat[i] == ncat
                ],
                dtype=np.int64,
            ),
        )
        for kind, ncat in keys
    ]


def _chunks(n: int, items: ItemParams) -> Iterator[slice]:
    size = max(256, _CELLS // max(1, int(items.ncat.sum())))
    for lo in range(0, n, size):
        yield slice(lo, min(lo + size, n))


def _wle_terms(
    items: ItemParams, scores: NDArray[np.int16], theta: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Score S, test information I and Warm's J at theta for one chunk of persons."""
    s = np.zeros(theta.size)
    info = np.zeros(theta.size)
    j_term = np.zeros(theta.size)
    for kind, ncat, idx in _blocks(items):
        probs, d1, d2 = theta_derivatives(kind, items.a[idx], items.d[idx, : ncat - 1], theta)
        x = scores[:, idx].T  # (I_b, n)
        obs = x >= 0
        safe = np.maximum(probs, PROB_FLOOR)
        chosen = np.take_along_axis(
            d1 / safe, np.maximum(x, 0)[:, :, None].astype(np.int64), axis=2
        )[:, :, 0]
        s += np.where(obs, chosen, 0.0).sum(axis=0)
        info += np.where(obs, (d1**2 / safe).sum(axis=2), 0.0).sum(axis=0)
        j_term += np.where(obs, (d1 * d2 / safe).sum(axis=2), 0.0).sum(axis=0)
    return s, info, j_term


def wle(
    items: ItemParams, data: ResponseData, start: FloatArray | None = None, max_iter: int = 60
) -> tuple[FloatArray, FloatArray]:
    """Warm's weighted likelihood estimates and their SEs (vectorised over persons).

    Newton starts at ``start`` (the EAP when called from a calibration), which is close to
    the WLE for all but extreme response patterns and so needs only a few iterations.
    """
    est = np.zeros(data.n_persons)
    se = np.zeros(data.n_persons)
    for part in _chunks(data.n_persons, items):
        scores = data.scores[part]
        theta = np.zeros(scores.shape[0]) if start is None else start[part].copy()
        info_all = np.ones(theta.size)
        active = np.ones(theta.size, dtype=bool)
        for _ in range(max_iter):
            s, info, j_term = _wle_terms(items, scores[active], theta[active])
            info_all[active] = info
            step = np.clip((s + j_term / (2.0 * info)) / info, -1.0, 1.0)
            new = np.clip(theta[active] + step, -WLE_BOUND, WLE_BOUND)
            done = np.abs(new - theta[active]) < 1e-6
            theta[active] = new
            active[np.flatnonzero(active)[done]] = False
            if not active.any():
                break
        est[part] = theta
        # Information at the last Newton point; the final step is below the tolerance or,
        # after a grid start, a polishing step of order 1e-3, so the SE is unaffected.
        se[part] = 1.0 / np.sqrt(info_all)
    return est, se


def wle_grid_start(items: ItemParams, data: ResponseData, step: float = 0.1) -> FloatArray:
    """Bracket Warm's estimating equation on a grid with matrix products, interpolate.

    S(θ), I(θ) and J(θ) are linear in the response indicators, so on a grid they are
    three matrix products; the root of S + J/(2I) is then found by linear interpolation
    in the first sign change. This replaces most Newton iterations for large N.
    """
    grid = np.arange(-WLE_BOUND, WLE_BOUND + step / 2, step)
    offsets = np.concatenate([[0], np.cumsum(items.ncat)]).astype(np.int64)
    t_s = np.zeros((int(offsets[-1]), grid.size))
    t_i = np.zeros((items.n_items, grid.size))
    t_j = np.zeros((items.n_items, grid.size))
    for kind, ncat, idx in _blocks(items):
        probs, d1, d2 = theta_derivatives(kind, items.a[idx], items.d[idx, : ncat - 1], grid)
        safe = np.maximum(probs, PROB_FLOOR)
        rows = (offsets[idx][:, None] + np.arange(ncat)[None, :]).ravel()
        t_s[rows] = (d1 / safe).transpose(0, 2, 1).reshape(-1, grid.size)
        t_i[idx] = (d1**2 / safe).sum(axis=2)
        t_j[idx] = (d1 * d2 / safe).sum(axis=2)
    t_s32, t_i32, t_j32 = (t.astype(np.float32) for t in (t_s, t_i, t_j))
    out = np.empty(data.n_persons)
    for part in _chunks(data.n_persons, items):
        x = data.scores[part]
        obs = x >= 0
        y = np.zeros((x.shape[0], int(offsets[-1])), dtype=np.float32)
        r, c = np.nonzero(obs)
        y[r, offsets[c] + x[r, c]] = 1.0
        obs32 = obs.astype(np.float32)
        info = obs32 @ t_i32
        f = (y @ t_s32) + (obs32 @ t_j32) / (2.0 * info)
        positive = f > 0
        crossing = positive[:, :-1] & ~positive[:, 1:]
        j = crossing.argmax(axis=1)
        has = crossing.any(axis=1)
        rows = np.arange(x.shape[0])
        f0, f1 = f[rows, j].astype(np.float64), f[rows, j + 1].astype(np.float64)
        theta = grid[j] + step * f0 / np.where(f0 - f1 > 0, f0 - f1, 1.0)
        theta = np.where(has, theta, np.where(positive[:, 0], WLE_BOUND, -WLE_BOUND))
        out[part] = theta
    return out


def score_persons(
    items: ItemParams, data: ResponseData, post: FloatArray, nodes: FloatArray
) -> PersonEstimates:
    """EAP/SD from the posterior on ``nodes`` plus WLE/SE."""
    eap = post @ nodes
    eap_sd = np.sqrt(np.maximum(post @ nodes**2 - eap**2, 0.0))
    est, se = wle(items, data, start=wle_grid_start(items, data), max_iter=2)
    return PersonEstimates(
        ids=list(data.ids),
        group=[data.group_labels[g] for g in data.groups],
        wle=est,
        wle_se=se,
        eap=eap,
        eap_sd=eap_sd,
    )


def item_fit(
    items: ItemParams, data: ResponseData, theta: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Infit and outfit mean squares from residuals at the person estimates ``theta``."""
    sq_res = np.zeros(items.n_items)
    var_sum = np.zeros(items.n_items)
    z2_sum = np.zeros(items.n_items)
    w_sum = np.zeros(items.n_items)
    ok = np.isfinite(theta)
    for part in _chunks(data.n_persons, items):
        scores = data.scores[part]
        w = data.weights[part] * ok[part]
        th = np.where(ok[part], theta[part], 0.0)
        for kind, ncat, idx in _blocks(items):
            probs = probabilities(kind, items.a[idx], items.d[idx, : ncat - 1], th)
            k = np.arange(ncat, dtype=np.float64)
            mean = probs @ k  # (I_b, n)
            var = probs @ k**2 - mean**2
            x = scores[:, idx].T
            obs = (x >= 0) * w[None, :]
            res2 = (x - mean) ** 2
            sq_res[idx] += (obs * res2).sum(axis=1)
            var_sum[idx] += (obs * var).sum(axis=1)
            z2_sum[idx] += (obs * res2 / np.maximum(var, 1e-12)).sum(axis=1)
            w_sum[idx] += obs.sum(axis=1)
    return sq_res / var_sum, z2_sum / w_sum
