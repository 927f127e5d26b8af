"""Disclosure control of computed indicator values (``bimo.privacy``), by kind (``art``).

* ``anteil``: per indicator and year one joint frequency table set: region × category ×
  {ja = zaehler, nein = nenner − zaehler}. ``quote``/``anzahl``: region × category over the
  numerator count (the denominator of a ``quote`` is public context).
* Public levels are protected **together**, so differencing across levels is covered: the
  Kreis tables (their ``Insgesamt`` margin is the Land), the KREISTYP tables linked to the Kreise
  (:class:`bimo.privacy.Link`), the GEMEINDE table linked to the Kreise, and with several Länder
  a LAND table linked to the Kreise; every disaggregation shares its region totals with the
  ``insgesamt`` table. Rates then inherit ``.`` from suppressed counts, get ``/`` where the
  denominator is below the minimum (``flag_rates``) and ``-`` where nothing is present.
* Non-additive functions (``additiv: false``) of a count kind: the threshold rule per count
  and ``/`` for small denominators (their rows do not add up, so there is nothing to difference).
* ``mittel``/``schaetzung``: no count is published that could be below the minimum: ``/``
  where the cases (zaehler resp. n) are fewer than ``min_cell``.
* SCHULE rows are **internal** (``intern = True``, never published or exported): they get
  primary suppression only. Secondary suppression protects published tables against
  differencing by the public; school rows never reach the public, and their complementary
  suppressions would cost a large part of the run time while blanking many school values
  the school itself needs.

Speed: a year whose tables have no sensitive cell (0 < count < min) skips the table set and
the LP entirely. The engine's default is ``ProtectionConfig(prune=False)`` (pruning saves
~20 % of complementary suppressions at ~3 × the time; see ``docs/indicators.md``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from bimo.indicators.catalog import CatalogError, Indicator
from bimo.privacy.audit import audit
from bimo.privacy.protect import ProtectionConfig, protect_set
from bimo.privacy.table import TOTAL, Link, Table, TableSet

if TYPE_CHECKING:
    from bimo.indicators.engine import RegionMaps

PUBLIC_LEVELS = ("LAND", "KREISTYP", "KREIS", "GEMEINDE")
REGION_DIM = {"LAND": "land", "KREIS": "kreis", "KREISTYP": "kreistyp", "GEMEINDE": "gemeinde"}
JN = "bimo_ja_nein"  # the {ja, nein} dimension of an anteil table
COUNT_KINDS = ("anteil", "quote", "anzahl")
KEYS = ["ebene", "ags", "merkmal", "auspraegung"]


def protect_indicator(
    raw: pl.DataFrame, ind: Indicator, maps: RegionMaps, config: ProtectionConfig
) -> pl.DataFrame:
    """Raw values of one indicator → the same rows with nulls where protected and ``flag``."""
    min_cell = config.resolved_min()
    if raw.is_empty():
        return raw.with_columns(pl.lit("").alias("flag"))
    if ind.art in ("mittel", "schaetzung"):
        return _flag_cases(raw, ind, min_cell)
    if ind.art == "anteil":
        bad = raw.filter(pl.col("zaehler") > pl.col("nenner") + 1e-9)
        if not bad.is_empty():
            raise CatalogError(
                f"Indikator {ind.id}: der Zähler ist größer als der Nenner (z. B. {bad['ags'][0]}, "
                f"{bad['jahr'][0]}); ein Anteil muss eine Teilmenge zählen (sonst Art „quote“)."
            )
    if not ind.additive:
        # A non-additive function's rows do not sum across regions or categories (e.g. the
        # Quotensummenverfahren), so there are no table equations an attacker could use:
        # the threshold rule per count and `/` for small denominators are the protection.
        return _finish(_primary_marks(raw, ind, min_cell), ind, min_cell)
    raw = raw.with_columns(
        pl.col("zaehler").round(0),
        pl.col("nenner").round(0) if ind.art == "anteil" else pl.col("nenner"),
    )
    frames = []
    for (jahr,), year in raw.group_by(["jahr"], maintain_order=True):
        school = year.filter(pl.col("ebene") == "SCHULE")
        public = year.filter(pl.col("ebene") != "SCHULE")
        if not school.is_empty():
            frames.append(_finish(_primary_marks(school, ind, min_cell), ind, min_cell))
        if not public.is_empty():
            if _any_sensitive(public, ind, min_cell):
                marked = _joint_marks(public, ind, maps, config, int(str(jahr)))
            else:
                marked = public.with_columns(z_secret=pl.lit(False), n_secret=pl.lit(False))
            frames.append(_finish(marked, ind, min_cell))
    return pl.concat(frames, how="vertical")


def _sensitive(col: pl.Expr, min_cell: int) -> pl.Expr:
    return (col > 0) & (col < min_cell)


def _cell_rules(ind: Indicator, min_cell: int) -> tuple[pl.Expr, pl.Expr]:
    """Primary rule for the zaehler cell and for the nenner cell."""
    z = pl.col("zaehler")
    if ind.art == "anteil":
        n = pl.col("nenner")
        return (_sensitive(z, min_cell) | _sensitive(n - z, min_cell)), _sensitive(n, min_cell)
    return _sensitive(z, min_cell), pl.lit(False)


def _any_sensitive(df: pl.DataFrame, ind: Indicator, min_cell: int) -> bool:
    z_rule, n_rule = _cell_rules(ind, min_cell)
    return bool(df.select((z_rule | n_rule).any()).item())


def _primary_marks(df: pl.DataFrame, ind: Indicator, min_cell: int) -> pl.DataFrame:
    z_rule, n_rule = _cell_rules(ind, min_cell)
    return df.with_columns(z_secret=z_rule, n_secret=n_rule)


def _finish(df: pl.DataFrame, ind: Indicator, min_cell: int) -> pl.DataFrame:
    """Blank suppressed counts and derive the flag of every row."""
    secret = pl.col("z_secret") | pl.col("n_secret")
    if ind.art == "anzahl":
        nothing = pl.col("zaehler") == 0
        unsafe = pl.lit(False)
    else:
        nothing = pl.col("nenner").is_null() | (pl.col("nenner") == 0)
        unsafe = pl.col("nenner") < min_cell
    flag = (
        pl.when(secret)
        .then(pl.lit("."))
        .when(nothing)
        .then(pl.lit("-"))
        .when(unsafe)
        .then(pl.lit("/"))
        .otherwise(pl.lit(""))
    )
    n_hidden = pl.col("n_secret") if ind.art == "anteil" else pl.lit(False)
    return df.with_columns(
        pl.when(pl.col("z_secret")).then(None).otherwise(pl.col("zaehler")).alias("zaehler"),
        pl.when(n_hidden).then(None).otherwise(pl.col("nenner")).alias("nenner"),
        pl.when(secret | (flag == "/") | ((flag == "-") & (ind.art != "anzahl")))
        .then(None)
        .otherwise(pl.col("wert"))
        .alias("wert"),
        flag.alias("flag"),
    ).drop("z_secret", "n_secret")


def _flag_cases(raw: pl.DataFrame, ind: Indicator, min_cell: int) -> pl.DataFrame:
    """``mittel``: cases = zaehler; ``schaetzung``: cases = n (nenner), zaehler unpublished."""
    cases = pl.col("zaehler") if ind.art == "mittel" else pl.col("nenner")
    unsafe = cases.is_null() | (cases < min_cell)
    nothing = cases.is_not_null() & (cases == 0)
    flag = pl.when(nothing).then(pl.lit("-")).when(unsafe).then(pl.lit("/")).otherwise(pl.lit(""))
    out = raw.with_columns(flag.alias("flag"))
    hidden = pl.col("flag") != ""
    columns = [
        pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("zaehler", "nenner", "wert", "se")
    ]
    out = out.with_columns(columns)
    if ind.art == "schaetzung":
        out = out.with_columns(pl.lit(None, pl.Float64).alias("zaehler"))
    return out


# --- joint protection of the public levels --------------------------------------------------


def _joint_marks(
    public: pl.DataFrame,
    ind: Indicator,
    maps: RegionMaps,
    config: ProtectionConfig,
    jahr: int,
) -> pl.DataFrame:
    """Suppression marks of one year's public rows (z_secret / n_secret per row)."""
    levels = set(public["ebene"].unique().to_list())
    if {"KREIS", "GEMEINDE"} <= levels:
        fast = _decomposed_marks(public, ind, maps, config)
        if fast is not None:
            return fast
    return _full_marks(public, ind, maps, config, levels)


