"""Disclosure control for survey breakdowns (by Jahrgang), built on :mod:`bimo.privacy`.

A breakdown publishes, per group, the number of answers and the mean of a scale, plus the
total. Two rules hold for every published cell and for everything derivable from them:

* at least ``minimum`` answers (``Settings.min_cell`` ≥ 5, raised per round), and
* at least ``min_units`` contributing units (classes in a school report, schools in the
  Land report), so that no single class — i.e. no single teacher's lessons — or school is
  shown on its own.

Cells below either rule are primary suppressions; :func:`bimo.privacy.secondary_suppression`
adds complementary suppressions until the LP audit proves every suppressed count has an
interval of width ≥ ``minimum``. Because means are published together with their counts, the
only derivable quantity of a suppressed set is its residual (total minus the shown cells): the
loop below suppresses further cells until that residual, too, has ≥ ``minimum`` answers and ≥
``min_units`` units, and never leaves a single suppressed cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

# Submodules, not the package: ``bimo.privacy.audit`` and ``.protect`` are both module and
# function names there.
from bimo.privacy.audit import audit
from bimo.privacy.suppression import secondary_suppression, threshold_primary
from bimo.privacy.table import TOTAL, Table, TableSet

__all__ = ["Group", "Pattern", "protect_groups"]


@dataclass(frozen=True)
class Group:
    """One inner cell of a breakdown: its label, its number of answers, its units."""

    key: str
    n: int
    units: frozenset[str]


@dataclass(frozen=True)
class Pattern:
    """Which inner cells are published (``shown[key]``), and the audit of the pattern."""

    shown: dict[str, bool]
    audited_cells: int
    min_interval: float | None  # narrowest interval of a suppressed count (None: none)

    @property
    def suppressed(self) -> list[str]:
        return [k for k, ok in self.shown.items() if not ok]


def protect_groups(groups: Sequence[Group], minimum: int, min_units: int) -> Pattern:
    """Suppression pattern for a one-dimensional breakdown whose total is published.

    The caller has checked that the total satisfies both rules.
    """
    if not groups:
        return Pattern({}, 0, None)
    cells = pl.DataFrame(
        {"gruppe": [g.key for g in groups], "value": [g.n for g in groups]},
        schema={"gruppe": pl.String, "value": pl.Int64},
    )
    tset = TableSet([Table.from_inner(cells, ["gruppe"])])
    var_of = {key[0]: i for i, key in enumerate(tset.keys)}
    by_key = {g.key: g for g in groups}
    primary = threshold_primary(tset, minimum)
    for g in groups:
        if len(g.units) < min_units:
            primary[var_of[g.key]] = True
    primary[var_of[TOTAL]] = False
    while True:
        if primary.any():
            suppressed = secondary_suppression(tset, primary, minimum).suppressed
        else:
            suppressed = primary.copy()
        hidden = [g for g in groups if suppressed[var_of[g.key]]]
        residual_n = sum(g.n for g in hidden)
        residual_units = frozenset().union(*(g.units for g in hidden)) if hidden else frozenset()
        ok = (
            not hidden
            or (len(hidden) >= 2 and residual_n >= minimum and len(residual_units) >= min_units)
        ) and not suppressed[var_of[TOTAL]]
        if ok or len(hidden) == len(groups):
            break
        # One more cell, the smallest still shown, joins the suppressed set.
        candidates = [g for g in groups if not suppressed[var_of[g.key]]]
        primary[var_of[min(candidates, key=lambda g: (g.n, g.key)).key]] = True
    # Everything inside is hidden: the total alone is safe (the caller checked it).
    suppressed[var_of[TOTAL]] = False
    report = audit(tset, suppressed, minimum)
    if not report.passed:  # pragma: no cover - secondary_suppression guarantees this
        raise RuntimeError(report.describe())
    widths = [c.width for c in report.intervals]
    return Pattern(
        {g.key: not bool(suppressed[var_of[g.key]]) for g in by_key.values()},
        len(report.intervals),
        float(np.min(widths)) if widths else None,
    )
