"""Standard errors from the information matrix of the marginal log-likelihood.

Two methods (the one used is reported as ``se_method``):

* ``oakes`` – observed information. The marginal score is computed analytically through the
  Fisher identity (∇ℓ(x) = expected complete-data score under the posterior at x); its
  Jacobian is taken by central differences, i.e. a numerical Hessian of ℓ with analytic
  gradient (equivalent to Oakes' 1999 identity). Accurate for any N; costs 2 E-steps per
  free parameter.
* ``crossprod`` – the cross-product (empirical information) Σ_n w_n s_n s_nᵀ of the per-person
  marginal scores s_n. One pass over the data; consistent for large N (used for large
  calibrations where the Hessian would dominate run time).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bimo.assessment.irt.engine import Engine, Params
from bimo.assessment.irt.models import score_terms

FloatArray = NDArray[np.float64]
CHUNK = 16384


def _latent_score_terms(engine: Engine, p: Params) -> tuple[FloatArray, FloatArray]:
    """∂ log π_gq / ∂μ_g and ∂ log π_gq / ∂ log σ²_g for the normalised discrete prior."""
    prior = np.exp(engine.log_prior(p))
    dev = engine.nodes[None, :] - p.mean[:, None]
    d_mu = dev / p.var[:, None]
    d_mu -= (prior * d_mu).sum(axis=1, keepdims=True)
    d_lv = 0.5 * dev**2 / p.var[:, None]
    d_lv -= (prior * d_lv).sum(axis=1, keepdims=True)
    return d_mu, d_lv


def _positions(engine: Engine) -> tuple[FloatArray, FloatArray, int]:
    """Packed-vector positions of every (item, parameter); −1 for fixed parameters."""
    n = engine.n_free()
    codes = np.arange(n, dtype=np.float64)
    n_items = engine.data.n_items
    pos_a = codes[:n_items].copy() if engine.free_slope else np.full(n_items, -1.0)
    start = n_items if engine.free_slope else 0
    pos_d = np.full((n_items, engine.max_m), -1.0)
    n_d = int(engine.d_mask.sum())
    pos_d[engine.d_mask] = codes[start : start + n_d]
    return pos_a, pos_d, start + n_d


def marginal_score(engine: Engine, x: FloatArray) -> FloatArray:
    """Analytic gradient of the marginal log-likelihood with respect to the packed vector."""
    p = engine.unpack(x)
    _, counts, group_counts, _ = engine.estep(p)
    grad = np.zeros_like(x)
    pos_a, pos_d, n_item_par = _positions(engine)
    for blk in engine.blocks:
        _, g_log = score_terms(
            blk.kind, p.a[blk.index], p.d[blk.index, : blk.ncat - 1], engine.nodes
        )
        block_grad = np.einsum("ikq,iqkp->ip", counts[blk.rows], g_log)
        pos = np.concatenate([pos_a[blk.index, None], pos_d[blk.index, : blk.ncat - 1]], axis=1)
        free = pos >= 0
        np.add.at(grad, pos[free].astype(np.int64), block_grad[free])
    d_mu, d_lv = _latent_score_terms(engine, p)
    g = engine.n_groups
    grad[n_item_par : n_item_par + g - 1] = (group_counts * d_mu).sum(axis=1)[1:]
    lv = (group_counts * d_lv).sum(axis=1)
    grad[n_item_par + g - 1 :] = lv if engine.ref_var_free else lv[1:]
    return grad


def oakes_information(engine: Engine, x: FloatArray) -> FloatArray:
    """Observed information −∂²ℓ/∂x² by central differences of the analytic score."""
    n = x.size
    hess = np.empty((n, n))
    for j in range(n):
        h = 1e-4 * max(1.0, abs(float(x[j])))
        up, down = x.copy(), x.copy()
        up[j] += h
        down[j] -= h
        hess[:, j] = (marginal_score(engine, up) - marginal_score(engine, down)) / (2 * h)
    info: FloatArray = -0.5 * (hess + hess.T)
    return info


def crossprod_information(engine: Engine, x: FloatArray) -> FloatArray:
    """Σ_n w_n s_n s_nᵀ with per-person marginal scores s_n (posterior-expected).

    For parameter slot j (0 = slope, j ≥ 1 = intercept d_j) the score of person n for item i
    is Σ_q post_nq ∂log P_i(x_ni | θ_q)/∂β_ij: one product post · G_j (N × ΣK), masked by
    the one-hot responses and summed within items.
    """
    p = engine.unpack(x)
    n = x.size
    _, post_work = engine.posterior(p)
    pos_a, pos_d, n_item_par = _positions(engine)
    pos = np.concatenate([pos_a[:, None], pos_d], axis=1).astype(np.int64)  # (I, 1 + m)
    n_slots = pos.shape[1]
    n_rows = int(engine.offsets[-1])
    tables = np.zeros((n_slots, n_rows, engine.nodes.size))
    for blk in engine.blocks:
        _, g_log = score_terms(
            blk.kind, p.a[blk.index], p.d[blk.index, : blk.ncat - 1], engine.nodes
        )  # (I_b, Q, K, K)
        for j in range(blk.ncat):
            tables[j, blk.rows.ravel()] = (
                g_log[..., j].transpose(0, 2, 1).reshape(-1, engine.nodes.size)
            )
    slots = [j for j in range(n_slots) if (pos[:, j] >= 0).any()]
    # Same precision as the E-step (float32 for large data); the outer products are float64.
    work_tables = [np.ascontiguousarray(tables[j].T, dtype=engine.dtype) for j in range(n_slots)]
    d_mu, d_lv = _latent_score_terms(engine, p)
    info = np.zeros((n, n))
    groups = engine.data.groups
    starts = engine.offsets[:-1]
    for lo in range(0, engine.data.n_persons, CHUNK):
        hi = min(lo + CHUNK, engine.data.n_persons)
        post_c = post_work[lo:hi]
        y_c = engine.y[lo:hi]
        scores = np.zeros((hi - lo, n))
        for j in slots:
            per_cat = post_c @ work_tables[j]  # (n, ΣK)
            per_cat *= y_c
            item_scores = np.add.reduceat(per_cat, starts, axis=1)  # (n, I)
            ok = pos[:, j] >= 0
            scores[:, pos[ok, j]] = item_scores[:, ok]
        g_c = groups[lo:hi]
        for g in range(engine.n_groups):
            in_g = g_c == g
            if g > 0:
                scores[in_g, n_item_par + g - 1] = post_c[in_g] @ d_mu[g].astype(engine.dtype)
            col = n_item_par + engine.n_groups - 1 + (g if engine.ref_var_free else g - 1)
            if engine.ref_var_free or g > 0:
                scores[in_g, col] = post_c[in_g] @ d_lv[g].astype(engine.dtype)
        info += scores.T @ (scores * engine.w[lo:hi, None])
    return info


def standard_errors(
    engine: Engine, x: FloatArray, method: str, budget: float
) -> tuple[FloatArray | None, str]:
    """SEs of the packed vector and the method actually used."""
    if method == "none":
        return None, "none"
    if method == "auto":
        cost = 2.0 * x.size * engine.data.n_persons * float(engine.offsets[-1])
        method = "oakes" if cost <= budget else "crossprod"
    info = oakes_information(engine, x) if method == "oakes" else crossprod_information(engine, x)
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(info)
    diag = np.diag(cov)
    se = np.where(diag > 0, np.sqrt(np.abs(diag)), np.nan)
    return se, method


def unpack_se(engine: Engine, x: FloatArray, se_x: FloatArray) -> Params:
    """SEs in natural units (variances via the delta method from log-variances)."""
    p = engine.unpack(x)
    pos_a, pos_d, n_item_par = _positions(engine)
    se_a = np.where(pos_a >= 0, se_x[np.maximum(pos_a, 0).astype(np.int64)], np.nan)
    se_d = np.where(pos_d >= 0, se_x[np.maximum(pos_d, 0).astype(np.int64)], np.nan)
    se_d[~engine.d_mask] = np.nan
    g = engine.n_groups
    se_mean = np.concatenate([[np.nan], se_x[n_item_par : n_item_par + g - 1]])
    se_lv = se_x[n_item_par + g - 1 :]
    if not engine.ref_var_free:
        se_lv = np.concatenate([[np.nan], se_lv])
    return Params(se_a, se_d, se_mean, p.var * se_lv)