def _decomposed_marks(
    public: pl.DataFrame, ind: Indicator, maps: RegionMaps, config: ProtectionConfig
) -> pl.DataFrame | None:
    """Kreis-level tables first, then the Gemeinden of each Kreis on their own.

    Exact decomposition: when every Kreis total and the Land total stay published after
    protecting the Kreis-level tables (Kreis, Kreistyp, Land × all disaggregations), the only
    link between Gemeinde and Kreis cells has known right-hand sides, so the joint system
    splits into the Kreis-level system and one small table per Kreis (its Gemeinden ×
    ja/nein with the published Kreis row as margin); each part passing its audit means the
    whole passes. When some Kreis totals are suppressed, every non-zero Gemeinde cell of
    those Kreise is suppressed as well (one Gemeinde with data: it takes the Kreis pattern),
    and that pattern is accepted only if the LP audit of the complete joint table set passes.
    Returns None (→ the full joint protection) otherwise.
    """
    min_cell = config.resolved_min()
    upper = public.filter(pl.col("ebene") != "GEMEINDE")
    if _any_sensitive(upper, ind, min_cell):
        upper_marks = _full_marks(upper, ind, maps, config, set(upper["ebene"].unique()))
    else:
        upper_marks = upper.with_columns(z_secret=pl.lit(False), n_secret=pl.lit(False))
    totals = upper_marks.filter(
        pl.col("ebene").is_in(["KREIS", "LAND"]) & (pl.col("merkmal") == "insgesamt")
    )
    secret_totals = {
        (r["ebene"], r["ags"]): (bool(r["z_secret"]), bool(r["n_secret"]))
        for r in totals.iter_rows(named=True)
        if r["z_secret"] or r["n_secret"]
    }
    lands = totals.filter(pl.col("ebene") == "LAND")["ags"].to_list()
    if any(level == "LAND" for level, _ in secret_totals) or (secret_totals and len(lands) != 1):
        return None
    gemeinden = public.filter(pl.col("ebene") == "GEMEINDE")
    parent = maps.schools.select(ags=pl.col("gemeinde_ags"), kreis=pl.col("kreis_ags")).unique(
        "ags", keep="first"
    )
    gemeinden = gemeinden.join(parent, on="ags", how="left")
    z_rule, n_rule = _cell_rules(ind, min_cell)
    present = (pl.col("nenner") if ind.art == "anteil" else pl.col("zaehler")) > 0
    parts = [upper_marks]
    for (kreis,), group in gemeinden.group_by(["kreis"], maintain_order=True):
        rows = group.drop("kreis")
        kreis_secret = secret_totals.get(("KREIS", str(kreis)))
        if kreis_secret is not None:
            z_k, n_k = kreis_secret
            if rows.filter(present).height <= 1:
                marks = rows.with_columns(
                    z_secret=present & pl.lit(z_k), n_secret=present & pl.lit(n_k)
                )
            else:
                marks = rows.with_columns(
                    z_secret=present, n_secret=present & pl.lit(ind.art == "anteil")
                )
            parts.append(marks)
            continue
        if not bool(rows.select((z_rule | n_rule).any()).item()):
            parts.append(rows.with_columns(z_secret=pl.lit(False), n_secret=pl.lit(False)))
            continue
        cells, dims = _inner_cells(rows, ind, "GEMEINDE", "insgesamt")
        (table,) = protect_set([(cells, dims)], config)
        if not table.cells.filter(
            (pl.col("gemeinde") == TOTAL) & (pl.col("flag") == ".")
        ).is_empty():
            return None
        marks = _cells_to_marks(table.cells, ind, "GEMEINDE", "insgesamt").filter(
            pl.col("ags") != TOTAL
        )
        parts.append(rows.join(marks, on=KEYS, how="left"))
    out = pl.concat(
        [p.select(*public.columns, "z_secret", "n_secret") for p in parts], how="vertical"
    ).with_columns(pl.col("z_secret").fill_null(False), pl.col("n_secret").fill_null(False))
    if secret_totals and not _joint_audit_passes(out, ind, maps, min_cell, lands[0]):
        return None
    return out


