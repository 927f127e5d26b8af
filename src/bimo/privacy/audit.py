"""LP audit: the interval an attacker can compute for every suppressed cell.

The attacker knows every published value, the additivity constraints of all tables
published together and that counts are non-negative. For a suppressed cell x_j the
feasible interval is [min x_j, max x_j] over that polyhedron (linear programming,
HiGHS). A suppressed cell is *protected* when ``upper - lower >= min_width``.

Speed (a straightforward one-LP-per-cell audit is ~100 s for 2,000 × 5):

* published values are substituted out, so only suppressed cells are LP variables;
* the system decomposes into independent components (suppressed cells connected by
  constraints), each solved with its own small HiGHS model;
* within a component one model is kept and only the objective changes between solves,
  so HiGHS warm-starts from the previous basis;
* every LP solution is a feasible table, so it widens the *observed* range of every cell.
  A cell whose observed range already spans ``min_width`` is proven protected without its
  own LPs. Only the remaining cells get their exact min and max.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from bimo.core.errors import BimoError
from bimo.privacy.cubes import evaluate_cubes
from bimo.privacy.table import FloatArray, IntArray, TableSet

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class CellInterval:
    """Attacker interval of one suppressed cell.

    ``exact`` is False when the cell was proven protected from observed feasible tables:
    then the true interval contains [lower, upper] (it may be wider).
    """

    var: int
    key: tuple[str, ...]
    lower: float
    upper: float
    exact: bool

    @property
    def width(self) -> float:
        return self.upper - self.lower


@dataclass
class AuditReport:
    """Result of an audit: every suppressed cell's interval and the under-protected ones."""

    dims: tuple[str, ...]
    min_width: int
    intervals: list[CellInterval] = field(default_factory=list)
    n_lp_solves: int = 0
    seconds: float = 0.0

    @property
    def failures(self) -> list[CellInterval]:
        return [c for c in self.intervals if c.width < self.min_width]

    @property
    def passed(self) -> bool:
        return not self.failures

    def describe(self) -> str:
        """German summary listing every under-protected cell."""
        if self.passed:
            return (
                f"Alle {len(self.intervals)} gesperrten Zellen sind geschützt "
                f"(Intervallbreite ≥ {self.min_width})."
            )
        lines = [
            f"{len(self.failures)} gesperrte Zelle(n) sind nicht ausreichend geschützt "
            f"(Intervallbreite < {self.min_width}):"
        ]
        for cell in self.failures:
            where = ", ".join(f"{d}={v}" for d, v in zip(self.dims, cell.key, strict=True))
            lines.append(
                f"  {where}: aus den veröffentlichten Zahlen berechenbar als "
                f"[{_fmt(cell.lower)}, {_fmt(cell.upper)}]"
            )
        return "\n".join(lines)


def _fmt(x: float) -> str:
    if np.isinf(x):
        return "∞"
    return f"{x:.0f}" if abs(x - round(x)) < 1e-6 else f"{x:.2f}"


def audit(
    tables: TableSet,
    suppressed: BoolArray,
    min_width: int,
    *,
    targets: BoolArray | None = None,
    exact: bool = False,
    truth_known: bool = True,
) -> AuditReport:
    """Audit the suppression pattern ``suppressed`` (one flag per variable of ``tables``).

    ``targets`` selects the cells that must be protected (default: every suppressed cell);
    ``exact`` computes the exact interval of every target (slower). With
    ``truth_known=False`` (auditing a published file) the values of suppressed cells in
    ``tables`` are ignored and a feasible table is found by LP first.
    """
    import time

    start = time.perf_counter()
    report = AuditReport(tables.dims, min_width)
    values = tables.values.astype(np.float64)
    targets = suppressed.copy() if targets is None else (targets & suppressed)
    sup_vars = np.flatnonzero(suppressed)
    if len(sup_vars) == 0:
        report.seconds = time.perf_counter() - start
        return report
    matrix = tables.matrix
    a_sup = matrix[:, sup_vars].tocsr()
    rhs = -(matrix[:, ~suppressed] @ values[~suppressed])
    used = np.flatnonzero(a_sup.getnnz(axis=1) > 0)
    a_sup = a_sup[used]
    rhs = rhs[used]
    n_sup = len(sup_vars)
    # Components of the bipartite graph (suppressed cells + constraint rows).
    graph = sp.bmat([[None, a_sup.T], [a_sup, None]]).tocsr()
    _, labels = connected_components(graph, directed=False)
    var_comp, row_comp = labels[:n_sup], labels[n_sup:]
    order = np.argsort(var_comp, kind="stable")
    bounds = np.searchsorted(var_comp[order], np.unique(var_comp))
    groups = np.split(order, bounds[1:])
    row_order = np.argsort(row_comp, kind="stable")
    row_sorted = row_comp[row_order]
    for group in groups:
        comp = var_comp[group[0]]
        lo_r, hi_r = np.searchsorted(row_sorted, [comp, comp + 1])
        rows = row_order[lo_r:hi_r]
        cells = sup_vars[group]
        want = targets[cells]
        if not want.any():
            continue
        certify = _Certifier(tables, suppressed, cells) if not exact else None
        intervals, solves = _audit_component(
            a_sup[rows][:, group],
            rhs[rows],
            values[cells] if truth_known else None,
            want,
            min_width,
            certify,
        )
        report.n_lp_solves += solves
        for local, (lower, upper, is_exact) in intervals.items():
            var = int(cells[local])
            report.intervals.append(CellInterval(var, tables.keys[var], lower, upper, is_exact))
    report.intervals.sort(key=lambda c: c.var)
    report.seconds = time.perf_counter() - start
    return report


