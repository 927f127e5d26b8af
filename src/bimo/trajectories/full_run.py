"""The full publication run of the Bildungsverlauf tables (``bimo verlauf publish-all``).

One run: the linkage checks, every standard table for every year, disclosure control and an
independent audit of everything written. The expensive part of the person-level analyses, one
record per person and year with the previous and next record (:func:`prepare`), is built once
as a DuckDB temp table; every analysis reads it. Queries are compiled from Ibis to SQL and run
on the store's DuckDB connection, so the time spent inside DuckDB can be reported separately.

Tables that are published together and share margins form a *group* and are protected jointly
(:func:`bimo.trajectories.publication.publish_rate_set`): transitions by Kreis, sex, ndh and
Förderschwerpunkt share the Schulform totals; leavers by Abschlussart by Kreis and by sex share
the Abschlussart totals. Leavers without ESA are derived from the protected Abschlussart cells
(see :func:`_without_esa`), the Quotensumme is gated by those counts. The final audit
recomputes, from the written cells alone, the interval an attacker can derive for every
suppressed cell, jointly per group and year.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import numpy as np
import polars as pl

from bimo.core.codes import OHNE_ESA
from bimo.core.errors import BimoError
from bimo.core.schemas import POPULATION, SCHOOLS, STUDENT_YEARS
from bimo.core.store import unbound_table
from bimo.privacy import TOTAL, Link, ProtectedTable, ProtectionConfig, Table, TableSet, audit
from bimo.trajectories.analyses import (
    Prepared,
    YearRange,
    cohort_flows,
    key_records,
    leavers_by_certificate,
    leavers_without_esa,
    prepare_keyed,
    repetition,
    school_form_changes,
    transitions,
)
from bimo.trajectories.analyses._common import PERSON
from bimo.trajectories.linkage import summary_counts, summary_frame
from bimo.trajectories.publication import (
    FLAG,
    VALUE,
    RatePart,
    RateSpec,
    publish_flows,
    publish_rate_set,
    with_rates,
)

PERSON_YEARS_TABLE = "_bimo_verlauf_person_years"
RECORDS_TABLE = "_bimo_verlauf_records"
ESA = "merkmal"
WITHOUT_ESA, WITH_ESA = "ohne Ersten Schulabschluss", "mit Erstem Schulabschluss"
_LABELS = {"kreis": "Kreis", "geschlecht": "Geschlecht"}

Progress = Callable[[str], None]
# The steps reported to ``progress``, in order (for a progress bar with a known length).
RUN_STEPS = (
    "Verlaufsprüfungen",
    "Personenjahre vorbereiten",
    "Übergänge nach der Grundschule",
    "Wiederholungen",
    "Schulformwechsel",
    "Abgänger/innen und ohne Ersten Schulabschluss",
    "Quotensumme ohne Ersten Schulabschluss",
    "Kohortenverläufe",
    "Schreiben",
    "Prüfung der Geheimhaltung (LP-Audit)",
)


class FullRunError(BimoError):
    """The full run failed (German message)."""


@dataclass(frozen=True)
class PublishedTable:
    """One written table: file stem, metadata for the index, the published cells."""

    name: str
    title: str
    definition: str
    table: ProtectedTable
    group: str
    year_column: str


@dataclass
class RunResult:
    """What the run wrote and where the time went (seconds)."""

    tables: list[PublishedTable] = field(default_factory=list)
    checks: pl.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)
    audit_failures: list[str] = field(default_factory=list)

    @property
    def duckdb_seconds(self) -> float:
        return self.timings.get("duckdb", 0.0)


class _Runner:
    """Compiles Ibis expressions and runs them on one DuckDB connection, timing DuckDB."""

    def __init__(self, con: duckdb.DuckDBPyConnection, result: RunResult) -> None:
        self.con = con
        self.result = result

    @contextmanager
    def timed(self, key: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            timings = self.result.timings
            timings[key] = timings.get(key, 0.0) + time.perf_counter() - start

    def run(self, expr: ir.Table) -> pl.DataFrame:
        sql = str(ibis.to_sql(expr, dialect="duckdb"))
        with self.timed("duckdb"):
            frame: pl.DataFrame = self.con.sql(sql).pl()
        return frame

    def materialise(self, expr: ir.Table, name: str) -> ir.Table:
        sql = str(ibis.to_sql(expr, dialect="duckdb"))
        with self.timed("duckdb"):
            self.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {sql}')
        return ibis.table(expr.schema(), name=name)


def _rate_group(
    runner: _Runner,
    items: Sequence[tuple[str, str, ir.Table, list[str], RateSpec]],
    definition: str,
    group: str,
    config: ProtectionConfig,
    links: Sequence[Link] = (),
) -> list[PublishedTable]:
    frames = [
        (name, title, runner.run(expr), dims, spec) for name, title, expr, dims, spec in items
    ]
    with runner.timed("protection"):
        protected = publish_rate_set(
            [RatePart(df, dims, spec) for _, _, df, dims, spec in frames],
            "schuljahr",
            config,
            links,
        )
    return [
        PublishedTable(name, title, definition, table, group, "schuljahr")
        for (name, title, _, _, _), table in zip(frames, protected, strict=True)
    ]


def _tables(
    runner: _Runner,
    data: Prepared,
    population: ir.Table,
    years: YearRange | None,
    config: ProtectionConfig,
    progress: Progress,
) -> Iterator[list[PublishedTable]]:
    """Every standard table, one protection group at a time."""
    progress("Übergänge nach der Grundschule")
    tr = "Übergangsquoten nach der Grundschule"
    yield _rate_group(
        runner,
        [
            (
                f"uebergaenge_{name}",
                f"{tr} nach {label}",
                transitions(None, None, by=[name], years=years, prepared=data),
                [col],
                RateSpec("ziel_schulform", None),
            )
            for name, col, label in (
                ("kreis", "kreis_ags", "Kreis"),
                ("geschlecht", "geschlecht", "Geschlecht"),
                ("ndh", "ndh", "nichtdeutscher Herkunftssprache"),
                ("foerderschwerpunkt", "foerderschwerpunkt", "Förderschwerpunkt"),
            )
        ],
        "Schüler/innen in Jahrgangsstufe 5 im Schuljahr t, deren Datensatz in t−1 Jahrgangsstufe "
        "4 einer Grundschule war, nach Schulform in t; Nenner: alle Übergänge (Merkmale des "
        "Grundschuldatensatzes).",
        "uebergaenge",
        config,
    )
    progress("Wiederholungen")
    rep = RateSpec(None, "nicht wiederholt", "wiederholt")
    yield _rate_group(
        runner,
        [
            (
                "wiederholung_kreis",
                "Wiederholerquote nach Kreis",
                repetition(None, None, by=["kreis"], years=years, prepared=data),
                ["kreis_ags"],
                rep,
            ),
            (
                "wiederholung_geschlecht",
                "Wiederholerquote nach Geschlecht",
                repetition(None, None, by=["geschlecht"], years=years, prepared=data),
                ["geschlecht"],
                rep,
            ),
            (
                "wiederholung_jahrgangsstufe",
                "Wiederholerquote nach Jahrgangsstufe",
                repetition(None, None, years=years, by_grade=True, prepared=data),
                ["jahrgangsstufe"],
                rep,
            ),
        ],
        "Datensätze ab Jahrgangsstufe 3 mit Wiederholung (NV/FW) im Schuljahr t je 100 "
        "Datensätze ab Jahrgangsstufe 3 (amtliche Definition).",
        "wiederholung",
        config,
    )
    progress("Schulformwechsel")
    yield _rate_group(
        runner,
        [
            (
                f"schulformwechsel_{name}",
                f"Schulformwechsel in den Jahrgangsstufen 7–9 nach {label}",
                school_form_changes(None, None, by=[name], years=years, prepared=data),
                [col],
                RateSpec("wechselart", "KEIN"),
            )
            for name, col, label in (
                ("kreis", "kreis_ags", "Kreis"),
                ("geschlecht", "geschlecht", "Geschlecht"),
            )
        ],
        "Schüler/innen der Jahrgangsstufen 7–9 in t, deren Datensatz in t−1 an einer anderen "
        "Schulform war, nach Richtung (AUF, AB, IN_FS, AUS_FS, SONST; KEIN = kein Wechsel).",
        "schulformwechsel",
        config,
    )
    progress("Abgänger/innen und ohne Ersten Schulabschluss")
    leavers = yield_leavers(runner, data, years, config)
    yield leavers
    progress("Quotensumme ohne Ersten Schulabschluss")
    yield [_quota_table(runner, data, population, years, leavers, config)]
    progress("Kohortenverläufe")
    flows = runner.run(
        cohort_flows(None, None, by=["kreis"], cohorts=years, start_grade=1, prepared=data)
    )
    with runner.timed("protection"):
        table = publish_flows(flows, ["kreis_ags"], config)
    yield [
        PublishedTable(
            "kohorten_kreis",
            "Kohortenverläufe ab Jahrgangsstufe 1 nach Kreis (Sankey-Kanten)",
            "Personen, deren erster Datensatz in Jahrgangsstufe 1 im Schuljahr kohorte liegt; "
            "Stufe 1: Start → Schulform nach dem Übergang, Stufe 2: → Endzustand (letzter "
            "Datensatz). Beide Stufen einer Kohorte gemeinsam geschützt.",
            table,
            "kohorten",
            "kohorte",
        )
    ]


def yield_leavers(
    runner: _Runner, data: Prepared, years: YearRange | None, config: ProtectionConfig
) -> list[PublishedTable]:
    """Leavers by Abschlussart (by Kreis and sex, protected jointly) and, derived from their
    protected cells, leavers without ESA."""
    items: list[tuple[str, str, ir.Table, list[str], RateSpec]] = []
    for name, col in (("kreis", "kreis_ags"), ("geschlecht", "geschlecht")):
        items.append(
            (
                f"abgaenger_abschlussart_{name}",
                f"Abgänger/innen nach Abschlussart nach {_LABELS[name]}",
                leavers_by_certificate(None, None, by=[name], years=years, prepared=data),
                [col],
                RateSpec("abschlussart", None),
            )
        )
    tables = _rate_group(
        runner,
        items,
        "Datensätze mit Abgangsart ENTL im Schuljahr t nach Abschlussart; Nenner: alle "
        "Abgänger/innen des Jahres.",
        "abgaenger",
        config,
    )
    with runner.timed("protection"):
        derived = [
            _without_esa(t, name, col, config.resolved_min())
            for t, (name, col) in zip(
                tables, (("kreis", "kreis_ags"), ("geschlecht", "geschlecht")), strict=True
            )
        ]
    return [*tables, *derived]


def _without_esa(source: PublishedTable, name: str, col: str, limit: int) -> PublishedTable:
    """Leavers without ESA computed from the *published* Abschlussart cells.

    Protecting the without-ESA counts as tables of their own, tied to the Abschlussart tables
    by the hierarchy Abschlussart → ohne/mit ESA (a :class:`bimo.privacy.Link`), is the
    textbook way, but it suppresses about a third more Abschlussart cells (see
    docs/verlauf.md). A count derived only from published cells (ohne = OHNE + FOES where both
    are published, mit = Insgesamt − ohne) adds nothing an attacker did not know.
    """
    cells = source.table.cells
    keys = ["schuljahr", col]
    known = (
        pl.when(pl.col(FLAG) == ".")
        .then(None)
        .otherwise(pl.col(VALUE).fill_null(0))
        .alias("_known")
    )
    cells = cells.with_columns(known)
    without = (
        cells.filter(pl.col("abschlussart").is_in(sorted(OHNE_ESA)))
        .group_by(keys)
        .agg(
            pl.when(pl.col("_known").is_null().any())
            .then(None)
            .otherwise(pl.col("_known").sum())
            .first()
            .alias("_ohne")
        )
    )
    totals = cells.filter(pl.col("abschlussart") == TOTAL).select(
        *keys, pl.col("_known").alias("_tot")
    )
    both = totals.join(without, on=keys, how="left")
    both = both.with_columns((pl.col("_tot") - pl.col("_ohne")).alias("_mit"))
    parts = [
        both.select(*keys, pl.lit(label).alias(ESA), pl.col(src).alias("_v"))
        for label, src in ((WITHOUT_ESA, "_ohne"), (WITH_ESA, "_mit"), (TOTAL, "_tot"))
    ]
    long = pl.concat(parts).sort([*keys, ESA])
    # A derived count of 1 … limit−1 cannot occur when the source passed its audit; blanked
    # anyway so that the rule "no visible cell under the minimum" holds by construction.
    small = (pl.col("_v") > 0) & (pl.col("_v") < limit)
    hidden = pl.col("_v").is_null() | small
    long = long.with_columns(
        pl.when(hidden | (pl.col("_v") == 0)).then(None).otherwise(pl.col("_v")).alias(VALUE),
        pl.when(hidden)
        .then(pl.lit("."))
        .when(pl.col("_v") == 0)
        .then(pl.lit("-"))
        .otherwise(pl.lit(""))
        .alias(FLAG),
    ).drop("_v")
    long = with_rates(long, keys, ESA, limit)
    return PublishedTable(
        f"ohne_esa_abgaenger_{name}",
        f"Abgänger/innen ohne Ersten Schulabschluss je 100 Abgänger/innen nach {_LABELS[name]}",
        "Abgänger/innen (ENTL) mit Abschlussart OHNE oder FOES je 100 Abgänger/innen des "
        f"Jahres; aus den geschützten Zellen von {source.name} berechnet (veröffentlicht, wo "
        "OHNE und FOES veröffentlicht sind).",
        ProtectedTable(("schuljahr", col, ESA), long, {"quelle": source.name}),
        "abgaenger",
        "schuljahr",
    )


def _quota_table(
    runner: _Runner,
    data: Prepared,
    population: ir.Table,
    years: YearRange | None,
    leavers: list[PublishedTable],
    config: ProtectionConfig,
) -> PublishedTable:
    """Quotensumme by Kreis, gated by the protected counts of ``ohne_esa_abgaenger_kreis``.

    The table publishes no count of its own: its numerator (leavers without ESA whose age has
    a population) can differ from the protected count by a few persons, and publishing both
    would reveal the difference. A rate is shown only where the protected count of the same
    cell is published and at least ``min_cell``.
    """
    limit = config.resolved_min()
    inner = runner.run(
        leavers_without_esa(
            None,
            None,
            population,
            by=["kreis"],
            years=years,
            denominator="bevoelkerung",
            prepared=data,
        )
    )
    total = runner.run(
        leavers_without_esa(
            None, None, population, years=years, denominator="bevoelkerung", prepared=data
        )
    )
    rates = pl.concat(
        [
            inner.select("schuljahr", pl.col("kreis_ags").cast(pl.String), "rate"),
            total.select("schuljahr", pl.lit(TOTAL).alias("kreis_ags"), "rate"),
        ]
    )
    counts = next(t for t in leavers if t.name == "ohne_esa_abgaenger_kreis").table.cells
    counts = counts.filter(pl.col(ESA) == WITHOUT_ESA).select("schuljahr", "kreis_ags", VALUE, FLAG)
    out = counts.join(rates, on=["schuljahr", "kreis_ags"], how="left")
    safe = pl.col(VALUE).is_not_null() & (pl.col(VALUE) >= limit) & pl.col("rate").is_not_null()
    out = out.with_columns(
        pl.when(safe).then(pl.col("rate").round(1)).otherwise(None).alias("quote_prozent"),
        pl.when(safe)
        .then(pl.lit(""))
        .when(pl.col(FLAG) == ".")
        .then(pl.lit("."))
        .otherwise(pl.lit("/"))
        .alias("quote_flag"),
    ).drop("rate")
    return PublishedTable(
        "ohne_esa_quotensumme_kreis",
        "Abgänger/innen ohne Ersten Schulabschluss je 100 der gleichaltrigen Bevölkerung "
        "(Quotensummenverfahren) nach Kreis",
        "Σ über Altersjahre a von Abgänger/innen ohne ESA im Alter a / Bevölkerung im Alter a "
        "(KMK-Definitionenkatalog 7.4); Fallzahl = geschützte Zahl aus "
        "ohne_esa_abgaenger_kreis, Quote nur bei veröffentlichter Fallzahl ≥ Mindestfallzahl.",
        ProtectedTable(("schuljahr", "kreis_ags"), out, {"quelle": "ohne_esa_abgaenger_kreis"}),
        "abgaenger",
        "schuljahr",
    )


def _audit_group(
    tables: Sequence[PublishedTable], links: Sequence[Link], min_cell: int
) -> list[str]:
    """Audit the written cells of one group, jointly per year (or cohort).

    Only what the files show is used: a cell with flag ``.`` is unknown, every other cell is
    known (``-`` = 0). Returns German descriptions of under-protected cells.
    """
    failures: list[str] = []
    audited = [t for t in tables if t.table.protection.get("quelle") is None]
    if not audited:
        return failures
    year = audited[0].year_column
    periods = sorted({v for t in audited for v in t.table.cells[year].to_list()}, key=str)
    for period in periods:
        for sub_tables in _audit_units(audited, year, period):
            report_failures = _audit_cells(sub_tables, links, min_cell)
            failures.extend(f"{name} {year} {period}: {text}" for name, text in report_failures)
    return failures


def _audit_units(
    tables: Sequence[PublishedTable], year: str, period: object
) -> list[list[tuple[str, pl.DataFrame, list[str]]]]:
    """The jointly protected units of one period: all tables (Sankey: the two stages)."""
    unit: list[tuple[str, pl.DataFrame, list[str]]] = []
    for t in tables:
        dims = [d for d in t.table.dims if d != year]
        cells = t.table.cells.filter(pl.col(year) == period)
        if "stufe" in dims:
            other = [d for d in dims if d not in ("stufe", "quelle", "ziel")]
            for stage, (src, dst) in ((1, ("start", "mitte")), (2, ("mitte", "ende"))):
                part = cells.filter(pl.col("stufe") == stage).rename({"quelle": src, "ziel": dst})
                unit.append((f"{t.name} (Stufe {stage})", part, [src, dst, *other]))
        else:
            unit.append((t.name, cells, dims))
    return [unit]


def _audit_cells(
    unit: Sequence[tuple[str, pl.DataFrame, list[str]]], links: Sequence[Link], min_cell: int
) -> list[tuple[str, str]]:
    built: list[Table] = []
    positions: list[tuple[np.ndarray[Any, Any], ...]] = []
    secrets: list[np.ndarray[Any, Any]] = []
    for _, cells, dims in unit:
        secret = (cells[FLAG].fill_null("") == ".").to_numpy()
        known = cells.with_columns(pl.col(VALUE).fill_null(0).cast(pl.Int64))
        known = known.with_columns(pl.when(pl.Series(secret)).then(0).otherwise(pl.col(VALUE)))
        inner = known.filter(pl.all_horizontal([pl.col(d) != TOTAL for d in dims]))
        table = Table.from_inner(inner.select([*dims, VALUE]), dims)
        pos = tuple(
            np.asarray(
                [{lab: i for i, lab in enumerate(table.labels(a))}[str(x)] for x in known[d]],
                dtype=np.int64,
            )
            for a, d in enumerate(dims)
        )
        table.values = np.zeros(table.shape, dtype=np.int64)
        table.values[pos] = known[VALUE].to_numpy()
        built.append(table)
        positions.append(pos)
        secrets.append(secret)
    usable = [link for link in links if any(link.fine in t.dims for t in built)]
    tset = TableSet(built, usable, check=False)
    mask = np.zeros(tset.n_vars, dtype=bool)
    for t, (pos, secret) in enumerate(zip(positions, secrets, strict=True)):
        mask[tset.index[t][pos][secret]] = True
    report = audit(tset, mask, min_cell, truth_known=False)
    out: list[tuple[str, str]] = []
    for cell in report.failures:
        key = dict(zip(tset.dims, cell.key, strict=True))
        out.append(
            (unit[0][0], f"Zelle {key}: Intervall [{cell.lower:g}, {cell.upper:g}] zu schmal")
        )
    return out


def publish_all(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    *,
    years: YearRange | None = None,
    config: ProtectionConfig | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """The full run on the store behind ``con``; writes ``out`` and ``out/index.json``."""
    config = config or ProtectionConfig()
    min_cell = config.resolved_min()
    step = progress or (lambda _text: None)
    result = RunResult()
    runner = _Runner(con, result)
    start = time.perf_counter()
    student_years = unbound_table(STUDENT_YEARS)
    schools = unbound_table(SCHOOLS)
    population = unbound_table(POPULATION)

    try:
        step("Verlaufsprüfungen")
        with runner.timed("prepare"):
            keyed = runner.materialise(key_records(student_years, schools), RECORDS_TABLE)
        with runner.timed("linkage"):
            # The checks group by the person column only: the integer key is as good as
            # the pseudonym and much cheaper to group, sort and window by.
            counts = runner.run(summary_counts(keyed.rename(pseudonym=PERSON)))
            result.checks = summary_frame(counts)
        step("Personenjahre vorbereiten")
        with runner.timed("prepare"):
            built = prepare_keyed(keyed)
            person_years = runner.materialise(built.person_years, PERSON_YEARS_TABLE)
        data = Prepared(built.records, person_years)
        groups = list(_tables(runner, data, population, years, config, step))
    finally:
        for name in (PERSON_YEARS_TABLE, RECORDS_TABLE):
            con.execute(f'DROP TABLE IF EXISTS "{name}"')

    step("Schreiben")
    with runner.timed("write"):
        for group in groups:
            for table in group:
                table.table.write(
                    out / table.name,
                    {"titel": table.title, "definition": table.definition, "gruppe": table.group},
                )
                result.tables.append(table)
    step("Prüfung der Geheimhaltung (LP-Audit)")
    with runner.timed("audit"):
        for group in groups:
            result.audit_failures.extend(_audit_group(group, [], min_cell))
    _write_index(out, result, min_cell)
    result.timings["total"] = time.perf_counter() - start
    if result.audit_failures:
        shown = "; ".join(result.audit_failures[:5])
        raise FullRunError(
            f"Die Prüfung der Geheimhaltung ist fehlgeschlagen: {len(result.audit_failures)} "
            f"Zelle(n) sind nicht ausreichend geschützt ({shown}). Die Dateien in {out} "
            "dürfen nicht veröffentlicht werden."
        )
    return result


def _protection_summary(table: ProtectedTable) -> dict[str, Any]:
    cells = table.cells
    per_period: object = next(iter(table.protection.values()), {})
    primary = secondary = 0
    if isinstance(per_period, dict):
        for info in per_period.values():
            if isinstance(info, dict):
                primary += int(info.get("primary_suppressions", 0))
                secondary += int(info.get("secondary_suppressions", 0))
    return {
        "zellen": cells.height,
        "gesperrt": int((cells[FLAG] == ".").sum()),
        "primaer_gesperrt": primary,
        "sekundaer_gesperrt": secondary,
        "nichts_vorhanden": int((cells[FLAG] == "-").sum()),
    }


def _write_index(out: Path, result: RunResult, min_cell: int) -> None:
    index = {
        "titel": "Bildungsverlaufsstatistik – veröffentlichte Tabellen",
        "mindestfallzahl": min_cell,
        "verfahren": "Zellsperrung mit Sekundärsperrung; gemeinsam veröffentlichte Tabellen "
        "(gleiche gruppe) gemeinsam geschützt und geprüft",
        "audit_bestanden": not result.audit_failures,
        "tabellen": [
            {
                "name": t.name,
                "titel": t.title,
                "definition": t.definition,
                "gruppe": t.group,
                "dimensionen": list(t.table.dims),
                "dateien": [f"{t.name}.csv", f"{t.name}.parquet", f"{t.name}.json"],
                "geheimhaltung": _protection_summary(t.table),
            }
            for t in result.tables
        ],
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "index.json").write_text(
        json.dumps(index, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
