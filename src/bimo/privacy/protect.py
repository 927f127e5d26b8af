"""Public API: protect count tables and write them in the published format.

``protect(cells, dims, config)`` takes the inner cells (Polars, one column per dimension +
``value``), adds all margins (``Insgesamt``), protects and returns a
:class:`ProtectedTable` whose ``cells`` carry a nullable ``value`` and the official
``flag``: ``.`` geheim (suppressed), ``-`` nichts vorhanden (true zero).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from bimo.core.config import ABSOLUTE_MIN_CELL, get_settings
from bimo.core.errors import BimoError, ConfigError
from bimo.privacy.audit import AuditReport, audit
from bimo.privacy.perturb import PerturbationTable, label_cell_keys, round_to_base
from bimo.privacy.suppression import (
    CostModel,
    dominance_primary,
    secondary_suppression,
    threshold_primary,
)
from bimo.privacy.table import TOTAL, Link, Table, TableSet

Method = Literal["suppress", "round5", "cellkey"]
FLAG_SECRET = "."
FLAG_ZERO = "-"
FLAG_UNRELIABLE = "/"
CELLKEY_SECRET_ENV = "BIMO_CELLKEY_SECRET"


@dataclass(frozen=True)
class ProtectionConfig:
    """How to protect. ``min_cell`` defaults to ``Settings.min_cell`` and is never below 5."""

    method: Method = "suppress"
    min_cell: int | None = None
    dominance: tuple[int, float] | None = None
    cost_model: CostModel = "log"
    # Pruning saves ~20 % of the complementary suppressions at several times the run time.
    prune: bool = True
    max_deviation: int = 2
    variance: float = 1.0
    cellkey_secret: bytes | None = None

    def resolved_min(self) -> int:
        value = get_settings().min_cell if self.min_cell is None else self.min_cell
        if value < ABSOLUTE_MIN_CELL:
            raise ConfigError(
                f"Mindestfallzahl {value} ist nicht zulässig: sie darf {ABSOLUTE_MIN_CELL} "
                "nicht unterschreiten."
            )
        return value


@dataclass
class ProtectedTable:
    """A protected table: ``cells`` holds every cell (margins included) in long form."""

    dims: tuple[str, ...]
    cells: pl.DataFrame
    protection: dict[str, Any] = field(default_factory=dict)

    def write(self, path_stem: str | Path, metadata: Mapping[str, Any] | None = None) -> Path:
        """Write ``STEM.csv``, ``STEM.parquet`` and the sidecar ``STEM.json``."""
        stem = Path(path_stem)
        stem = stem.with_suffix("") if stem.suffix in (".csv", ".parquet") else stem
        stem.parent.mkdir(parents=True, exist_ok=True)
        csv_path = stem.with_suffix(".csv")
        self.cells.write_csv(csv_path)
        self.cells.write_parquet(stem.with_suffix(".parquet"))
        sidecar = {
            "dimensions": list(self.dims),
            "margin_label": TOTAL,
            "symbols": {
                FLAG_SECRET: "geheim/unbekannt (gesperrt)",
                FLAG_ZERO: "nichts vorhanden",
                FLAG_UNRELIABLE: "nicht sicher genug (zu geringe Fallzahl)",
            },
            **dict(metadata or {}),
            "protection": self.protection,
        }
        stem.with_suffix(".json").write_text(
            json.dumps(sidecar, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
        )
        return csv_path


def protect(
    cells: pl.DataFrame,
    dims: Sequence[str],
    config: ProtectionConfig | None = None,
    *,
    contributions: pl.DataFrame | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ProtectedTable:
    """Protect one table given by its inner cells."""
    return protect_set([(cells, dims)], config, contributions=contributions, progress=progress)[0]


def protect_set(
    tables: Sequence[tuple[pl.DataFrame, Sequence[str]]],
    config: ProtectionConfig | None = None,
    *,
    links: Sequence[Link] = (),
    contributions: pl.DataFrame | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[ProtectedTable]:
    """Protect tables published together; suppression and audit see all constraints."""
    config = config or ProtectionConfig()
    min_cell = config.resolved_min()
    built = [Table.from_inner(df, dims) for df, dims in tables]
    tset = TableSet(built, list(links))
    if config.method == "suppress":
        return _suppress(tset, config, min_cell, contributions, progress)
    if config.method == "round5":
        out = []
        for t, table in enumerate(built):
            rounded = round_to_base(table.values, 5)
            info = {"method": "round5", "base": 5, "min": min_cell, "additive": False}
            out.append(
                _publish(tset, t, rounded.ravel(), np.zeros(rounded.size, bool), info, False)
            )
        return out
    secret = config.cellkey_secret or os.environ.get(CELLKEY_SECRET_ENV, "").encode()
    if not secret:
        raise ConfigError(
            f"Für das Cell-Key-Verfahren fehlt der Schlüssel: Umgebungsvariable "
            f"{CELLKEY_SECRET_ENV} setzen."
        )
    ptable = PerturbationTable.build(min_cell, config.max_deviation, config.variance)
    out = []
    for t, table in enumerate(built):
        keys = label_cell_keys(table, secret)
        perturbed = ptable.perturb(table.values.ravel(), keys.ravel())
        info = {
            "method": "cellkey",
            "min": min_cell,
            "max_deviation": config.max_deviation,
            "variance": config.variance,
            "cell_keys": "HMAC-SHA256 der Merkmalsausprägungen; Randsummen: frac(Summe)",
            "margins": "separat überlagert (nicht additiv)",
        }
        out.append(_publish(tset, t, perturbed, np.zeros(perturbed.size, bool), info, False))
    return out


def _suppress(
    tset: TableSet,
    config: ProtectionConfig,
    min_cell: int,
    contributions: pl.DataFrame | None,
    progress: Callable[[int, int], None] | None,
) -> list[ProtectedTable]:
    start = time.perf_counter()
    primary = threshold_primary(tset, min_cell)
    if config.dominance is not None and contributions is not None:
        n, k = config.dominance
        primary |= dominance_primary(tset, contributions, n=n, k=k)
    result = secondary_suppression(
        tset,
        primary,
        min_cell,
        cost_model=config.cost_model,
        prune=config.prune,
        progress=progress,
    )
    seconds = time.perf_counter() - start
    report = audit(tset, result.suppressed, min_cell)
    out = []
    for t in range(len(tset.tables)):
        idx = tset.index[t].ravel()
        info = {
            "method": "suppress",
            "min": min_cell,
            "requirement": f"Intervallbreite (obere − untere Grenze) ≥ {min_cell}",
            "dominance": list(config.dominance) if config.dominance else None,
            "pruning": config.prune,
            "primary_suppressions": int(result.primary[idx].sum()),
            "secondary_suppressions": int((result.suppressed & ~result.primary)[idx].sum()),
            "tables_published_together": len(tset.tables),
            "audit": {
                "passed": report.passed,
                "audited_cells": len(report.intervals),
                "failures": len(report.failures),
            },
            "seconds": round(seconds, 3),
        }
        out.append(_publish(tset, t, tset.values[idx], result.suppressed[idx], info))
    return out


def _publish(
    tset: TableSet,
    t: int,
    values: np.ndarray[Any, Any],
    suppressed: np.ndarray[Any, Any],
    info: dict[str, Any],
    zero_symbol: bool = True,
) -> ProtectedTable:
    """Long table with ``value`` (null when suppressed or a true zero) and ``flag``.

    Perturbed methods (rounding, cell key) publish every zero as 0 without ``-``: a rounded
    or perturbed 0 can stand for a small count, and marking only true zeros would reveal
    which zeros hide 1–4 persons.
    """
    table = tset.tables[t]
    true_zero = (table.values.ravel() == 0) & ~suppressed & zero_symbol
    frame = table.to_frame(np.asarray(values, dtype=np.int64))
    frame = frame.with_columns(
        pl.when(pl.Series(suppressed) | pl.Series(true_zero))
        .then(None)
        .otherwise(pl.col("value"))
        .alias("value"),
        pl.when(pl.Series(suppressed))
        .then(pl.lit(FLAG_SECRET))
        .when(pl.Series(true_zero))
        .then(pl.lit(FLAG_ZERO))
        .otherwise(pl.lit(""))
        .alias("flag"),
    )
    return ProtectedTable(table.dims, frame, info)


def flag_rates(
    df: pl.DataFrame, rate: str, cases: str, min_cell: int | None = None
) -> pl.DataFrame:
    """Blank ``rate`` and set flag ``/`` where it rests on fewer than ``min_cell`` cases."""
    limit = ProtectionConfig(min_cell=min_cell).resolved_min()
    unsafe = pl.col(cases).is_null() | (pl.col(cases) < limit)
    flag = pl.col("flag") if "flag" in df.columns else pl.lit("")
    return df.with_columns(
        pl.when(unsafe).then(None).otherwise(pl.col(rate)).alias(rate),
        pl.when(unsafe).then(pl.lit(FLAG_UNRELIABLE)).otherwise(flag).alias("flag"),
    )


def audit_published(df: pl.DataFrame, dims: Sequence[str], min_cell: int) -> AuditReport:
    """Recompute attacker intervals from a published table (margins included).

    Cells with an empty ``value`` and flag ``.`` are unknown to the attacker; all other
    cells are known (``-`` is zero).
    """
    dims = list(dims)
    secret = df["flag"].fill_null("") == FLAG_SECRET
    known = df.with_columns(
        pl.when(secret).then(0).otherwise(pl.col("value").fill_null(0)).alias("value")
    )
    inner = known.filter(pl.all_horizontal([pl.col(d) != TOTAL for d in dims]))
    table = Table.from_inner(inner.select([*dims, "value"]), dims)
    positions = _grid_positions(table, known, dims)
    table.values = np.zeros(table.shape, dtype=np.int64)
    table.values[positions] = known["value"].cast(pl.Int64).to_numpy()
    tset = TableSet([table], check=False)
    mask = np.zeros(tset.n_vars, dtype=bool)
    mask[tset.index[0][positions][secret.to_numpy()]] = True
    return audit(tset, mask, min_cell, truth_known=False)


def _grid_positions(
    table: Table, df: pl.DataFrame, dims: Sequence[str]
) -> tuple[np.ndarray[Any, Any], ...]:
    out = []
    for d, dim in enumerate(dims):
        lookup = {label: i for i, label in enumerate(table.labels(d))}
        try:
            out.append(np.asarray([lookup[str(x)] for x in df[dim].to_list()], dtype=np.int64))
        except KeyError as exc:
            raise BimoError(f"Unbekannte Ausprägung {exc} in Spalte {dim}") from exc
    return tuple(out)
