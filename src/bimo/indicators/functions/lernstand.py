"""Kompetenzstufen indicators from plausible values, with standard errors (area D).

For a group (region × year × category) and each plausible value ``m`` the weighted share

    p_m = Σ_i w_i · 1{PV_im in the standard} / Σ_i w_i

is a ratio estimator. Its sampling variance treats the schools of the region as clusters
(classes at the SCHULE level) and is Taylor-linearised: with cluster totals
``W_c = Σ_{i∈c} w_i`` and ``Y_c = Σ_{i∈c} w_i · y_im``, ``W = Σ_c W_c`` and ``G`` clusters,

    U_m = G/(G − 1) · Σ_c ((Y_c − p_m · W_c) / W)²
        = G/(G − 1) · (Σ Y_c² − 2 p_m Σ Y_c W_c + p_m² Σ W_c²) / W²,

the second form needing only sums per group, so no join back to the clusters. The M results
are combined with Rubin's rules: p̄ = mean p_m, B = Σ (p_m − p̄)²/(M − 1),
SE² = mean U_m + (1 + 1/M) · B. ``wert`` = 100 · p̄ and ``se`` = 100 · SE (percent points).
With fewer than two clusters (one school in the region, one class at the SCHULE level) the
students themselves are the units (the same formula with one student per cluster, i.e. simple
random sampling); that ignores the clustering and so understates the SE. With fewer than two
students ``se`` is null.

Delete-one-cluster jackknife (:func:`bimo.assessment.standards.group_statistics` with
``jk1``) estimates the same variance; the linearisation is its first-order approximation and
agrees with it up to O(1/G) (``tests/indicators/test_lernstand_indicators.py``). The
thresholds come from the level model named in ``stufenmodell``
(:func:`bimo.assessment.standards.load_level_model`), read in Python and written into the
expression as literals: no UDF, so the expression runs on any Ibis backend.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from bimo.assessment.standards.levels import load_level_model

if TYPE_CHECKING:
    from bimo.indicators.context import IndicatorContext

TOTAL = "Insgesamt"
# Which standards each indicator counts (the standards of the levels, lowest to highest).
STANDARD_SETS: dict[str, frozenset[str]] = {
    "unter_mindeststandard": frozenset({"unter_mindeststandard"}),
    "regelstandard_erreicht": frozenset({"regelstandard", "regelstandard_plus", "optimalstandard"}),
    "optimalstandard": frozenset({"optimalstandard"}),
}
LEVELS = ("LAND", "KREISTYP", "KREIS", "GEMEINDE", "SCHULE")
MERKMALE = ("geschlecht", "ndh")


@lru_cache(maxsize=64)
def level_bounds(stufenmodell: str, anteil: str) -> tuple[float | None, float | None]:
    """[lower, upper) bounds on the reporting metric of the levels counted by ``anteil``.

    The counted levels are contiguous because standards do not decrease from level to level.
    ``None`` means open on that side.
    """
    if anteil not in STANDARD_SETS:
        raise ValueError(f"unbekannter Anteil „{anteil}“ (erlaubt: {', '.join(STANDARD_SETS)})")
    model = load_level_model(stufenmodell)
    wanted = STANDARD_SETS[anteil]
    inside = [i for i, lv in enumerate(model.levels) if lv.standard in wanted]
    if not inside:
        raise ValueError(f"Stufenmodell {stufenmodell} hat keine Stufe für „{anteil}“")
    first, last = inside[0], inside[-1]
    lower = model.levels[first].lower
    upper = model.levels[last + 1].lower if last + 1 < len(model.levels) else None
    return lower, upper


def _indicator(value: ir.FloatingValue, lower: float | None, upper: float | None) -> ir.Value:
    cond: ir.BooleanValue = ibis.literal(True)
    if lower is not None:
        cond = cond & (value >= lower)
    if upper is not None:
        cond = cond & (value < upper)
    return ibis.ifelse(cond, 1.0, 0.0)


def _person_attributes(ctx: IndicatorContext) -> ir.Table:
    """Sex and ndh per person and school year (one row even with two school records)."""
    sy = ctx.table("student_years")
    return sy.group_by([sy.pseudonym.name("_pp"), sy.schuljahr.name("_py")]).aggregate(
        _geschlecht=sy.geschlecht.min(), _ndh=sy.ndh.max()
    )


def _tested(ctx: IndicatorContext, stufenmodell: str, jahrgangsstufe: int | None) -> ir.Table:
    """Plausible values with the regions of the school and the person's sex and ndh.

    Built once per computation (``ctx.cached``) and shared by every level, breakdown and
    indicator of the same level model: the attribute lookup scans all student records, which
    done per call made D20–D22 the slowest indicators of the catalogue.
    """

    def build() -> ir.Table:
        res = ctx.table("assessment_results")
        res = res.filter(res.stufenmodell == stufenmodell)
        if jahrgangsstufe is not None:
            res = res.filter(res.jahrgangsstufe == int(jahrgangsstufe))
        if ctx.years is not None:
            res = res.filter(res.schuljahr.isin([int(y) for y in ctx.years]))
        schools = ctx.with_regions(ctx.table("schools"))
        schools = schools.select(
            _sn=schools.schulnummer,
            gemeinde_ags=schools.gemeinde_ags,
            kreis_ags=schools.kreis_ags,
            land_ags=schools.land_ags,
            kreistyp_ags=schools.kreistyp_ags,
        )
        res = res.inner_join(schools, res.schulnummer == schools._sn)
        attrs = _person_attributes(ctx)
        tested_years = res.select(_ty=res.schuljahr).distinct()
        attrs = attrs.semi_join(tested_years, attrs._py == tested_years._ty)
        res = res.left_join(attrs, [res.pseudonym == attrs._pp, res.schuljahr == attrs._py])
        return res.select(
            "schuljahr", "schulnummer", "klasse", "pv_nr", "gewicht", "wert",
            "gemeinde_ags", "kreis_ags", "land_ags", "kreistyp_ags", "_geschlecht", "_ndh",
        )  # fmt: skip

    return ctx.cached(("lernstand", stufenmodell, jahrgangsstufe), build)


def kompetenzstufen_anteil(
    ctx: IndicatorContext,
    level: str,
    merkmal: str | None,
    *,
    stufenmodell: str,
    anteil: str,
    jahrgangsstufe: int | None = None,
) -> ir.Table:
    """Share (percent) of tested students in the standards of ``anteil``, with SE.

    Non-additive indicator function: rows ``jahr``, ``ags``, ``auspraegung``, ``zaehler``
    (null: only n, value and SE are published), ``nenner`` (tested students), ``wert``, ``se``.
    """
    if level not in LEVELS:
        raise ValueError(f"unbekannte Ebene {level}")
    if merkmal not in (None, *MERKMALE):
        raise ValueError(f"nicht unterstützte Aufgliederung: {merkmal}")
    lower, upper = level_bounds(stufenmodell, anteil)

    res = _tested(ctx, stufenmodell, jahrgangsstufe)
    region = ctx.region_column(level)
    if merkmal is None:
        category: ir.StringValue = ibis.literal(TOTAL)
    elif merkmal == "geschlecht":
        # A tested student without a school record in that year has no known sex/ndh.
        category = res._geschlecht.fill_null("x")
    else:
        category = res._ndh.cast("string").fill_null("unbekannt")
    # Clusters for the sampling variance: schools, within a school its classes.
    cluster = res.klasse if level == "SCHULE" else res.schulnummer
    rows = res.select(
        jahr=res.schuljahr.cast("int64"),
        ags=res[region].cast("string"),
        auspraegung=category,
        _cluster=cluster,
        pv=res.pv_nr,
        w=res.gewicht.cast("float64"),
        wy=res.gewicht.cast("float64") * _indicator(res.wert, lower, upper),
    )
    rows = rows.filter(rows.ags.notnull())
    group = ["jahr", "ags", "auspraegung"]

    per_cluster = rows.group_by([*group, "pv", "_cluster"]).aggregate(
        wc=rows.w.sum(),
        yc=rows.wy.sum(),
        nc=rows.count(),
        # Student-level sums for the fallback with fewer than two clusters.
        iww=(rows.w * rows.w).sum(),
        iyy=(rows.wy * rows.wy).sum(),
        iyw=(rows.wy * rows.w).sum(),
    )
    pc = per_cluster
    per_pv = pc.group_by([*group, "pv"]).aggregate(
        W=pc.wc.sum(),
        Y=pc.yc.sum(),
        syy=(pc.yc * pc.yc).sum(),
        syw=(pc.yc * pc.wc).sum(),
        sww=(pc.wc * pc.wc).sum(),
        g=pc.count(),
        n=pc.nc.sum(),
        iww=pc.iww.sum(),
        iyy=pc.iyy.sum(),
        iyw=pc.iyw.sum(),
    )
    p = per_pv.Y / per_pv.W
    w2 = per_pv.W * per_pv.W
    g = per_pv.g.cast("float64")
    n = per_pv.n.cast("float64")
    spread = ibis.greatest((per_pv.syy - 2.0 * p * per_pv.syw + p * p * per_pv.sww) / w2, 0.0)
    spread_i = ibis.greatest((per_pv.iyy - 2.0 * p * per_pv.iyw + p * p * per_pv.iww) / w2, 0.0)
    within = ibis.cases(
        (per_pv.g >= 2, spread * g / (g - 1.0)),
        (per_pv.n >= 2, spread_i * n / (n - 1.0)),
        else_=ibis.null("float64"),
    )
    per_pv = per_pv.mutate(p=p, u=within)
    pooled = per_pv.group_by(group).aggregate(
        m=per_pv.count(),
        p_bar=per_pv.p.mean(),
        b=per_pv.p.var(how="sample"),
        u_bar=per_pv.u.mean(),
        u_missing=per_pv.u.isnull().cast("int64").sum(),
        n=per_pv.n.max(),
    )
    m = pooled.m.cast("float64")
    between = ibis.ifelse(pooled.m > 1, pooled.b, 0.0)
    total = pooled.u_bar + (1.0 + 1.0 / m) * between
    se = ibis.ifelse(pooled.u_missing > 0, ibis.null("float64"), total.sqrt() * 100.0)
    return pooled.select(
        "jahr",
        "ags",
        "auspraegung",
        zaehler=ibis.null("float64"),
        nenner=pooled.n.cast("float64"),
        wert=(pooled.p_bar * 100.0).cast("float64"),
        se=se.cast("float64"),
    )
