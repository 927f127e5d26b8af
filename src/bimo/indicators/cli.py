"""``bimo indicators list|show|check|compute`` (German help and messages)."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table as RichTable

from bimo.core.errors import BimoError
from bimo.indicators.catalog import AREAS, Catalog, CatalogError, load_catalog

CatalogOpt = Annotated[
    Path | None,
    typer.Option("--katalog", help="Katalogverzeichnis (Standard: mitgelieferter Katalog)."),
]
UNITS = {
    "prozent": "%",
    "anzahl": "Anzahl",
    "je_1000": "je 1.000",
    "verhaeltnis": "Verhältnis",
    "punkte": "Punkte",
}


def register(app: typer.Typer) -> None:
    """Add the ``indicators`` group to ``app``."""
    group = typer.Typer(
        name="indicators",
        help="Indikatoren des Bildungsmonitorings: Katalog anzeigen und prüfen, berechnen.",
        no_args_is_help=True,
    )
    group.command("list")(list_command)
    group.command("show")(show_command)
    group.command("check")(check_command)
    group.command("compute")(compute_command)
    if importlib.util.find_spec("bimo.indicators.targets_cli") is not None:
        # Targets (``bimo indicators ziele``) live in their own module.
        from bimo.indicators import targets_cli

        add = getattr(targets_cli, "add_commands", None)
        if add is not None:
            add(group)
    app.add_typer(group, name="indicators")


def _catalog(directory: Path | None) -> Catalog:
    try:
        return load_catalog(directory)
    except CatalogError as exc:
        Console(stderr=True).print(f"[bold red]Fehler:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None


def list_command(katalog: CatalogOpt = None) -> None:
    """Alle Indikatoren des Katalogs als Tabelle anzeigen."""
    catalog = _catalog(katalog)
    table = RichTable(title=f"Indikatorenkatalog ({len(catalog)} Indikatoren)")
    for col in ("ID", "Bereich", "Titel", "Einheit", "Ebenen"):
        table.add_column(col)
    for ind in catalog:
        table.add_row(
            ind.id,
            f"{ind.bereich} {AREAS[ind.bereich]}",
            ind.titel,
            UNITS[ind.einheit],
            ", ".join(ind.output_levels()),
        )
    Console(width=160).print(table)


def show_command(
    indikator: Annotated[str, typer.Argument(help="ID des Indikators, z. B. D05.")],
    katalog: CatalogOpt = None,
) -> None:
    """Die Definition eines Indikators anzeigen."""
    catalog = _catalog(katalog)
    try:
        ind = catalog[indikator.strip().upper()]
    except CatalogError as exc:
        Console(stderr=True).print(f"[bold red]Fehler:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    console = Console(width=120)
    console.print(f"[bold]{ind.id} – {ind.titel}[/] (Bereich {ind.bereich}: {AREAS[ind.bereich]})")
    data: dict[str, Any] = ind.model_dump(mode="json", by_alias=True, exclude_none=True)
    for key in ("id", "titel", "bereich"):
        data.pop(key, None)
    data["ebenen_mit_vergleich"] = ind.output_levels()
    console.print(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100), end="")


def check_command(
    verzeichnis: Annotated[
        Path | None,
        typer.Argument(help="Katalogverzeichnis (Standard: mitgelieferter Katalog)."),
    ] = None,
) -> None:
    """Einen Indikatorenkatalog auf Schema und Datenmodell prüfen (Exit 2 bei Fehlern)."""
    catalog = _catalog(verzeichnis)
    areas = ", ".join(f"{k} ({len(v)})" for k, v in catalog.by_area().items())
    typer.echo(f"Katalog in Ordnung: {len(catalog)} Indikatoren; Bereiche {areas}.")


def parse_years(text: str | None) -> list[int] | None:
    """``2015-2024``, ``2020`` or ``2018,2020`` → list of years."""
    if text is None or not text.strip():
        return None
    years: list[int] = []
    try:
        for part in text.split(","):
            first, _, last = part.strip().partition("-")
            lo, hi = int(first), int(last or first)
            if lo > hi:
                raise ValueError
            years.extend(range(lo, hi + 1))
    except ValueError:
        raise BimoError(
            f"Ungültige Jahresangabe „{text}“: erwartet wird z. B. 2015-2024, 2020 oder 2018,2020."
        ) from None
    return sorted(set(years))


def compute_command(
    store: Annotated[
        Path | None,
        typer.Option(
            "--store", help="DuckDB-Datei des Analysebestands (Standard: BIMO_DUCKDB_PATH)."
        ),
    ] = None,
    ids: Annotated[
        str | None, typer.Option("--ids", help="Nur diese Indikatoren, z. B. D05,C01.")
    ] = None,
    years: Annotated[
        str | None, typer.Option("--years", help="Jahre (Anfangsjahr), z. B. 2015-2024.")
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            help="Ausgabe auf diese Region (AGS) beschränken: mit Teilregionen, Land und "
            "Kreistyp-Vergleichsgruppe.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Zusätzlich als Datei schreiben (.parquet oder .csv; ohne interne Schulzeilen).",
        ),
    ] = None,
    katalog: CatalogOpt = None,
) -> None:
    """Indikatoren berechnen, geheimhalten und als Tabelle indicator_values speichern."""
    try:
        _compute(store, ids, years, region, out, katalog)
    except BimoError as exc:
        Console(stderr=True).print(f"[bold red]Fehler:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None


def _compute(
    store_path: Path | None,
    ids_text: str | None,
    years_text: str | None,
    region: str | None,
    out: Path | None,
    katalog: Path | None,
) -> None:
    import polars as pl
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from bimo.core.store import AnalyticStore
    from bimo.indicators.engine import (
        RegionMaps,
        compute,
        merge_values,
        read_values,
        select_region,
        write_values,
    )

    if out is not None and out.suffix.lower() not in (".parquet", ".csv"):
        raise BimoError(f"Ausgabedatei {out}: erlaubt sind .parquet und .csv.")
    catalog = load_catalog(katalog)
    ids = [i.strip().upper() for i in ids_text.split(",") if i.strip()] if ids_text else None
    if ids is not None:
        for i in ids:
            catalog[i]  # unknown ids fail before any work
    yrs = parse_years(years_text)
    if store_path is not None and not store_path.exists():
        raise BimoError(f"Analysebestand {store_path} existiert nicht.")
    console = Console(stderr=True)
    with AnalyticStore(store_path) as store:
        from bimo.indicators.context import IndicatorContext

        maps = RegionMaps.load(IndicatorContext(store))
        if region is not None:
            select_region(pl.DataFrame(schema={"ebene": pl.String, "ags": pl.String}), maps, region)
        total = len(catalog.select(ids))
        start = time.perf_counter()
        with Progress(
            TextColumn("[bold]Indikatoren[/] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("", total=total)

            def progress(ident: str, done: int, _total: int) -> None:
                bar.update(task, completed=done, description=ident)

            values = compute(store, catalog, ids=ids, years=yrs, progress=progress)
        merged = merge_values(read_values(store), values, ids=ids, years=yrs)
        write_values(store, merged)
        seconds = time.perf_counter() - start
    shown = select_region(values, maps, region) if region is not None else values
    public = shown.filter(~pl.col("intern"))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".csv":
            public.write_csv(out)
        else:
            public.write_parquet(out)
    suppressed = int((public["flag"] == ".").sum())
    typer.echo(
        f"{values['indikator'].n_unique()} Indikatoren berechnet in {seconds:.1f} s: "
        f"{values.height} Zeilen in indicator_values gespeichert, davon {public.height} "
        f"veröffentlichbar{' in der Auswahl' if region else ''} ({suppressed} gesperrt)."
        + (f" Datei: {out}" if out is not None else "")
    )