def _joint_audit_passes(
    marks: pl.DataFrame, ind: Indicator, maps: RegionMaps, min_cell: int, land: str
) -> bool:
    """LP audit of a complete pattern over the joint table set of all public levels."""
    levels = set(marks["ebene"].unique().to_list())
    if _level_total(marks, "KREIS") != _level_total(marks, "KREISTYP") and "KREISTYP" in levels:
        return False
    table_levels = [lv for lv in PUBLIC_LEVELS if lv in levels and lv != "LAND"]
    tables: list[Table] = []
    meta: list[tuple[str, str]] = []
    for level in table_levels:
        sub = marks.filter(pl.col("ebene") == level)
        for (merkmal,), part in sub.group_by(["merkmal"], maintain_order=True):
            cells, dims = _inner_cells(part, ind, level, str(merkmal))
            tables.append(Table.from_inner(cells, dims))
            meta.append((level, str(merkmal)))
    tset = TableSet(tables, _links(marks, maps))
    lookup = {
        (r["ebene"], r["ags"], r["merkmal"], r["auspraegung"]): (r["z_secret"], r["n_secret"])
        for r in marks.iter_rows(named=True)
    }
    mask = np.zeros(tset.n_vars, dtype=bool)
    for t, (table, (level, merkmal)) in enumerate(zip(tables, meta, strict=True)):
        for multi in np.ndindex(*table.shape):
            labels = [table.labels(a)[i] for a, i in enumerate(multi)]
            region = labels[0]
            cat = labels[1] if merkmal != "insgesamt" else TOTAL
            at_level, ags = (level, region) if region != TOTAL else ("LAND", land)
            key = (
                (at_level, ags, merkmal, cat)
                if cat != TOTAL
                else (at_level, ags, "insgesamt", TOTAL)
            )
            z, n = lookup.get(key, (False, False))
            jn = labels[-1] if ind.art == "anteil" else "ja"
            secret = z if jn == "ja" else n if jn == TOTAL else (z or n)
            if secret:
                mask[tset.index[t][multi]] = True
    return audit(tset, mask, min_cell).passed


