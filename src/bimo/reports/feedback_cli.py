"""``bimo report rueckmeldung``: feedback reports for the schools of a Lernstandserhebung.

Registered into the ``report`` command group by :func:`add_commands`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from bimo.core.config import get_settings
from bimo.core.errors import BimoError

if TYPE_CHECKING:
    from bimo.core.store import AnalyticStore

ErhebungOpt = Annotated[
    str, typer.Option("--erhebung", help="Kennung der Erhebung, z. B. LS4-2024.")
]
SchuleOpt = Annotated[
    list[str] | None,
    typer.Option("--schule", help="Schulnummer (mehrfach angebbar)."),
]
AlleOpt = Annotated[
    bool,
    typer.Option("--alle", help="Für jede teilnehmende Schule eine Rückmeldung schreiben."),
]
OutOpt = Annotated[
    Path,
    typer.Option("--out", help="Zielverzeichnis für HTML- und PDF-Dateien."),
]
StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="DuckDB-Datei des Analysebestands (Standard: BIMO_DUCKDB_PATH)."),
]
MinGroupOpt = Annotated[
    int | None,
    typer.Option(
        "--min-gruppe",
        help="Mindestzahl getesteter Schülerinnen und Schüler je Klasse bzw. Schule, ab der "
        "Ergebnisse ausgewiesen werden (Standard 10, nie unter BIMO_MIN_CELL).",
    ),
]


def _open_store(path: Path | None) -> AnalyticStore:
    from bimo.core.store import AnalyticStore  # Ibis and DuckDB only when the command runs

    resolved = path or get_settings().resolved_duckdb_path
    if not resolved.exists():
        raise BimoError(
            f"Der Analysebestand {resolved} existiert nicht. Bitte den Pfad mit --store angeben."
        )
    try:
        return AnalyticStore(resolved, read_only=True)
    except Exception as exc:  # DuckDB raises several error types for unusable files
        raise BimoError(f"Der Analysebestand {resolved} kann nicht geöffnet werden: {exc}") from exc


def rueckmeldung(
    erhebung: ErhebungOpt,
    out: OutOpt,
    schule: SchuleOpt = None,
    alle: AlleOpt = False,
    store: StoreOpt = None,
    min_gruppe: MinGroupOpt = None,
) -> None:
    """Rückmeldungen an Schulen zu einer Lernstandserhebung schreiben (HTML und PDF).

    Inhalt je Schule: Kompetenzstufen und Mittelwerte von Schule und Klassen, verglichen mit
    Kreis und Land; der faire Vergleich; Lösungshäufigkeiten je Aufgabe.

    Zu kleine Gruppen erhalten keine Zahlen. Nur für den internen Gebrauch der Schule.
    """
    from bimo.reports.feedback import participating_schools, prepare, write_report

    if alle and schule:
        raise BimoError("Bitte entweder --schule oder --alle angeben, nicht beides.")
    if not alle and not schule:
        raise BimoError("Bitte eine Schule mit --schule NUMMER angeben oder --alle verwenden.")
    err = Console(stderr=True)
    analytic = _open_store(store)
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task(f"Lade Erhebung {erhebung} …", total=None)
            ref = prepare(analytic, erhebung, min_group=min_gruppe)
            numbers = participating_schools(ref) if alle else list(schule or [])
            bar.update(task, description="Schreibe Rückmeldungen", total=len(numbers))
            written = []
            for number in numbers:
                written.append(write_report(ref, number, out))
                bar.advance(task)
    finally:
        analytic.close()
    console = Console()
    if len(written) == 1:
        console.print(f"Rückmeldung geschrieben: {written[0].html} und {written[0].pdf}")
    else:
        console.print(f"{len(written)} Rückmeldungen geschrieben nach {out}")


def add_commands(report_app: typer.Typer) -> None:
    """Register ``rueckmeldung`` in the ``report`` command group."""
    report_app.command("rueckmeldung")(rueckmeldung)
