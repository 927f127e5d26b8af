"""Primary and secondary cell suppression.

Primary suppression marks cells with ``0 < value < min`` (threshold rule) and, when
contributor-level data is given, cells failing the (n, k) dominance rule. Zeros are never
sensitive and never suppressed: they are published as ``-`` (nichts vorhanden).

Secondary suppression uses *hypercubes*: for a sensitive cell p at grid position
(i_1, …, i_k) choose one alternative position a_d ≠ i_d per dimension (a margin position is
allowed). The 2^k cells of the cube carry the perturbation y = ±t with alternating signs;
because a margin enters its line with coefficient −1, the sign also flips once per margin
coordinate. y keeps every published total unchanged, so an attacker cannot tell x from
x + y. The attainable t ranges over [−min(positive cells), +min(negative cells)], hence the
interval of *every* cell of the cube is at least ``min(negative) + min(positive)`` wide.
For each sensitive cell the cheapest cube (cost of cells not yet suppressed; suppressed
cells are free) whose width reaches ``min_width`` is suppressed. Suppressing more cells can
only widen intervals, so after one pass all cube cells are protected; the LP audit then
confirms it (and any remaining failure — e.g. from linked tables — gets another round).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from bimo.privacy.audit import BoolArray, audit
from bimo.privacy.cubes import CubeGrid, evaluate_cubes
from bimo.privacy.prune import prune_redundant
from bimo.privacy.table import TOTAL, FloatArray, IntArray, TableSet

CostModel = Literal["log", "value", "count"]
# Cubes re-evaluated with the exact footprint in linked table sets.
_LINKED_CANDIDATES = 40


def threshold_primary(tables: TableSet, min_cell: int) -> BoolArray:
    """Cells with ``0 < value < min_cell`` (inner cells and margins alike)."""
    values = tables.values
    return (values > 0) & (values < min_cell)


def dominance_primary(
    tables: TableSet,
    contributions: pl.DataFrame,
    *,
    n: int = 1,
    k: float = 0.85,
    contributor: str = "contributor",
    value: str = "value",
) -> BoolArray:
    """Cells whose ``n`` largest contributors hold more than ``k`` of the cell total.

    ``contributions`` has one row per (inner cell, contributor) with the dimension columns of
    the set's first table. Margins aggregate a contributor's parts before ranking, as an
    enterprise present in several inner cells is one contributor of the margin.
    """
    table = tables.tables[0]
    dims = list(table.dims)
    sensitive = np.zeros(tables.n_vars, dtype=bool)
    key_index = {key: i for i, key in enumerate(tables.keys)}
    for size in range(len(dims) + 1):
        for kept in itertools.combinations(dims, size):
            grouped = (
                contributions.group_by([*kept, contributor])
                .agg(pl.col(value).sum())
                .sort(value, descending=True)
                .group_by(list(kept) or pl.lit(1).alias("_all"), maintain_order=True)
                .agg(
                    pl.col(value).head(n).sum().alias("top"),
                    pl.col(value).sum().alias("total"),
                )
                .filter((pl.col("total") > 0) & (pl.col("top") > k * pl.col("total")))
            )
            for row in grouped.iter_rows(named=True):
                key = [TOTAL] * len(tables.dims)
                for dim in kept:
                    key[tables.dims.index(dim)] = str(row[dim])
                var = key_index.get(tuple(key))
                if var is not None:
                    sensitive[var] = True
    return sensitive


def cell_costs(values: IntArray, model: CostModel) -> FloatArray:
    """Cost of suppressing each cell (infinite for zeros, which are never suppressed)."""
    v = values.astype(np.float64)
    with np.errstate(divide="ignore"):
        if model == "value":
            cost = v.copy()
        elif model == "count":
            cost = np.ones_like(v)
        else:
            cost = 1.0 + np.log(np.maximum(v, 1.0))
    cost[values <= 0] = np.inf
    return cost


@dataclass
class SuppressionResult:
    suppressed: BoolArray
    primary: BoolArray
    rounds: int
    audit_seconds: float


def secondary_suppression(
    tables: TableSet,
    primary: BoolArray,
    min_width: int,
    *,
    cost_model: CostModel = "log",
    max_rounds: int = 5,
    prune: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> SuppressionResult:
    """Add complementary suppressions until the LP audit passes for every suppressed cell.

    ``prune`` publishes complements again that the LP shows to be redundant
    (:mod:`bimo.privacy.prune`). ``progress(done, total)`` is called during the cube pass.
    """
    suppressed = primary.copy()
    costs = cell_costs(tables.values, cost_model)
    protected = np.zeros(tables.n_vars, dtype=bool)
    cubes: dict[int, IntArray] = {}
    todo = np.flatnonzero(primary)
    audit_seconds = 0.0
    for round_no in range(1, max_rounds + 1):
        # Small cells first: they need the widest help from their partners.
        for done, var in enumerate(todo[np.argsort(tables.values[todo], kind="stable")]):
            if progress is not None and done % 100 == 0:
                progress(done, len(todo))
            if protected[var]:
                continue
            _protect_cell(tables, int(var), suppressed, protected, costs, min_width, cubes)
        if prune and round_no == 1:
            prune_redundant(tables, suppressed, primary, cubes, min_width)
        report = audit(tables, suppressed, min_width)
        audit_seconds += report.seconds
        if report.passed:
            return SuppressionResult(suppressed, primary, round_no, audit_seconds)
        todo = np.asarray([c.var for c in report.failures], dtype=np.int64)
        protected[todo] = False
    # Last resort: suppress every non-zero cell of every table holding a failing cell.
    for var in todo:
        for t, _ in tables.tables_of(int(var)):
            idx = tables.index[t].ravel()
            suppressed[idx[tables.values[idx] > 0]] = True
    return SuppressionResult(suppressed, primary, max_rounds + 1, audit_seconds)


@dataclass
class _Cube:
    cost: float
    width: float
    cells: IntArray


def _protect_cell(
    tables: TableSet,
    var: int,
    suppressed: BoolArray,
    protected: BoolArray,
    costs: FloatArray,
    min_width: int,
    cubes: dict[int, IntArray],
) -> None:
    best: _Cube | None = None
    for t, pos in tables.tables_of(var):
        cube = _best_cube(tables, t, pos, suppressed, costs, min_width)
        if cube is not None and (best is None or _better(cube, best, min_width)):
            best = cube
    if best is None:
        for t, _ in tables.tables_of(var):
            idx = tables.index[t].ravel()
            suppressed[idx[tables.values[idx] > 0]] = True
        return
    suppressed[best.cells] = True
    if best.width >= min_width:
        protected[best.cells] = True
        for cell in best.cells:
            cubes.setdefault(int(cell), best.cells)


def _better(a: _Cube, b: _Cube, need: int) -> bool:
    a_ok, b_ok = a.width >= need, b.width >= need
    if a_ok != b_ok:
        return a_ok
    if not a_ok:
        return (a.width, -a.cost) > (b.width, -b.cost)
    return (a.cost, -a.width) < (b.cost, -b.width)


def _best_cube(
    tables: TableSet,
    t: int,
    pos: tuple[int, ...],
    suppressed: BoolArray,
    costs: FloatArray,
    need: int,
) -> _Cube | None:
    idx = tables.index[t]
    values = tables.values[idx].astype(np.float64)
    cost_grid = np.where(suppressed[idx], 0.0, costs[idx])
    grid = evaluate_cubes(values, cost_grid, pos, need)
    if grid is None or not np.any(np.isfinite(grid.cost) & (grid.width >= need)):
        grid = evaluate_cubes(values, cost_grid, pos)
    if grid is None:
        return None
    total_cost, width = grid.cost, grid.width
    finite = np.isfinite(total_cost)
    if not finite.any():
        return None
    ok = finite & (width >= need)
    if tables.link_rows:
        return _best_linked(tables, idx, pos, grid, finite, suppressed, costs, need)
    if ok.any():
        score = np.where(ok, total_cost - 1e-9 * np.minimum(width, 1e6), np.inf)
    else:
        score = np.where(finite, -width + 1e-9 * total_cost, np.inf)
    flat = int(np.argmin(score))
    cells = grid.cells(idx, pos, flat)
    return _Cube(float(total_cost.ravel()[flat]), float(width.ravel()[flat]), cells[:, 0])


def _best_linked(
    tables: TableSet,
    idx: IntArray,
    pos: tuple[int, ...],
    grid: CubeGrid,
    usable: BoolArray,
    suppressed: BoolArray,
    costs: FloatArray,
    need: int,
) -> _Cube | None:
    """Cube choice when link constraints spread the perturbation to other tables."""
    order = np.argsort(np.where(usable, grid.cost, np.inf), axis=None, kind="stable")
    parents: dict[int, list[int]] = {}
    for row, (_, parts) in enumerate(tables.link_rows):
        for part in parts:
            parents.setdefault(int(part), []).append(row)
    best: _Cube | None = None
    for flat in order[:_LINKED_CANDIDATES]:
        if not usable.ravel()[flat]:
            break
        cube = grid.cells(idx, pos, int(flat))
        y = {int(v): float(s) for v, s in cube}
        _propagate_links(tables, y, parents)
        cells = np.asarray([v for v, s in y.items() if s != 0], dtype=np.int64)
        cost = float(np.where(suppressed[cells], 0.0, costs[cells]).sum())
        if not np.isfinite(cost):
            continue
        signs = np.asarray([y[int(v)] for v in cells])
        vals = tables.values[cells].astype(np.float64)
        w = float(
            np.min(np.where(signs < 0, vals / -signs, np.inf))
            + np.min(np.where(signs > 0, vals / signs, np.inf))
        )
        cand = _Cube(cost, w, cells)
        if best is None or _better(cand, best, need):
            best = cand
    return best


def _propagate_links(tables: TableSet, y: dict[int, float], parents: dict[int, list[int]]) -> None:
    """Extend perturbation ``y`` to aggregated cells (coarse = sum of its fine cells)."""
    frontier = list(y)
    while frontier:
        nxt: list[int] = []
        for var in frontier:
            for row in parents.get(var, []):
                total, parts = tables.link_rows[row]
                delta = sum(y.get(int(p), 0.0) for p in parts)
                if y.get(total, 0.0) != delta:
                    y[total] = delta
                    nxt.append(total)
        frontier = nxt
