"""Indicator functions of area D (allgemeinbildende Schulen) that need more than a filter.

The trajectory-based indicators (transitions, school-form changes, the Quotensummenverfahren)
call the Bildungsverlauf analyses of :mod:`bimo.trajectories.analyses` instead of repeating
their definitions, so an indicator and the corresponding ``bimo verlauf`` table always agree
(``tests/indicators/test_catalog_d.py`` checks this on a hand-made case).

The analyses disaggregate by the Kreis of a record's school (``kreis_ags``). The indicator
engine needs the school itself (to build the SCHULE and GEMEINDE levels), and for the
Quotensumme the Land or Kreistyp. The functions therefore hand the analyses prepared records
(:class:`bimo.trajectories.analyses.Prepared`) whose ``kreis_ags`` column carries the wanted
key: the analyses only group by that column and never interpret it, so ``by=["kreis"]`` yields
exactly the grouping the engine asks for, with the analysis' own choice of which record (e.g.
the Grundschule record of a transition) supplies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from bimo.trajectories.analyses import (
    Prepared,
    leavers_without_esa,
    prepare_keyed,
    school_form_changes,
    transitions,
)
from bimo.trajectories.analyses._common import KEIN_FOERDERSCHWERPUNKT, KEYED_COLUMNS
from bimo.trajectories.analyses.school_changes import GRADES as CHANGE_GRADES

if TYPE_CHECKING:
    from bimo.indicators.context import IndicatorContext

# Disaggregations the trajectory functions can deliver (columns of the analyses' output).
_TRAJECTORY_DIMS = ("geschlecht", "ndh")
# Levels with a population denominator: the population table is by Kreis.
_POPULATION_LEVELS = ("LAND", "KREIS", "KREISTYP")
TOTAL = "Insgesamt"


def _school_keyed(ctx: IndicatorContext, grades: tuple[int, int]) -> Prepared:
    """Prepared trajectory tables whose ``kreis_ags`` column holds the record's Schulnummer.

    ``prepare_keyed`` carries ``kreis_ags`` into the person-year table and into the previous
    record (``prev_kreis_ags``); with the Schulnummer in that column the analyses' ``kreis``
    dimension becomes the school of whichever record they use for dimensions.

    Only person-years that the analysis can look at are prepared: every year ``t`` in which
    the person has a record in ``grades`` (the grades of year ``t`` the analysis counts) and
    the year ``t − 1`` before it, each with *all* its records. The analyses read a person-year
    of ``t`` in those grades and its previous record only if that is from ``t − 1``; the
    choice of the record of a person-year depends only on the records of that year, and the
    previous person-year of a kept ``t`` is ``t − 1`` whenever the person has a record then. So
    the result is exactly that of the full table, at a fraction of the cost of the windows
    (transitions keep about 15 % of the records, changes in grades 7–9 about 45 %).
    """
    sy = ctx.table("student_years")
    lo, hi = grades
    years = sy.filter(sy.jahrgangsstufe.between(lo, hi)).select(_p=sy.pseudonym, _y=sy.schuljahr)
    keys = ibis.union(years, years.mutate(_y=years._y - 1), distinct=True)
    relevant = sy.semi_join(keys, [sy.pseudonym == keys._p, sy.schuljahr == keys._y])
    keyed = _keyed(relevant, relevant.schulnummer)
    return Prepared(keyed, prepare_keyed(keyed).person_years)


def _keyed(records: ir.Table, group_key: ir.StringValue) -> ir.Table:
    """Records in the layout of ``key_records`` with ``group_key`` as ``kreis_ags``.

    The person key is the pseudonym itself rather than ``key_records``' integer numbering: on
    the reduced tables used here the numbering costs more than it saves (about 25 % of the
    query time on the 13-million-record Musterland), and the pseudonym never leaves the
    expression (the analyses aggregate it away).
    """
    return records.select(
        *[records[c] for c in KEYED_COLUMNS if c not in ("pid", "kreis_ags", "foerderschwerpunkt")],
        pid=records.pseudonym,
        kreis_ags=group_key,
        foerderschwerpunkt=records.foerderschwerpunkt.fill_null(KEIN_FOERDERSCHWERPUNKT),
    )


def _restrict_years(ctx: IndicatorContext, table: ir.Table, column: str = "jahr") -> ir.Table:
    years = ctx.years
    if years is None:
        return table
    return table.filter(table[column].isin([int(y) for y in years]))


def _dims(aufgliederungen: Sequence[str]) -> list[str]:
    unknown = [d for d in aufgliederungen if d not in _TRAJECTORY_DIMS]
    if unknown:
        # A programming error in the catalogue, caught by the catalogue tests.
        raise ValueError(f"nicht unterstützte Aufgliederung: {', '.join(unknown)}")
    return list(aufgliederungen)


def uebergangsquote(
    ctx: IndicatorContext,
    *,
    zielschulformen: Sequence[str],
    grundschule_jahre: int = 4,
    aufgliederungen: Sequence[str] = _TRAJECTORY_DIMS,
) -> ir.Table:
    """Transitions after the Grundschule to ``zielschulformen`` (additive rows per Grundschule).

    Numerator: students in grade ``g + 1`` in year ``t`` at one of the target Schulformen whose
    record in ``t − 1`` was grade ``g`` at a Grundschule; denominator: all such transitions
    (:func:`bimo.trajectories.analyses.transitions`, default denominator). Geography and
    disaggregations are those of the Grundschule record.
    """
    dims = _dims(aufgliederungen)
    result = ctx.cached(
        ("transitions", grundschule_jahre, tuple(dims)),
        lambda: transitions(
            None,
            None,
            by=["kreis", *dims],
            grundschule_jahre=grundschule_jahre,
            prepared=_school_keyed(ctx, (grundschule_jahre + 1, grundschule_jahre + 1)),
        ),
    )
    keys = ["schuljahr", "kreis_ags", *dims]
    hit = result.ziel_schulform.isin([str(s) for s in zielschulformen])
    out = result.group_by(keys).aggregate(
        zaehler=ibis.ifelse(hit, result.numerator, 0).sum().cast("float64"),
        # Every Schulform row of a cell repeats the cell's denominator (explicit-zero grid).
        nenner=result.denominator.max().cast("float64"),
    )
    out = out.select(
        jahr=out.schuljahr.cast("int64"),
        schulnummer=out.kreis_ags,
        **{d: out[d] for d in dims},
        zaehler=out.zaehler,
        nenner=out.nenner,
    )
    return _restrict_years(ctx, out)


def schulformwechsel(
    ctx: IndicatorContext,
    *,
    wechselart: Sequence[str] = ("AB",),
    aufgliederungen: Sequence[str] = (*_TRAJECTORY_DIMS, "schulform"),
) -> ir.Table:
    """School-form changes in grades 7–9 of the given ``wechselart`` (additive, per school).

    :func:`bimo.trajectories.analyses.school_form_changes`: changers between ``t − 1`` and
    ``t`` per person in grades 7–9 in ``t``; geography and disaggregations of the record in
    ``t`` (the receiving school).
    """
    dims = [d for d in aufgliederungen if d != "schulform"]
    _dims(dims)
    with_form = "schulform" in aufgliederungen
    by = ["kreis", *dims, *(["schulform"] if with_form else [])]
    result = school_form_changes(None, None, by=by, prepared=_school_keyed(ctx, CHANGE_GRADES))
    keys = ["schuljahr", "kreis_ags", *by[1:]]
    hit = result.wechselart.isin([str(w) for w in wechselart])
    out = result.group_by(keys).aggregate(
        zaehler=ibis.ifelse(hit, result.numerator, 0).sum().cast("float64"),
        nenner=result.denominator.max().cast("float64"),
    )
    # The first year of the data has no previous year, so nobody can have changed: leaving it
    # out avoids reporting a spurious 0 %.
    sy = ctx.table("student_years")
    present = sy.select(_y=sy.schuljahr).distinct()
    out = out.semi_join(present, out.schuljahr - 1 == present._y)
    out = out.select(
        jahr=out.schuljahr.cast("int64"),
        schulnummer=out.kreis_ags,
        **{d: out[d] for d in by[1:]},
        zaehler=out.zaehler,
        nenner=out.nenner,
    )
    return _restrict_years(ctx, out)


def schueler_je_klasse(
    ctx: IndicatorContext, *, jahrgangsstufen: Sequence[int] = (1, 10)
) -> ir.Table:
    """Students and classes per school (additive): Schüler je Klasse = Σ zaehler / Σ nenner.

    A class is a distinct (Schulnummer, Klasse, Schuljahr). A class with students of several
    grades (jahrgangsübergreifender Unterricht) is apportioned to the grades by their share of
    its students, so the classes of all grades add up to the number of classes.
    """
    lo, hi = (int(g) for g in jahrgangsstufen)
    s = ctx.students()
    s = s.filter(s.jahrgangsstufe.between(lo, hi))
    cells = s.group_by(
        ["jahr", "schulnummer", "klasse", "schulform", "traeger", "jahrgangsstufe"]
    ).aggregate(n=s.count())
    class_size = cells.n.sum().over(group_by=[cells.jahr, cells.schulnummer, cells.klasse])
    cells = cells.mutate(_anteil=cells.n.cast("float64") / class_size.cast("float64"))
    out = cells.group_by(
        ["jahr", "schulnummer", "schulform", "traeger", "jahrgangsstufe"]
    ).aggregate(zaehler=cells.n.sum().cast("float64"), nenner=cells._anteil.sum())
    out = out.mutate(jahr=out.jahr.cast("int64"))
    return _restrict_years(ctx, out)


def ohne_esa_quotensumme(ctx: IndicatorContext, level: str, merkmal: str | None) -> ir.Table:
    """Leavers without Erster Schulabschluss per same-age population (Quotensummenverfahren).

    Non-additive: for each region of ``level`` (LAND, KREIS, KREISTYP) the quota sum
    ``100 · Σ_a L_a / P_a`` over single ages is computed by
    :func:`bimo.trajectories.analyses.leavers_without_esa` (``denominator="bevoelkerung"``),
    with schools and population regrouped to the level's region key. ``zaehler`` = leavers
    without ESA whose age has a population, ``nenner`` = the equivalent population.
    """
    if level not in _POPULATION_LEVELS:
        raise ValueError(f"Ebene {level} ist für das Quotensummenverfahren nicht möglich")
    if merkmal not in (None, "geschlecht"):
        raise ValueError(f"nicht unterstützte Aufgliederung: {merkmal}")
    region = ctx.region_column(level)
    schools = ctx.with_regions(ctx.table("schools"))
    schools = schools.select(_sn=schools.schulnummer, _region=schools[region])
    # Only leavers (ENTL) enter the Quotensumme; the analysis filters them again.
    sy = ctx.table("student_years")
    leavers = sy.filter(sy.abgangsart == "ENTL")
    leavers = leavers.inner_join(schools, leavers.schulnummer == schools._sn)
    leavers = leavers.filter(leavers._region.notnull())
    records = _keyed(leavers, leavers._region)
    population = ctx.with_regions(ctx.table("population"))
    population = population.mutate(kreis_ags=population[region]).filter(
        population[region].notnull()
    )
    by = ["kreis", *(["geschlecht"] if merkmal else [])]
    result = leavers_without_esa(
        None,
        None,
        population,
        by=by,
        denominator="bevoelkerung",
        # The leaver analyses read only the records; there is no person-year table to pass.
        prepared=Prepared(records, records),
    )
    out = result.select(
        jahr=result.schuljahr.cast("int64"),
        ags=result.kreis_ags.cast("string"),
        auspraegung=result.geschlecht.cast("string") if merkmal else ibis.literal(TOTAL),
        zaehler=result.numerator.cast("float64"),
        nenner=result.denominator.cast("float64"),
        wert=result.rate.cast("float64"),
        se=ibis.null("float64"),
    )
    return _restrict_years(ctx, out)
