"""``bimo import``: validated import of a file or directory into the analytic store."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from bimo.core.errors import BimoError
from bimo.core.schemas import ANALYTIC_TABLES

if TYPE_CHECKING:
    from bimo.ingest.models import ImportResult

# The importer, the store (Ibis, DuckDB) and Polars are imported inside the command: every
# `bimo` call registers this command, few run it.


def _summary(result: ImportResult, console: Console) -> None:
    title = f"Import {result.file} → {result.kind}"
    if not result.committed:
        title += " (strikt: nichts gespeichert)"
    table = Table(title=title, show_header=True)
    table.add_column("Kennzahl")
    table.add_column("Anzahl", justify="right")
    table.add_row("gelesen", str(result.read))
    table.add_row("gespeichert", str(result.stored))
    table.add_row("in Quarantäne", str(result.quarantined))
    table.add_row("Duplikate (nicht gespeichert)", str(result.duplicates))
    if result.rejected:
        table.add_row("gültig, aber wegen --strict nicht gespeichert", str(result.rejected))
    console.print(table)
    if result.quarantine_file is not None:
        console.print(f"Quarantänedatei: {result.quarantine_file}", highlight=False, soft_wrap=True)


def _progress_callback(progress: Progress, task: TaskID) -> Callable[[int], None]:
    def update(rows: int) -> None:
        progress.update(task, completed=rows)

    return update


def register(app: typer.Typer) -> None:
    """Add ``bimo import`` to the main app."""

    @app.command("import")
    def import_command(
        file: Path = typer.Argument(
            ..., help="Datei (.csv, .xlsx, .parquet) oder Verzeichnis mit <tabelle>.<endung>"
        ),
        kind: str | None = typer.Option(
            None,
            "--kind",
            help=f"Zieltabelle ({', '.join(ANALYTIC_TABLES)}); Standard: aus dem Dateinamen",
        ),
        store_path: Path | None = typer.Option(
            None, "--store", help="DuckDB-Datei des Analysebestands (Standard: BIMO_DATA_DIR)"
        ),
        strict: bool = typer.Option(
            False, "--strict", help="Nichts speichern, wenn eine Zeile in Quarantäne käme"
        ),
        as_json: bool = typer.Option(False, "--json", help="Zusammenfassung als JSON ausgeben"),
        quarantine_dir: Path | None = typer.Option(
            None, "--quarantine-dir", help="Verzeichnis der Quarantänedateien"
        ),
        max_text_gib: float | None = typer.Option(
            None,
            "--max-text-gib",
            help="Größengrenze für CSV/XLSX in GiB (größere Dateien bitte als Parquet; "
            "Standard: 1)",
        ),
    ) -> None:
        """Datei(en) prüfen und in den Analysebestand einlesen; fehlerhafte Zeilen kommen in
        eine Quarantänedatei."""
        from bimo.core.store import AnalyticStore
        from bimo.ingest.importer import StrictRefusal, find_importable, import_file
        from bimo.ingest.models import DEFAULT_MAX_TEXT_BYTES, ImportOptions

        max_text_bytes = (
            DEFAULT_MAX_TEXT_BYTES if max_text_gib is None else int(max_text_gib * 2**30)
        )

        console = Console()
        err = Console(stderr=True)
        results: list[ImportResult] = []
        exit_code = 0
        try:
            if file.is_dir():
                if kind is not None:
                    raise typer.BadParameter("--kind ist bei einem Verzeichnis nicht möglich")
                jobs: list[tuple[str | None, Path]] = list(find_importable(file))
                if not jobs:
                    from bimo.core.errors import InputFileError, Location

                    raise InputFileError(
                        Location(file.name),
                        "Im Verzeichnis liegt keine bekannte Tabellendatei (erwartet z. B. "
                        "schools.parquet, student_years.csv).",
                    )
            else:
                jobs = [(kind, file)]
            store = AnalyticStore(store_path) if store_path else AnalyticStore.from_settings()
            try:
                for job_kind, job_path in jobs:
                    with Progress(
                        TextColumn("{task.description}"),
                        BarColumn(),
                        TextColumn("{task.completed:,} Zeilen"),
                        TimeElapsedColumn(),
                        console=err,
                        transient=True,
                        disable=as_json,
                    ) as progress:
                        task = progress.add_task(f"Lese {job_path.name}", total=None)
                        options = ImportOptions(
                            strict=strict,
                            quarantine_dir=quarantine_dir,
                            max_text_bytes=max_text_bytes,
                            on_progress=_progress_callback(progress, task),
                        )
                        try:
                            results.append(import_file(job_path, job_kind, store, options))
                        except StrictRefusal as refusal:
                            results.append(refusal.result)
                            exit_code = 1
                            err.print(f"[bold yellow]Abgebrochen:[/] {refusal}", highlight=False)
                            break
            finally:
                store.close()
        except BimoError as exc:
            for r in results:
                _summary(r, console)
            err.print(f"[bold red]Fehler:[/] {exc}", highlight=False)
            raise typer.Exit(2) from None
        if as_json:
            payload = [r.as_dict() for r in results]
            typer.echo(
                json.dumps(
                    payload[0] if not file.is_dir() else payload, indent=2, ensure_ascii=False
                )
            )
        else:
            for r in results:
                _summary(r, console)
        if exit_code:
            raise typer.Exit(exit_code)
