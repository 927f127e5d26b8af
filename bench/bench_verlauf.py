"""Benchmark of the Bildungsverlauf analyses on a large synthetic analytic store.

The store is generated with DuckDB SQL (not with ``bimo synth``, whose Python simulation would
dominate the run at this size): ``students`` per school year × 13 school years, about
``13 × students`` student-year rows, with transitions after grade 4, one repetition for about
a fifth of the students, school-form changes, leavers with certificates and a population table.
Every standard table is then computed on it: time (split into building/compiling the Ibis
expression, executing the SQL inside DuckDB and converting to Polars), peak memory (RSS of the
process, DuckDB included) and the share of the time spent inside DuckDB.
"""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import polars as pl

from bimo.core.store import AnalyticStore
from bimo.trajectories.analyses import (
    cohort_flows,
    leavers_by_certificate,
    leavers_without_esa,
    repetition,
    repetition_cohort,
    school_form_changes,
    time_to_certificate,
    transitions,
)

FIRST_YEAR, LAST_YEAR = 2010, 2022  # 13 school years
N_KREISE = 20

# Persons enter grade 1 in 1998..2022; about 11 of the 25 entry cohorts are at school in any
# year, so students per year ≈ 11 × persons per entry cohort.
_GENERATE = """
CREATE TEMP TABLE persons AS
SELECT
    i AS pid,
    1998 + (i % 25) AS e,
    (i // 25) % {kreise} AS kreis,
    CASE WHEN r1 < 0.40 THEN 'GY' WHEN r1 < 0.60 THEN 'RS' WHEN r1 < 0.75 THEN 'IGS'
         WHEN r1 < 0.85 THEN 'SMBG' WHEN r1 < 0.95 THEN 'HS' ELSE 'FS' END AS sek,
    CASE WHEN r2 < 0.20 THEN 3 + CAST(floor(r3 * 7) AS INT) ELSE 99 END AS rep_k,
    CASE WHEN r4 < 0.5 THEN 'm' ELSE 'w' END AS sex,
    r5 < 0.2 AS ndh,
    r6 AS r_abs,
    r7 < 0.03 AS wechsel
FROM (
    SELECT i, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
           random() AS r6, random() AS r7
    FROM range({persons}) t(i)
);

CREATE TEMP TABLE paths AS
SELECT p.*, CASE sek WHEN 'GY' THEN 12 WHEN 'HS' THEN 9 ELSE 10 END
            + CASE WHEN rep_k < 99 THEN 1 ELSE 0 END AS n_years
FROM persons p;

INSERT INTO student_years
SELECT
    sha256(CAST(pid AS VARCHAR)) AS pseudonym,
    e + k AS schuljahr,
    CAST(100000 + kreis * 100 + CASE sf WHEN 'GS' THEN pid % 20 WHEN 'GY' THEN 20
         WHEN 'RS' THEN 21 WHEN 'IGS' THEN 22 WHEN 'SMBG' THEN 23 WHEN 'HS' THEN 24
         ELSE 25 END AS VARCHAR) AS schulnummer,
    sf AS schulform,
    g AS jahrgangsstufe,
    CAST(g AS VARCHAR) || 'a' AS klasse,
    e - 6 AS geburtsjahr,
    1 + CAST(pid % 12 AS INT) AS geburtsmonat,
    sex AS geschlecht,
    CASE WHEN sf = 'FS' THEN 'LE' END AS foerderschwerpunkt,
    ndh,
    false AS ganztag,
    CASE WHEN k = rep_k + 1 THEN 'NV' END AS wiederholung,
    CASE WHEN k = 0 THEN 'EIN' END AS zugangsart,
    NULL AS einschulungsart,
    CASE WHEN k = n_years - 1 THEN 'ENTL' END AS abgangsart,
    CASE WHEN k = n_years - 1 THEN
        CASE WHEN sf = 'FS' THEN 'FOES' WHEN r_abs < 0.035 THEN 'OHNE'
             WHEN sf = 'GY' THEN 'AHR' WHEN sf = 'HS' THEN 'ESA' ELSE 'MSA' END END
        AS abschlussart,
    0.5 AS record_key
FROM (
    SELECT *, CASE WHEN g <= 4 THEN 'GS' WHEN wechsel AND sek = 'GY' AND g >= 8 THEN 'RS'
                   ELSE sek END AS sf
    FROM (
        SELECT p.*, k, k + 1 - CASE WHEN k > rep_k THEN 1 ELSE 0 END AS g
        FROM paths p, range(0, 13) r(k)
        WHERE k < n_years AND e + k BETWEEN {first} AND {last}
    )
);

INSERT INTO schools
SELECT DISTINCT schulnummer, 'Schule ' || schulnummer, schulform, 'OEFF',
       lpad(CAST(1001 + (CAST(schulnummer AS INT) - 100000) // 100 AS VARCHAR), 5, '0')
         || '000',
       lpad(CAST(1001 + (CAST(schulnummer AS INT) - 100000) // 100 AS VARCHAR), 5, '0'),
       'KEIN'
FROM (SELECT schulnummer, any_value(schulform) AS schulform FROM student_years
      GROUP BY schulnummer);

INSERT INTO population
SELECT lpad(CAST(1001 + kreis AS VARCHAR), 5, '0'), y, y - (e - 6), sex,
       CAST(round(count(*) * 1.05) AS BIGINT)
FROM persons, range({first}, {last} + 1) t(y)
WHERE y - (e - 6) BETWEEN 0 AND 30
GROUP BY ALL;
"""

