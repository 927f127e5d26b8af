"""Publish complementary cells again when the LP shows they are not needed.

The greedy cube pass protects one cell after another, so a complement chosen early is often
redundant once later cubes exist (about one in five on school tables). Testing a removal
with a full audit would cost seconds per cell; instead one HiGHS model of the whole pattern
is kept, and removing cell c means fixing c to its (then published) value.

Every suppressed cell keeps a *witness* of its protection (see :class:`_Witness`). Only
cells whose witness uses c are re-checked — first by a cube search, then by LP. The final
LP audit in :func:`secondary_suppression` remains the judge: should an optimistic witness
have gone stale, the failing cells get new cubes in a repair round.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bimo.privacy.audit import BoolArray, LpModel
from bimo.privacy.cubes import evaluate_cubes
from bimo.privacy.table import FloatArray, IntArray, TableSet


@dataclass(frozen=True)
class _Witness:
    """How a suppressed cell's protection was shown.

    ``cube``: a cube of suppressed cells (global numbers) — invalid once one of them is
    published. No cube: an LP optimum showed the width; such proofs are not re-checked on
    later removals (re-checking them cascaded into tens of LPs per candidate), which is why
    the final LP audit, followed by a repair round if needed, stays the judge. ``fragile``:
    no reusable proof (unbounded LP, or no certificate yet) — re-checked on every removal.
    """

    cube: frozenset[int] | None = None
    fragile: bool = False


class _Witnesses:
    """Witness per suppressed cell, indexed so that a removal finds the affected cells fast."""

    def __init__(self) -> None:
        self.cube_users: dict[int, set[int]] = {}
        self.fragile: set[int] = set()
        self.of: dict[int, _Witness] = {}

    def put(self, j: int, wit: _Witness) -> None:
        self.drop(j)
        self.of[j] = wit
        if wit.fragile:
            self.fragile.add(j)
        for cell in wit.cube or ():
            self.cube_users.setdefault(cell, set()).add(j)

    def drop(self, j: int) -> None:
        old = self.of.pop(j, None)
        if old is None:
            return
        self.fragile.discard(j)
        for cell in old.cube or ():
            self.cube_users.get(cell, set()).discard(j)

    def affected(self, c: int) -> set[int]:
        return (self.cube_users.get(c, set()) | self.fragile) - {c}


def prune_redundant(
    tables: TableSet,
    suppressed: BoolArray,
    primary: BoolArray,
    cubes: dict[int, IntArray],
    min_width: int,
    max_solves: int = 20_000,
) -> int:
    """Unsuppress redundant complements in place; returns how many were published again."""
    sup_vars = np.flatnonzero(suppressed)
    local = {int(v): i for i, v in enumerate(sup_vars)}
    values = tables.values.astype(np.float64)
    matrix = tables.matrix
    a_sup = matrix[:, sup_vars].tocsr()
    rhs = -(matrix[:, ~suppressed] @ values[~suppressed])
    used = a_sup.getnnz(axis=1) > 0
    if not used.any():
        return 0
    model = LpModel(a_sup[used], rhs[used])
    truth = values[sup_vars]
    witnesses = _Witnesses()
    for v in sup_vars:
        cube = cubes.get(int(v))
        witnesses.put(
            int(v),
            _Witness(cube=frozenset(int(x) for x in cube))
            if cube is not None
            else _Witness(fragile=True),
        )
    candidates = np.flatnonzero(suppressed & ~primary)
    removed = 0
    # Large complements first: publishing them helps users most.
    for c in candidates[np.argsort(-values[candidates], kind="stable")]:
        if model.solves >= max_solves:
            break
        c = int(c)
        lc = local[c]
        model.highs.changeColBounds(lc, truth[lc], truth[lc])
        suppressed[c] = False
        new: dict[int, _Witness] = {}
        ok = True
        for j in sorted(witnesses.affected(c)):
            if not suppressed[j]:
                continue
            found = _recheck(tables, model, j, local[j], suppressed, values, truth, min_width)
            if found is None:
                ok = False
                break
            new[j] = found
        if ok:
            removed += 1
            witnesses.drop(c)
            for j, wit in new.items():
                witnesses.put(j, wit)
        else:
            suppressed[c] = True
            model.highs.changeColBounds(lc, 0.0, np.inf)
    return removed


def _recheck(
    tables: TableSet,
    model: LpModel,
    var: int,
    lj: int,
    suppressed: BoolArray,
    values: FloatArray,
    truth: FloatArray,
    need: int,
) -> _Witness | None:
    cost = np.where(suppressed, 0.0, np.inf)
    for t, pos in tables.tables_of(var):
        idx = tables.index[t]
        grid = evaluate_cubes(values[idx], cost[idx], pos)
        if grid is None:
            continue
        score = np.where(np.isfinite(grid.cost), grid.width, -np.inf)
        flat = int(np.argmax(score))
        if score.ravel()[flat] >= need and not tables.link_rows:
            return _Witness(cube=frozenset(int(x) for x in grid.cells(idx, pos, flat)[:, 0]))
    high = model.optimise(np.array([lj]), np.array([-1.0]))
    if high is None:  # unbounded upwards: protected for now
        return _Witness(fragile=True)
    # The truth is feasible, so lower ≤ truth: a high enough maximum suffices.
    if high[lj] - truth[lj] >= need - 1e-7:
        return _Witness()
    low = model.optimise(np.array([lj]), np.array([1.0]))
    if low is not None and high[lj] - low[lj] >= need - 1e-7:
        return _Witness()
    return None
