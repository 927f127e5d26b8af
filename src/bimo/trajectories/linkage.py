"""Trajectories (Verläufe) across school years and schools, and their consistency checks.

A trajectory is the set of ``student_years`` records sharing one pseudonym, ordered by
``schuljahr``. The checks *report* inconsistencies; nothing is corrected here, because every
automatic "fix" (dropping a second school, filling a gap) would change the analyses in ways
nobody reviewed. All checks are Ibis expressions (no Python UDFs), so they run inside DuckDB
(or any other Ibis backend) on the full population.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import duckdb
import ibis
import ibis.expr.types as ir
import polars as pl

from bimo.core.schemas import STUDENT_YEARS
from bimo.core.store import unbound_table

Severity = Literal["Fehler", "Hinweis"]


@dataclass(frozen=True)
class Check:
    code: str
    severity: Severity
    title: str


CHECKS: tuple[Check, ...] = (
    Check("ZWEI_SCHULEN", "Fehler", "mehr als eine Schule im selben Schuljahr"),
    Check("LUECKE", "Fehler", "fehlende Schuljahre ohne Fortzug/Zuzug"),
    Check("SPRUNG_JAHRGANG", "Fehler", "Jahrgangsstufe springt um mehr als eine Stufe je Jahr"),
    Check("RUECKKEHR_NACH_ENTL", "Fehler", "erneuter Datensatz nach Entlassung"),
    Check(
        "RUECKKEHR_NACH_FORTZUG_OHNE_ZUZUG",
        "Fehler",
        "erneuter Datensatz nach Fortzug ohne Zugangsart Zuzug/Wiedereintritt",
    ),
    Check(
        "RUECKKEHR_NACH_FORTZUG",
        "Hinweis",
        "Rückkehr nach Fortzug mit Zugangsart Zuzug/Wiedereintritt (plausibel)",
    ),
    Check("GEBURTSDATEN_ABWEICHEND", "Fehler", "Geburtsjahr/-monat weicht zwischen Jahren ab"),
    Check("GESCHLECHT_ABWEICHEND", "Fehler", "Geschlecht weicht zwischen Jahren ab"),
)
CHECK_BY_CODE: dict[str, Check] = {c.code: c for c in CHECKS}
REPORT_COLUMNS = ("pseudonym", "schuljahr", "code", "schwere", "beschreibung")


def student_years_table(name: str = "student_years") -> ir.Table:
    """An unbound Ibis table with the ``student_years`` schema.

    Equivalent to ``AnalyticStore.table("student_years")`` for building expressions, but
    it does not ask the database for the schema: with duckdb 2.0, Ibis 12's schema lookup
    calls the deprecated ``fetch_arrow_table`` (a ``DeprecationWarning``, i.e. an error under
    the test suite's ``filterwarnings = error``). Run the expression with :func:`to_polars`.
    """
    return unbound_table(STUDENT_YEARS, name)


def to_polars(con: duckdb.DuckDBPyConnection, expr: ir.Table) -> pl.DataFrame:
    """Compile ``expr`` to DuckDB SQL and run it on ``con``."""
    result: pl.DataFrame = con.sql(str(ibis.to_sql(expr, dialect="duckdb"))).pl()
    return result


def _text(value: ir.Value) -> ir.StringValue:
    return value.cast("string").fill_null("–")


def yearly(student_years: ir.Table) -> ir.Table:
    """One row per (pseudonym, schuljahr) with what the checks need, plus the previous year."""
    return _yearly(student_years, distinct_schools=True)


def _yearly(student_years: ir.Table, *, distinct_schools: bool) -> ir.Table:
    t = student_years
    schools = (
        {"n_schulen": t.schulnummer.nunique()}
        if distinct_schools
        else {"sn_min": t.schulnummer.min(), "sn_max": t.schulnummer.max()}
    )
    per_year = t.group_by(["pseudonym", "schuljahr"]).aggregate(
        **schools,
        stufe_min=t.jahrgangsstufe.min(),
        stufe_max=t.jahrgangsstufe.max(),
        gj_min=t.geburtsjahr.min(),
        gj_max=t.geburtsjahr.max(),
        gm_min=t.geburtsmonat.min(),
        gm_max=t.geburtsmonat.max(),
        gs_min=t.geschlecht.min(),
        gs_max=t.geschlecht.max(),
        entl=(t.abgangsart == "ENTL").fill_null(False).any(),
        fortzug=(t.abgangsart == "FORTZUG").fill_null(False).any(),
        zuzug=t.zugangsart.isin(["ZUZUG", "WIEDER"]).fill_null(False).any(),
    )
    w = ibis.window(group_by="pseudonym", order_by="schuljahr")
    return per_year.mutate(
        prev_jahr=per_year.schuljahr.lag().over(w),
        prev_stufe=per_year.stufe_max.lag().over(w),
        prev_entl=per_year.entl.lag().over(w),
        prev_fortzug=per_year.fortzug.lag().over(w),
        prev_gj=per_year.gj_min.lag().over(w),
        prev_gm=per_year.gm_min.lag().over(w),
        prev_gs=per_year.gs_min.lag().over(w),
    )


def check_trajectories(student_years: ir.Table) -> ir.Table:
    """Tidy report: one row per finding (``REPORT_COLUMNS``), ordered by pseudonym and year.

    The report contains pseudonyms (it is internal), never identities.
    """
    return trajectory_findings(student_years).order_by(["pseudonym", "schuljahr", "code"])


def trajectory_findings(student_years: ir.Table) -> ir.Table:
    """The findings of :func:`check_trajectories` without the final ordering.

    For :func:`summarize` on a large store: sorting millions of findings by the 64-character
    pseudonym only to count them costs more than the checks themselves.
    """
    y = yearly(student_years)
    parts = [
        y.filter(condition).select(
            pseudonym=y.pseudonym,
            schuljahr=y.schuljahr,
            code=ibis.literal(code),
            schwere=ibis.literal(CHECK_BY_CODE[code].severity),
            beschreibung=description,
        )
        for code, condition, description in _findings(y, y.n_schulen > 1)
    ]
    return ibis.union(*parts, distinct=False)


def _findings(
    y: ir.Table, two_schools: ir.BooleanValue
) -> list[tuple[str, ir.BooleanValue, ir.StringValue]]:
    """(code, condition, description) of every check on the :func:`yearly` table."""
    has_prev = y.prev_jahr.notnull()
    span = y.schuljahr - y.prev_jahr
    prev_fortzug = y.prev_fortzug.fill_null(False)
    findings: list[tuple[str, ir.BooleanValue, ir.StringValue]] = [
        (
            "ZWEI_SCHULEN",
            two_schools,
            # Without the distinct count (summary path) the description is never shown.
            _text(y.n_schulen if "n_schulen" in y.columns else ibis.literal(2))
            + ibis.literal(" Schulen im selben Schuljahr"),
        ),
        (
            "LUECKE",
            has_prev & (span > 1) & ~prev_fortzug & ~y.zuzug,
            ibis.literal("kein Datensatz in ")
            + _text(span - 1)
            + ibis.literal(" Schuljahr(en) zwischen ")
            + _text(y.prev_jahr)
            + ibis.literal(" und ")
            + _text(y.schuljahr)
            + ibis.literal(", weder Fortzug noch Zuzug/Wiedereintritt"),
        ),
        (
            "SPRUNG_JAHRGANG",
            has_prev & ((y.stufe_min - y.prev_stufe) > span),
            ibis.literal("Jahrgangsstufe ")
            + _text(y.prev_stufe)
            + ibis.literal(" → ")
            + _text(y.stufe_min)
            + ibis.literal(" in ")
            + _text(span)
            + ibis.literal(" Schuljahr(en)"),
        ),
        (
            "RUECKKEHR_NACH_ENTL",
            y.prev_entl.fill_null(False),
            ibis.literal("Datensatz nach Entlassung am Ende des Schuljahres ") + _text(y.prev_jahr),
        ),
        (
            "RUECKKEHR_NACH_FORTZUG_OHNE_ZUZUG",
            prev_fortzug & ~y.zuzug,
            ibis.literal("Datensatz nach Fortzug (Schuljahr ")
            + _text(y.prev_jahr)
            + ibis.literal(") ohne Zugangsart ZUZUG/WIEDER"),
        ),
        (
            "RUECKKEHR_NACH_FORTZUG",
            prev_fortzug & y.zuzug,
            ibis.literal("Rückkehr nach Fortzug (Schuljahr ")
            + _text(y.prev_jahr)
            + ibis.literal(") mit Zugangsart ZUZUG/WIEDER"),
        ),
        (
            "GEBURTSDATEN_ABWEICHEND",
            (y.gj_min != y.gj_max)
            | (y.gm_min != y.gm_max)
            | (has_prev & ((y.gj_min != y.prev_gj) | (y.gm_min != y.prev_gm))).fill_null(False),
            ibis.literal("Geburtsjahr/-monat ")
            + _text(y.gj_min)
            + ibis.literal("/")
            + _text(y.gm_min)
            + ibis.literal(", vorher ")
            + _text(y.prev_gj)
            + ibis.literal("/")
            + _text(y.prev_gm),
        ),
        (
            "GESCHLECHT_ABWEICHEND",
            (y.gs_min != y.gs_max) | (has_prev & (y.gs_min != y.prev_gs)).fill_null(False),
            ibis.literal("Geschlecht ")
            + _text(y.gs_min)
            + ibis.literal(", vorher ")
            + _text(y.prev_gs),
        ),
    ]
    return [(code, cond.fill_null(False), text) for code, cond, text in findings]


def summarize(report: ir.Table) -> ir.Table:
    """Findings and affected trajectories per check; every check listed, also with 0.

    One global aggregate per check (no memtable), so the expression compiles to plain SQL
    and an empty check still yields its row with 0.
    """
    parts = []
    for order, check in enumerate(CHECKS):
        found = report.filter(report.code == check.code)
        parts.append(
            found.aggregate(befunde=found.count(), verlaeufe=found.pseudonym.nunique()).mutate(
                code=ibis.literal(check.code),
                schwere=ibis.literal(check.severity),
                pruefung=ibis.literal(check.title),
                reihenfolge=ibis.literal(order),
            )
        )
    summary = ibis.union(*parts, distinct=False)
    return summary.order_by("reihenfolge").select(
        "code", "schwere", "pruefung", "befunde", "verlaeufe"
    )


def summary_counts(student_years: ir.Table) -> ir.Table:
    """One wide row: ``befunde_<CODE>`` and ``verlaeufe_<CODE>`` for every check.

    The same numbers as ``summarize(check_trajectories(…))`` (see :func:`summary_frame`)
    without building the findings: the conditions are counted per person, then summed. The
    findings table would be a union of one scan per check, which DuckDB computes by running
    the per-year aggregation and the window once per check. Two schools in a year are
    detected by min ≠ max Schulnummer instead of a distinct count. The person column may be
    any key (the full run passes an integer key instead of the pseudonym).
    """
    y = _yearly(student_years, distinct_schools=False)
    conditions = {code: cond for code, cond, _ in _findings(y, y.sn_min != y.sn_max)}
    per_person = y.group_by("pseudonym").aggregate(
        **{f"_n_{code}": ibis.ifelse(cond, 1, 0).sum() for code, cond in conditions.items()}
    )
    return per_person.aggregate(
        **{
            name: expr
            for code in conditions
            for name, expr in (
                (f"befunde_{code}", per_person[f"_n_{code}"].sum().fill_null(0)),
                (
                    f"verlaeufe_{code}",
                    ibis.ifelse(per_person[f"_n_{code}"] > 0, 1, 0).sum().fill_null(0),
                ),
            )
        }
    )


def summary_frame(counts: pl.DataFrame) -> pl.DataFrame:
    """The executed :func:`summary_counts` in the layout of :func:`summarize`."""
    row = counts.row(0, named=True) if counts.height else {}
    return pl.DataFrame(
        {
            "code": [c.code for c in CHECKS],
            "schwere": [c.severity for c in CHECKS],
            "pruefung": [c.title for c in CHECKS],
            "befunde": [int(row.get(f"befunde_{c.code}") or 0) for c in CHECKS],
            "verlaeufe": [int(row.get(f"verlaeufe_{c.code}") or 0) for c in CHECKS],
        }
    )


def trajectory_overview(student_years: ir.Table) -> ir.Table:
    """One row per trajectory: first/last year, number of years and schools."""
    t = student_years
    return t.group_by("pseudonym").aggregate(
        erstes_schuljahr=t.schuljahr.min(),
        letztes_schuljahr=t.schuljahr.max(),
        schuljahre=t.schuljahr.nunique(),
        schulen=t.schulnummer.nunique(),
        datensaetze=t.count(),
    )
