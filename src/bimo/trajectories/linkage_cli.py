"""``bimo verlauf check|match|apply-rotation``: trajectory linkage commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import ibis
import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from bimo.core.errors import BimoError, Location
from bimo.core.store import AnalyticStore

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="DuckDB-Datei des Analysebestands (Standard: BIMO_DUCKDB_PATH bzw. "
        "BIMO_DATA_DIR/bimo.duckdb)",
    ),
]


def _open_store(path: Path | None, *, read_only: bool) -> AnalyticStore:
    from bimo.core.config import get_settings

    target = path or get_settings().resolved_duckdb_path
    if not target.exists():
        raise BimoError(f"Analysebestand {target} existiert nicht (erst 'bimo import').")
    return AnalyticStore(target, read_only=read_only)


def _write(df: pl.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        df.write_parquet(out)
    elif out.suffix.lower() == ".csv":
        df.write_csv(out)
    else:
        raise BimoError(f"{Location(out.name).describe()}: erwartet wird .csv oder .parquet.")


def check_command(
    store: StoreOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Befunde je Verlauf und Schuljahr als CSV oder Parquet (intern: enthält "
            "Pseudonyme, keine Identitäten)",
        ),
    ] = None,
) -> None:
    """Verläufe auf Unstimmigkeiten prüfen (berichten, nicht korrigieren)."""
    from bimo.trajectories.linkage import (
        check_trajectories,
        student_years_table,
        summarize,
        to_polars,
        trajectory_overview,
    )

    student_years = student_years_table()
    report = check_trajectories(student_years)
    console = Console()
    with _open_store(store, read_only=True) as s, console.status("Verläufe werden geprüft …"):
        # The findings are computed once; the summary then runs on the registered result.
        detail = to_polars(s.raw, report)
        s.raw.register("bimo_befunde", detail.to_arrow())
        summary = to_polars(s.raw, summarize(ibis.table(report.schema(), name="bimo_befunde")))
        s.raw.unregister("bimo_befunde")
        n_traj = to_polars(s.raw, trajectory_overview(student_years).count().as_table()).item()
    table = Table(title=f"Verlaufsprüfung ({n_traj} Verläufe)")
    table.add_column("Prüfung")
    table.add_column("Schwere")
    table.add_column("Befunde", justify="right")
    table.add_column("Verläufe", justify="right")
    for row in summary.iter_rows(named=True):
        table.add_row(
            f"{row['code']}: {row['pruefung']}",
            row["schwere"],
            str(row["befunde"]),
            str(row["verlaeufe"]),
        )
    console.print(table)
    if out is not None:
        _write(detail, out)
        console.print(f"Befunde geschrieben: {out} ({detail.height} Zeilen)", highlight=False)


def match_command(
    unlinked: Annotated[
        Path,
        typer.Argument(help="Datensätze ohne gültiges Pseudonym (Parquet/CSV, Spalte record_id)"),
    ],
    out: Annotated[Path, typer.Option("--out", help="Ergebnis je Datensatz (CSV oder Parquet)")],
    store: StoreOpt = None,
    threshold: Annotated[
        float,
        typer.Option(
            "--threshold",
            min=0.01,
            max=0.99,
            help="Mindest-Zuordnungswahrscheinlichkeit für eine Übernahme",
        ),
    ] = 0.9,
    truth: Annotated[
        Path | None,
        typer.Option(
            "--truth",
            help="Nur Test: wahre Zuordnung (record_id, true_pseudonym) "
            "zur Berechnung von Präzision und Vollständigkeit",
        ),
    ] = None,
) -> None:
    """Datensätze ohne Pseudonym probabilistisch Verläufen zuordnen (Splink, Fellegi–Sunter)."""
    from bimo.privacy.pseudonym import read_table
    from bimo.trajectories.matching import evaluate, match_records

    records = read_table(unlinked, all_strings=False)
    console = Console()
    from bimo.core.config import get_settings

    store_path = store or get_settings().resolved_duckdb_path
    if not store_path.exists():
        raise BimoError(f"Analysebestand {store_path} existiert nicht (erst 'bimo import').")
    with console.status("Zuordnung läuft …"):
        result = match_records(store_path, records, threshold=threshold, file=unlinked.name)
    _write(result.table, out)
    table = Table(title="Probabilistische Zuordnung")
    table.add_column("Größe")
    table.add_column("Wert", justify="right")
    table.add_row("Datensätze ohne gültiges Pseudonym", str(result.unverknuepft))
    table.add_row("Kandidaten (erwartete Verlaufsdatensätze)", str(result.kandidaten))
    table.add_row("verglichene Paare", str(result.paare))
    table.add_row(f"übernommen (p ≥ {threshold:g})", str(result.accepted))
    if truth is not None:
        with _open_store(store_path, read_only=True) as s:
            query = "SELECT DISTINCT pseudonym FROM student_years"
            pseudonyms = s.raw.sql(query).pl()["pseudonym"]
        ev = evaluate(result.table, read_table(truth, all_strings=False), pseudonyms, threshold)
        table.add_row("Präzision", f"{ev.precision:.3f}")
        table.add_row("Vollständigkeit (Recall, verknüpfbare)", f"{ev.recall:.3f}")
    console.print(table)
    console.print(f"Ergebnis geschrieben: {out}", highlight=False)


def apply_rotation_command(
    mapping: Annotated[
        Path, typer.Argument(help="Zuordnung altes → neues Pseudonym (aus 'bimo key rotate')")
    ],
    store: StoreOpt = None,
) -> None:
    """Analysebestand nach Schlüsselwechsel umschlüsseln (eine Transaktion, alles oder nichts)."""
    from bimo.privacy.pseudonym import apply_rotation, read_table

    table = read_table(mapping, all_strings=True)
    with _open_store(store, read_only=False) as s:
        updated = apply_rotation(s, table)
    Console().print(f"{updated} Datensätze umgeschlüsselt.", highlight=False)


def add_commands(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("check")(check_command)
    app.command("match")(match_command)
    app.command("apply-rotation")(apply_rotation_command)
