"""Transition rates after the Grundschule (Übergangsquoten), by receiving Schulform.

Definition (Bildung in Deutschland, Tab. D1-2A): students in grade ``g + 1`` in year ``t``
whose record in ``t − 1`` was grade ``g`` at a Grundschule (``g = 4``, or ``6`` in Länder with
a six-year Grundschule), by the Schulform in ``t``. Denominator: all those transitioning.
Alternative denominator (``"viertklaessler"``): all grade-``g`` Grundschule students of
``t − 1``, including those who repeat grade ``g``, move away or leave the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import ibis.expr.types as ir

from bimo.core.codes import SCHULFORM
from bimo.trajectories.analyses._common import (
    DENOMINATOR,
    DIMENSIONS,
    NUMERATOR,
    YEAR,
    AnalysisError,
    Prepared,
    YearRange,
    data_years,
    filter_years,
    prepared_or_build,
    rate_table,
    resolve_dims,
)

TransitionDenominator = Literal["uebergaenge", "viertklaessler"]
TARGET = "ziel_schulform"
# The origin is a Grundschule by definition, so the Schulform dimension would be constant;
# the receiving Schulform is the category of the result instead.
TRANSITION_DIMENSIONS = tuple(d for d in DIMENSIONS if d != "schulform")


def transitions(
    student_years: ir.Table | None,
    schools: ir.Table | None,
    *,
    by: Sequence[str] = (),
    years: YearRange | None = None,
    grundschule_jahre: int = 4,
    denominator: TransitionDenominator = "uebergaenge",
    prepared: Prepared | None = None,
) -> ir.Table:
    """Transition rates by receiving Schulform (``ziel_schulform``).

    Dimensions (Kreis, sex, Förderschwerpunkt, ndh) are those of the Grundschule record in
    ``t − 1``: a Kreis's rate describes the children who finished its Grundschulen.
    ``prepared`` (from :func:`prepare`) replaces ``student_years`` and ``schools``.
    """
    if grundschule_jahre not in (4, 6):
        raise AnalysisError(
            f"Die Dauer der Grundschule muss 4 oder 6 Jahre betragen, nicht {grundschule_jahre}."
        )
    if denominator not in ("uebergaenge", "viertklaessler"):
        raise AnalysisError(
            f"Unbekannter Nenner „{denominator}“; zulässig: uebergaenge, viertklaessler."
        )
    dims = resolve_dims(by, TRANSITION_DIMENSIONS)
    recs = prepared_or_build(student_years, schools, prepared).person_years
    last_gs = grundschule_jahre

    # The previous record of a person-year is the origin: no self-join needed.
    moved = recs.filter(
        (recs.jahrgangsstufe == last_gs + 1)
        & (recs.prev_schuljahr == recs.schuljahr - 1)
        & (recs.prev_jahrgangsstufe == last_gs)
        & (recs.prev_schulform == "GS")
    )
    moved = moved.select(
        YEAR, *[moved[f"prev_{d}"].name(d) for d in dims], **{TARGET: moved.schulform}
    )
    moved = filter_years(moved, years)

    keys = [YEAR, *dims]
    numerators = moved.group_by([*keys, TARGET]).aggregate(**{NUMERATOR: moved.count()})
    if denominator == "uebergaenge":
        base = moved
    else:
        origin = recs.filter((recs.jahrgangsstufe == last_gs) & (recs.schulform == "GS"))
        origin = origin.select(**{YEAR: origin.schuljahr + 1}, **{d: origin[d] for d in dims})
        # Viertklässler of the last data year have no year t to transition into: left out, so
        # that the alternative denominator does not report a 0 % year beyond the data.
        present = data_years(recs)
        base = filter_years(origin.semi_join(present, origin[YEAR] == present._y), years)
    denominators = base.group_by(keys).aggregate(**{DENOMINATOR: base.count()})
    return rate_table(numerators, denominators, keys, [TARGET], {TARGET: sorted(SCHULFORM.codes)})
