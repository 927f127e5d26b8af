"""Compile declarative measures to Ibis expressions at the finest grain.

One query per source table: rows of the source grouped by geography key (``schulnummer`` or
``kreis_ags``) × ``jahr`` × every allowed disaggregation column, with the conditional sums
``zaehler`` and ``nenner``. The engine rolls these fine rows up to all levels in Polars, so the
database is asked once per indicator, not once per level × disaggregation. Pure Ibis
expressions (no UDFs), so they run on DuckDB and PySpark alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from bimo.indicators.catalog import (
    SCHOOL_JOIN_COLUMNS,
    Condition,
    Declarative,
    Indicator,
    Measure,
    is_school_based,
)
from bimo.indicators.context import IndicatorContext


@dataclass(frozen=True)
class FinePart:
    """A fine-grained query: columns ``jahr``, ``geo``, disaggregations, and the measures."""

    expr: ir.Table
    geo: str  # "schulnummer" or "kreis_ags"
    measures: tuple[str, ...]  # subset of ("zaehler", "nenner")


def condition(t: ir.Table, column: str, cond: Condition) -> ir.BooleanValue:
    """One filter condition as an Ibis predicate (operators ANDed)."""
    col = t[column]
    preds: list[ir.BooleanValue] = []
    if cond.in_ is not None:
        preds.append(col.isin(list(cond.in_)))
    if cond.nicht_in is not None:
        # SQL's NOT IN drops NULL; "nicht in" means "anything else", empty included.
        preds.append(col.isnull() | ~col.isin(list(cond.nicht_in)))
    if cond.zwischen is not None:
        low, high = cond.zwischen
        preds.append(col.between(_num(low), _num(high)))
    if cond.gleich is not None:
        preds.append(col == cond.gleich)
    if cond.leer is not None:
        preds.append(col.isnull() if cond.leer else col.notnull())
    out = preds[0]
    for p in preds[1:]:
        out = out & p
    return out


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def measure_filter(t: ir.Table, measure: Measure) -> ir.BooleanValue:
    pred: ir.BooleanValue = ibis.literal(True)
    for column, cond in measure.filter.items():
        pred = pred & condition(t, column, cond)
    return pred


def measure_weight(t: ir.Table, measure: Measure) -> ir.FloatingValue:
    if measure.summe is None:
        return ibis.literal(1.0, type="float64")
    return t[measure.summe].cast("float64").fill_null(0.0)


def source_table(ctx: IndicatorContext, name: str, needed: set[str]) -> ir.Table:
    """The source with ``jahr`` (and, when referenced, the joined school/region columns)."""
    if name == "student_years" and needed & {*SCHOOL_JOIN_COLUMNS, "land_ags", "kreistyp_ags"}:
        return ctx.students()
    t = ctx.table(name)
    if "schulnummer" in t.columns and needed & {*SCHOOL_JOIN_COLUMNS, "schulform"} - set(t.columns):
        sc = ctx.table("schools")
        extra = [c for c in (*SCHOOL_JOIN_COLUMNS, "schulform") if c not in t.columns]
        sc = sc.select("schulnummer", *extra)
        t = t.left_join(sc, "schulnummer").select(*[t[c] for c in t.columns], *extra)
    if "jahr" not in t.columns:
        t = t.mutate(jahr=t.schuljahr.cast("int64"))
    if needed & {"land_ags", "kreistyp_ags"}:
        t = ctx.with_regions(t)
    return t


def fine_parts(ctx: IndicatorContext, ind: Indicator) -> list[FinePart]:
    """The fine-grained queries of a declarative indicator (one per distinct source)."""
    b = ind.berechnung
    assert isinstance(b, Declarative)
    dims = list(ind.aufgliederungen)
    if b.nenner is None:
        assert b.zaehler.quelle is not None
        return [_part(ctx, b.zaehler.quelle, dims, {"zaehler": (b.zaehler, None)}, None)]
    base = b.nenner.quelle
    assert base is not None
    if b.zaehler.quelle is None:
        # Zähler = rows of the Nenner that also pass the Zähler filter.
        return [
            _part(
                ctx,
                base,
                dims,
                {"zaehler": (b.zaehler, b.nenner), "nenner": (b.nenner, None)},
                b.nenner,
            )
        ]
    if b.zaehler.quelle == base:
        return [
            _part(ctx, base, dims, {"zaehler": (b.zaehler, None), "nenner": (b.nenner, None)}, None)
        ]
    return [
        _part(ctx, b.zaehler.quelle, dims, {"zaehler": (b.zaehler, None)}, None),
        _part(ctx, base, dims, {"nenner": (b.nenner, None)}, None),
    ]


def _part(
    ctx: IndicatorContext,
    source: str,
    dims: list[str],
    measures: dict[str, tuple[Measure, Measure | None]],
    where: Measure | None,
) -> FinePart:
    needed = set(dims)
    for m, extra in measures.values():
        needed |= set(m.filter) | ({m.summe} if m.summe else set())
        if extra is not None:
            needed |= set(extra.filter)
    t = source_table(ctx, source, needed)
    geo = "schulnummer" if is_school_based(source) else "kreis_ags"
    if where is not None:
        t = t.filter(measure_filter(t, where))
    elif len(measures) > 1:
        # Only rows that count for some measure: keeps the scan and the groups small.
        any_pred = None
        for m, _ in measures.values():
            p = measure_filter(t, m)
            any_pred = p if any_pred is None else any_pred | p
        assert any_pred is not None
        t = t.filter(any_pred)
    else:
        ((m, _),) = measures.values()
        t = t.filter(measure_filter(t, m))
    if ctx.years is not None:
        t = t.filter(t.jahr.isin(ctx.years))
    keys: dict[str, Any] = {"jahr": t.jahr.cast("int64"), "geo": t[geo].cast("string")}
    for d in dims:
        keys[d] = t[d].cast("string")
    aggs: dict[str, Any] = {}
    for name, (m, extra) in measures.items():
        filters = dict(m.filter)
        if extra is not None and where is None:
            filters |= {f"{k} ": v for k, v in extra.filter.items()}
        if (where is not None and m is where) or not filters:
            # Every row of the (already filtered) group counts.
            aggs[name] = (t.count() if m.summe is None else measure_weight(t, m).sum()).cast(
                "float64"
            )
            continue
        pred = measure_filter(t, m)
        if extra is not None and where is None:
            pred = pred & measure_filter(t, extra)
        aggs[name] = ibis.cases((pred, measure_weight(t, m)), else_=0.0).sum().cast("float64")
    expr = t.group_by(**keys).aggregate(**aggs)
    return FinePart(expr, geo, tuple(measures))
