"""Rounding to multiples of 5 and the cell key method (Cell-Key-Verfahren).

Rounding: every cell (inner cells and margins independently, so tables are no longer
additive) is rounded to the nearest multiple of ``base``; remainders 1–2 go down, 3–4 up.
Zeros stay zero.

Cell key method (as Destatis/Zensus 2022): every record has a uniform key in [0, 1); a
cell's key is the fractional part of the sum of its records' keys, so the same set of
records gets the same key in every table. The perturbed value is looked up in a
perturbation table by (original count, cell key): the key selects a deviation d from the
cumulative distribution of row ``count``. Rows of the table:

* 0 → 0 (zeros stay zero);
* 1 … min−1 → 0 with probability 1 − n/min, else ``min`` (unbiased; never 1 … min−1);
* n ≥ min → n + d, d ∈ [−D, D], n + d ≥ min, probabilities ∝ exp(−d² / 2V), truncated.
  Counts ≥ min + D are perturbed symmetrically (unbiased); counts in [min, min + D) have
  a small upward bias from the truncation.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from bimo.privacy.table import FloatArray, IntArray, Table


def round_to_base(values: IntArray, base: int = 5) -> IntArray:
    """Round half-up to multiples of ``base`` (for base 5: 1–2 → 0, 3–7 → 5, …)."""
    values = np.asarray(values, dtype=np.int64)
    return ((values + base // 2) // base) * base


@dataclass(frozen=True)
class PerturbationTable:
    """Deviation distribution per original count (last row used for all larger counts)."""

    min_cell: int
    max_deviation: int
    variance: float
    deviations: IntArray  # shape (rows, len(span)): possible perturbed values − n
    cumulative: FloatArray  # same shape: cumulative probabilities

    @classmethod
    def build(
        cls, min_cell: int = 5, max_deviation: int = 2, variance: float = 1.0
    ) -> PerturbationTable:
        rows = min_cell + max_deviation + 1
        # Small counts jump to 0 or to min_cell, so the span covers both directions.
        span = np.arange(-min_cell - max_deviation, max(min_cell, max_deviation) + 1)
        probs = np.zeros((rows, len(span)))
        for n in range(rows):
            if n == 0:
                probs[n, span == 0] = 1.0
            elif n < min_cell:
                probs[n, span == -n] = 1.0 - n / min_cell
                probs[n, span == min_cell - n] = n / min_cell
            else:
                allowed = (np.abs(span) <= max_deviation) & (n + span >= min_cell)
                weight = np.where(allowed, np.exp(-(span**2) / (2.0 * variance)), 0.0)
                probs[n] = weight / weight.sum()
        deviations = np.broadcast_to(span, probs.shape).copy()
        return cls(min_cell, max_deviation, variance, deviations, np.cumsum(probs, axis=1))

    def perturb(self, counts: IntArray, keys: FloatArray) -> IntArray:
        """Perturbed counts for original ``counts`` with cell keys ``keys`` in [0, 1)."""
        counts = np.asarray(counts, dtype=np.int64)
        rows = np.minimum(counts, len(self.cumulative) - 1)
        cum = self.cumulative[rows]
        pick = (cum <= np.asarray(keys)[:, None]).sum(axis=1)
        pick = np.minimum(pick, cum.shape[1] - 1)
        out: IntArray = counts + self.deviations[rows, pick]
        return out


def label_cell_keys(table: Table, secret: bytes) -> FloatArray:
    """Cell keys for a table without records.

    Each inner cell's key is HMAC-SHA256(secret, labels) mapped to [0, 1); a margin's key
    is the fractional part of the sum of its inner cells' keys, exactly as it would be
    with record keys (frac of a sum of fracs).
    """
    inner_shape = tuple(len(c) for c in table.categories)
    keys = np.empty(inner_shape)
    for pos in np.ndindex(*inner_shape):
        labels = "\x1f".join(table.categories[d][pos[d]] for d in range(len(pos)))
        digest = hmac.new(secret, labels.encode(), hashlib.sha256).digest()
        keys[pos] = int.from_bytes(digest[:8], "big") / 2.0**64
    return _margin_keys(keys)


def record_cell_keys(
    records: pl.DataFrame, table: Table, key_column: str = "record_key"
) -> FloatArray:
    """Cell keys from records: frac(sum of record keys) per cell (margins included)."""
    dims: Sequence[str] = table.dims
    inner_shape = tuple(len(c) for c in table.categories)
    keys = np.zeros(inner_shape)
    codes = []
    for d, dim in enumerate(dims):
        lookup = {label: i for i, label in enumerate(table.categories[d])}
        codes.append(np.asarray([lookup[str(x)] for x in records[dim].to_list()], np.int64))
    np.add.at(keys, tuple(codes), records[key_column].cast(pl.Float64).to_numpy())
    return _margin_keys(np.mod(keys, 1.0))


def _margin_keys(inner: FloatArray) -> FloatArray:
    full = inner
    for axis in range(inner.ndim):
        full = np.concatenate([full, full.sum(axis=axis, keepdims=True)], axis=axis)
    return np.mod(full, 1.0)
