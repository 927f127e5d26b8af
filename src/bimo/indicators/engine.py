"""The indicator engine: catalogue → protected long table ``indicator_values``.

Design for speed: an additive indicator costs one database query at the finest grain
(geography key × jahr × all allowed disaggregations, see :mod:`bimo.indicators.compile`);
every level × disaggregation is then a Polars group-by over those few hundred thousand rows.
Non-additive functions are called once per level × disaggregation. Disclosure control
(:mod:`bimo.indicators.disclosure`) runs per indicator and year on the rolled-up counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import ibis.expr.types as ir
import polars as pl

from bimo.core.codes import ALL_CODE_LISTS, KREISTYP
from bimo.core.errors import BimoError
from bimo.core.schemas import ANALYTIC_TABLES, SCHOOLS, ColumnSpec
from bimo.core.store import AnalyticStore
from bimo.indicators.catalog import (
    DERIVED_COLUMNS,
    LEVEL_ORDER,
    Catalog,
    CatalogError,
    Declarative,
    FunctionForm,
    Indicator,
    load_catalog,
)
from bimo.indicators.compile import FinePart, fine_parts
from bimo.indicators.context import KREISTYP_PREFIX, LEVEL_COLUMNS, IndicatorContext
from bimo.privacy.protect import ProtectionConfig

VALUE_SCHEMA: dict[str, Any] = {
    "indikator": pl.String,
    "jahr": pl.Int64,
    "ebene": pl.String,
    "ags": pl.String,
    "region": pl.String,
    "merkmal": pl.String,
    "auspraegung": pl.String,
    "auspraegung_label": pl.String,
    "zaehler": pl.Float64,
    "nenner": pl.Float64,
    "wert": pl.Float64,
    "se": pl.Float64,
    "flag": pl.String,
    "intern": pl.Boolean,
}
TOTAL_MERKMAL = "insgesamt"
TOTAL_CODE = "Insgesamt"
EMPTY_CODE = "LEER"
EMPTY_LABEL = "ohne Angabe"
VALUES_TABLE = "indicator_values"
# Columns of the raw (unprotected) rolled-up frame, before labels and flags.
RAW_KEYS = ("jahr", "ebene", "ags", "merkmal", "auspraegung")

ProgressFn = Callable[[str, int, int], None]


@dataclass
class Timings:
    """Seconds spent per phase (for the benchmark).

    Disclosure control overlaps with the next indicator's query (worker thread), so the
    phases add up to more than the wall time; ``per_indicator`` is query + roll-up.
    """

    query: float = 0.0
    rollup: float = 0.0
    disclosure: float = 0.0
    labels: float = 0.0
    per_indicator: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RegionMaps:
    """Everything needed to roll fine rows up and to name regions."""

    schools: pl.DataFrame  # schulnummer, gemeinde_ags, kreis_ags
    kreistyp: pl.DataFrame  # kreis_ags, kreistyp_ags
    names: dict[str, str]

    @classmethod
    def load(cls, ctx: IndicatorContext) -> RegionMaps:
        sc = ctx.school_map()
        rg = ctx.regions()
        kt = rg.filter((pl.col("ebene") == "KREIS") & pl.col("kreistyp").is_not_null()).select(
            kreis_ags=pl.col("ags"), kreistyp_ags=pl.lit(KREISTYP_PREFIX) + pl.col("kreistyp")
        )
        names = dict(zip(rg["ags"].to_list(), rg["name"].to_list(), strict=True))
        for code, label in KREISTYP.labels.items():
            names[KREISTYP_PREFIX + code] = f"Kreistyp: {label}"
        names.update(zip(sc["schulnummer"].to_list(), sc["name"].to_list(), strict=True))
        return cls(sc.select("schulnummer", "gemeinde_ags", "kreis_ags"), kt, names)


def compute(
    source: AnalyticStore | Any,
    catalog: Catalog | None = None,
    *,
    ids: Sequence[str] | None = None,
    years: Sequence[int] | None = None,
    levels: Sequence[str] | None = None,
    config: ProtectionConfig | None = None,
    progress: ProgressFn | None = None,
    timings: Timings | None = None,
) -> pl.DataFrame:
    """Compute and protect indicators; returns the long table (:data:`VALUE_SCHEMA`).

    ``source`` is an :class:`AnalyticStore` or any Ibis backend holding the analytic tables.
    ``levels`` restricts the output levels (LAND, KREISTYP, KREIS, GEMEINDE, SCHULE).
    """
    from bimo.indicators.disclosure import protect_indicator

    catalog = catalog or load_catalog()
    config = config or ProtectionConfig(prune=False)
    min_cell = config.resolved_min()
    ctx = IndicatorContext(source, min_cell=min_cell, years=years)
    wanted = _check_levels(levels)
    timings = timings or Timings()
    maps = RegionMaps.load(ctx)
    selected = catalog.select(list(ids) if ids is not None else None)

    def protect_and_label(raw: pl.DataFrame, ind: Indicator) -> pl.DataFrame:
        t0 = time.perf_counter()
        protected = protect_indicator(raw, ind, maps, config)
        t1 = time.perf_counter()
        finished = _finish(protected, ind, maps)
        timings.disclosure += t1 - t0
        timings.labels += time.perf_counter() - t1
        return finished

    # Disclosure control of one indicator (Polars, HiGHS: both release the GIL) runs in a
    # worker thread while the database computes the next indicator; at most one indicator is
    # waiting, so memory stays bounded. Results keep catalogue order.
    frames: list[pl.DataFrame] = []
    pending: Future[pl.DataFrame] | None = None
    with ThreadPoolExecutor(max_workers=1) as pool:
        for i, ind in enumerate(selected):
            if progress is not None:
                progress(ind.id, i, len(selected))
            start = time.perf_counter()
            out_levels = [lv for lv in ind.output_levels() if lv in wanted]
            raw = raw_values(ctx, ind, out_levels, maps, timings)
            if pending is not None:
                frames.append(pending.result())
            pending = pool.submit(protect_and_label, raw, ind)
            timings.per_indicator[ind.id] = time.perf_counter() - start
        if pending is not None:
            frames.append(pending.result())
    if progress is not None:
        progress("", len(selected), len(selected))
    if not frames:
        return empty_values()
    return pl.concat(frames, how="vertical").sort(
        "indikator", "jahr", "ebene", "ags", "merkmal", "auspraegung"
    )


def empty_values() -> pl.DataFrame:
    return pl.DataFrame(schema=VALUE_SCHEMA)


def _check_levels(levels: Sequence[str] | None) -> set[str]:
    if levels is None:
        return set(LEVEL_ORDER)
    bad = [lv for lv in levels if lv not in LEVEL_ORDER]
    if bad:
        raise CatalogError(
            f"Unbekannte Ebene(n) {', '.join(bad)} (erlaubt: {', '.join(LEVEL_ORDER)})"
        )
    return set(levels)


# --- raw values --------------------------------------------------------------------------


def raw_values(
    ctx: IndicatorContext,
    ind: Indicator,
    levels: list[str],
    maps: RegionMaps,
    timings: Timings | None = None,
) -> pl.DataFrame:
    """Unprotected values of one indicator: RAW_KEYS + zaehler, nenner, wert, se."""
    timings = timings or Timings()
    if not ind.additive:
        t0 = time.perf_counter()
        out = _non_additive(ctx, ind, levels)
        timings.query += time.perf_counter() - t0
        return out
    t0 = time.perf_counter()
    parts = _additive_parts(ctx, ind)
    fines = [(part, ctx.execute(part.expr)) for part in parts]
    timings.query += time.perf_counter() - t0
    t0 = time.perf_counter()
    rolled = [rollup(df, part.geo, list(ind.aufgliederungen), levels, maps) for part, df in fines]
    merged = rolled[0]
    for other in rolled[1:]:
        merged = merged.join(other, on=list(RAW_KEYS), how="full", coalesce=True)
    if len(rolled) > 1:
        # Two sources: a region-year counts only where both sources have data; a category
        # missing on one side within such a region-year is a true zero.
        region_years = ["ebene", "ags", "jahr"]
        for part in rolled:
            merged = merged.join(part.select(region_years).unique(), on=region_years, how="semi")
    for m in ("zaehler", "nenner"):
        if m not in merged.columns:
            merged = merged.with_columns(pl.lit(None, pl.Float64).alias(m))
    merged = merged.with_columns(pl.col("zaehler").fill_null(0.0))
    if ind.art != "anzahl":
        merged = merged.with_columns(pl.col("nenner").fill_null(0.0))
    out = merged.with_columns(_value_expr(ind), pl.lit(None, pl.Float64).alias("se"))
    timings.rollup += time.perf_counter() - t0
    return out.select(*RAW_KEYS, "zaehler", "nenner", "wert", "se")


def _value_expr(ind: Indicator) -> pl.Expr:
    if ind.art == "anzahl":
        return pl.col("zaehler").alias("wert")
    return (
        pl.when(pl.col("nenner") > 0)
        .then(ind.faktor * pl.col("zaehler") / pl.col("nenner"))
        .otherwise(None)
        .alias("wert")
    )


def _additive_parts(ctx: IndicatorContext, ind: Indicator) -> list[FinePart]:
    if isinstance(ind.berechnung, Declarative):
        return fine_parts(ctx, ind)
    func = _function(ind)
    expr: ir.Table = func(ctx, **ind.berechnung.parameter)
    geo = "schulnummer" if "schulnummer" in expr.columns else "kreis_ags"
    needed = {"jahr", geo, "zaehler", "nenner", *ind.aufgliederungen}
    missing = sorted(needed - set(expr.columns))
    if missing:
        raise CatalogError(
            f"Indikator {ind.id}: die Funktion {ind.berechnung.funktion} liefert die Spalten "
            f"{', '.join(missing)} nicht."
        )
    if geo == "kreis_ags":
        bad = [lv for lv in ind.ebenen if lv not in ("LAND", "KREIS")]
        if bad:
            raise CatalogError(
                f"Indikator {ind.id}: Daten auf Kreisebene erlauben nur LAND und KREIS, "
                f"nicht {', '.join(bad)}."
            )
    if ctx.years is not None:
        expr = expr.filter(expr.jahr.isin(ctx.years))
    keys: dict[str, Any] = {"jahr": expr.jahr.cast("int64"), "geo": expr[geo].cast("string")}
    for d in ind.aufgliederungen:
        keys[d] = expr[d].cast("string")
    agg = expr.group_by(**keys).aggregate(
        zaehler=expr.zaehler.cast("float64").sum(), nenner=expr.nenner.cast("float64").sum()
    )
    return [FinePart(agg, geo, ("zaehler", "nenner"))]


def _function(ind: Indicator) -> Callable[..., ir.Table]:
    import importlib

    assert isinstance(ind.berechnung, FunctionForm)
    module, _, attr = ind.berechnung.funktion.partition(":")
    func: Callable[..., ir.Table] = getattr(importlib.import_module(module), attr)
    return func


def rollup(
    fine: pl.DataFrame, geo: str, dims: list[str], levels: list[str], maps: RegionMaps
) -> pl.DataFrame:
    """Sum fine rows (geo × jahr × dims) to every level × disaggregation (one at a time).

    The fine frame is scanned once per disaggregation (to geo × jahr × category); every
    level is then summed from that much smaller frame, so the region joins never touch the
    fine rows.
    """
    measures = [m for m in ("zaehler", "nenner") if m in fine.columns]
    f = fine.rename({"geo": geo}).with_columns([pl.col(d).fill_null(EMPTY_CODE) for d in dims])
    out: list[pl.DataFrame] = []
    for m in [None, *dims]:
        g = f.group_by([geo, "jahr", *([m] if m else [])]).agg(pl.col(c).sum() for c in measures)
        if geo == "schulnummer":
            g = g.join(maps.schools, on="schulnummer", how="inner")
        g = g.join(maps.kreistyp, on="kreis_ags", how="left").with_columns(
            land_ags=pl.col("kreis_ags").str.slice(0, 2)
        )
        for level in levels:
            key = LEVEL_COLUMNS[level]
            if key not in g.columns or (m is not None and level == "GEMEINDE"):
                continue
            sub = g.filter(pl.col(key).is_not_null())
            if key != geo:
                sub = sub.group_by([key, "jahr", *([m] if m else [])]).agg(
                    pl.col(c).sum() for c in measures
                )
            out.append(
                sub.select(
                    pl.col("jahr").cast(pl.Int64),
                    pl.lit(level).alias("ebene"),
                    pl.col(key).alias("ags"),
                    pl.lit(m or TOTAL_MERKMAL).alias("merkmal"),
                    (pl.col(m) if m else pl.lit(TOTAL_CODE)).alias("auspraegung"),
                    *[pl.col(c).cast(pl.Float64) for c in measures],
                )
            )
    if not out:
        schema = {k: pl.String for k in RAW_KEYS} | {"jahr": pl.Int64}
        return pl.DataFrame(schema=schema | {c: pl.Float64 for c in measures})
    return pl.concat(out, how="vertical")


def _non_additive(ctx: IndicatorContext, ind: Indicator, levels: list[str]) -> pl.DataFrame:
    assert isinstance(ind.berechnung, FunctionForm)
    func = _function(ind)
    frames: list[pl.DataFrame] = []
    for level in levels:
        for m in [None, *(ind.aufgliederungen if level != "GEMEINDE" else [])]:
            expr = func(ctx, level=level, merkmal=m, **ind.berechnung.parameter)
            missing = {"jahr", "ags", "auspraegung", "zaehler", "nenner", "wert", "se"} - set(
                expr.columns
            )
            if missing:
                raise CatalogError(
                    f"Indikator {ind.id}: die Funktion {ind.berechnung.funktion} liefert die "
                    f"Spalten {', '.join(sorted(missing))} nicht (Ebene {level})."
                )
            df = ctx.execute(expr)
            if ctx.years is not None:
                df = df.filter(pl.col("jahr").is_in(ctx.years))
            frames.append(
                df.select(
                    pl.col("jahr").cast(pl.Int64),
                    pl.lit(level).alias("ebene"),
                    pl.col("ags").cast(pl.String),
                    pl.lit(m or TOTAL_MERKMAL).alias("merkmal"),
                    pl.col("auspraegung").cast(pl.String).fill_null(EMPTY_CODE),
                    *[pl.col(c).cast(pl.Float64) for c in ("zaehler", "nenner", "wert", "se")],
                )
            )
    schema: dict[str, Any] = {k: pl.String for k in RAW_KEYS} | {"jahr": pl.Int64}
    schema |= {c: pl.Float64 for c in ("zaehler", "nenner", "wert", "se")}
    return pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=schema)


# --- labels and the final table ---------------------------------------------------------


def column_spec(name: str) -> ColumnSpec | None:
    """The data-model column of a disaggregation (first table that defines it)."""
    if name in SCHOOLS.column_names:
        return SCHOOLS.column(name)
    for spec in ANALYTIC_TABLES.values():
        if name in spec.column_names:
            return spec.column(name)
    return DERIVED_COLUMNS.get(name)


def category_label(merkmal: str, code: str) -> str:
    if code == TOTAL_CODE:
        return TOTAL_CODE
    if code == EMPTY_CODE:
        return EMPTY_LABEL
    spec = column_spec(merkmal)
    if spec is not None and spec.dtype == "bool":
        return {"true": "ja", "false": "nein"}.get(code, code)
    if spec is not None and spec.codelist is not None:
        return ALL_CODE_LISTS[spec.codelist].label(code)
    return code


def _finish(df: pl.DataFrame, ind: Indicator, maps: RegionMaps) -> pl.DataFrame:
    pairs = df.select("merkmal", "auspraegung").unique()
    labels = pairs.with_columns(
        auspraegung_label=pl.Series(
            [category_label(m, c) for m, c in pairs.iter_rows()], dtype=pl.String
        )
    )
    out = df.join(labels, on=["merkmal", "auspraegung"], how="left")
    regions = pl.DataFrame(
        {"ags": list(maps.names), "region": list(maps.names.values())},
        schema={"ags": pl.String, "region": pl.String},
    )
    out = out.join(regions, on="ags", how="left").with_columns(
        pl.col("region").fill_null(pl.col("ags")),
        pl.lit(ind.id).alias("indikator"),
        (pl.col("ebene") == "SCHULE").alias("intern"),
    )
    return out.select([pl.col(c).cast(t) for c, t in VALUE_SCHEMA.items()])


# --- store --------------------------------------------------------------------------------


def write_values(store: AnalyticStore, df: pl.DataFrame) -> int:
    """Replace table ``indicator_values`` in the analytic store (one transaction)."""
    frame = df.select([pl.col(c).cast(t) for c, t in VALUE_SCHEMA.items()])
    arrow = frame.to_arrow()
    with store.transaction() as con:
        con.register("bimo_indicator_values_new", arrow)
        try:
            con.execute(f'DROP TABLE IF EXISTS "{VALUES_TABLE}"')
            con.execute(f'CREATE TABLE "{VALUES_TABLE}" AS SELECT * FROM bimo_indicator_values_new')
        finally:
            con.unregister("bimo_indicator_values_new")
    return frame.height


def read_values(store: AnalyticStore) -> pl.DataFrame:
    """The stored ``indicator_values`` (empty frame with the schema when never computed)."""
    rows = store.raw.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [VALUES_TABLE]
    ).fetchall()
    if not rows[0][0]:
        return empty_values()
    frame: pl.DataFrame = store.raw.sql(f'SELECT * FROM "{VALUES_TABLE}"').pl()
    return frame.select([pl.col(c).cast(t) for c, t in VALUE_SCHEMA.items()])


def merge_values(
    existing: pl.DataFrame,
    new: pl.DataFrame,
    *,
    ids: Sequence[str] | None = None,
    years: Sequence[int] | None = None,
) -> pl.DataFrame:
    """Stored values with the recomputed part (``ids`` × ``years``) replaced by ``new``."""
    if ids is None and years is None:
        return new
    replaced = pl.lit(True)
    if ids is not None:
        replaced = replaced & pl.col("indikator").is_in(list(ids))
    if years is not None:
        replaced = replaced & pl.col("jahr").is_in(list(years))
    kept = existing.filter(~replaced)
    return pl.concat([kept, new.select(kept.columns)], how="vertical")


def select_region(df: pl.DataFrame, maps: RegionMaps, ags: str) -> pl.DataFrame:
    """Rows of region ``ags`` (Land, Kreis or Gemeinde), its sub-regions and schools, its
    parent regions and the Kreistyp comparison group(s) of its Kreis(e)."""
    ags = ags.strip()
    if len(ags) not in (2, 5, 8) or ags not in maps.names or not ags.isdigit():
        raise BimoError(
            f"Region „{ags}“ ist unbekannt: erwartet wird der AGS eines Landes (2 Stellen), "
            "Kreises (5) oder einer Gemeinde (8) aus der Tabelle regions."
        )
    schools = maps.schools
    kreistyp = dict(maps.kreistyp.iter_rows())
    if len(ags) == 8:
        mine = schools.filter(pl.col("gemeinde_ags") == ags)
        kreise = [ags[:5]]
        own = [ags, ags[:5], ags[:2]]
    else:
        mine = schools.filter(pl.col("kreis_ags").str.starts_with(ags))
        kreise = [k for k in kreistyp if k.startswith(ags)]
        own = [ags, ags[:2]]
    kt = sorted({kreistyp[k] for k in kreise if k in kreistyp})
    prefix = ags if len(ags) < 8 else None
    keep = (
        pl.col("ags").is_in(own)
        | ((pl.col("ebene") == "SCHULE") & pl.col("ags").is_in(mine["schulnummer"].to_list()))
        | ((pl.col("ebene") == "KREISTYP") & pl.col("ags").is_in(kt))
    )
    if prefix is not None:
        keep = keep | (
            pl.col("ebene").is_in(["KREIS", "GEMEINDE"]) & pl.col("ags").str.starts_with(prefix)
        )
    return df.filter(keep)