def _audit_component(
    a: sp.csr_matrix,
    rhs: FloatArray,
    truth: FloatArray | None,
    want: BoolArray,
    min_width: int,
    certify: _Certifier | None,
) -> tuple[dict[int, tuple[float, float, bool]], int]:
    exact = certify is None
    n = a.shape[1]
    results: dict[int, tuple[float, float, bool]] = {}
    if a.shape[0] == 0:
        # No constraint involves these cells: only non-negativity is known.
        return {int(j): (0.0, np.inf, True) for j in np.flatnonzero(want)}, 0
    solver = LpModel(a, rhs)
    if truth is None:
        truth = solver.optimise(np.zeros(0, dtype=np.int64), np.zeros(0))
        if truth is None:
            raise AuditError(
                "Die veröffentlichten Zahlen sind widersprüchlich (keine nicht-negative "
                "Tabelle erfüllt alle Summen)."
            )
    fixed = _determined(a)
    for jj in np.flatnonzero(want & fixed):
        results[int(jj)] = (float(truth[jj]), float(truth[jj]), True)
    pending: list[int] = [int(j) for j in np.flatnonzero(want & ~fixed)]
    if not pending:
        return results, solver.solves
    obs_lo, obs_hi = truth.copy(), truth.copy()
    exact_lo = np.full(n, np.nan)
    exact_hi = np.full(n, np.nan)
    if certify is not None:
        _spread(solver, pending, obs_lo, obs_hi, min_width)
        certify.run(a, truth, pending, obs_lo, obs_hi, min_width)
    # All maxima first, then all minima: consecutive optima of neighbouring cells lie close
    # together, so the warm-started simplex needs few pivots (alternating max/min does not).
    for maximise in (True, False):
        for j in pending:
            if not exact and obs_hi[j] - obs_lo[j] >= min_width - _EPS:
                continue
            sol = solver.optimise(np.array([j]), np.array([-1.0 if maximise else 1.0]))
            if sol is None:  # unbounded (only possible upwards)
                exact_hi[j] = obs_hi[j] = np.inf
                continue
            np.minimum(obs_lo, sol, out=obs_lo)
            np.maximum(obs_hi, sol, out=obs_hi)
            if maximise:
                exact_hi[j] = sol[j]
            else:
                exact_lo[j] = sol[j]
    for j in pending:
        is_exact = not np.isnan(exact_hi[j]) and not np.isnan(exact_lo[j])
        lower = exact_lo[j] if is_exact else obs_lo[j]
        upper = exact_hi[j] if is_exact else obs_hi[j]
        results[j] = (float(max(lower, 0.0)), float(upper), is_exact)
    return results, solver.solves


_EPS = 1e-7


def _determined(a: sp.csr_matrix) -> BoolArray:
    """Cells pinned by differencing: a constraint row with a single unknown fixes it.

    Repeated until nothing changes; the fixed cells' intervals have width 0 without any LP.
    """
    pattern = (a != 0).astype(np.int64).tocsr()
    fixed = np.zeros(a.shape[1], dtype=bool)
    while True:
        unknown_per_row = pattern @ (~fixed).astype(np.int64)
        single = np.flatnonzero(unknown_per_row == 1)
        if len(single) == 0:
            return fixed
        hit = pattern[single].multiply((~fixed).astype(np.int64)[None, :]).tocsr()
        fixed[hit.indices] = True


def _spread(
    solver: LpModel, pending: list[int], lo: FloatArray, hi: FloatArray, min_width: int
) -> None:
    """Random-direction solves: each optimum is a feasible table that moves many cells.

    Stops once a solve proves less than 2 % of the still-open cells.
    """
    rng = np.random.default_rng(0)
    open_cells = np.asarray(pending)
    while len(open_cells) > 1:
        coef = (1.0 + rng.random(len(open_cells))) * rng.choice([-1.0, 1.0], len(open_cells))
        sol = solver.optimise(open_cells, coef)
        if sol is None:
            return
        np.minimum(lo, sol, out=lo)
        np.maximum(hi, sol, out=hi)
        still = open_cells[hi[open_cells] - lo[open_cells] < min_width - _EPS]
        if len(open_cells) - len(still) < 0.02 * len(open_cells):
            return
        open_cells = still


