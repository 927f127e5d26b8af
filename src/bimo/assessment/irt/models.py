"""Item response functions and their derivatives, vectorised over items of one kind.

Two kernels cover all models (slope–intercept form, a = slope, d = intercepts):

* ``"gpcm"`` (divide-by-total; Rasch, 1PL, 2PL, PCM, GPCM): with d_0 = 0,
  P(X = k | θ) ∝ exp(a·k·θ + d_k), k = 0..m. These are mirt's ``gpcm`` intercepts; for a
  dichotomous item this is logit P(X = 1) = a·θ + d.
* ``"grm"`` (graded response, cumulative): logit P(X ≥ k | θ) = a·θ + d_k, k = 1..m, with
  d_1 > d_2 > … > d_m.

A dichotomous item is identical under both kernels; it is always handled as ``"gpcm"``.
Arrays are batched: ``a`` has shape (I,), ``d`` (I, m) and ``theta`` (T,) – the result has
shape (I, T, m + 1). The parameter vector of an item is β = (a, d_1, …, d_m).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

Kind = Literal["gpcm", "grm"]
FloatArray = NDArray[np.float64]

# Probabilities are floored here so that log P and 1/P stay finite in extreme regions.
PROB_FLOOR = 1e-300


def _sigmoid(x: FloatArray) -> FloatArray:
    out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


def probabilities(kind: Kind, a: FloatArray, d: FloatArray, theta: FloatArray) -> FloatArray:
    """Category probabilities, shape (I, T, K)."""
    if kind == "gpcm" and d.shape[1] == 1:
        # Dichotomous fast path (the common case): one logistic per item and node.
        p1 = _sigmoid(a[:, None] * theta[None, :] + d[:, 0:1])
        return np.stack([1.0 - p1, p1], axis=2)
    if kind == "gpcm":
        k = np.arange(d.shape[1] + 1, dtype=np.float64)
        z = a[:, None, None] * theta[None, :, None] * k[None, None, :]
        z[:, :, 1:] += d[:, None, :]
        z -= z.max(axis=2, keepdims=True)
        ez = np.exp(z)
        out: FloatArray = ez / ez.sum(axis=2, keepdims=True)
        return out
    cum = _sigmoid(a[:, None, None] * theta[None, :, None] + d[:, None, :])
    n_items, n_theta = cum.shape[0], cum.shape[1]
    ones = np.ones((n_items, n_theta, 1))
    zeros = np.zeros((n_items, n_theta, 1))
    full = np.concatenate([ones, cum, zeros], axis=2)
    probs: FloatArray = np.maximum(full[:, :, :-1] - full[:, :, 1:], 0.0)
    return probs


def score_terms(
    kind: Kind, a: FloatArray, d: FloatArray, theta: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Probabilities P (I, T, K) and ∂ log P_k / ∂β, shape (I, T, K, p) with p = K."""
    probs = probabilities(kind, a, d, theta)
    n_items, n_theta, n_cat = probs.shape
    grad = np.zeros((n_items, n_theta, n_cat, n_cat))
    if kind == "gpcm":
        k = np.arange(n_cat, dtype=np.float64)
        expected = probs @ k  # (I, T)
        grad[:, :, :, 0] = theta[None, :, None] * (k[None, None, :] - expected[:, :, None])
        eye = np.eye(n_cat)[:, 1:]  # indicator 1[k = j], j = 1..m
        grad[:, :, :, 1:] = eye[None, None, :, :] - probs[:, :, None, 1:]
        return probs, grad
    cum = _sigmoid(a[:, None, None] * theta[None, :, None] + d[:, None, :])
    w = cum * (1.0 - cum)  # (I, T, m)
    zeros = np.zeros((n_items, n_theta, 1))
    w_full = np.concatenate([zeros, w, zeros], axis=2)  # w_0 = w_K = 0
    dp_da = theta[None, :, None] * (w_full[:, :, :-1] - w_full[:, :, 1:])  # (I, T, K)
    safe = np.maximum(probs, PROB_FLOOR)
    grad[:, :, :, 0] = dp_da / safe
    for j in range(1, n_cat):
        # ∂P_k/∂d_j = w_j for k = j and −w_j for k = j − 1.
        grad[:, :, j, j] = w[:, :, j - 1] / safe[:, :, j]
        grad[:, :, j - 1, j] = -w[:, :, j - 1] / safe[:, :, j - 1]
    return probs, grad


def theta_derivatives(
    kind: Kind, a: FloatArray, d: FloatArray, theta: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """P, ∂P/∂θ and ∂²P/∂θ², each (I, T, K) – used by WLE scoring."""
    probs = probabilities(kind, a, d, theta)
    if kind == "gpcm":
        k = np.arange(probs.shape[2], dtype=np.float64)
        mean = probs @ k
        centred = k[None, None, :] - mean[:, :, None]
        var = (probs * centred**2).sum(axis=2)
        aa = a[:, None, None]
        d1 = aa * probs * centred
        d2 = aa**2 * probs * (centred**2 - var[:, :, None])
        return probs, d1, d2
    cum = _sigmoid(a[:, None, None] * theta[None, :, None] + d[:, None, :])
    w1 = a[:, None, None] * cum * (1.0 - cum)
    w2 = a[:, None, None] * w1 * (1.0 - 2.0 * cum)
    zeros = np.zeros((*cum.shape[:2], 1))
    w1f = np.concatenate([zeros, w1, zeros], axis=2)
    w2f = np.concatenate([zeros, w2, zeros], axis=2)
    return probs, w1f[:, :, :-1] - w1f[:, :, 1:], w2f[:, :, :-1] - w2f[:, :, 1:]
