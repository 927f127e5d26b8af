"""Hypercube search on a table grid, shared by secondary suppression and the audit.

For a cell p at grid position (i_1, …, i_k) a cube is spanned by one alternative position
a_d ≠ i_d per dimension (margins allowed). Its 2^k cells carry the perturbation y = ±t with
alternating signs; a margin enters its line with coefficient −1, so the sign also flips once
per margin coordinate. Such a y leaves every line sum unchanged: if all cube cells are
suppressed, x + t·y is indistinguishable from x for every t in
[−min(positive cells), +min(negative cells)], so each cube cell's attacker interval is at
least ``min(negative) + min(positive)`` wide (the cube's *width*).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from bimo.privacy.table import FloatArray, IntArray


@dataclass(frozen=True)
class CubeGrid:
    """Evaluation of every cube through one cell: cost and width per alternative choice."""

    alts: list[IntArray]
    cost: FloatArray
    width: FloatArray

    def cells(self, idx: IntArray, pos: tuple[int, ...], flat: int) -> IntArray:
        choice = np.unravel_index(flat, self.cost.shape)
        return cube_cells(idx, pos, [int(self.alts[d][choice[d]]) for d in range(idx.ndim)])


def evaluate_cubes(
    values: FloatArray,
    cost_grid: FloatArray,
    pos: tuple[int, ...],
    need: float | None = None,
) -> CubeGrid | None:
    """Cost (sum over the cube's other cells) and width of every cube through ``pos``.

    With ``need``, cubes that cannot reach that width are skipped early: a partner on p's
    own line with a negative sign bounds the upward move, and the downward move is at most
    p's value, so that partner needs a value ≥ need − value(p).
    """
    k = values.ndim
    tau = [np.where(np.arange(n) == n - 1, -1.0, 1.0) for n in values.shape]
    alts = []
    for d in range(k):
        # Only partners whose cell on p's own line is usable can span a finite cube.
        sel = tuple(slice(None) if e == d else pos[e] for e in range(k))
        usable = np.isfinite(cost_grid[sel])
        if need is not None:
            negative = -tau[d] * tau[d][pos[d]] < 0
            usable &= ~negative | (values[sel] >= need - values[pos])
        usable[pos[d]] = False
        alts.append(np.flatnonzero(usable))
    if any(len(a) == 0 for a in alts):
        return None
    flips = [-tau[d][alts[d]] * tau[d][pos[d]] for d in range(k)]
    shape = tuple(len(a) for a in alts)
    total_cost = np.zeros(shape)
    neg_min = np.full(shape, np.inf)
    pos_min = np.full(shape, float(values[pos]))
    for r in range(1, k + 1):
        for subset in itertools.combinations(range(k), r):
            picks: list[IntArray] = [
                alts[d] if d in subset else np.array([pos[d]], dtype=np.int64) for d in range(k)
            ]
            mesh = np.ix_(*picks)
            sign = np.ones(shape)
            for d in subset:
                sign = sign * flips[d].reshape([-1 if e == d else 1 for e in range(k)])
            vals = np.broadcast_to(values[mesh], shape)
            total_cost = total_cost + cost_grid[mesh]
            neg_min = np.minimum(neg_min, np.where(sign < 0, vals, np.inf))
            pos_min = np.minimum(pos_min, np.where(sign > 0, vals, np.inf))
    return CubeGrid(alts, total_cost, neg_min + pos_min)


def cube_cells(idx: IntArray, pos: tuple[int, ...], alt: list[int]) -> IntArray:
    """Rows (variable, sign) of the 2^k cells of the cube spanned by ``pos`` and ``alt``."""
    k = idx.ndim
    out = []
    for corner in itertools.product((0, 1), repeat=k):
        coords = tuple(alt[d] if corner[d] else pos[d] for d in range(k))
        sign = 1
        for d in range(k):
            last = idx.shape[d] - 1
            sign *= (-1 if corner[d] else 1) * (-1 if coords[d] == last else 1)
            sign *= -1 if pos[d] == last else 1
        out.append((int(idx[coords]), sign))
    return np.asarray(out, dtype=np.int64)