class AuditError(BimoError):
    """The published table cannot be audited (its numbers contradict each other)."""


class _Certifier:
    """Proves protection combinatorially: a cube of suppressed cells with enough width.

    Every cube direction y with ``a @ y == 0`` (checked, which matters for linked tables)
    moves the feasible table ``x0`` to ``x0 + t·y`` within the cube's range, so each cube cell
    is proven to have at least that width — no LP needed.
    """

    def __init__(self, tables: TableSet, suppressed: BoolArray, cells: IntArray) -> None:
        self.tables = tables
        self.suppressed = suppressed
        self.local = {int(v): i for i, v in enumerate(cells)}
        self.cells = cells

    def run(
        self,
        a: sp.csr_matrix,
        x0: FloatArray,
        pending: list[int],
        lo: FloatArray,
        hi: FloatArray,
        min_width: int,
    ) -> None:
        x_global = self.tables.values.astype(np.float64)
        x_global[self.cells] = x0
        cost = np.where(self.suppressed, 0.0, np.inf)
        for j in pending:
            if hi[j] - lo[j] >= min_width - _EPS:
                continue
            for t, pos in self.tables.tables_of(int(self.cells[j])):
                idx = self.tables.index[t]
                grid = evaluate_cubes(x_global[idx], cost[idx], pos)
                if grid is None:
                    continue
                score = np.where(np.isfinite(grid.cost), grid.width, -np.inf)
                flat = int(np.argmax(score))
                if score.ravel()[flat] < min_width - _EPS:
                    continue
                cube = grid.cells(idx, pos, flat)
                local = np.asarray([self.local[int(v)] for v in cube[:, 0]])
                y = np.zeros(a.shape[1])
                y[local] = cube[:, 1]
                if np.any(np.abs(a @ y) > _EPS):
                    continue
                t_up = float(np.min(np.where(y < 0, x0, np.inf)))
                t_down = float(np.min(np.where(y > 0, x0, np.inf)))
                down = np.where(y > 0, t_down, np.where(y < 0, t_up, 0.0))
                up = np.where(y > 0, t_up, np.where(y < 0, t_down, 0.0))
                np.minimum(lo, x0 - down, out=lo)
                np.maximum(hi, x0 + up, out=hi)
                break


class LpModel:
    """One HiGHS model per component; only the objective changes between solves."""

    def __init__(self, a: sp.csr_matrix, rhs: FloatArray) -> None:
        csc = a.tocsc()
        lp = highspy.HighsLp()
        lp.num_col_ = csc.shape[1]
        lp.num_row_ = csc.shape[0]
        lp.col_cost_ = np.zeros(csc.shape[1])
        lp.col_lower_ = np.zeros(csc.shape[1])
        lp.col_upper_ = np.full(csc.shape[1], highspy.kHighsInf)
        lp.row_lower_ = np.asarray(rhs, dtype=np.float64)
        lp.row_upper_ = np.asarray(rhs, dtype=np.float64)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
        lp.a_matrix_.index_ = csc.indices.astype(np.int32)
        lp.a_matrix_.value_ = csc.data.astype(np.float64)
        self.highs = highspy.Highs()  # type: ignore[no-untyped-call]
        self.highs.setOptionValue("output_flag", False)
        # Presolve would discard the basis between solves; warm starts matter more here.
        self.highs.setOptionValue("presolve", "off")
        # After a cost change the basis stays primal feasible: primal simplex re-optimises
        # in a few iterations (dual simplex would start over).
        self.highs.setOptionValue("simplex_strategy", 4)
        self.highs.passModel(lp)
        self.n = csc.shape[1]
        self.solves = 0
        self._prev = np.zeros(0, dtype=np.int32)

    def optimise(self, cols: IntArray, coefs: FloatArray) -> FloatArray | None:
        """Minimise ``sum(coefs * x[cols])``; None when unbounded.

        The sense never changes (that would reset HiGHS' basis); maximising uses −cost.
        Only the costs that differ from the previous objective are touched.
        """
        if len(self._prev):
            self.highs.changeColsCost(len(self._prev), self._prev, np.zeros(len(self._prev)))
        cols32 = np.asarray(cols, dtype=np.int32)
        self.highs.changeColsCost(len(cols32), cols32, np.asarray(coefs, dtype=np.float64))
        self._prev = cols32
        self.highs.run()
        self.solves += 1
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return np.asarray(self.highs.getSolution().col_value, dtype=np.float64)
        if status in (
            highspy.HighsModelStatus.kUnbounded,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        ):
            return None
        raise RuntimeError(f"HiGHS: unerwarteter Status {self.highs.modelStatusToString(status)}")