def _full_marks(
    public: pl.DataFrame,
    ind: Indicator,
    maps: RegionMaps,
    config: ProtectionConfig,
    levels: set[str],
) -> pl.DataFrame:
    lands = public.filter(pl.col("ebene") == "LAND")["ags"].unique().to_list()
    # One Land: the Land rows are the Insgesamt margin of the Kreis tables, no table of their own.
    land_from_margin = "KREIS" in levels and len(lands) <= 1
    table_levels = [
        lv for lv in PUBLIC_LEVELS if lv in levels and not (lv == "LAND" and land_from_margin)
    ]
    kreis_total = _level_total(public, "KREIS")
    kt_total = _level_total(public, "KREISTYP")
    # A Kreistyp table whose margin differs from the Kreis margin (a Kreis without kreistyp)
    # cannot share the Land cells; it is protected as a set of its own.
    kt_apart = "KREISTYP" in table_levels and "KREIS" in levels and kt_total != kreis_total
    marks: list[pl.DataFrame] = []
    derived = None
    if "KREISTYP" in table_levels and "KREIS" in table_levels and not kt_apart and lands:
        derived = _kreistyp_from_kreise(public, ind, maps, config, table_levels, lands[0])
    if derived is not None:
        marks = derived
    else:
        groups = [[lv for lv in table_levels if not (kt_apart and lv == "KREISTYP")]]
        if kt_apart:
            groups.append(["KREISTYP"])
        for group in groups:
            marks.extend(_protect_group(public, ind, maps, config, group))
    secret = pl.concat(marks, how="vertical")
    if land_from_margin:
        margin = secret.filter((pl.col("ebene") == "KREIS") & (pl.col("ags") == TOTAL))
        for land in lands:
            marks.append(margin.with_columns(ebene=pl.lit("LAND"), ags=pl.lit(land)))
        secret = pl.concat(marks, how="vertical")
    secret = secret.filter(pl.col("ags") != TOTAL).unique(KEYS, keep="first")
    out = public.join(secret, on=KEYS, how="left")
    return out.with_columns(
        pl.col("z_secret").fill_null(False), pl.col("n_secret").fill_null(False)
    )


