"""Disclosure control for the Bildungsverlauf tables (``bimo verlauf … --publish``).

The analyses return numerators and denominators. For publication every result is turned into
a **count table whose denominator is a margin**: the categories of the analysis plus, where
the numerators do not add up to the denominator, a rest category (e.g. ``nicht wiederholt``,
``kein Wechsel``). :func:`bimo.privacy.protect` then protects the counts with all margins
(``Insgesamt``), and rates are recomputed from the protected counts only: a rate is published
when its count and its margin are published and the margin has at least ``min_cell`` cases.

Tables are protected per school year (or cohort); the dimensions of one table are the
``--by`` dimensions plus the category, at most three (a limit of :mod:`bimo.privacy`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from bimo.core.errors import BimoError
from bimo.privacy import TOTAL, Link, ProtectedTable, ProtectionConfig, protect_set

VALUE, FLAG = "value", "flag"
COUNT_DENOMINATOR, RATE_PCT = "nenner", "quote_prozent"
MAX_TABLE_DIMS = 3


class PublicationError(BimoError):
    """The requested table cannot be published in this form (German message)."""


@dataclass(frozen=True)
class RateSpec:
    """How a rate result becomes a count table.

    ``category``: the category column of the result (``None``: no category, a rate of one
    event; ``event_label`` then names the counted event). ``rest_label``: label of the rest
    category (denominator − sum of numerators); ``None`` if the numerators add up to the
    denominator.
    """

    category: str | None
    rest_label: str | None
    event_label: str = "ja"


def _check_dims(dims: Sequence[str], extra: int) -> None:
    if len(dims) + extra > MAX_TABLE_DIMS:
        raise PublicationError(
            f"Für die Veröffentlichung sind höchstens {MAX_TABLE_DIMS - extra} Gliederungen "
            f"möglich (angegeben: {', '.join(dims)}); die Geheimhaltung schützt Tabellen mit "
            f"bis zu {MAX_TABLE_DIMS} Merkmalen."
        )


def _count_cells(
    df: pl.DataFrame, year: str, dims: list[str], spec: RateSpec
) -> tuple[pl.DataFrame, str]:
    """Inner count cells ``[year, *dims, category, value]`` with the rest category added."""
    keys = [year, *dims]
    category = spec.category or "merkmal"
    if spec.category is None:
        cells = df.select(
            *keys, pl.lit(spec.event_label).alias(category), pl.col("numerator").alias(VALUE)
        )
    else:
        cells = df.select(*keys, category, pl.col("numerator").alias(VALUE))
    if spec.rest_label is not None:
        rest = (
            df.group_by(keys)
            .agg(pl.col("denominator").first(), pl.col("numerator").sum())
            .select(
                *keys,
                pl.lit(spec.rest_label).alias(category),
                (pl.col("denominator") - pl.col("numerator")).alias(VALUE),
            )
        )
        cells = pl.concat([cells, rest.select(cells.columns)], how="vertical_relaxed")
    cast = [pl.col(c).cast(pl.String) for c in [*dims, category]]
    return cells.with_columns(*cast, pl.col(VALUE).cast(pl.Int64)), category


def with_rates(cells: pl.DataFrame, keys: list[str], category: str, limit: int) -> pl.DataFrame:
    """Add the margin (``nenner``) and the rate recomputed from protected counts.

    A rate is blanked (``quote_flag`` ``/``) when its margin has fewer than ``limit`` cases or
    is itself secret, and (``.``) when its count is secret. A true zero (``-``) is 0 %.
    """
    margin = cells.filter(pl.col(category) == TOTAL).select(
        *keys, pl.col(VALUE).alias(COUNT_DENOMINATOR)
    )
    out = cells.join(margin, on=keys, how="left", nulls_equal=True)
    count = pl.when(pl.col(FLAG) == "-").then(pl.lit(0)).otherwise(pl.col(VALUE))
    small = pl.col(COUNT_DENOMINATOR).is_null() | (pl.col(COUNT_DENOMINATOR) < limit)
    secret = count.is_null()
    return out.with_columns(
        pl.when(small | secret)
        .then(None)
        # One decimal, as official tables print rates; more digits only suggest precision.
        .otherwise((count.cast(pl.Float64) * 100.0 / pl.col(COUNT_DENOMINATOR)).round(1))
        .alias(RATE_PCT),
        pl.when(secret)
        .then(pl.lit("."))
        .when(small)
        .then(pl.lit("/"))
        .otherwise(pl.lit(""))
        .alias("quote_flag"),
    )


def publish_rates(
    df: pl.DataFrame,
    year: str,
    dims: list[str],
    spec: RateSpec,
    config: ProtectionConfig | None = None,
) -> ProtectedTable:
    """Protect a rate result (numerator/denominator per cell) year by year."""
    return publish_rate_set([RatePart(df, dims, spec)], year, config)[0]


@dataclass(frozen=True)
class RatePart:
    """One rate result of a set of tables published (and protected) together."""

    df: pl.DataFrame
    dims: list[str]
    spec: RateSpec


def publish_rate_set(
    parts: Sequence[RatePart],
    year: str,
    config: ProtectionConfig | None = None,
    links: Sequence[Link] = (),
) -> list[ProtectedTable]:
    """Protect several rate results jointly, year by year.

    Tables published together share margins (e.g. the Abschlussart totals of leavers by Kreis
    and by sex): protected one by one, a cell suppressed in one table could be recomputed from
    another. ``protect_set`` sees all their cells as one system (equal keys are one cell) plus
    the hierarchies in ``links``.
    """
    config = config or ProtectionConfig()
    prepared: list[tuple[pl.DataFrame, list[str], str]] = []
    for part in parts:
        _check_dims(part.dims, 1)
        cells, category = _count_cells(part.df, year, part.dims, part.spec)
        prepared.append((cells, [*part.dims, category], category))
    years = sorted({v for cells, _, _ in prepared for v in cells[year].to_list()}, key=str)
    if not years:
        raise PublicationError("Die Auswertung ist leer; es gibt nichts zu veröffentlichen.")
    frames: list[list[pl.DataFrame]] = [[] for _ in parts]
    infos: list[dict[str, Any]] = [{} for _ in parts]
    for value in years:
        tables = [
            (cells.filter(pl.col(year) == value).select(*dims, VALUE), dims)
            for cells, dims, _ in prepared
        ]
        protected = protect_set(tables, config, links=links)
        for i, table in enumerate(protected):
            frames[i].append(table.cells.with_columns(pl.lit(value).alias(year)))
            infos[i][str(value)] = table.protection
    out: list[ProtectedTable] = []
    for i, (part, (_, dims, category)) in enumerate(zip(parts, prepared, strict=True)):
        cells = pl.concat(frames[i], how="vertical_relaxed").select(year, *dims, VALUE, FLAG)
        cells = with_rates(cells, [year, *part.dims], category, config.resolved_min())
        out.append(ProtectedTable((year, *dims), cells, {"je_jahr": infos[i]}))
    return out


def publish_quota(
    df: pl.DataFrame,
    levels: pl.DataFrame,
    year: str,
    dims: list[str],
    config: ProtectionConfig | None = None,
) -> ProtectedTable:
    """Protect a Quotensumme result.

    ``df`` holds the inner cells; ``levels`` the same analysis for every subset of ``dims``
    (dimensions left out carry ``Insgesamt``), so that the margins get their own Quotensumme.
    The counts (leavers without ESA) are protected; the rate and the equivalent population
    are published only where the count is published and at least ``min_cell``.
    """
    protected = publish_rates(
        df, year, dims, RateSpec(None, None, "ohne Ersten Schulabschluss"), config
    )
    limit = (config or ProtectionConfig()).resolved_min()
    keys = [year, *dims]
    source = levels.select(
        *[pl.col(k).cast(pl.String) if k != year else pl.col(k) for k in keys],
        pl.col("rate").alias("_rate"),
        pl.col("denominator").alias("_den"),
    )
    cells = protected.cells.filter(pl.col("merkmal") != TOTAL).drop(
        COUNT_DENOMINATOR, RATE_PCT, "quote_flag"
    )
    cells = cells.join(source, on=keys, how="left", nulls_equal=True)
    safe = pl.col(VALUE).is_not_null() & (pl.col(VALUE) >= limit) & pl.col("_rate").is_not_null()
    cells = cells.with_columns(
        pl.when(safe).then(pl.col("_den")).otherwise(None).alias("nenner_aequivalent"),
        pl.when(safe).then(pl.col("_rate").round(1)).otherwise(None).alias(RATE_PCT),
        pl.when(safe)
        .then(pl.lit(""))
        .when(pl.col(FLAG) == ".")
        .then(pl.lit("."))
        .otherwise(pl.lit("/"))
        .alias("quote_flag"),
    ).drop("_rate", "_den")
    return ProtectedTable(protected.dims, cells, protected.protection)


def publish_flows(
    df: pl.DataFrame, dims: list[str], config: ProtectionConfig | None = None
) -> ProtectedTable:
    """Protect Sankey edges per cohort: stage 1 (start × middle) and stage 2 (middle × end)
    are protected together, so the middle-node totals they share get one joint protection."""
    _check_dims(dims, 2)
    config = config or ProtectionConfig()
    parts: list[pl.DataFrame] = []
    info: dict[str, Any] = {}
    names = {1: ("start", "mitte"), 2: ("mitte", "ende")}
    for (cohort,), part in sorted(df.group_by(["kohorte"]), key=lambda kv: str(kv[0])):
        tables = []
        for stage, (src, dst) in names.items():
            edges = part.filter(pl.col("stufe") == stage).select(
                pl.col("quelle").alias(src),
                pl.col("ziel").alias(dst),
                *[pl.col(d).cast(pl.String) for d in dims],
                pl.col("numerator").alias(VALUE),
            )
            tables.append((edges, [src, dst, *dims]))
        protected = protect_set(tables, config)
        for stage, table in zip(names, protected, strict=True):
            src, dst = names[stage]
            parts.append(
                table.cells.rename({src: "quelle", dst: "ziel"}).with_columns(
                    pl.lit(cohort).alias("kohorte"), pl.lit(stage).alias("stufe")
                )
            )
        info[str(cohort)] = protected[0].protection
    if not parts:
        raise PublicationError("Die Auswertung ist leer; es gibt nichts zu veröffentlichen.")
    out = pl.concat(parts, how="vertical_relaxed").select(
        "kohorte", *dims, "stufe", "quelle", "ziel", VALUE, FLAG
    )
    return ProtectedTable(("kohorte", *dims, "stufe", "quelle", "ziel"), out, {"je_kohorte": info})
