"""``bimo report …``: the Bildungsbericht (HTML + accessible PDF) from the analytic store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from bimo.core.errors import BimoError

if TYPE_CHECKING:
    from bimo.core.store import AnalyticStore

__all__ = ["generate_bildungsbericht", "register", "report_app"]

report_app = typer.Typer(
    help="Berichte erzeugen: Bildungsbericht eines Kreises und Rückmeldungen an Schulen "
    "(HTML und barrierearmes PDF).",
    no_args_is_help=True,
)


def _kreistyp(store: AnalyticStore, ags: str) -> str | None:
    rows = store.raw.execute(
        "SELECT kreistyp FROM regions WHERE ags = ? AND ebene = 'KREIS'", [ags]
    ).fetchall()
    return str(rows[0][0]) if rows and rows[0][0] else None


def generate_bildungsbericht(
    store: AnalyticStore,
    region: str,
    year: int,
    out: Path,
    *,
    progress: Callable[[str], None] | None = None,
) -> tuple[Path, Path]:
    """Read indicator values, catalogue and targets; write HTML + PDF to ``out``."""
    from bimo.indicators import load_catalog, read_values
    from bimo.indicators.targets import evaluate_targets
    from bimo.reports.bildungsbericht import build_report, write_report

    values = read_values(store)
    if values.is_empty():
        raise BimoError(
            "Im Analysebestand gibt es noch keine Indikatorwerte; bitte zuerst "
            "`bimo indicators compute` ausführen."
        )
    catalog = load_catalog()
    statuses = evaluate_targets(values, catalog, region, as_of=year)
    report = build_report(
        values,
        catalog,
        region,
        year,
        kreistyp=_kreistyp(store, region),
        target_statuses=statuses,
        progress=progress,
    )
    if progress is not None:
        progress("HTML und PDF schreiben")
    return write_report(report, out)


@report_app.command("bildungsbericht")
def bildungsbericht(
    region: Annotated[
        str, typer.Option("--region", help="AGS des Kreises (5-stellig) oder des Landes")
    ],
    year: Annotated[
        int, typer.Option("--year", help="Berichtsjahr: Daten bis einschließlich dieses Jahres")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Ausgabeverzeichnis (bildungsbericht.html, bildungsbericht.pdf, assets/)",
        ),
    ],
    store: Annotated[
        Path | None,
        typer.Option(
            "--store", help="Analysebestand (DuckDB-Datei); Standard: aus der Konfiguration."
        ),
    ] = None,
) -> None:
    """Bildungsbericht für einen Kreis erzeugen: HTML (interaktiv, offline) und PDF/UA."""
    from bimo.core.store import AnalyticStore

    if store is not None and not store.is_file():
        raise BimoError(f"Analysebestand {store} nicht gefunden.")
    console = Console(stderr=True)
    analytic = AnalyticStore(store, read_only=True) if store else AnalyticStore.from_settings()
    try:
        with Progress(
            TextColumn("[bold]Bildungsbericht[/bold]"),
            BarColumn(bar_width=None),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("Daten lesen", total=None)

            def step(message: str) -> None:
                bar.update(task, description=message, advance=1)

            html_path, pdf_path = generate_bildungsbericht(
                analytic, region, year, out, progress=step
            )
    finally:
        analytic.close()
    # typer.echo, not Rich: paths must not be wrapped at the terminal width.
    typer.echo(f"Bildungsbericht geschrieben:\n  {html_path}\n  {pdf_path}")


def register(app: typer.Typer) -> None:
    """Add the ``report`` group (Bildungsbericht, Rückmeldungen) to the ``bimo`` command."""
    from bimo.reports import feedback_cli

    feedback_cli.add_commands(report_app)
    app.add_typer(report_app, name="report")