Analysis = Callable[[dict[str, ir.Table]], ir.Table]


def _analyses(by: list[str]) -> dict[str, Analysis]:
    def sy_sc(t: dict[str, ir.Table]) -> tuple[ir.Table, ir.Table]:
        return t["student_years"], t["schools"]

    by_pop = [d for d in by if d in ("kreis", "geschlecht")]
    return {
        "uebergaenge": lambda t: transitions(*sy_sc(t), by=by),
        "wiederholung": lambda t: repetition(*sy_sc(t), by=by, by_grade=True),
        "wiederholung_kohorte": lambda t: repetition_cohort(*sy_sc(t), by=by),
        "schulformwechsel": lambda t: school_form_changes(*sy_sc(t), by=by),
        "abgaenger_abschluss": lambda t: leavers_by_certificate(*sy_sc(t), by=by),
        "ohne_esa_abgaenger": lambda t: leavers_without_esa(*sy_sc(t), by=by),
        "ohne_esa_quotensumme": lambda t: leavers_without_esa(
            *sy_sc(t), t["population"], by=by_pop, denominator="bevoelkerung"
        ),
        "kohorten_sankey": lambda t: cohort_flows(*sy_sc(t), by=by),
        "kohorten_dauer": lambda t: time_to_certificate(*sy_sc(t), by=by),
    }


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(quick: bool) -> dict[str, Any]:
    students = 50_000 if quick else 1_000_000
    persons = students * 25 // 11
    with tempfile.TemporaryDirectory() as tmp:
        store = AnalyticStore(Path(tmp) / "bench.duckdb")
        store.raw.execute("SET threads = 2")
        store.raw.execute("SELECT setseed(0.42)")
        t0 = time.perf_counter()
        with store.transaction() as con:
            con.execute(
                _GENERATE.format(persons=persons, kreise=N_KREISE, first=FIRST_YEAR, last=LAST_YEAR)
            )
        generate_s = time.perf_counter() - t0
        rows = store.count("student_years")
        tables = {t: store.table(t) for t in ("student_years", "schools", "population")}
        results: dict[str, Any] = {}
        for label, by in (("gesamt", []), ("kreis_geschlecht", ["kreis", "geschlecht"])):
            for name, build in _analyses(by).items():
                t1 = time.perf_counter()
                sql = ibis.to_sql(build(tables), dialect="duckdb")
                t2 = time.perf_counter()
                arrow = store.raw.sql(str(sql)).to_arrow_table()
                t3 = time.perf_counter()
                df = pl.from_arrow(arrow)
                t4 = time.perf_counter()
                total = t4 - t1
                results[f"{name}/{label}"] = {
                    "rows_out": len(df),
                    "total_s": round(total, 3),
                    "ibis_build_compile_s": round(t2 - t1, 3),
                    "duckdb_s": round(t3 - t2, 3),
                    "to_polars_s": round(t4 - t3, 3),
                    "duckdb_share": round((t3 - t2) / total, 3) if total else None,
                    "peak_rss_mib": round(_peak_rss_mib(), 1),
                }
        # Sanity figures of the generated data (so a broken generator is visible).
        rep = store.ibis().to_polars(repetition(tables["student_years"], tables["schools"]))
        trans = store.ibis().to_polars(transitions(tables["student_years"], tables["schools"]))
        store.close()
    gy = trans.filter(pl.col("ziel_schulform") == "GY")["rate"].mean()
    return {
        "students_per_year": students,
        "student_year_rows": rows,
        "generate_s": round(generate_s, 1),
        "repetition_rate_mean_pct": round(float(rep["rate"].mean()), 2),
        "gymnasium_after_grade4_pct": round(float(gy), 1),
        "total_analyses_s": round(sum(r["total_s"] for r in results.values()), 1),
        "peak_rss_mib": round(_peak_rss_mib(), 1),
        "analyses": results,
    }