def _kreistyp_from_kreise(
    public: pl.DataFrame,
    ind: Indicator,
    maps: RegionMaps,
    config: ProtectionConfig,
    table_levels: list[str],
    land: str,
) -> list[pl.DataFrame] | None:
    """Protect the Kreis tables first, then derive the Kreistyp pattern; None if it fails.

    Protected jointly, Kreistyp cells add link equations (Kreistyp = sum of its Kreise) that
    the cube search often satisfies most cheaply by suppressing the Land total — a Land value
    of hundreds of cases blanked to protect two small Kreis cells. A Kreistyp value, however,
    only reveals the sum of the suppressed Kreis cells of its group; so a Kreistyp cell is
    suppressed exactly when one of its Kreise is suppressed in the same cell. The result is
    accepted only if the LP audit of the complete joint table set (Kreis, Kreistyp, Land
    margin, with all link equations) passes; otherwise the caller protects everything jointly.
    """
    kreis_levels = [lv for lv in table_levels if lv != "KREISTYP"]
    marks = _protect_group(public, ind, maps, config, kreis_levels)
    kreis_marks = pl.concat(marks, how="vertical").filter(
        (pl.col("ebene") == "KREIS") & (pl.col("ags") != TOTAL)
    )
    kt_marks = (
        kreis_marks.join(maps.kreistyp, left_on="ags", right_on="kreis_ags", how="inner")
        .group_by("kreistyp_ags", "merkmal", "auspraegung")
        .agg(pl.col("z_secret").any(), pl.col("n_secret").any())
        .select(
            ebene=pl.lit("KREISTYP"),
            ags=pl.col("kreistyp_ags"),
            merkmal=pl.col("merkmal"),
            auspraegung=pl.col("auspraegung"),
            z_secret=pl.col("z_secret"),
            n_secret=pl.col("n_secret"),
        )
    )
    kt_public = public.filter(pl.col("ebene") == "KREISTYP").select(KEYS)
    kt_marks = kt_public.join(kt_marks, on=KEYS, how="left").with_columns(
        pl.col("z_secret").fill_null(False), pl.col("n_secret").fill_null(False)
    )
    candidate = [*marks, kt_marks]
    secret = pl.concat(candidate, how="vertical")
    land_margin = secret.filter((pl.col("ebene") == "KREIS") & (pl.col("ags") == TOTAL))
    complete = pl.concat(
        [secret.filter(pl.col("ags") != TOTAL), land_margin.with_columns(ags=pl.lit(land))]
    ).with_columns(ebene=pl.when(pl.col("ags") == land).then(pl.lit("LAND")).otherwise("ebene"))
    checked = public.filter(pl.col("ebene").is_in([*table_levels, "LAND"])).join(
        complete.unique(KEYS, keep="first"), on=KEYS, how="left"
    )
    checked = checked.with_columns(
        pl.col("z_secret").fill_null(False), pl.col("n_secret").fill_null(False)
    )
    if not _joint_audit_passes(checked, ind, maps, config.resolved_min(), land):
        return None
    return candidate


