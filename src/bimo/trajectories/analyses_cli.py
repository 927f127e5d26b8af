"""``bimo verlauf uebergaenge|wiederholung|schulformwechsel|abgaenger|kohorten``.

The analyses build Ibis expressions (:mod:`bimo.trajectories.analyses`); this module opens the
analytic store, executes the expression and writes the result. Without ``--publish`` the
written table is the raw internal result: every row carries the column ``vertraulichkeit`` =
"intern – nicht zur Veröffentlichung", since its counts have not passed disclosure control.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import ibis
import ibis.expr.types as ir
import polars as pl
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table as RichTable

from bimo.core.config import get_settings
from bimo.core.errors import BimoError
from bimo.core.store import AnalyticStore
from bimo.privacy import TOTAL, ProtectedTable, ProtectionConfig
from bimo.trajectories.analyses import (
    DIMENSIONS,
    AnalysisError,
    YearRange,
    cohort_flows,
    leavers_by_certificate,
    leavers_without_esa,
    repetition,
    repetition_cohort,
    school_form_changes,
    time_to_certificate,
    transitions,
)
from bimo.trajectories.analyses._common import DENOMINATOR, NUMERATOR, RATE, resolve_dims
from bimo.trajectories.full_run import RUN_STEPS, FullRunError, publish_all
from bimo.trajectories.publication import (
    RateSpec,
    publish_flows,
    publish_quota,
    publish_rates,
)

INTERNAL_COLUMN = "vertraulichkeit"
INTERNAL_NOTE = "intern – nicht zur Veröffentlichung"
# German column headers of the written tables.
HEADERS = {NUMERATOR: "zaehler", DENOMINATOR: "nenner", RATE: "quote_prozent"}
_MAX_SCREEN_ROWS = 60

Builder = Callable[[AnalyticStore], ir.Table]

ByOpt = Annotated[
    str,
    typer.Option(
        "--by",
        help=f"Gliederung, kommagetrennt: {', '.join(DIMENSIONS)} (Schuljahr immer).",
    ),
]
YearsOpt = Annotated[
    str | None,
    typer.Option("--years", help="Schuljahre (Anfangsjahr), z. B. 2018-2023 oder 2021."),
]
StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="DuckDB-Datei des Analysebestands (Standard: BIMO_DUCKDB_PATH)."),
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", help="Ergebnis in diese Datei schreiben (CSV; mit --json JSON)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON statt CSV bzw. Bildschirmtabelle.")]
PublishOpt = Annotated[
    bool,
    typer.Option(
        "--publish",
        help="Zur Veröffentlichung: Fallzahlen durch die Geheimhaltung (bimo.privacy) schützen.",
    ),
]
GsOpt = Annotated[
    int,
    typer.Option(
        "--grundschule-jahre",
        envvar="BIMO_GRUNDSCHULE_JAHRE",
        help="Dauer der Grundschule in Jahren (4; 6 z. B. in Berlin und Brandenburg).",
    ),
]


def _split_by(by: str) -> list[str]:
    return [part for part in (p.strip() for p in by.split(",")) if part]


def _years(text: str | None) -> YearRange | None:
    return YearRange.parse(text) if text else None


def _open_store(path: Path | None) -> AnalyticStore:
    resolved = path or get_settings().resolved_duckdb_path
    if not resolved.exists():
        raise BimoError(
            f"Der Analysebestand {resolved} existiert nicht. Bitte zuerst Daten mit "
            "„bimo import“ einlesen oder den Pfad mit --store angeben."
        )
    try:
        store = AnalyticStore(resolved, read_only=True)
    except Exception as exc:  # DuckDB raises several error types for unusable files
        raise BimoError(f"Der Analysebestand {resolved} kann nicht geöffnet werden: {exc}") from exc
    # Raw SQL: ibis 12's list_tables() calls an API that duckdb 2.0 removed.
    present = {
        row[0]
        for row in store.raw.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    missing = {"student_years", "schools"} - present
    if missing:
        store.close()
        raise BimoError(
            f"Im Analysebestand {resolved} fehlen die Tabellen {', '.join(sorted(missing))}."
        )
    return store


def _execute(store_path: Path | None, build: Builder, title: str) -> pl.DataFrame:
    store = _open_store(store_path)
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            transient=True,
            console=Console(stderr=True),
        ) as progress:
            progress.add_task(f"Berechne {title} …", total=None)
            expr = build(store)
            result: pl.DataFrame = store.ibis().to_polars(expr)
            return result
    finally:
        store.close()


def _internal(df: pl.DataFrame) -> pl.DataFrame:
    return df.rename({k: v for k, v in HEADERS.items() if k in df.columns}).with_columns(
        pl.lit(INTERNAL_NOTE).alias(INTERNAL_COLUMN)
    )


def _show(df: pl.DataFrame, title: str) -> None:
    console = Console()
    table = RichTable(title=f"{title} ({INTERNAL_NOTE})")
    for col in df.columns:
        if col != INTERNAL_COLUMN:
            table.add_column(col, justify="right" if df[col].dtype.is_numeric() else "left")
    for row in df.head(_MAX_SCREEN_ROWS).iter_rows(named=True):
        table.add_row(
            *[
                f"{v:.2f}" if isinstance(v, float) else ("" if v is None else str(v))
                for k, v in row.items()
                if k != INTERNAL_COLUMN
            ]
        )
    console.print(table)
    if df.height > _MAX_SCREEN_ROWS:
        console.print(
            f"… {df.height - _MAX_SCREEN_ROWS} weitere Zeilen; vollständig mit --out DATEI."
        )


Publisher = Callable[[pl.DataFrame], ProtectedTable]


def _emit(
    df: pl.DataFrame,
    title: str,
    out: Path | None,
    as_json: bool,
    publish: Publisher | None,
    metadata: dict[str, object] | None = None,
) -> None:
    if publish is not None:
        _publish(df, title, out, publish, metadata or {})
        return
    data = _internal(df)
    if out is None:
        if as_json:
            payload = {"hinweis": INTERNAL_NOTE, "zeilen": data.to_dicts()}
            typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            _show(data, title)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if as_json:
            payload = {"titel": title, "hinweis": INTERNAL_NOTE, "zeilen": data.to_dicts()}
            out.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
        else:
            data.write_csv(out)
    except OSError as exc:
        raise BimoError(f"Die Datei {out} kann nicht geschrieben werden: {exc}") from exc
    Console(stderr=True).print(
        f"{data.height} Zeilen nach {out} geschrieben – [bold]{INTERNAL_NOTE}[/] "
        "(Fallzahlen ohne Geheimhaltung).",
        highlight=False,
    )


def _require_out(publish: bool, out: Path | None) -> None:
    """Checked before the (possibly long) computation."""
    if publish and out is None:
        raise BimoError(
            "Mit --publish bitte --out DATEI angeben (es entstehen DATEI.csv, .parquet und "
            ".json mit den Metadaten)."
        )


def _publish(
    df: pl.DataFrame,
    title: str,
    out: Path | None,
    publish: Publisher,
    metadata: dict[str, object],
) -> None:
    if out is None:
        raise BimoError(
            "Mit --publish bitte --out DATEI angeben (es entstehen DATEI.csv, .parquet und "
            ".json mit den Metadaten)."
        )
    protected = publish(df)
    try:
        path = protected.write(out, {"titel": title, **metadata})
    except OSError as exc:
        raise BimoError(f"Die Datei {out} kann nicht geschrieben werden: {exc}") from exc
    Console(stderr=True).print(
        f"Geschützte Tabelle ({protected.cells.height} Zellen einschließlich Randsummen) "
        f"nach {path} geschrieben (mit .parquet und .json).",
        highlight=False,
    )


def _quota_levels(
    sy: ir.Table, sc: ir.Table, pop: ir.Table, dims: list[str], years: YearRange | None
) -> ir.Table:
    """The Quotensumme for every subset of ``dims`` (left-out dimensions = Insgesamt): a
    margin of a Quotensumme is its own Quotensumme, not a sum of the inner rates."""
    cols = resolve_dims(dims)
    levels: list[ir.Table] = []
    for mask in range(2 ** len(cols)):
        subset = [c for i, c in enumerate(cols) if mask >> i & 1]
        expr = leavers_without_esa(sy, sc, pop, by=subset, years=years, denominator="bevoelkerung")
        fill = {c: ibis.literal(TOTAL, "string") for c in cols if c not in subset}
        levels.append(expr.mutate(**fill).select("schuljahr", *cols, NUMERATOR, DENOMINATOR, RATE))
    return ibis.union(*levels)


def _meta(command: str, by: list[str], years: str | None, **extra: object) -> dict[str, object]:
    return {
        "befehl": f"bimo verlauf {command}",
        "gliederung": by,
        "jahre": years,
        "definition": "siehe docs/verlauf.md",
        **extra,
    }


def add_commands(app: typer.Typer) -> None:
    """Add the analysis commands to the ``bimo verlauf`` app."""

    @app.command("uebergaenge")
    def uebergaenge(
        by: ByOpt = "",
        years: YearsOpt = None,
        store: StoreOpt = None,
        out: OutOpt = None,
        as_json: JsonOpt = False,
        publish: PublishOpt = False,
        grundschule_jahre: GsOpt = 4,
        nenner: Annotated[
            str,
            typer.Option(
                "--nenner",
                help="uebergaenge (alle Übergänger, amtlich) oder viertklaessler "
                "(alle Viertklässler des Vorjahres).",
            ),
        ] = "uebergaenge",
    ) -> None:
        """Übergangsquoten nach der Grundschule nach aufnehmender Schulform."""
        if nenner not in ("uebergaenge", "viertklaessler"):
            raise AnalysisError(
                f"Unbekannter Nenner „{nenner}“; zulässig: uebergaenge, viertklaessler."
            )
        dims, yrs = _split_by(by), _years(years)
        _require_out(publish, out)
        df = _execute(
            store,
            lambda s: transitions(
                s.table("student_years"),
                s.table("schools"),
                by=dims,
                years=yrs,
                grundschule_jahre=grundschule_jahre,
                denominator="viertklaessler" if nenner == "viertklaessler" else "uebergaenge",
            ),
            "Übergangsquoten",
        )
        spec = RateSpec("ziel_schulform", "kein Übergang" if nenner == "viertklaessler" else None)
        cols = resolve_dims(dims)
        _emit(
            df,
            "Übergänge nach der Grundschule",
            out,
            as_json,
            (lambda d: publish_rates(d, "schuljahr", cols, spec)) if publish else None,
            _meta("uebergaenge", dims, years, nenner=nenner, grundschule_jahre=grundschule_jahre),
        )

    @app.command("wiederholung")
    def wiederholung(
        by: ByOpt = "",
        years: YearsOpt = None,
        store: StoreOpt = None,
        out: OutOpt = None,
        as_json: JsonOpt = False,
        publish: PublishOpt = False,
        nach_stufe: Annotated[
            bool, typer.Option("--nach-jahrgangsstufe", help="Zusätzlich nach Jahrgangsstufe.")
        ] = False,
        kohorte: Annotated[
            bool,
            typer.Option(
                "--kohorte",
                help="Kohortensicht (UIS): Anteil der Jahrgangsstufe g in t, der in t+1 "
                "wieder in g ist, statt der amtlichen Wiederholerquote.",
            ),
        ] = False,
    ) -> None:
        """Wiederholerquote (Jahrgangsstufen ab 3)."""
        dims, yrs = _split_by(by), _years(years)
        _require_out(publish, out)
        fn = repetition_cohort if kohorte else repetition
        df = _execute(
            store,
            lambda s: fn(
                s.table("student_years"),
                s.table("schools"),
                by=dims,
                years=yrs,
                by_grade=nach_stufe,
            ),
            "Wiederholerquote",
        )
        cols = [*resolve_dims(dims), *(["jahrgangsstufe"] if nach_stufe else [])]
        spec = RateSpec(None, "nicht wiederholt", "wiederholt")
        _emit(
            df,
            "Wiederholerquote",
            out,
            as_json,
            (lambda d: publish_rates(d, "schuljahr", cols, spec)) if publish else None,
            _meta("wiederholung", dims, years, sicht="Kohorte" if kohorte else "amtlich"),
        )

    @app.command("schulformwechsel")
    def schulformwechsel(
        by: ByOpt = "",
        years: YearsOpt = None,
        store: StoreOpt = None,
        out: OutOpt = None,
        as_json: JsonOpt = False,
        publish: PublishOpt = False,
    ) -> None:
        """Schulformwechsel in den Jahrgangsstufen 7–9 (auf-, abwärts, Förderschule, sonstige)."""
        dims, yrs = _split_by(by), _years(years)
        _require_out(publish, out)
        df = _execute(
            store,
            lambda s: school_form_changes(
                s.table("student_years"), s.table("schools"), by=dims, years=yrs
            ),
            "Schulformwechsel",
        )
        cols = resolve_dims(dims)
        spec = RateSpec("wechselart", "KEIN")
        _emit(
            df,
            "Schulformwechsel Jahrgangsstufen 7–9",
            out,
            as_json,
            (lambda d: publish_rates(d, "schuljahr", cols, spec)) if publish else None,
            _meta("schulformwechsel", dims, years),
        )

    @app.command("abgaenger")
    def abgaenger(
        by: ByOpt = "",
        years: YearsOpt = None,
        store: StoreOpt = None,
        out: OutOpt = None,
        as_json: JsonOpt = False,
        publish: PublishOpt = False,
        ohne_esa: Annotated[
            bool,
            typer.Option("--ohne-esa", help="Nur Abgänger ohne Ersten Schulabschluss (Quote)."),
        ] = False,
        nenner: Annotated[
            str,
            typer.Option(
                "--nenner",
                help="Bei --ohne-esa: abgaenger (alle Abgänger) oder bevoelkerung "
                "(gleichaltrige Bevölkerung, Quotensummenverfahren).",
            ),
        ] = "abgaenger",
    ) -> None:
        """Abgänger nach Abschlussart; mit --ohne-esa die Quote ohne Ersten Schulabschluss."""
        if nenner not in ("abgaenger", "bevoelkerung"):
            raise AnalysisError(
                f"Unbekannter Nenner „{nenner}“; zulässig: abgaenger, bevoelkerung."
            )
        if nenner == "bevoelkerung" and not ohne_esa:
            raise AnalysisError("Der Nenner „bevoelkerung“ ist nur mit --ohne-esa möglich.")
        dims, yrs = _split_by(by), _years(years)
        _require_out(publish, out)

        def build(s: AnalyticStore) -> ir.Table:
            sy, sc = s.table("student_years"), s.table("schools")
            if not ohne_esa:
                return leavers_by_certificate(sy, sc, by=dims, years=yrs)
            if nenner == "abgaenger":
                return leavers_without_esa(sy, sc, by=dims, years=yrs)
            pop = s.table("population")
            if not publish:
                return leavers_without_esa(
                    sy, sc, pop, by=dims, years=yrs, denominator="bevoelkerung"
                )
            return _quota_levels(sy, sc, pop, dims, yrs)

        df = _execute(store, build, "Abgängerquoten")
        title = "Abgänger ohne Ersten Schulabschluss" if ohne_esa else "Abgänger nach Abschluss"
        cols = resolve_dims(dims)
        pub: Publisher | None = None
        if publish and nenner == "bevoelkerung":

            def pub(d: pl.DataFrame) -> ProtectedTable:
                inner = (
                    d.filter(pl.all_horizontal([pl.col(c) != TOTAL for c in cols])) if cols else d
                )
                return publish_quota(inner, d, "schuljahr", cols)

        elif publish:
            spec = (
                RateSpec(None, "mit Erstem Schulabschluss", "ohne Ersten Schulabschluss")
                if ohne_esa
                else RateSpec("abschlussart", None)
            )

            def pub(d: pl.DataFrame) -> ProtectedTable:
                return publish_rates(d, "schuljahr", cols, spec)

        _emit(df, title, out, as_json, pub, _meta("abgaenger", dims, years, nenner=nenner))

    @app.command("kohorten")
    def kohorten(
        by: ByOpt = "",
        years: Annotated[
            str | None,
            typer.Option("--years", help="Kohorten (Jahr des Eintritts in die Startstufe)."),
        ] = None,
        store: StoreOpt = None,
        out: OutOpt = None,
        as_json: JsonOpt = False,
        publish: PublishOpt = False,
        start: Annotated[
            int, typer.Option("--start", help="Startjahrgangsstufe der Kohorte: 1 oder 5.")
        ] = 1,
        zeit: Annotated[
            bool,
            typer.Option("--zeit", help="Dauer bis zum Abschluss statt Verlaufsströmen."),
        ] = False,
        grundschule_jahre: GsOpt = 4,
    ) -> None:
        """Kohortenverläufe bis zum Abschluss (Sankey-Tabelle) oder Dauer bis zum Abschluss."""
        dims, yrs = _split_by(by), _years(years)
        _require_out(publish, out)
        fn = time_to_certificate if zeit else cohort_flows
        df = _execute(
            store,
            lambda s: fn(
                s.table("student_years"),
                s.table("schools"),
                by=dims,
                cohorts=yrs,
                start_grade=start,
                grundschule_jahre=grundschule_jahre,
            ),
            "Kohortenverläufe",
        )
        cols = resolve_dims(dims)
        pub: Publisher | None = None
        if publish and zeit:

            def pub(d: pl.DataFrame) -> ProtectedTable:
                return publish_rates(d, "kohorte", [*cols, "abschlussart"], RateSpec("jahre", None))

        elif publish:

            def pub(d: pl.DataFrame) -> ProtectedTable:
                return publish_flows(d, cols)

        _emit(
            df,
            "Dauer bis zum Abschluss" if zeit else "Kohortenverläufe",
            out,
            as_json,
            pub,
            _meta("kohorten", dims, years, start=start, grundschule_jahre=grundschule_jahre),
        )

    @app.command("publish-all")
    def publish_all_command(
        out: Annotated[
            Path,
            typer.Option("--out", help="Verzeichnis für alle veröffentlichten Tabellen."),
        ],
        years: YearsOpt = None,
        store: StoreOpt = None,
        min_cell: Annotated[
            int | None,
            typer.Option("--min", help="Mindestfallzahl (Standard BIMO_MIN_CELL, mindestens 5)."),
        ] = None,
    ) -> None:
        """Gesamtlauf: Verlaufsprüfungen, alle Standardtabellen, Geheimhaltung und Prüfung."""
        _publish_all(out, _years(years), store, min_cell)


def _publish_all(
    out: Path, years: YearRange | None, store_path: Path | None, min_cell: int | None
) -> None:
    config = ProtectionConfig(min_cell=min_cell)
    config.resolved_min()  # a too small --min fails before the long run
    store = _open_store(store_path)
    console = Console(stderr=True)
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("Gesamtlauf", total=len(RUN_STEPS))

            def step(text: str) -> None:
                progress.update(task, description=text, completed=RUN_STEPS.index(text))

            result = publish_all(store.raw, out, years=years, config=config, progress=step)
    except FullRunError as exc:
        # Not exit 2 (bad input): the run worked, but its result must not be published.
        console.print(f"[bold red]Fehler:[/] {exc}", highlight=False)
        raise typer.Exit(1) from exc
    except OSError as exc:
        raise BimoError(f"Das Verzeichnis {out} kann nicht geschrieben werden: {exc}") from exc
    finally:
        store.close()
    if result.checks is not None:
        errors = result.checks.filter(pl.col("schwere") == "Fehler")["verlaeufe"].sum()
        console.print(
            f"Verlaufsprüfungen: {errors} Verläufe mit Fehlern (Einzelheiten: bimo verlauf check).",
            highlight=False,
        )
    t = result.timings
    console.print(
        f"{len(result.tables)} geschützte Tabellen nach {out} geschrieben (Verzeichnis "
        f"index.json); Prüfung der Geheimhaltung bestanden. Laufzeit {t['total']:.1f} s, "
        f"davon DuckDB {t.get('duckdb', 0.0):.1f} s.",
        highlight=False,
    )
