"""``bimo items import|list|show``: the item bank on the command line (German texts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bimo.core.codes import KOMPETENZBEREICH
from bimo.core.config import Settings

from .bank import ItemBank, ItemMetadata

BankOpt = Annotated[
    Path | None,
    typer.Option(
        "--bank", help="Verzeichnis der Aufgabenbank (Standard: <data_dir>/aufgabenbank)."
    ),
]


def _bank(path: Path | None) -> ItemBank:
    return ItemBank(path if path is not None else Settings().data_dir / "aufgabenbank")


def import_command(
    paket: Annotated[Path, typer.Argument(help="QTI-Paket (ZIP mit imsmanifest.xml)")],
    bank: BankOpt = None,
    kompetenzbereich: Annotated[
        str | None, typer.Option("--kompetenzbereich", help="z. B. MATHEMATIK")
    ] = None,
    bildungsstandard: Annotated[
        str | None, typer.Option("--bildungsstandard", help="Bildungsstandard / Leitidee")
    ] = None,
    kompetenzstufe: Annotated[
        str | None, typer.Option("--kompetenzstufe", help="Ziel-Kompetenzstufe, z. B. III")
    ] = None,
    jahrgangsstufe: Annotated[
        int | None, typer.Option("--jahrgangsstufe", help="Jahrgangsstufe")
    ] = None,
) -> None:
    """QTI-2.1/3.0-Paket in die Aufgabenbank importieren (alles oder nichts)."""
    meta = ItemMetadata(kompetenzbereich, bildungsstandard, kompetenzstufe, jahrgangsstufe)
    report = _bank(bank).import_package(paket, meta)
    Console().print(
        f"{paket.name}: {len(report.created)} neu, {len(report.updated)} neue Version, "
        f"{len(report.unchanged)} unverändert."
    )


def list_command(
    bank: BankOpt = None,
    kompetenzbereich: Annotated[str | None, typer.Option("--kompetenzbereich")] = None,
    status: Annotated[str | None, typer.Option("--status", help="entwurf, geprueft, …")] = None,
    jahrgangsstufe: Annotated[int | None, typer.Option("--jahrgangsstufe")] = None,
) -> None:
    """Aufgaben der Bank auflisten (jeweils neueste Version)."""
    items = _bank(bank).list_items(
        kompetenzbereich=kompetenzbereich, status=status, jahrgangsstufe=jahrgangsstufe
    )
    table = Table("Aufgabe", "Version", "Titel", "Interaktion", "Bereich", "Status", "Punkte")
    for it in items:
        area = it.metadata.kompetenzbereich
        table.add_row(
            it.item_id,
            str(it.version),
            it.title,
            ", ".join(it.interactions),
            KOMPETENZBEREICH.label(area) if area else "–",
            it.metadata.status,
            f"{it.max_points:g}",
        )
    Console().print(table)


def show_command(
    aufgabe: Annotated[str, typer.Argument(help="Kennung der Aufgabe")],
    bank: BankOpt = None,
    version: Annotated[
        int | None, typer.Option("--version", help="Version (Standard: neueste)")
    ] = None,
) -> None:
    """Eine Aufgabe mit Metadaten und Aufgabentext anzeigen."""
    item = _bank(bank).get(aufgabe, version)
    qti = item.load()
    console = Console()
    console.print(f"[bold]{item.item_id}[/bold] v{item.version} – {item.title}")
    m = item.metadata
    console.print(
        f"QTI {item.qti_version}; Status {m.status}; Bereich {m.kompetenzbereich or '–'}; "
        f"Standard {m.bildungsstandard or '–'}; Stufe {m.kompetenzstufe or '–'}; "
        f"Jahrgang {m.jahrgangsstufe or '–'}; Auswertung {item.processing or 'Kodierung'}; "
        f"max. {item.max_points:g} Punkte"
    )
    console.print(qti.text, markup=False)


def register(app: typer.Typer) -> None:
    """Add the ``items`` group to ``app``."""
    group = typer.Typer(
        name="items",
        help="Aufgabenbank: QTI-Pakete importieren, Aufgaben auflisten und anzeigen.",
        no_args_is_help=True,
    )
    group.command("import")(import_command)
    group.command("list")(list_command)
    group.command("show")(show_command)
    app.add_typer(group, name="items")
