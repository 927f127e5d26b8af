"""What indicator functions and the compiler see: tables bound to a backend, region helpers.

The same context works for the DuckDB analytic store and for any other Ibis backend (PySpark):
with DuckDB the tables are *unbound* Ibis tables (named like the store's tables) that the
engine compiles to SQL and runs on the store's connection — Ibis 12's schema lookup calls an
API deprecated in DuckDB 2.0, so asking the database for schemas is avoided. Other backends
bind tables with ``backend.table(name)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import polars as pl

from bimo.core.schemas import ANALYTIC_TABLES, DUCKDB_TYPES, REGIONS
from bimo.core.store import AnalyticStore, unbound_table

LEVEL_COLUMNS: dict[str, str] = {
    "SCHULE": "schulnummer",
    "GEMEINDE": "gemeinde_ags",
    "KREIS": "kreis_ags",
    "LAND": "land_ags",
    "KREISTYP": "kreistyp_ags",
}
KREISTYP_PREFIX = "KT-"
_CACHE_NUMBERS = itertools.count()


class IndicatorContext:
    """Tables and helpers for one computation (see the contract in ``docs/indicators.md``)."""

    def __init__(
        self,
        source: AnalyticStore | Any,
        *,
        min_cell: int = 5,
        years: Sequence[int] | None = None,
    ) -> None:
        self.store: AnalyticStore | None = source if isinstance(source, AnalyticStore) else None
        self.backend: Any = None if self.store is not None else source
        self.min_cell = min_cell
        self.years: list[int] | None = sorted(years) if years is not None else None
        self._cache: dict[Hashable, ir.Table] = {}
        if self.store is not None:
            _empty_views_for_missing_tables(self.store)

    # --- tables ----------------------------------------------------------------------------

    def table(self, name: str) -> ir.Table:
        """The analytic table ``name`` as an Ibis table of this context's backend.

        ``student_years`` comes with the publication convention for Geschlecht applied (see
        :func:`publication_sex`), so every indicator uses the same categories.
        """
        t: ir.Table
        t = (
            unbound_table(ANALYTIC_TABLES[name])
            if self.store is not None
            else self.backend.table(name)
        )
        if name == "student_years":
            t = t.mutate(geschlecht=publication_sex(t))
        return t

    def students(self) -> ir.Table:
        """student_years + ``jahr`` + school attributes + ``land_ags`` + ``kreistyp_ags``."""
        sy = self.table("student_years")
        sc = self.table("schools").select(
            "schulnummer", "traeger", "ganztag_form", "gemeinde_ags", "kreis_ags"
        )
        joined = sy.left_join(sc, "schulnummer").select(
            *[sy[c] for c in sy.columns],
            sc.traeger,
            sc.ganztag_form,
            sc.gemeinde_ags,
            sc.kreis_ags,
        )
        joined = joined.mutate(jahr=joined.schuljahr.cast("int64"))
        return self.with_regions(joined)

    def with_regions(self, t: ir.Table, kreis_col: str = "kreis_ags") -> ir.Table:
        """Add ``land_ags`` (first two digits) and ``kreistyp_ags`` (``KT-<kreistyp>``)."""
        rg = self.table("regions")
        kreise = rg.filter(rg.ebene == "KREIS").select(
            _rk=rg.ags, kreistyp_ags=ibis.literal(KREISTYP_PREFIX) + rg.kreistyp
        )
        out = t.left_join(kreise, t[kreis_col] == kreise._rk).drop("_rk")
        return out.mutate(land_ags=out[kreis_col].substr(0, 2))

    @staticmethod
    def region_column(level: str) -> str:
        return LEVEL_COLUMNS[level]

    def cached(self, key: Hashable, build: Callable[[], ir.Table]) -> ir.Table:
        """An intermediate result shared by several indicators of one computation.

        The four transition indicators (D02–D05) need the same linked person-year table;
        building it once instead of four times saves about a third of the query time of the
        whole catalogue. With the DuckDB store the result is materialised as a temporary table
        (gone when the connection closes); other backends get the expression itself (Spark
        plans it anew, which is correct, only slower).
        """
        if key not in self._cache:
            expr = build()
            if self.store is not None:
                name = f"_bimo_indicator_cache_{next(_CACHE_NUMBERS)}"
                sql = str(ibis.to_sql(expr, dialect="duckdb"))
                self.store.raw.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {sql}')
                expr = ibis.table(expr.schema(), name=name)
            self._cache[key] = expr
        return self._cache[key]

    # --- execution -------------------------------------------------------------------------

    def execute(self, expr: ir.Table) -> pl.DataFrame:
        """Run an expression on this context's backend and return a Polars frame."""
        if self.store is not None:
            sql = str(ibis.to_sql(expr, dialect="duckdb"))
            frame: pl.DataFrame = self.store.raw.sql(sql).pl()
            return frame
        return pl.from_pandas(self.backend.execute(expr))

    def school_map(self) -> pl.DataFrame:
        """schulnummer → gemeinde_ags, kreis_ags, name."""
        sc = self.table("schools")
        return self.execute(sc.select("schulnummer", "name", "gemeinde_ags", "kreis_ags"))

    def regions(self) -> pl.DataFrame:
        rg = self.table("regions")
        return self.execute(rg.select(*REGIONS.column_names))


def publication_sex(t: ir.Table) -> ir.StringValue:
    """Geschlecht as published: ``d`` (divers) and ``x`` (ohne Angabe) assigned to m or w.

    This is the convention of the German official statistics: persons with the entries
    "divers" or "ohne Angabe" are so few that publishing them as categories would force the
    suppression of almost every cell of a sex breakdown (and, as complements, of the m and w
    cells); Destatis therefore assigns them at random to "männlich" or "weiblich". BiMo uses
    the record's fixed random key (``record_key`` < 0.5 → m, otherwise w; a missing key counts
    as w), so the assignment is random across persons but the same in every table and year.
    """
    other = t.geschlecht.isin(["d", "x"])
    assigned = ibis.ifelse(t.record_key.fill_null(1.0) < 0.5, "m", "w")
    return ibis.ifelse(other, assigned, t.geschlecht)


def _empty_views_for_missing_tables(store: AnalyticStore) -> None:
    """A store written by an older BiMo (opened read-only, so without ``ensure_schema``) may
    lack newer analytic tables; an empty temporary view per missing table lets indicators on
    them yield no rows instead of failing. Writable stores always have every table."""
    rows = store.raw.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()
    present = {r[0] for r in rows}
    for spec in ANALYTIC_TABLES.values():
        if spec.name in present:
            continue
        cols = ", ".join(
            f'CAST(NULL AS {DUCKDB_TYPES[c.dtype]}) AS "{c.name}"' for c in spec.columns
        )
        store.raw.execute(
            f'CREATE TEMP VIEW IF NOT EXISTS "{spec.name}" AS SELECT {cols} WHERE false'
        )
