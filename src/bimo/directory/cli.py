"""``bimo verzeichnis …``: fill the operational directory from the analytic store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bimo.core.config import get_settings

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``verzeichnis`` command group to the main ``bimo`` application."""
    group = typer.Typer(help="Verzeichnis der Bildungsangebote und Akteure pflegen.")

    @group.command("import")
    def import_command(
        duckdb_path: Annotated[
            Path | None,
            typer.Option(
                "--analysebestand",
                help="DuckDB-Datei des Analysebestands (Standard: aus den Einstellungen).",
            ),
        ] = None,
    ) -> None:
        """Akteure und Angebote aus dem Analysebestand ins Portal-Verzeichnis übernehmen.

        Wiederholbar: vorhandene Einträge werden aktualisiert, neue ergänzt, Einträge der
        Redaktion bleiben erhalten.
        """
        # Here, not at the top: every `bimo` call registers this command (SQLAlchemy, DuckDB).
        from bimo.core.operational import OperationalStore, default_actor
        from bimo.directory.service import import_from_store

        settings = get_settings()
        path = duckdb_path or settings.resolved_duckdb_path
        with OperationalStore.from_settings(settings) as store, store.session() as db:
            result = import_from_store(path, db, actor=default_actor())
        console = Console()
        console.print(
            f"Akteure: {result.actors_added} neu, {result.actors_updated} aktualisiert; "
            f"Angebote: {result.offers_added} neu, {result.offers_updated} aktualisiert."
        )
        if result.skipped:
            console.print(
                f"{len(result.skipped)} Angebote übersprungen (Akteur unbekannt), z. B. "
                f"{', '.join(result.skipped[:3])}."
            )

    app.add_typer(group, name="verzeichnis")
