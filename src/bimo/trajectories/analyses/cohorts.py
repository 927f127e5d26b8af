"""Cohort flows (Sankey-ready) and time to certificate.

A cohort is the set of persons whose first record in the start grade (1 or 5) is in year
``kohorte``. Each person gets three nodes:

1. ``Start: <Schulform>`` – Schulform of the entry record;
2. for start grade 1, ``Nach Übergang: <Schulform>`` – Schulform of the first record in the
   grade after the Grundschule (5, or 7 with a six-year Grundschule), or
   ``Nach Übergang: kein Übergang`` if there is none; for start grade 5,
   ``Zuletzt: <Schulform>`` – Schulform of the person's last record;
3. the end state, decided by the person's **last** record (a student who moved away and came
   back is judged by the record after the return): ``Abschluss: <Abschlussart>`` (ENTL),
   ``fortgezogen`` (FORTZUG), ``noch in Schule`` (record in the last year of the data without
   ENTL), ``sonstiger Abgang`` (SONST) or ``unbekannt`` (records end without any Abgangsart).

Time to certificate: ``schuljahr`` of the ENTL record − ``kohorte`` + 1 (school years from entry
to leaving, the leaving year included), distributed by certificate.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from bimo.trajectories.analyses._common import (
    DENOMINATOR,
    NUMERATOR,
    PERSON,
    RATE,
    AnalysisError,
    Prepared,
    YearRange,
    filter_years,
    percent,
    prepared_or_build,
    resolve_dims,
)

COHORT = "kohorte"
STAGE = "stufe"
SOURCE = "quelle"
TARGET = "ziel"
YEARS_TO_CERT = "jahre"
CERTIFICATE = "abschlussart"


def _cohort_persons(
    prepared: Prepared,
    dims: list[str],
    cohorts: YearRange | None,
    start_grade: int,
    grundschule_jahre: int,
) -> ir.Table:
    """One row per cohort member: kohorte, dims, node columns _n0/_n1/_n2, final record."""
    if start_grade not in (1, 5):
        raise AnalysisError(f"Die Startjahrgangsstufe muss 1 oder 5 sein, nicht {start_grade}.")
    if grundschule_jahre not in (4, 6):
        raise AnalysisError(
            f"Die Dauer der Grundschule muss 4 oder 6 Jahre betragen, nicht {grundschule_jahre}."
        )
    recs = prepared.person_years
    data_end = recs.aggregate(_end=recs.schuljahr.max())

    in_start = recs.filter(recs.jahrgangsstufe == start_grade)
    first = in_start.group_by(_p0=in_start[PERSON]).aggregate(_k=in_start.schuljahr.min())
    entry = in_start.inner_join(
        first, [in_start[PERSON] == first._p0, in_start.schuljahr == first._k]
    )
    entry = entry.select(
        PERSON,
        **{COHORT: entry.schuljahr},
        _n0="Start: " + entry.schulform,
        **{d: entry[d] for d in dims},
    )
    entry = filter_years(entry, cohorts, column=COHORT)

    # Last record of each person: the one without a next record.
    last = recs.filter(recs.next_schuljahr.isnull()).cross_join(data_end)
    last = last.select(
        _lp=last[PERSON],
        _lyear=last.schuljahr,
        _lform=last.schulform,
        _cert=ibis.ifelse(
            last.abgangsart == "ENTL", last.abschlussart.fill_null("UNBEKANNT"), ibis.null("string")
        ),
        _n2=ibis.cases(
            (last.abgangsart == "ENTL", "Abschluss: " + last.abschlussart.fill_null("UNBEKANNT")),
            (last.abgangsart == "FORTZUG", "fortgezogen"),
            (last.schuljahr == last._end, "noch in Schule"),
            (last.abgangsart == "SONST", "sonstiger Abgang"),
            else_="unbekannt",
        ),
    )
    persons = entry.inner_join(last, entry[PERSON] == last._lp)

    if start_grade == 1:
        after = recs.filter(recs.jahrgangsstufe == grundschule_jahre + 1)
        first_after = after.group_by(_pa=after[PERSON]).aggregate(_ay=after.schuljahr.min())
        after = after.inner_join(
            first_after, [after[PERSON] == first_after._pa, after.schuljahr == first_after._ay]
        ).select(_ap=after[PERSON], _aform=after.schulform)
        persons = persons.left_join(after, persons[PERSON] == after._ap)
        n1 = "Nach Übergang: " + persons._aform.fill_null("kein Übergang")
    else:
        n1 = "Zuletzt: " + persons._lform
    return persons.mutate(_n1=n1)


def cohort_flows(
    student_years: ir.Table | None,
    schools: ir.Table | None,
    *,
    by: Sequence[str] = (),
    cohorts: YearRange | None = None,
    start_grade: int = 1,
    grundschule_jahre: int = 4,
    prepared: Prepared | None = None,
) -> ir.Table:
    """Sankey edges (stufe 1: start → middle node, stufe 2: middle node → end state).

    ``numerator`` = persons on the edge, ``denominator`` = cohort size in the cell,
    ``rate`` = percent of the cohort. Dimensions are those of the entry record.
    """
    dims = resolve_dims(by)
    data = prepared_or_build(student_years, schools, prepared)
    persons = _cohort_persons(data, dims, cohorts, start_grade, grundschule_jahre)
    keys = [COHORT, *dims]
    sizes = persons.group_by(keys).aggregate(**{DENOMINATOR: persons.count()})
    edges: list[ir.Table] = []
    for stage, (src, dst) in enumerate((("_n0", "_n1"), ("_n1", "_n2")), start=1):
        edge = persons.group_by(
            [*keys, persons[src].name(SOURCE), persons[dst].name(TARGET)]
        ).aggregate(**{NUMERATOR: persons.count()})
        edges.append(edge.mutate(**{STAGE: ibis.literal(stage, "int64")}))
    flows = edges[0].union(edges[1])
    sz = sizes.rename({f"_s_{k}": k for k in keys})
    joined = flows.inner_join(sz, [flows[k] == sz[f"_s_{k}"] for k in keys])
    out = joined.select(*keys, STAGE, SOURCE, TARGET, NUMERATOR, DENOMINATOR)
    out = out.mutate(**{RATE: percent(out[NUMERATOR], out[DENOMINATOR])})
    return out.order_by([*keys, STAGE, SOURCE, TARGET])


def time_to_certificate(
    student_years: ir.Table | None,
    schools: ir.Table | None,
    *,
    by: Sequence[str] = (),
    cohorts: YearRange | None = None,
    start_grade: int = 1,
    grundschule_jahre: int = 4,
    prepared: Prepared | None = None,
) -> ir.Table:
    """Distribution of school years from entry to ENTL, per certificate (``abschlussart``).

    ``numerator`` = leavers with this certificate after ``jahre`` years, ``denominator`` = all
    leavers of the cohort cell with this certificate, ``rate`` = percent.
    """
    dims = resolve_dims(by)
    data = prepared_or_build(student_years, schools, prepared)
    persons = _cohort_persons(data, dims, cohorts, start_grade, grundschule_jahre)
    done = persons.filter(persons._cert.notnull())
    done = done.mutate(**{CERTIFICATE: done._cert, YEARS_TO_CERT: done._lyear - done[COHORT] + 1})
    keys = [COHORT, *dims, CERTIFICATE]
    counts = done.group_by([*keys, YEARS_TO_CERT]).aggregate(**{NUMERATOR: done.count()})
    totals = done.group_by(keys).aggregate(**{DENOMINATOR: done.count()})
    tot = totals.rename({f"_t_{k}": k for k in keys})
    joined = counts.inner_join(tot, [counts[k] == tot[f"_t_{k}"] for k in keys])
    out = joined.select(*keys, YEARS_TO_CERT, NUMERATOR, DENOMINATOR)
    out = out.mutate(**{RATE: percent(out[NUMERATOR], out[DENOMINATOR])})
    return out.order_by([*keys, YEARS_TO_CERT])
