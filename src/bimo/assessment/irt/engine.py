"""Bock–Aitkin EM on a fixed quadrature grid: E-step as matrix products, batched M-step.

The engine works on a packed parameter vector (free item parameters, free latent means,
log latent variances) so that the EM map x ↦ M(E(x)) can be accelerated by SQUAREM.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bimo.assessment.irt.data import ResponseData
from bimo.assessment.irt.models import PROB_FLOOR, Kind, probabilities, score_terms

FloatArray = NDArray[np.float64]
# float32 or float64, see Engine.dtype
WorkArray = NDArray[np.floating[Any]]
IntArray = NDArray[np.int64]


@dataclass
class Block:
    """Items sharing a kernel and a number of categories (processed as one batch)."""

    kind: Kind
    ncat: int
    index: IntArray  # item positions
    rows: IntArray  # (I_b, K) rows of the one-hot matrix / log-probability table


@dataclass
class Params:
    a: FloatArray
    d: FloatArray  # (I, max m), NaN padded
    mean: FloatArray  # per group
    var: FloatArray  # per group

    def copy(self) -> Params:
        return Params(self.a.copy(), self.d.copy(), self.mean.copy(), self.var.copy())


class Engine:
    """Holds the data in E-step form and implements E-step, M-step and the EM map."""

    def __init__(
        self,
        data: ResponseData,
        kinds: list[Kind],
        free_slope: bool,
        ref_var_free: bool,
        n_nodes: int = 61,
        theta_range: float = 6.0,
        single_precision: bool | None = None,
    ) -> None:
        self.data = data
        self.kinds = kinds
        self.free_slope = free_slope
        self.ref_var_free = ref_var_free
        self.nodes = np.linspace(-theta_range, theta_range, n_nodes)
        n_cells = data.n_persons * int(data.ncat.sum())
        # Large calibrations run the two N × ΣK × Q products in float32 (twice the BLAS
        # throughput, half the memory); sums that matter (log-likelihood, counts) are float64.
        single = n_cells > 2_000_000 if single_precision is None else single_precision
        self.dtype: type[np.floating] = np.float32 if single else np.float64
        self.y, self.offsets = data.indicator(self.dtype)
        self.w = data.weights
        self.n_groups = len(data.group_labels)
        self.group_onehot = np.zeros((data.n_persons, self.n_groups))
        self.group_onehot[np.arange(data.n_persons), data.groups] = 1.0
        self.max_m = int(data.ncat.max()) - 1
        self.blocks: list[Block] = []
        keys = sorted({(kinds[i], int(data.ncat[i])) for i in range(data.n_items)})
        for kind, ncat in keys:
            idx = np.array(
                [i for i in range(data.n_items) if kinds[i] == kind and data.ncat[i] == ncat],
                dtype=np.int64,
            )
            rows = self.offsets[idx][:, None] + np.arange(ncat)[None, :]
            self.blocks.append(Block(kind, ncat, idx, rows))
        self.d_mask = np.arange(self.max_m)[None, :] < (data.ncat[:, None] - 1)

    # ----------------------------------------------------------------- parameters
    def start(self) -> Params:
        """Starting values from marginal category proportions (a = 1)."""
        d = np.full((self.data.n_items, self.max_m), np.nan)
        all_counts = (self.w.astype(self.dtype) @ self.y).astype(np.float64)
        for i in range(self.data.n_items):
            counts = all_counts[self.offsets[i] : self.offsets[i + 1]] + 0.5
            p = counts / counts.sum()
            m = len(p) - 1
            if self.kinds[i] == "grm":
                tail = np.cumsum(p[::-1])[::-1][1:]
                d[i, :m] = np.log(tail / (1 - tail))
            else:
                d[i, :m] = np.log(p[1:] / p[0])
        mean = np.zeros(self.n_groups)
        var = np.ones(self.n_groups)
        return Params(np.ones(self.data.n_items), d, mean, var)

    def pack(self, p: Params) -> FloatArray:
        parts = [p.d[self.d_mask]]
        if self.free_slope:
            parts.insert(0, p.a)
        parts.append(p.mean[1:])
        parts.append(np.log(p.var if self.ref_var_free else p.var[1:]))
        return np.concatenate(parts)

    def unpack(self, x: FloatArray) -> Params:
        n_items, pos = self.data.n_items, 0
        a = np.ones(n_items)
        if self.free_slope:
            a = x[:n_items].copy()
            pos = n_items
        d = np.full((n_items, self.max_m), np.nan)
        n_d = int(self.d_mask.sum())
        d[self.d_mask] = x[pos : pos + n_d]
        pos += n_d
        g = self.n_groups
        mean = np.concatenate([[0.0], x[pos : pos + g - 1]])
        pos += g - 1
        log_var = x[pos:]
        var = np.exp(log_var) if self.ref_var_free else np.concatenate([[1.0], np.exp(log_var)])
        return Params(a, d, mean, var)

    def n_free(self) -> int:
        n_items = self.data.n_items if self.free_slope else 0
        n_var = self.n_groups if self.ref_var_free else self.n_groups - 1
        return n_items + int(self.d_mask.sum()) + self.n_groups - 1 + n_var

    # ----------------------------------------------------------------- E-step
    def log_prior(self, p: Params) -> FloatArray:
        """log π_gq: normal density at the fixed nodes, normalised to sum to one."""
        z = -0.5 * (self.nodes[None, :] - p.mean[:, None]) ** 2 / p.var[:, None]
        z -= np.logaddexp.reduce(z, axis=1, keepdims=True)
        return z

    def log_prob_table(self, p: Params) -> FloatArray:
        """log P_i(k | θ_q) stacked as rows of the one-hot layout: (ΣK, Q)."""
        table = np.empty((int(self.offsets[-1]), self.nodes.size))
        for blk in self.blocks:
            a = p.a[blk.index]
            d = p.d[blk.index, : blk.ncat - 1]
            probs = probabilities(blk.kind, a, d, self.nodes)
            table[blk.rows.ravel()] = np.log(
                np.maximum(probs, PROB_FLOOR).transpose(0, 2, 1).reshape(-1, self.nodes.size)
            )
        return table

    def person_loglik(self, p: Params) -> WorkArray:
        """log L_nq (item part only), N × Q."""
        out: WorkArray = self.y @ self.log_prob_table(p).astype(self.dtype)
        return out

    def posterior(self, p: Params) -> tuple[float, WorkArray]:
        """Marginal log-likelihood and normalised posterior weights (N × Q)."""
        ll = self.person_loglik(p)
        log_prior = self.log_prior(p).astype(self.dtype)
        if self.n_groups == 1:
            ll += log_prior[0]
        else:
            ll += log_prior[self.data.groups]
        top = ll.max(axis=1, keepdims=True)
        np.subtract(ll, top, out=ll)
        # Floor at e^-80 (posterior weight < 2e-35): keeps float32 out of the denormal
        # range, where BLAS is orders of magnitude slower.
        np.maximum(ll, -80.0, out=ll)
        np.exp(ll, out=ll)
        total = ll.sum(axis=1, dtype=np.float64)
        ll *= (1.0 / total)[:, None].astype(self.dtype)
        loglik = float(self.w @ (top[:, 0].astype(np.float64) + np.log(total)))
        return loglik, ll

    def estep(self, p: Params) -> tuple[float, FloatArray, FloatArray, WorkArray]:
        """Log-likelihood, expected counts R (ΣK × Q), group counts C (G × Q), posterior."""
        loglik, post = self.posterior(p)
        weighted = post * self.w[:, None].astype(self.dtype)
        counts: FloatArray = (self.y.T @ weighted).astype(np.float64)
        if self.n_groups == 1:
            group_counts: FloatArray = weighted.sum(axis=0, dtype=np.float64)[None, :]
        else:
            group_counts = self.group_onehot.T @ weighted.astype(np.float64)
        return loglik, counts, group_counts, post

    # ----------------------------------------------------------------- M-step
    def mstep(
        self, p: Params, counts: FloatArray, group_counts: FloatArray, newton_steps: int = 8
    ) -> Params:
        new = p.copy()
        for blk in self.blocks:
            r = counts[blk.rows]  # (I_b, K, Q)
            beta = np.concatenate([p.a[blk.index, None], p.d[blk.index, : blk.ncat - 1]], axis=1)
            beta = self._newton(blk.kind, r, beta, newton_steps)
            new.a[blk.index] = beta[:, 0]
            new.d[blk.index, : blk.ncat - 1] = beta[:, 1:]
        self._mstep_latent(new, group_counts)
        return new

    def _objective(self, kind: Kind, r: FloatArray, beta: FloatArray) -> FloatArray:
        probs = probabilities(kind, beta[:, 0], beta[:, 1:], self.nodes)
        with np.errstate(divide="ignore", invalid="ignore"):
            logp = np.where(probs > 0, np.log(np.where(probs > 0, probs, 1.0)), -np.inf)
            val = np.einsum("ikq,iqk->i", r, np.where(r.transpose(0, 2, 1) > 0, logp, 0.0))
        return np.where(np.isfinite(val), val, -np.inf)

    def _newton(self, kind: Kind, r: FloatArray, beta: FloatArray, steps: int) -> FloatArray:
        """Fisher scoring for each item of the block at once, with step halving."""
        n_q = r.sum(axis=1)  # (I_b, Q)
        n_par = beta.shape[1]
        current = self._objective(kind, r, beta)
        for _ in range(steps):
            probs, grad_log = score_terms(kind, beta[:, 0], beta[:, 1:], self.nodes)
            grad = np.einsum("ikq,iqkp->ip", r, grad_log)
            weighted = grad_log * (probs * n_q[:, :, None])[..., None]
            info = np.einsum("iqkp,iqkr->ipr", weighted, grad_log)
            if not self.free_slope:
                grad[:, 0] = 0.0
                info[:, 0, :] = 0.0
                info[:, :, 0] = 0.0
                info[:, 0, 0] = 1.0
            info += 1e-10 * np.eye(n_par)[None]
            step = np.linalg.solve(info, grad[..., None])[..., 0]
            scale = np.ones(beta.shape[0])
            accepted = np.zeros(beta.shape[0], dtype=bool)
            for _halving in range(12):
                trial = beta + scale[:, None] * step
                value = self._objective(kind, r, trial)
                ok = (value >= current - 1e-12) & ~accepted
                beta[ok] = trial[ok]
                current[ok] = value[ok]
                accepted |= ok
                if accepted.all():
                    break
                scale[~accepted] *= 0.5
            # M-step precision well below the EM tolerance is enough (generalised EM).
            if np.max(np.abs(step)) < 1e-7:
                break
        return beta

    def _mstep_latent(self, p: Params, group_counts: FloatArray) -> None:
        totals = group_counts.sum(axis=1)
        means = group_counts @ self.nodes / totals
        for g in range(self.n_groups):
            mean = 0.0 if g == 0 else float(means[g])
            var = float(group_counts[g] @ (self.nodes - mean) ** 2 / totals[g])
            p.mean[g] = mean
            if g > 0 or self.ref_var_free:
                p.var[g] = max(var, 1e-4)

    # ----------------------------------------------------------------- EM map
    def em_map(self, x: FloatArray) -> tuple[float, FloatArray]:
        """One EM cycle on the packed vector: (log-likelihood at x, next x)."""
        p = self.unpack(x)
        if not (np.all(np.isfinite(x)) and _grm_ordered(p, self.kinds)):
            return -np.inf, x
        loglik, counts, group_counts, _ = self.estep(p)
        if not np.isfinite(loglik):
            return -np.inf, x
        return loglik, self.pack(self.mstep(p, counts, group_counts))


def _grm_ordered(p: Params, kinds: list[Kind]) -> bool:
    grm = np.array([k == "grm" for k in kinds])
    if not grm.any():
        return True
    diffs = np.diff(p.d[grm], axis=1)
    return bool(np.all((diffs < 0) | np.isnan(diffs)))


def squarem(
    em_map: Callable[[FloatArray], tuple[float, FloatArray]],
    x0: FloatArray,
    tol: float,
    max_evals: int,
    accelerate: bool = True,
    progress: Callable[[int, float], None] | None = None,
) -> tuple[FloatArray, float, int, bool]:
    """SQUAREM (Varadhan & Roland 2008, scheme S3) around a monotone EM map.

    Convergence: one plain EM cycle changes no free parameter by more than ``tol``.
    An extrapolated point is kept only if its log-likelihood is at least that of the
    first EM step of the cycle; otherwise the plain second EM step is used, so every
    cycle is at least as good as two EM steps. Returns (x, loglik, EM evaluations, converged).
    """
    x, evals = x0, 0
    loglik = -np.inf
    while evals < max_evals:
        loglik, x1 = em_map(x)
        evals += 1
        if progress is not None:
            progress(evals, loglik)
        if np.max(np.abs(x1 - x)) < tol:
            return x1, loglik, evals, True
        if not accelerate:
            x = x1
            continue
        ll1, x2 = em_map(x1)
        evals += 1
        r = x1 - x
        v = x2 - x1 - r
        norm_v = float(np.linalg.norm(v))
        if norm_v == 0.0 or not np.isfinite(ll1):
            x = x2
            continue
        alpha = min(-float(np.linalg.norm(r)) / norm_v, -1.0)
        x_acc = x - 2 * alpha * r + alpha**2 * v
        ll_acc, x3 = em_map(x_acc)
        evals += 1
        x = x3 if np.isfinite(ll_acc) and ll_acc >= ll1 else x2
    return x, loglik, evals, False
