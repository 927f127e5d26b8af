"""Command-line face of the Musterland generator: ``bimo synth``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

# The generator and the calibration (Polars, PyArrow) are imported by the command itself.


def synth(
    out: Path = typer.Option(..., "--out", help="Zielverzeichnis (wird angelegt)"),
    students: int = typer.Option(
        60_000, "--students", help="ungefähre Zahl der Schülerinnen und Schüler je Schuljahr"
    ),
    years: int = typer.Option(10, "--years", help="Zahl der Schuljahre"),
    seed: int = typer.Option(1, "--seed", help="Startwert des Zufallsgenerators"),
    first_year: int = typer.Option(2015, "--first-year", help="erstes Schuljahr (2015 = 2015/16)"),
    dirty_rows: int = typer.Option(
        2_000, "--dirty-rows", help="Datenzeilen der absichtlich fehlerhaften CSV-Datei"
    ),
    run_check: bool = typer.Option(
        False, "--check", help="danach die Kalibrierung gegen die Referenzwerte prüfen"
    ),
) -> None:
    """Synthetisches Land „Musterland“ erzeugen (Schulen, Schülerjahre, Bevölkerung …)."""
    from bimo.synth.generator import SynthConfig, generate

    config = SynthConfig(out, students, years, seed, first_year, dirty_rows)
    console = Console()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("Musterland wird erzeugt", total=None)

        def report(label: str, done: int, total: int) -> None:
            progress.update(task, description=label, completed=done, total=total)

        result = generate(config, report)
    rows = f"{result.student_years:,}".replace(",", ".")
    unlinked = f"{result.unlinked:,}".replace(",", ".")
    console.print(
        f"Musterland geschrieben nach [bold]{result.out}[/]: {result.schools} Schulen, "
        f"{rows} Schülerjahresdatensätze ({result.years[0]}–{result.years[-1]}), "
        f"{unlinked} nicht verknüpfte Datensätze."
    )
    if run_check:
        _print_check(console, out)


def _print_check(console: Console, out: Path) -> None:
    from bimo.synth.calibration import check, info

    table = Table(title="Kalibrierung Musterland")
    for col in ("Kennzahl", "Ziel", "Toleranz", "erreicht", ""):
        table.add_column(col, justify="left" if col == "Kennzahl" else "right")
    results = check(out)
    for r in results:
        table.add_row(
            r.target.label,
            f"{r.target.value:.1f}",
            f"± {r.target.tolerance:.1f}",
            f"{r.achieved:.2f}",
            "[green]ok[/]" if r.ok else "[red]Abweichung[/]",
        )
    for label, value in info(out):
        table.add_row(label, "", "", f"{value:.2f}", "")
    console.print(table)
    if not all(r.ok for r in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``bimo synth`` to the main app."""
    app.command("synth")(synth)
