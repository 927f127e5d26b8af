"""Leavers of general schooling (Abgänger/Absolventen) by certificate; leavers without ESA.

Leavers are records with Abgangsart ``ENTL``; the year of leaving is the record's
``schuljahr`` (the student leaves at the end of that school year).

*Without Erster Schulabschluss* means Abschlussart ``OHNE`` or ``FOES``
(:data:`bimo.core.codes.OHNE_ESA`, as in the official count). Two denominators:

``abgaenger``
    all leavers (ENTL) of the year — the share among leavers (Destatis press releases).
``bevoelkerung``
    the same-age population by the KMK *Quotensummenverfahren* (Definitionenkatalog zur
    Schulstatistik, 7.4): ``rate = 100 · Σ_a L_a / P_a`` over single ages ``a``, where ``L_a``
    is the number of leavers without ESA aged ``a`` and ``P_a`` the population aged ``a``.
    Age convention: ``a = schuljahr − geburtsjahr``, i.e. completed years on 31.12. of the
    leaving year ``schuljahr``, the same reference day as ``population`` (``jahr =
    schuljahr``, Kreis of the school). The result is a rate, not a ratio of counts:
    ``numerator`` is the number of leavers without ESA whose age has a population
    (``P_a > 0``), ``denominator = 100 · numerator / rate`` is the *equivalent population*.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import ibis
import ibis.expr.types as ir

from bimo.core.codes import ABSCHLUSSART, OHNE_ESA
from bimo.trajectories.analyses._common import (
    DENOMINATOR,
    NUMERATOR,
    RATE,
    YEAR,
    AnalysisError,
    Prepared,
    YearRange,
    filter_years,
    percent,
    prepared_or_build,
    rate_table,
    resolve_dims,
)

CERTIFICATE = "abschlussart"
UNKNOWN_CERTIFICATE = "UNBEKANNT"
LeaverDenominator = Literal["abgaenger", "bevoelkerung"]
# The population table only knows Kreis and sex.
POPULATION_DIMENSIONS = ("kreis", "geschlecht")


def _leavers(records: ir.Table, years: YearRange | None) -> ir.Table:
    recs = records
    recs = recs.filter(recs.abgangsart == "ENTL")
    recs = recs.mutate(**{CERTIFICATE: recs.abschlussart.fill_null(UNKNOWN_CERTIFICATE)})
    return filter_years(recs, years)


def leavers_by_certificate(
    student_years: ir.Table | None,
    schools: ir.Table | None,
    *,
    by: Sequence[str] = (),
    years: YearRange | None = None,
    prepared: Prepared | None = None,
) -> ir.Table:
    """Leavers by Abschlussart, per 100 leavers of the year (and cell)."""
    dims = resolve_dims(by)
    leavers = _leavers(prepared_or_build(student_years, schools, prepared).records, years)
    keys = [YEAR, *dims]
    numerators = leavers.group_by([*keys, CERTIFICATE]).aggregate(**{NUMERATOR: leavers.count()})
    denominators = leavers.group_by(keys).aggregate(**{DENOMINATOR: leavers.count()})
    codes = [*sorted(ABSCHLUSSART.codes), UNKNOWN_CERTIFICATE]
    return rate_table(numerators, denominators, keys, [CERTIFICATE], {CERTIFICATE: codes})


def leavers_without_esa(
    student_years: ir.Table | None,
    schools: ir.Table | None,
    population: ir.Table | None = None,
    *,
    by: Sequence[str] = (),
    years: YearRange | None = None,
    denominator: LeaverDenominator = "abgaenger",
    prepared: Prepared | None = None,
) -> ir.Table:
    """Leavers without Erster Schulabschluss, per leavers or per same-age population."""
    if denominator == "abgaenger":
        dims = resolve_dims(by)
        leavers = _leavers(prepared_or_build(student_years, schools, prepared).records, years)
        keys = [YEAR, *dims]
        without = leavers[CERTIFICATE].isin(sorted(OHNE_ESA))
        out = leavers.group_by(keys).aggregate(
            **{NUMERATOR: ibis.ifelse(without, 1, 0).sum(), DENOMINATOR: leavers.count()}
        )
        out = out.mutate(**{NUMERATOR: out[NUMERATOR].cast("int64")})
        out = out.mutate(**{RATE: percent(out[NUMERATOR], out[DENOMINATOR])})
        return out.order_by(keys)
    if denominator != "bevoelkerung":
        raise AnalysisError(
            f"Unbekannter Nenner „{denominator}“; zulässig: abgaenger, bevoelkerung."
        )
    if population is None:
        raise AnalysisError(
            "Für den Nenner „bevoelkerung“ (Quotensummenverfahren) wird die Tabelle "
            "population benötigt."
        )
    records = prepared_or_build(student_years, schools, prepared).records
    return _quotensumme(records, population, by, years)


def _quotensumme(
    records: ir.Table,
    population: ir.Table,
    by: Sequence[str],
    years: YearRange | None,
) -> ir.Table:
    dims = resolve_dims(by, POPULATION_DIMENSIONS)
    leavers = _leavers(records, years)
    leavers = leavers.filter(leavers[CERTIFICATE].isin(sorted(OHNE_ESA)))
    leavers = leavers.mutate(_alter=leavers.schuljahr - leavers.geburtsjahr)
    keys = [YEAR, *dims]
    by_age = leavers.group_by([*keys, "_alter"]).aggregate(_n=leavers.count())

    pop = filter_years(population, years, column="jahr")
    pop = pop.group_by(
        [pop.jahr.name("_pjahr"), pop.alter.name("_palter"), *[pop[d].name(f"_p{d}") for d in dims]]
    ).aggregate(_pop=pop.anzahl.sum())
    pop = pop.filter(pop._pop > 0)
    joined = by_age.inner_join(
        pop,
        [by_age[YEAR] == pop._pjahr, by_age._alter == pop._palter]
        + [by_age[d] == pop[f"_p{d}"] for d in dims],
    )
    quota = joined._n.cast("float64") / joined._pop.cast("float64")
    out = joined.group_by(keys).aggregate(
        **{NUMERATOR: joined._n.sum().cast("int64"), RATE: (quota.sum() * 100.0)}
    )
    out = out.mutate(**{DENOMINATOR: out[NUMERATOR].cast("float64") * 100.0 / out[RATE]})
    return out.select(*keys, NUMERATOR, DENOMINATOR, RATE).order_by(keys)
