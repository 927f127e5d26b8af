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
confirms it. Any remaining failure gets another round of cubes and then repair rounds
(:func:`repair_pattern`) that follow every constraint, link equations included, until the
joint audit passes — a failing pattern is never returned.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl
import scipy.sparse as sp

from bimo.core.errors import BimoError
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
        before = int(suppressed.sum())
        # Small cells first: they need the widest help from their partners.
        for done, var in enumerate(todo[np.argsort(tables.values[todo], kind="stable")]):
            if progress is not None and done % 100 == 0:
                progress(done, len(todo))
            if protected[var]:
                continue
            _protect_cell(tables, int(var), suppressed, protected, costs, min_width, cubes)
        if round_no > 1 and int(suppressed.sum()) == before:
            # The cubes are all suppressed already (typical when a link equation pins the
            # cell): further cube rounds would repeat themselves, so go on to the repair.
            break
        if prune and round_no == 1:
            prune_redundant(tables, suppressed, primary, cubes, min_width)
        report = audit(tables, suppressed, min_width)
        audit_seconds += report.seconds
        if report.passed:
            return SuppressionResult(suppressed, primary, round_no, audit_seconds)
        todo = np.asarray([c.var for c in report.failures], dtype=np.int64)
        protected[todo] = False
    # The cube rounds did not suffice (typically linked tables, whose link equations no
    # single-table cube respects): grow the pattern along the constraints until it passes.
    rounds, seconds = repair_pattern(tables, suppressed, costs, min_width, todo)
    return SuppressionResult(suppressed, primary, round_no + rounds, audit_seconds + seconds)


class SuppressionError(BimoError):
    """No suppression pattern passing the audit was found (an internal error, not bad input)."""


def repair_pattern(
    tables: TableSet,
    suppressed: BoolArray,
    costs: FloatArray,
    min_width: int,
    failing: IntArray,
) -> tuple[int, float]:
    """Add suppressions next to failing cells until the joint LP audit passes (in place).

    Each round adds, for every failing cell, the cheapest published non-zero cell that shares
    a constraint with it — a table line *or* a link equation, which is what the cube search
    of a single table misses. If all such cells are suppressed already, the search continues
    through the constraints of the suppressed neighbours. Every round adds at least one cell,
    so the loop ends; in the worst case every non-zero cell connected to the failing cell is
    suppressed, and then all its constraints have right-hand side 0, so scaling the table
    shows the interval [0, ∞). Returns (audits run, audit seconds); raises
    :class:`SuppressionError` rather than ever returning a failing pattern.
    """
    pattern = (tables.matrix != 0).astype(np.int8)
    by_var = pattern.tocsc()
    by_row = pattern.tocsr()
    # Partners of at least min_width can carry a width-min_width move on their own.
    rank = np.where(tables.values >= min_width, 0.0, 1e6) + costs
    rounds, seconds = 0, 0.0
    todo = [int(v) for v in failing]
    while True:
        rounds += 1
        report = audit(tables, suppressed, min_width)
        seconds += report.seconds
        if report.passed:
            return rounds, seconds
        todo = [c.var for c in report.failures]
        added = False
        for var in todo:
            cand = _nearest_complement(by_var, by_row, var, suppressed, rank)
            if cand is not None:
                suppressed[cand] = True
                added = True
        if not added:
            raise SuppressionError(
                "Interner Fehler der Geheimhaltung: kein Sperrmuster besteht die Prüfung "
                f"({len(todo)} Zelle(n) bleiben berechenbar)."
            )


def _nearest_complement(
    by_var: sp.csc_matrix,
    by_row: sp.csr_matrix,
    var: int,
    suppressed: BoolArray,
    rank: FloatArray,
) -> int | None:
    """Cheapest unsuppressed non-zero cell sharing a constraint with ``var``.

    Breadth-first over constraints: when every cell of ``var``'s constraints is suppressed
    (or zero), the constraints of those suppressed cells are searched next, and so on.
    """
    seen_vars = {var}
    seen_rows: set[int] = set()
    frontier = [var]
    while frontier:
        rows = {
            int(r)
            for v in frontier
            for r in by_var.indices[by_var.indptr[v] : by_var.indptr[v + 1]]
        } - seen_rows
        seen_rows |= rows
        cells = {
            int(c) for r in rows for c in by_row.indices[by_row.indptr[r] : by_row.indptr[r + 1]]
        } - seen_vars
        if not cells:
            return None
        seen_vars |= cells
        arr = np.fromiter(cells, np.int64, len(cells))
        open_ = arr[~suppressed[arr] & np.isfinite(rank[arr])]
        if len(open_):
            return int(open_[np.argmin(rank[open_])])
        frontier = [int(c) for c in arr[suppressed[arr]]]
    return None


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