def _level_total(df: pl.DataFrame, level: str) -> float | None:
    sub = df.filter((pl.col("ebene") == level) & (pl.col("merkmal") == "insgesamt"))
    if sub.is_empty():
        return None
    return float(sub["nenner" if "nenner" in sub.columns else "zaehler"].fill_null(0).sum())


def _protect_group(
    public: pl.DataFrame,
    ind: Indicator,
    maps: RegionMaps,
    config: ProtectionConfig,
    levels: list[str],
) -> list[pl.DataFrame]:
    tables: list[tuple[pl.DataFrame, list[str]]] = []
    meta: list[tuple[str, str]] = []
    for level in levels:
        sub = public.filter(pl.col("ebene") == level)
        for (merkmal,), part in sub.group_by(["merkmal"], maintain_order=True):
            merkmal = str(merkmal)
            cells, dims = _inner_cells(part, ind, level, merkmal)
            tables.append((cells, dims))
            meta.append((level, merkmal))
    protected = protect_set(tables, config, links=_links(public, maps))
    out = []
    for (level, merkmal), table in zip(meta, protected, strict=True):
        out.append(_cells_to_marks(table.cells, ind, level, merkmal))
    return out


def _inner_cells(
    part: pl.DataFrame, ind: Indicator, level: str, merkmal: str
) -> tuple[pl.DataFrame, list[str]]:
    region = REGION_DIM[level]
    dims = [region] + ([] if merkmal == "insgesamt" else [merkmal])
    base = part.select(
        pl.col("ags").alias(region),
        *([pl.col("auspraegung").alias(merkmal)] if merkmal != "insgesamt" else []),
        pl.col("zaehler").cast(pl.Int64).alias("ja"),
        (pl.col("nenner") - pl.col("zaehler")).cast(pl.Int64).alias("nein")
        if ind.art == "anteil"
        else pl.lit(0, pl.Int64).alias("nein"),
    )
    if ind.art != "anteil":
        return base.select(*dims, pl.col("ja").alias("value")), dims
    long = base.unpivot(index=dims, on=["ja", "nein"], variable_name=JN, value_name="value")
    return long, [*dims, JN]


def _links(public: pl.DataFrame, maps: RegionMaps) -> list[Link]:
    kreise = public.filter(pl.col("ebene") == "KREIS")["ags"].unique().to_list()
    gemeinden = maps.schools.select("gemeinde_ags", "kreis_ags").unique()
    kt = dict(maps.kreistyp.iter_rows())
    return [
        Link("kreis", "land", {k: k[:2] for k in kreise}),
        Link("kreis", "kreistyp", {k: kt[k] for k in kreise if k in kt}),
        Link("gemeinde", "kreis", dict(gemeinden.iter_rows())),
        Link("gemeinde", "land", {g: g[:2] for g in gemeinden["gemeinde_ags"].to_list()}),
    ]


def _cells_to_marks(cells: pl.DataFrame, ind: Indicator, level: str, merkmal: str) -> Any:
    region = REGION_DIM[level]
    secret = pl.col("flag") == "."
    df = cells.with_columns(
        pl.col(region).alias("ags"),
        (pl.col(merkmal) if merkmal != "insgesamt" else pl.lit(TOTAL)).alias("auspraegung"),
    )
    if merkmal != "insgesamt":
        # The category margin is the insgesamt table (same cells), reported from there.
        df = df.filter(pl.col(merkmal) != TOTAL)
    if ind.art == "anteil":
        z = df.filter(pl.col(JN) == "ja").select("ags", "auspraegung", secret.alias("z_secret"))
        n = df.filter(pl.col(JN) == TOTAL).select("ags", "auspraegung", secret.alias("n_secret"))
        df = z.join(n, on=["ags", "auspraegung"], how="full", coalesce=True)
    else:
        df = df.select(
            "ags", "auspraegung", secret.alias("z_secret"), pl.lit(False).alias("n_secret")
        )
    return df.with_columns(ebene=pl.lit(level), merkmal=pl.lit(merkmal)).select(
        *KEYS, "z_secret", "n_secret"
    )
