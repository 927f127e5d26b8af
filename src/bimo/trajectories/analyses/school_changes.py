"""School-form changes in grades 7–9 (Schulformwechsel).

Numerator: students whose record in ``t`` is in grades 7–9 and whose record in ``t − 1`` was
at a different Schulform, by direction; denominator: all students in grades 7–9 in ``t``
(persons). Direction by :data:`bimo.core.codes.SCHULFORM_RANK`:

* ``AUF`` – to a higher-ranked Schulform, ``AB`` – to a lower-ranked one;
* ``IN_FS`` – into a Förderschule, ``AUS_FS`` – out of a Förderschule (reported separately);
* ``SONST`` – any other change (equal rank such as SMBG ↔ IGS, or from/to GS or WS).

Students without a record in ``t − 1`` (new arrivals, returners after a gap) are in the
denominator but cannot be changers. Dimensions are those of the record in ``t``.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from bimo.core.codes import SCHULFORM_RANK
from bimo.trajectories.analyses._common import (
    DENOMINATOR,
    NUMERATOR,
    YEAR,
    Prepared,
    YearRange,
    filter_years,
    prepared_or_build,
    rate_table,
    resolve_dims,
)

CATEGORY = "wechselart"
CHANGE_KINDS = ("AUF", "AB", "IN_FS", "AUS_FS", "SONST")
GRADES = (7, 9)


def school_form_changes(
    student_years: ir.Table | None,
    schools: ir.Table | None,
    *,
    by: Sequence[str] = (),
    years: YearRange | None = None,
    prepared: Prepared | None = None,
) -> ir.Table:
    """Changers between ``t − 1`` and ``t`` by direction, per 100 students in grades 7–9."""
    dims = resolve_dims(by)
    recs = prepared_or_build(student_years, schools, prepared).person_years
    cur = filter_years(recs.filter(recs.jahrgangsstufe.between(*GRADES)), years)
    # The previous record counts only if it is from t − 1 (not after a gap).
    joined = cur.mutate(
        _pf=ibis.ifelse(
            cur.prev_schuljahr == cur.schuljahr - 1, cur.prev_schulform, ibis.null("string")
        )
    )

    no_rank = ibis.null("int64")
    now_rank = joined.schulform.substitute(SCHULFORM_RANK, else_=no_rank)
    before_rank = joined._pf.substitute(SCHULFORM_RANK, else_=no_rank)
    kind = ibis.cases(
        (joined._pf.isnull() | (joined._pf == joined.schulform), ibis.null("string")),
        (joined.schulform == "FS", "IN_FS"),
        (joined._pf == "FS", "AUS_FS"),
        (now_rank > before_rank, "AUF"),
        (now_rank < before_rank, "AB"),
        else_="SONST",
    )
    joined = joined.mutate(**{CATEGORY: kind})

    keys = [YEAR, *dims]
    changers = joined.filter(joined[CATEGORY].notnull())
    numerators = changers.group_by([*keys, CATEGORY]).aggregate(**{NUMERATOR: changers.count()})
    denominators = joined.group_by(keys).aggregate(**{DENOMINATOR: joined.count()})
    return rate_table(numerators, denominators, keys, [CATEGORY], {CATEGORY: CHANGE_KINDS})
