"""Repetition rates (Wiederholerquote): same-year definition and cohort view.

* **Same year** (amtliche Schulstatistik, Destatis): repeaters in year ``t`` (Wiederholung
  ``NV`` or ``FW`` on the record of the year in which the grade is repeated) in grades 3 and
  above, divided by all students in grades 3 and above in ``t``. Counts records, as the
  school statistics do.
* **Cohort** (UNESCO UIS repetition rate): of the students in grade ``g`` in year ``t``, the
  share found in grade ``g`` again in ``t + 1``. Counts persons; the year ``t`` is the cohort
  year, so the last year of the data has no cohort rate.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from bimo.core.codes import WIEDERHOLUNG
from bimo.trajectories.analyses._common import (
    DENOMINATOR,
    NUMERATOR,
    RATE,
    YEAR,
    Prepared,
    YearRange,
    data_years,
    filter_years,
    percent,
    prepared_or_build,
    resolve_dims,
)

GRADE = "jahrgangsstufe"


def repetition(
    student_years: ir.Table | None,
    schools: ir.Table | None,
    *,
    by: Sequence[str] = (),
    years: YearRange | None = None,
    by_grade: bool = False,
    min_grade: int = 3,
    prepared: Prepared | None = None,
) -> ir.Table:
    """Same-year repetition rate: repeaters in ``t`` / students in grades ≥ ``min_grade``."""
    dims = resolve_dims(by)
    recs = prepared_or_build(student_years, schools, prepared).records
    recs = filter_years(recs.filter(recs.jahrgangsstufe >= min_grade), years)
    keys = [YEAR, *dims, *([GRADE] if by_grade else [])]
    repeats = recs.wiederholung.fill_null("").isin(sorted(WIEDERHOLUNG.codes))
    out = recs.group_by(keys).aggregate(
        **{NUMERATOR: ibis.ifelse(repeats, 1, 0).sum(), DENOMINATOR: recs.count()}
    )
    out = out.mutate(**{NUMERATOR: out[NUMERATOR].cast("int64")})
    out = out.mutate(**{RATE: percent(out[NUMERATOR], out[DENOMINATOR])})
    return out.order_by(keys)


def repetition_cohort(
    student_years: ir.Table | None,
    schools: ir.Table | None,
    *,
    by: Sequence[str] = (),
    years: YearRange | None = None,
    by_grade: bool = False,
    min_grade: int = 3,
    prepared: Prepared | None = None,
) -> ir.Table:
    """Cohort repetition rate: grade-``g`` students of ``t`` found in grade ``g`` in ``t + 1``.

    Dimensions are those of the record in ``t``. Students who leave or move away after ``t``
    stay in the denominator (they did not repeat in the data). Years without a following
    year in the data are left out rather than reported as 0 %.
    """
    dims = resolve_dims(by)
    recs = prepared_or_build(student_years, schools, prepared).person_years
    base = filter_years(recs.filter(recs.jahrgangsstufe >= min_grade), years)
    present = data_years(recs)
    joined = base.semi_join(present, base.schuljahr + 1 == present._y)
    # The person's next record tells whether the grade is repeated: no self-join needed.
    joined = joined.mutate(
        _p=ibis.ifelse(
            (joined.next_schuljahr == joined.schuljahr + 1)
            & (joined.next_jahrgangsstufe == joined.jahrgangsstufe),
            1,
            ibis.null("int64"),
        )
    )
    keys = [YEAR, *dims, *([GRADE] if by_grade else [])]
    out = joined.group_by(keys).aggregate(
        **{
            NUMERATOR: ibis.ifelse(joined._p.notnull(), 1, 0).sum(),
            DENOMINATOR: joined.count(),
        }
    )
    out = out.mutate(**{NUMERATOR: out[NUMERATOR].cast("int64")})
    out = out.mutate(**{RATE: percent(out[NUMERATOR], out[DENOMINATOR])})
    return out.order_by(keys)
