"""Table model for disclosure control: count tables with marginal totals as a linear system.

A :class:`Table` holds a k-dimensional count table (k = 1–3) as a dense grid that includes
the marginal totals: along every dimension the last position is the total ``Insgesamt``.
Every line of every dimension gives one additivity constraint (total = sum of its parts).

Several tables that are published together form a :class:`TableSet`. Cells are identified
by a *canonical key* over the union of all dimension names, where a dimension a table does
not have counts as ``Insgesamt``; so the 2-D projection A×B of a 3-D table A×B×C shares its
cells with the C = ``Insgesamt`` slice of the 3-D table, and two tables that share a margin
share those variables. A :class:`Link` adds the aggregation constraints of a hierarchy
(e.g. every Kreis cell is the sum of the cells of its schools) between two tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl
import scipy.sparse as sp

TOTAL = "Insgesamt"

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class TableError(ValueError):
    """Inconsistent table definition (programming error of the caller, not bad user input)."""


@dataclass
class Table:
    """A count table with all marginal totals.

    ``values`` has shape ``(n_1 + 1, …, n_k + 1)``; index ``n_d`` along axis ``d`` is the
    total ``Insgesamt`` of dimension ``d``. ``categories[d]`` lists the inner labels.
    """

    dims: tuple[str, ...]
    categories: tuple[tuple[str, ...], ...]
    values: IntArray

    @classmethod
    def from_inner(cls, cells: pl.DataFrame, dims: Sequence[str], value: str = "value") -> Table:
        """Build the table from inner cells in long form (missing combinations are zeros)."""
        dims = tuple(dims)
        if not 1 <= len(dims) <= 3:
            raise TableError(f"1 bis 3 Dimensionen erwartet, nicht {len(dims)}")
        cats: list[tuple[str, ...]] = []
        codes: list[IntArray] = []
        for dim in dims:
            labels = cells[dim].cast(pl.String)
            uniq = tuple(sorted(set(labels.to_list())))
            if TOTAL in uniq:
                raise TableError(f"Spalte {dim} enthält bereits '{TOTAL}'")
            lookup = {label: i for i, label in enumerate(uniq)}
            cats.append(uniq)
            codes.append(np.fromiter((lookup[x] for x in labels), np.int64, len(labels)))
        shape = tuple(len(c) + 1 for c in cats)
        grid = np.zeros(shape, dtype=np.int64)
        counts = cells[value].cast(pl.Int64).to_numpy()
        if len(counts) and (counts.min() < 0):
            raise TableError("Negative Anzahlen sind nicht zulässig")
        np.add.at(grid, tuple(codes), counts)
        table = cls(dims, tuple(cats), grid)
        table.fill_margins()
        return table

    def fill_margins(self) -> None:
        """Recompute every marginal total from the inner cells."""
        inner = self.values[tuple(slice(0, len(c)) for c in self.categories)]
        full = inner
        for axis in range(len(self.dims)):
            full = np.concatenate([full, full.sum(axis=axis, keepdims=True)], axis=axis)
        self.values = np.ascontiguousarray(full)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(c) + 1 for c in self.categories)

    def labels(self, axis: int) -> tuple[str, ...]:
        return (*self.categories[axis], TOTAL)

    def to_frame(self, values: npt.NDArray[np.generic] | None = None) -> pl.DataFrame:
        """All cells (inner and margins) in long form: one column per dimension + ``value``."""
        grids = np.meshgrid(*[np.arange(n) for n in self.shape], indexing="ij")
        data: dict[str, object] = {
            dim: np.array(self.labels(d), dtype=object)[grids[d].ravel()]
            for d, dim in enumerate(self.dims)
        }
        data["value"] = (self.values if values is None else values).ravel()
        return pl.DataFrame(data, schema_overrides={d: pl.String for d in self.dims})


@dataclass(frozen=True)
class Link:
    """Hierarchy between two dimensions: every ``fine`` label belongs to one ``coarse`` label.

    A cell with ``coarse = k`` (and ``fine`` = Insgesamt) equals the sum of the cells with
    ``fine = s`` for all s in k (and ``coarse`` = Insgesamt), other coordinates equal.
    """

    fine: str
    coarse: str
    mapping: Mapping[str, str]


@dataclass
class TableSet:
    """Tables published together, with their joint linear additivity constraints.

    ``keys[i]`` is the canonical key of variable i, ``values[i]`` its true value;
    ``matrix`` (rows × variables) holds one row per constraint with +1 for every part and
    −1 for the total, so ``matrix @ values == 0``. ``index[t]`` maps the grid of table t
    to variable numbers.
    """

    tables: list[Table]
    links: list[Link] = field(default_factory=list)
    dims: tuple[str, ...] = ()
    keys: list[tuple[str, ...]] = field(default_factory=list)
    values: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    index: list[IntArray] = field(default_factory=list)
    matrix: sp.csr_matrix = field(default_factory=lambda: sp.csr_matrix((0, 0)))
    link_rows: list[tuple[int, IntArray]] = field(default_factory=list)
    # False for a published table, whose suppressed cells are blank (so sums do not hold).
    check: bool = True

    def __post_init__(self) -> None:
        dims: list[str] = []
        for table in self.tables:
            dims.extend(d for d in table.dims if d not in dims)
        self.dims = tuple(dims)
        key_index: dict[tuple[str, ...], int] = {}
        values: list[int] = []
        self.index = []
        for table in self.tables:
            positions = [self.dims.index(d) for d in table.dims]
            flat_index = np.empty(table.values.size, dtype=np.int64)
            labels = [table.labels(a) for a in range(len(table.dims))]
            for flat, multi in enumerate(np.ndindex(*table.shape)):
                key = [TOTAL] * len(self.dims)
                for axis, pos in enumerate(positions):
                    key[pos] = labels[axis][multi[axis]]
                tkey = tuple(key)
                var = key_index.get(tkey)
                value = int(table.values[multi])
                if var is None:
                    var = len(values)
                    key_index[tkey] = var
                    values.append(value)
                elif self.check and values[var] != value:
                    cell = dict(zip(self.dims, tkey, strict=True))
                    raise TableError(
                        f"Tabellen widersprechen sich in Zelle {cell}: "
                        f"{values[var]} gegenüber {value}"
                    )
                flat_index[flat] = var
            self.index.append(flat_index.reshape(table.shape))
        self.keys = sorted(key_index, key=key_index.__getitem__)
        self.values = np.asarray(values, dtype=np.int64)
        self.link_rows = self._link_constraints(key_index)
        rows = self._table_constraints() + self.link_rows
        self.matrix = _constraint_matrix(rows, len(values))
        if self.check and self.matrix.shape[0] and np.any(self.matrix @ self.values != 0):
            raise TableError("Die Tabellen sind nicht additiv (Summen stimmen nicht überein)")

    def _table_constraints(self) -> list[tuple[int, IntArray]]:
        rows: list[tuple[int, IntArray]] = []
        for table, idx in zip(self.tables, self.index, strict=True):
            for axis in range(len(table.dims)):
                moved = np.moveaxis(idx, axis, -1)
                lines = moved.reshape(-1, moved.shape[-1])
                rows.extend((int(line[-1]), line[:-1]) for line in lines)
        return rows

    def _link_constraints(
        self, key_index: dict[tuple[str, ...], int]
    ) -> list[tuple[int, IntArray]]:
        rows: list[tuple[int, IntArray]] = []
        for link in self.links:
            if link.fine not in self.dims or link.coarse not in self.dims:
                # Neither level of the hierarchy is published together: nothing to tie.
                continue
            fine, coarse = self.dims.index(link.fine), self.dims.index(link.coarse)
            # A child label that occurs in no table (e.g. no FOES at all in a year) is a zero
            # part; requiring it would silently drop the whole link equation.
            present = {key[fine] for key in key_index}
            members: dict[str, list[str]] = {}
            for child, parent in link.mapping.items():
                if child in present:
                    members.setdefault(parent, []).append(child)
            for key, var in key_index.items():
                if key[coarse] == TOTAL or key[fine] != TOTAL:
                    continue
                parts = []
                for child in members.get(key[coarse], []):
                    part = list(key)
                    part[coarse], part[fine] = TOTAL, child
                    parts.append(key_index.get(tuple(part)))
                if parts and all(p is not None for p in parts):
                    rows.append((var, np.asarray(parts, dtype=np.int64)))
        return rows

    @property
    def n_vars(self) -> int:
        return len(self.values)

    def tables_of(self, var: int) -> list[tuple[int, tuple[int, ...]]]:
        """Every (table number, grid position) at which variable ``var`` appears."""
        found: list[tuple[int, tuple[int, ...]]] = []
        for t, idx in enumerate(self.index):
            hits = np.argwhere(idx == var)
            found.extend((t, tuple(int(x) for x in h)) for h in hits)
        return found


def _constraint_matrix(rows: list[tuple[int, IntArray]], n_vars: int) -> sp.csr_matrix:
    """Sparse constraint matrix; duplicate constraints (shared margins) are dropped."""
    seen: set[tuple[int, bytes]] = set()
    row_ids: list[IntArray] = []
    col_ids: list[IntArray] = []
    coefs: list[FloatArray] = []
    n_rows = 0
    for total, parts in rows:
        signature = (total, np.sort(parts).tobytes())
        if signature in seen:
            continue
        seen.add(signature)
        cols = np.concatenate([parts, [total]])
        vals = np.ones(len(cols))
        vals[-1] = -1.0
        row_ids.append(np.full(len(cols), n_rows, dtype=np.int64))
        col_ids.append(cols)
        coefs.append(vals)
        n_rows += 1
    if not n_rows:
        return sp.csr_matrix((0, n_vars))
    return sp.csr_matrix(
        (np.concatenate(coefs), (np.concatenate(row_ids), np.concatenate(col_ids))),
        shape=(n_rows, n_vars),
    )
