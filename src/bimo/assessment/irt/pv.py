"""Plausible values from a latent regression with fixed item parameters.

Conditioning model: θ_n ~ N(x_nᵀγ, σ²) with x_n = (1, background variables, group dummies).
γ and σ² are estimated by EM on a fixed grid (item parameters fixed, SQUAREM-accelerated):
E-step: person posterior ∝ L_n(θ_q)·φ(θ_q; x_nᵀγ, σ²); M-step: weighted least squares of the
posterior means on x plus σ² = mean(posterior variance + squared residual).

Each plausible value m: draw γ* ~ N(γ̂, σ̂²(XᵀWX)⁻¹) and σ²* = σ̂²·ν/χ²_ν (ν = N − p), the
approximate posterior of the regression, then θ from the person posterior under (γ*, σ²*):
a grid cell by inverse-CDF sampling and a uniform position inside the cell (the posterior
density is treated as piecewise constant on cells of width h around the nodes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bimo.assessment.irt.data import ResponseData, ResponseDataError
from bimo.assessment.irt.engine import squarem
from bimo.assessment.irt.models import PROB_FLOOR, probabilities
from bimo.assessment.irt.results import ItemParams
from bimo.assessment.irt.threads import blas_threads
from bimo.core.errors import Location

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class PVSettings:
    n_pv: int = 10
    seed: int | None = None
    n_nodes: int = 121
    theta_range: float = 6.0
    tol: float = 1e-6
    max_evals: int = 3000
    blas_threads: int | None = 1  # see FitSettings.blas_threads


@dataclass
class PVResult:
    ids: list[str]
    pvs: FloatArray  # (N, n_pv)
    eap: FloatArray
    eap_sd: FloatArray
    coef_names: list[str]
    coef: FloatArray
    coef_se: FloatArray
    resid_var: float
    loglik: float
    iterations: int
    converged: bool


def person_loglik(items: ItemParams, data: ResponseData, nodes: FloatArray) -> NDArray[np.float32]:
    """log L_n(θ_q) with item parameters fixed (N × Q); not-administered items drop out."""
    if sorted(data.items) != sorted(items.names):
        unknown = [i for i in data.items if i not in items.names]
        absent = [i for i in items.names if i not in data.items]
        name = unknown[0] if unknown else absent[0]
        raise ResponseDataError(
            f"{Location(data.source, column=name).describe()}: die Items der Antwortdatei "
            "stimmen nicht mit ITEMS.csv überein "
            f"({'nicht in ITEMS.csv' if unknown else 'fehlt in der Antwortdatei'})."
        )
    # Columns may come in any order: align them to ITEMS.csv.
    order = [data.items.index(name) for name in items.names]
    scores = data.scores[:, order]
    too_high = scores >= items.ncat[None, :]
    if too_high.any():
        row, col = (int(v[0]) for v in np.nonzero(too_high))
        raise ResponseDataError(
            f"{Location(data.source, row=row + 1, column=items.names[col]).describe()}: "
            f"Wert {int(scores[row, col])} liegt über der höchsten Kategorie des Items."
        )
    # float32 products (one-hot × log-probabilities): errors ~1e-5 on log L, far below what
    # matters for posteriors; sums over persons are float64.
    out = np.zeros((data.n_persons, nodes.size), dtype=np.float32)
    for kind in ("gpcm", "grm"):
        for ncat in np.unique(items.ncat):
            idx = np.flatnonzero((np.array(items.kinds) == kind) & (items.ncat == ncat))
            if idx.size == 0:
                continue
            logp = np.log(
                np.maximum(
                    probabilities(kind, items.a[idx], items.d[idx, : ncat - 1], nodes), PROB_FLOOR
                )
            )  # (I_b, Q, K)
            y = np.zeros((data.n_persons, idx.size * int(ncat)), dtype=np.float32)
            for j, item in enumerate(idx):
                for k in range(int(ncat)):
                    y[:, j * int(ncat) + k] = scores[:, item] == k
            table = logp.transpose(0, 2, 1).reshape(-1, nodes.size).astype(np.float32)
            out += y @ table
    return out


class _Regression:
    """EM map for (γ, log σ²) given the fixed likelihood on the grid."""

    def __init__(
        self,
        like: NDArray[np.float32],
        offset: FloatArray,
        x: FloatArray,
        w: FloatArray,
        nodes: FloatArray,
    ) -> None:
        self.like, self.offset, self.x, self.w, self.nodes = like, offset, x, w, nodes
        self.nodes32 = nodes.astype(np.float32)
        self.xtwx_inv = np.linalg.pinv(x.T @ (x * w[:, None]))

    def posterior(self, gamma: FloatArray, var: float) -> tuple[float, NDArray[np.float32]]:
        """Person posteriors on the grid (float32, weights floored at e^-80 to avoid
        denormals) and the marginal log-likelihood (float64 sums)."""
        mu = (self.x @ gamma).astype(np.float32)
        z = self.nodes32[None, :] - mu[:, None]
        z *= z
        z *= np.float32(-0.5 / var)
        np.maximum(z, np.float32(-80.0), out=z)
        prior = np.exp(z)
        prior_sum = prior.sum(axis=1, dtype=np.float64)
        prior *= self.like
        total = prior.sum(axis=1, dtype=np.float64)
        prior *= (1.0 / np.maximum(total, 1e-300)).astype(np.float32)[:, None]
        loglik = float(
            self.w @ (np.log(np.maximum(total, 1e-300)) - np.log(prior_sum) + self.offset)
        )
        return loglik, prior

    def em_map(self, packed: FloatArray) -> tuple[float, FloatArray]:
        gamma, var = packed[:-1], float(np.exp(packed[-1]))
        loglik, post = self.posterior(gamma, var)
        mean = (post @ self.nodes32).astype(np.float64)
        pvar = (post @ self.nodes32**2).astype(np.float64) - mean**2
        new_gamma = self.xtwx_inv @ (self.x.T @ (self.w * mean))
        resid = mean - self.x @ new_gamma
        new_var = float(self.w @ (pvar + resid**2) / self.w.sum())
        return loglik, np.concatenate([new_gamma, [np.log(max(new_var, 1e-6))]])


def plausible_values(
    items: ItemParams,
    data: ResponseData,
    background: FloatArray,
    names: list[str],
    settings: PVSettings | None = None,
) -> PVResult:
    """Estimate the conditioning model and draw ``n_pv`` plausible values per person.

    ``background`` holds the background variables (N × p, without intercept, already dummy
    coded); group membership of ``data`` is added as dummies (first group = reference).
    """
    cfg = settings or PVSettings()
    with blas_threads(cfg.blas_threads):
        return _plausible_values(items, data, background, names, cfg)


def _plausible_values(
    items: ItemParams,
    data: ResponseData,
    background: FloatArray,
    names: list[str],
    cfg: PVSettings,
) -> PVResult:
    rng = np.random.default_rng(cfg.seed)
    nodes = np.linspace(-cfg.theta_range, cfg.theta_range, cfg.n_nodes)
    step = nodes[1] - nodes[0]
    loglik = person_loglik(items, data, nodes)
    offset = loglik.max(axis=1).astype(np.float64)
    like = loglik - offset[:, None].astype(np.float32)
    np.maximum(like, np.float32(-80.0), out=like)
    np.exp(like, out=like)
    cols = [np.ones(data.n_persons), *background.T]
    coef_names = ["(Intercept)", *names]
    for g in range(1, len(data.group_labels)):
        cols.append((data.groups == g).astype(np.float64))
        coef_names.append(f"group={data.group_labels[g]}")
    x = np.column_stack(cols)
    w = data.weights * (data.n_persons / data.weights.sum())
    reg = _Regression(like, offset, x, w, nodes)
    start = np.zeros(x.shape[1] + 1)
    packed, ll, evals, converged = squarem(reg.em_map, start, cfg.tol, cfg.max_evals)
    gamma, var = packed[:-1], float(np.exp(packed[-1]))
    ll, post = reg.posterior(gamma, var)
    post64 = post.astype(np.float64)
    eap = post64 @ nodes
    eap_sd = np.sqrt(np.maximum(post64 @ nodes**2 - eap**2, 0.0))
    cov = var * reg.xtwx_inv
    dof = max(data.n_persons - x.shape[1], 1)
    pvs = np.empty((data.n_persons, cfg.n_pv))
    chol = np.linalg.cholesky(cov + 1e-12 * np.eye(cov.shape[0]))
    for m in range(cfg.n_pv):
        gamma_m = gamma + chol @ rng.standard_normal(gamma.size)
        var_m = var * dof / rng.chisquare(dof)
        _, post_m = reg.posterior(gamma_m, var_m)
        cdf = np.cumsum(post_m, axis=1, dtype=np.float64)
        u = rng.random(data.n_persons) * cdf[:, -1]
        cell = np.minimum((cdf < u[:, None]).sum(axis=1), nodes.size - 1)
        pvs[:, m] = nodes[cell] + (rng.random(data.n_persons) - 0.5) * step
    return PVResult(
        ids=list(data.ids),
        pvs=pvs,
        eap=eap,
        eap_sd=eap_sd,
        coef_names=coef_names,
        coef=gamma,
        coef_se=np.sqrt(np.diag(cov)),
        resid_var=var,
        loglik=ll,
        iterations=evals,
        converged=converged,
    )
