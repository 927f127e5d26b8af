"""``bimo opendata export``: publish the disclosure-controlled indicator values."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from bimo.core.errors import BimoError
from bimo.opendata.options import LICENCES, ExportOptions

opendata_app = typer.Typer(
    help="Open Data: Indikatoren als CSV, Parquet, Datenpaket und DCAT-AP.de veröffentlichen.",
    no_args_is_help=True,
)


@opendata_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="Ausgabeverzeichnis.")],
    store: Annotated[
        Path | None,
        typer.Option(
            "--store", help="Analysebestand (DuckDB-Datei); Standard: aus der Konfiguration."
        ),
    ] = None,
    licence: Annotated[
        str,
        typer.Option("--licence", help=f"Lizenz: {', '.join(LICENCES)}."),
    ] = "dl-de/by-2-0",
    publisher: Annotated[
        str, typer.Option("--publisher", help="Veröffentlichende Stelle (dct:publisher).")
    ] = ExportOptions.publisher,
    base_url: Annotated[
        str,
        typer.Option("--base-url", help="Adresse, unter der die Dateien veröffentlicht werden."),
    ] = ExportOptions.base_url,
    publisher_url: Annotated[
        str | None, typer.Option("--publisher-url", help="Webseite der veröffentlichenden Stelle.")
    ] = None,
    contact_email: Annotated[
        str | None, typer.Option("--contact-email", help="E-Mail-Adresse für Rückfragen.")
    ] = None,
    contributor_id: Annotated[
        str,
        typer.Option(
            "--contributor-id",
            help="dcatde:contributorID, die GovData vergeben hat (DCAT-AP.de Konvention 12).",
        ),
    ] = ExportOptions.contributor_id,
) -> None:
    """Geheimhaltungsgeprüfte Indikatorwerte als Open Data exportieren (ohne Schulwerte)."""
    from bimo.core.config import get_settings
    from bimo.core.store import AnalyticStore
    from bimo.indicators import load_catalog, read_values
    from bimo.opendata.export import export_open_data

    options = ExportOptions(
        licence=licence,
        publisher=publisher,
        publisher_url=publisher_url,
        contact_email=contact_email,
        base_url=base_url,
        contributor_id=contributor_id,
    ).checked()
    # Read-only, and never create an empty store as a side effect of a typo.
    path = store or get_settings().resolved_duckdb_path
    if not path.is_file():
        raise BimoError(f"Analysebestand {path} nicht gefunden.")
    analytic = AnalyticStore(path, read_only=True)
    try:
        values = read_values(analytic)
    finally:
        analytic.close()
    if values.is_empty():
        raise BimoError(
            "Im Analysebestand gibt es noch keine Indikatorwerte; bitte zuerst "
            "`bimo indicators compute` ausführen."
        )
    catalog = load_catalog()
    console = Console()
    total = values["indikator"].n_unique()
    with Progress(
        TextColumn("Open-Data-Export"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=console,
    ) as bar:
        task = bar.add_task("", total=total)

        def step(indicator: str) -> None:
            bar.update(task, advance=1, description=indicator)

        result = export_open_data(values, catalog, out, options, progress=step)
        bar.update(task, completed=total)
    for warning in result.warnings:
        console.print(f"[yellow]Hinweis:[/] {warning}")
    console.print(
        f"{len(result.rows)} Indikatoren, {result.exported_rows} Zeilen "
        f"({result.flagged_rows} mit Sperrzeichen) nach {result.out_dir} geschrieben; "
        f"{result.internal_rows} interne Zeilen (Schulen) nicht exportiert. "
        f"Lizenz: {options.licence_info.title}."
    )


def register(app: typer.Typer) -> None:
    app.add_typer(opendata_app, name="opendata")
