"""Synthetic response data for tests, recovery studies and benchmarks (no real persons)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bimo.assessment.irt.models import Kind, probabilities

FloatArray = NDArray[np.float64]


@dataclass
class SimulatedItems:
    kinds: list[Kind]
    a: FloatArray
    d: FloatArray  # (I, max m), NaN padded


def draw_items(
    rng: np.random.Generator,
    n_items: int,
    ncat: int = 2,
    kind: Kind = "gpcm",
    slopes: bool = True,
) -> SimulatedItems:
    """Typical school-test items: a ~ U(0.7, 2.0) (or 1), locations ~ N(0, 1)."""
    a = rng.uniform(0.7, 2.0, n_items) if slopes else np.ones(n_items)
    m = ncat - 1
    loc = rng.normal(0.0, 1.0, n_items)
    # Evenly spread steps with jitter, so that no middle category is (almost) empty.
    base = np.linspace(-1.0, 1.0, m) if m > 1 else np.zeros(1)
    steps = np.sort(base[None, :] + rng.uniform(-0.2, 0.2, (n_items, m)), axis=1)
    thresholds = loc[:, None] + steps  # increasing category thresholds b_ik
    if kind == "grm" and m > 1:
        d = -a[:, None] * thresholds
    else:
        # GPCM intercepts d_k = −a Σ_{j≤k} b_j (mirt's parametrisation).
        d = -np.cumsum(a[:, None] * thresholds, axis=1)
    return SimulatedItems([kind if m > 1 else "gpcm"] * n_items, a, d)


def simulate_responses(
    rng: np.random.Generator, items: SimulatedItems, theta: FloatArray
) -> NDArray[np.int16]:
    """Draw scores for persons ``theta`` (N,) on ``items``; returns N × I."""
    out = np.empty((theta.size, items.a.size), dtype=np.int16)
    for i in range(items.a.size):
        m = int(np.isfinite(items.d[i]).sum())
        probs = probabilities(items.kinds[i], items.a[i : i + 1], items.d[i : i + 1, :m], theta)[0]
        cdf = np.cumsum(probs, axis=1)
        u = rng.random(theta.size)[:, None]
        out[:, i] = np.minimum((cdf < u).sum(axis=1), m)
    return out


def booklet_mask(
    n_persons: int, n_clusters: int, cluster_size: int, clusters_per_booklet: int
) -> NDArray[np.bool_]:
    """Balanced rotation: booklet b holds clusters b, b+1, … (mod n_clusters).

    Persons are assigned to booklets in turn; returns the administered-item mask N × I.
    """
    n_items = n_clusters * cluster_size
    mask = np.zeros((n_persons, n_items), dtype=bool)
    booklet = np.arange(n_persons) % n_clusters
    for c in range(clusters_per_booklet):
        cluster = (booklet + c) % n_clusters
        cols = cluster[:, None] * cluster_size + np.arange(cluster_size)[None, :]
        mask[np.arange(n_persons)[:, None], cols] = True
    return mask
