"""Indicator functions on Kreis-based context statistics (Kindertagesbetreuung, Bevölkerung).

Function form of ``berechnung`` for what the declarative form cannot say: the Betreuungsquoten
relate children in day care on 1 March of year *t* to the population on 31.12. of year *t − 1*
(the official definition of the Kinder- und Jugendhilfestatistik: the last population figure
before the Stichtag), i.e. the two sources are joined with a shift of one year.
"""

from __future__ import annotations

import ibis.expr.types as ir

from bimo.core.codes import BETREUUNG_ALTERSGRUPPE
from bimo.core.errors import BimoError
from bimo.indicators.context import IndicatorContext

__all__ = ["BETREUUNG_ALTER", "betreuungsquote"]

# Completed years of age (population statistics) that make up each childcare age group.
BETREUUNG_ALTER: dict[str, tuple[int, int]] = {"U3": (0, 2), "3_6": (3, 5)}


def betreuungsquote(ctx: IndicatorContext, *, altersgruppe: str, ganztag: bool = False) -> ir.Table:
    """Children in day care (1 March of ``jahr``) and the population of their age (31.12. of
    ``jahr − 1``) per Kreis and year.

    Additive: returns ``jahr``, ``kreis_ags``, ``zaehler`` (betreute, or betreute_ganztag when
    ``ganztag``), ``nenner`` (population of the age group). Years without the previous year's
    population are left out (inner join): a quotient over a missing denominator would be
    meaningless, and leaving a Kreis out of only the denominator would bias the Land value.
    """
    if altersgruppe not in BETREUUNG_ALTER:
        raise BimoError(
            f"Indikatorfunktion betreuungsquote: unbekannte Altersgruppe „{altersgruppe}“ "
            f"(erlaubt: {', '.join(sorted(BETREUUNG_ALTERSGRUPPE.codes))})"
        )
    low, high = BETREUUNG_ALTER[altersgruppe]
    cc = ctx.table("childcare")
    cc = cc.filter(cc.altersgruppe == altersgruppe)
    if ctx.years is not None:
        cc = cc.filter(cc.jahr.isin(ctx.years))
    count = cc.betreute_ganztag if ganztag else cc.betreute
    kids = cc.group_by(kreis_ags=cc.kreis_ags.cast("string"), jahr=cc.jahr.cast("int64")).aggregate(
        zaehler=count.cast("float64").sum()
    )

    pop = ctx.table("population")
    pop = pop.filter(pop.alter.between(low, high))
    if ctx.years is not None:
        pop = pop.filter(pop.jahr.isin([y - 1 for y in ctx.years]))
    # The population of 31.12. of year t − 1 is the denominator of year t.
    base = pop.group_by(
        _kreis=pop.kreis_ags.cast("string"), _jahr=(pop.jahr + 1).cast("int64")
    ).aggregate(nenner=pop.anzahl.cast("float64").sum())

    joined = kids.inner_join(base, [kids.kreis_ags == base._kreis, kids.jahr == base._jahr])
    return joined.select(
        jahr=joined.jahr,
        kreis_ags=joined.kreis_ags,
        zaehler=joined.zaehler,
        nenner=joined.nenner,
    )
