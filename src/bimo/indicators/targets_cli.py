"""``bimo indicators ziele``: the state of the ten-year goals as a Rich table."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from bimo.core.errors import BimoError

if TYPE_CHECKING:
    import polars as pl

    from bimo.indicators.targets import TargetStatus

# Polars and bimo.indicators.targets are imported where used: every `bimo` call registers
# these commands, few run them.

_STATUS_LABEL = {
    # Symbol and word, never colour alone (colour-blind readers, monochrome terminals).
    "gruen": "[green]● grün[/]",
    "gelb": "[yellow]◐ gelb[/]",
    "rot": "[red]○ rot[/]",
    "unbekannt": "[dim]? unbekannt[/]",
}


def _number(value: float | None, digits: int = 1) -> str:
    from bimo.indicators.targets import format_number

    return "–" if value is None else format_number(value, digits)


def _regions(values: pl.DataFrame, requested: list[str] | None) -> list[tuple[str, str]]:
    import polars as pl

    public = values.filter(~pl.col("intern"))
    names = dict(public.select("ags", "region").unique(subset="ags").iter_rows())
    if requested:
        unknown = [a for a in requested if a not in names]
        if unknown:
            raise BimoError(
                "Für die Region(en) " + ", ".join(unknown) + " gibt es keine Indikatorwerte. "
                "Bitte eine AGS aus dem Analysebestand angeben (z. B. die des Landes)."
            )
        return [(a, str(names[a])) for a in requested]
    lands = public.filter(pl.col("ebene") == "LAND").select("ags", "region").unique().sort("ags")
    return [(str(a), str(r)) for a, r in lands.iter_rows()]


def _table(region: str, ags: str, statuses: list[TargetStatus]) -> Table:
    from bimo.indicators.targets import format_number

    table = Table(title=f"Zielsystem 2035 – {region} ({ags})", show_lines=True)
    for column in ("Ziel", "Basis", "Aktuell", "Zielwert", "Trend je Jahr", "Status"):
        table.add_column(column, no_wrap=column != "Ziel")
    table.add_column("Begründung", ratio=3)
    for s in statuses:
        basis = f"{_number(s.basiswert)} ({s.basisjahr})" if s.basisjahr else "–"
        current = f"{_number(s.letzter_wert)} ({s.letztes_jahr})" if s.letztes_jahr else "–"
        trend = _number(s.trend_steigung, 2)
        if s.trend_se is not None:
            trend += f" ± {format_number(s.trend_se, 2)}"
        table.add_row(
            f"{s.ziel_titel} [{s.indikator}]",
            basis,
            current,
            f"{_number(s.zielwert)} ({s.zieljahr})",
            trend,
            _STATUS_LABEL[s.status],
            s.begruendung,
        )
    return table


def add_commands(app: typer.Typer) -> None:
    """Add ``ziele`` to the ``bimo indicators`` group."""

    @app.command("ziele")
    def ziele(
        store: Annotated[
            Path | None,
            typer.Option(
                "--store", help="Analysebestand (DuckDB-Datei); Standard: aus der Konfiguration."
            ),
        ] = None,
        region: Annotated[
            list[str] | None,
            typer.Option(
                "--region",
                help="AGS der Region (mehrfach möglich); Standard: alle Länder im Bestand.",
            ),
        ] = None,
        stand: Annotated[
            int | None,
            typer.Option("--stand", help="Nur Jahre bis einschließlich dieses Jahres nutzen."),
        ] = None,
        ziele_datei: Annotated[
            Path | None,
            typer.Option("--ziele", help="Eigene Zieldatei (YAML) statt der mitgelieferten."),
        ] = None,
    ) -> None:
        """Stand der Zehnjahresziele (Zielpfad, Trend, Ampel mit Begründung) anzeigen."""
        from bimo.core.config import get_settings
        from bimo.core.store import AnalyticStore
        from bimo.indicators import load_catalog, read_values
        from bimo.indicators.targets import evaluate_targets, load_targets

        targets = load_targets(ziele_datei)
        catalog = load_catalog()
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
        console = Console()
        for ags, name in _regions(values, region):
            statuses = evaluate_targets(values, catalog, ags, as_of=stand, targets=targets)
            console.print(_table(name, ags, statuses))
        console.print(
            "Trend: gewichtete (Standardfehler) bzw. gewöhnliche Kleinste-Quadrate-Gerade seit "
            "dem Basisjahr; Ampel: grün = Ziel wird bei diesem Trend erreicht oder der Wert "
            "liegt vor dem Zielpfad, gelb = hinter dem Pfad, Ziel im 90-%-Intervall, rot = "
            "auch der günstige Rand verfehlt das Ziel. Gesperrte Werte werden nie verwendet.",
            style="dim",
        )
