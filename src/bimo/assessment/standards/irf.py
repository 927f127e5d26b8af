"""Item response functions for the models of ITEMS.csv (slope–intercept form).

Only what linking needs: category probabilities and expected item scores on a θ grid. The
conventions are those of ``bimo scale fit`` (``bimo.assessment.irt``), i.e. mirt's:

* ``grm`` (cumulative kernel): logit P(X ≥ k) = a·θ + d_k, k = 1…K (d decreasing).
* every other model — rasch, 1pl, 2pl, pcm, gpcm — (divide-by-total kernel): with d_0 = 0,
  P(X = k) ∝ exp(a·k·θ + d_k). For a dichotomous item both kernels are logit P(X = 1) = a·θ + d1.
  The step (adjacent-category) logit is a·θ + (d_k − d_{k−1}).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

CUMULATIVE_MODELS = frozenset({"grm"})
DIVIDE_BY_TOTAL_MODELS = frozenset({"rasch", "1pl", "2pl", "pcm", "gpcm"})
ALL_MODELS = CUMULATIVE_MODELS | DIVIDE_BY_TOTAL_MODELS
# Models whose slope is fixed at 1 by definition: linking must not rescale them (A = 1).
FIXED_SLOPE_MODELS = frozenset({"rasch", "pcm"})


@dataclass(frozen=True)
class ItemParams:
    """One item in slope–intercept form."""

    item: str
    model: str
    a: float
    d: tuple[float, ...]

    @property
    def n_categories(self) -> int:
        return len(self.d) + 1

    @property
    def cumulative(self) -> bool:
        return self.model in CUMULATIVE_MODELS

    @property
    def thresholds(self) -> FloatArray:
        """Difficulty form: b_k = −d_k/a (GRM, dichotomous b) or the step difficulties
        b_k = −(d_k − d_{k−1})/a of the divide-by-total kernel."""
        d = np.asarray(self.d, dtype=np.float64)
        if not self.cumulative:
            d = np.diff(np.concatenate([[0.0], d]))
        out: FloatArray = -d / self.a
        return out

    @property
    def location(self) -> float:
        """One location per item: b (dichotomous) or the mean threshold (polytomous)."""
        return float(np.mean(self.thresholds))

    def transformed(self, big_a: float, big_b: float) -> ItemParams:
        """Parameters on the reference scale when θ_ref = A·θ_new + B.

        Cumulative: a·θ_new + d_k = (a/A)·θ_ref + d_k − a·B/A, so d*_k = d_k − a·B/A.
        Divide-by-total: a·k·θ_new + d_k = (a/A)·k·θ_ref + d_k − k·a·B/A. In both a* = a/A.
        """
        shift = self.a * big_b / big_a
        new_d = tuple(
            dk - shift * (1 if self.cumulative else k) for k, dk in enumerate(self.d, start=1)
        )
        return replace(self, a=self.a / big_a, d=new_d)


def _logistic(x: FloatArray) -> FloatArray:
    out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free logistic
    return out


def category_probabilities(item: ItemParams, theta: FloatArray) -> FloatArray:
    """P(X = k | θ) for k = 0…K, shape (len(theta), K + 1)."""
    d = np.asarray(item.d, dtype=np.float64)
    if item.cumulative:
        star = _logistic(item.a * theta[:, None] + d[None, :])
        upper = np.hstack([np.ones((theta.size, 1)), star])
        lower = np.hstack([star, np.zeros((theta.size, 1))])
        probs: FloatArray = upper - lower
        return probs
    k = np.arange(1, d.size + 1, dtype=np.float64)
    z = np.hstack([np.zeros((theta.size, 1)), item.a * theta[:, None] * k[None, :] + d[None, :]])
    z -= z.max(axis=1, keepdims=True)
    ez = np.exp(z)
    softmax: FloatArray = ez / ez.sum(axis=1, keepdims=True)
    return softmax


def expected_score(item: ItemParams, theta: FloatArray) -> FloatArray:
    """E(X | θ) = Σ_k k·P(X = k | θ)."""
    probs = category_probabilities(item, theta)
    scores: FloatArray = probs @ np.arange(item.n_categories, dtype=np.float64)
    return scores


@dataclass(frozen=True)
class ItemBank:
    """Items as padded arrays so that curves of all items are computed in one step.

    Cumulative (GRM) and divide-by-total (all other) items are kept in two blocks; missing
    categories are padded with intercept −∞ (P(X ≥ k) = 0, respectively exp(−∞) = 0).
    """

    names: tuple[str, ...]
    cum_index: npt.NDArray[np.intp]
    cum_a: FloatArray
    cum_d: FloatArray
    adj_index: npt.NDArray[np.intp]
    adj_a: FloatArray
    adj_d: FloatArray
    k_max: int

    @classmethod
    def from_items(cls, items: list[ItemParams]) -> ItemBank:
        k_max = max(len(it.d) for it in items)
        cum = [i for i, it in enumerate(items) if it.cumulative]
        adj = [i for i, it in enumerate(items) if not it.cumulative]

        def pad(idx: list[int]) -> tuple[FloatArray, FloatArray]:
            a = np.array([items[i].a for i in idx], dtype=np.float64)
            d = np.full((len(idx), k_max), -np.inf)
            for row, i in enumerate(idx):
                d[row, : len(items[i].d)] = items[i].d
            return a, d

        cum_a, cum_d = pad(cum)
        adj_a, adj_d = pad(adj)
        return cls(
            names=tuple(it.item for it in items),
            cum_index=np.array(cum, dtype=np.intp),
            cum_a=cum_a,
            cum_d=cum_d,
            adj_index=np.array(adj, dtype=np.intp),
            adj_a=adj_a,
            adj_d=adj_d,
            k_max=k_max,
        )

    def probabilities(
        self, theta: FloatArray, big_a: float = 1.0, big_b: float = 0.0
    ) -> FloatArray:
        """P(X = k | θ) for all items, shape (Q, I, k_max + 1), after θ_ref = A·θ + B."""
        out = np.zeros((theta.size, len(self.names), self.k_max + 1))
        if self.cum_index.size:
            a = self.cum_a / big_a
            d = self.cum_d - (self.cum_a * big_b / big_a)[:, None]
            star = _logistic(a[None, :, None] * theta[:, None, None] + d[None, :, :])
            ones = np.ones((theta.size, a.size, 1))
            zeros = np.zeros((theta.size, a.size, 1))
            out[:, self.cum_index, :] = np.concatenate([ones, star], axis=2) - np.concatenate(
                [star, zeros], axis=2
            )
        if self.adj_index.size:
            k = np.arange(1, self.k_max + 1, dtype=np.float64)
            a = self.adj_a / big_a
            d = self.adj_d - (self.adj_a * big_b / big_a)[:, None] * k[None, :]
            kernel = a[None, :, None] * theta[:, None, None] * k[None, None, :] + d[None, :, :]
            z = np.concatenate([np.zeros((theta.size, a.size, 1)), kernel], axis=2)
            z -= z.max(axis=2, keepdims=True)
            ez = np.exp(z)
            out[:, self.adj_index, :] = ez / ez.sum(axis=2, keepdims=True)
        return out

    def test_characteristic(
        self, theta: FloatArray, big_a: float = 1.0, big_b: float = 0.0
    ) -> FloatArray:
        """Σ_i E(X_i | θ), shape (Q,)."""
        probs = self.probabilities(theta, big_a, big_b)
        tcc: FloatArray = probs @ np.arange(self.k_max + 1, dtype=np.float64)
        total: FloatArray = tcc.sum(axis=1)
        return total
