"""Commands of the Vertrauensstelle: ``bimo pseudonymize`` and key management (``bimo key``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from bimo.privacy.keys import DEFAULT_PURPOSE, generate_key_file, load_master_key, validate_purpose

if TYPE_CHECKING:
    from bimo.privacy.pseudonym import ProgressCallback

# bimo.privacy.pseudonym (Ibis, DuckDB) is imported by the commands that use it.

key_app = typer.Typer(
    help="Schlüsselverwaltung der Vertrauensstelle (Pseudonymisierungsschlüssel).",
    no_args_is_help=True,
)

KeyFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="Datei mit dem Schlüssel (hex oder Base64). Ohne Angabe: Umgebungsvariable "
        "BIMO_PSEUDONYM_KEY (Name einstellbar über BIMO_PSEUDONYM_KEY_ENV).",
    ),
]
PurposeOpt = Annotated[
    str,
    typer.Option(
        "--purpose",
        help="Verwendungszweck (Projekt); je Zweck wird ein eigener Schlüssel abgeleitet, "
        "Pseudonyme verschiedener Zwecke sind nicht verknüpfbar.",
    ),
]


@contextmanager
def _progress(label: str) -> Iterator[ProgressCallback]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def pseudonymize_command(
    identities: Annotated[
        Path, typer.Argument(help="Identitätsdaten (Parquet oder CSV, Spalten wie identities)")
    ],
    out: Annotated[Path, typer.Option("--out", help="Ausgabeverzeichnis")],
    key_file: KeyFileOpt = None,
    content: Annotated[
        Path | None,
        typer.Option(
            "--content",
            help="Inhaltsdaten der Lieferung (lieferung_id + Spalten von student_years); "
            "ohne Angabe wird nur die Zuordnung lieferung_id → Pseudonym geschrieben.",
        ),
    ] = None,
    purpose: PurposeOpt = DEFAULT_PURPOSE,
) -> None:
    """Identitätsdaten pseudonymisieren (Vertrauensstelle): HMAC-SHA-256 je Verwendungszweck."""
    from bimo.privacy.pseudonym import pseudonymize

    key = load_master_key(key_file)
    validate_purpose(purpose)
    with _progress("Pseudonyme bilden") as update:
        result = pseudonymize(
            identities, key, out, content_path=content, purpose=purpose, progress=update
        )
    table = Table(title="Pseudonymisierung", show_header=True)
    table.add_column("Größe")
    table.add_column("Anzahl", justify="right")
    rows = [
        ("Identitäten gesamt", result.identitaeten_gesamt),
        ("  davon pseudonymisiert", result.identitaeten_pseudonymisiert),
        ("  davon in Quarantäne", result.identitaeten_quarantaene),
    ]
    if content is not None:
        rows += [
            ("Inhaltsdatensätze gesamt", result.inhalt_gesamt),
            ("  davon geschrieben", result.inhalt_geschrieben),
            ("  davon in Quarantäne", result.inhalt_quarantaene),
            ("Identitäten ohne Inhaltsdaten", result.identitaeten_ohne_inhalt),
            ("Datensätze mit gleichem Pseudonym im selben Schuljahr", result.kollisionen_schuljahr),
        ]
    for label, n in rows:
        table.add_row(label, f"{n:,}".replace(",", "."))
    console = Console()
    console.print(table)
    for path in result.outputs:
        console.print(f"geschrieben: {path}", highlight=False)


@key_app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Option("--out", help="Zieldatei des neuen Schlüssels")],
    force: Annotated[
        bool, typer.Option("--force", help="Vorhandene Schlüsseldatei ersetzen")
    ] = False,
) -> None:
    """Neuen zufälligen Schlüssel (32 Byte, hex) erzeugen; Dateirechte 0600."""
    generate_key_file(out, overwrite=force)
    Console().print(
        f"Schlüssel geschrieben: {out} (nur für den Eigentümer lesbar)", highlight=False
    )


@key_app.command("rotate")
def rotate_command(
    identities: Annotated[
        Path, typer.Option("--identities", help="Identitätsdaten (Parquet oder CSV)")
    ],
    old_key_file: Annotated[Path, typer.Option("--old-key-file", help="Bisheriger Schlüssel")],
    new_key_file: Annotated[Path, typer.Option("--new-key-file", help="Neuer Schlüssel")],
    mapping_out: Annotated[
        Path,
        typer.Option(
            "--mapping-out",
            help="Zuordnung altes → neues Pseudonym (Parquet, bleibt bei der Vertrauensstelle)",
        ),
    ],
    purpose: PurposeOpt = DEFAULT_PURPOSE,
) -> None:
    """Schlüsselwechsel: Zuordnungstabelle altes → neues Pseudonym erzeugen."""
    from bimo.privacy.pseudonym import rotation_mapping, write_mapping

    old_key = load_master_key(old_key_file)
    new_key = load_master_key(new_key_file)
    if old_key.material == new_key.material:
        raise typer.BadParameter("Alter und neuer Schlüssel sind identisch.")
    validate_purpose(purpose)
    with _progress("Pseudonyme umschlüsseln") as update:
        mapping, quarantined = rotation_mapping(
            identities, old_key, new_key, purpose=purpose, progress=update
        )
    write_mapping(mapping, mapping_out)
    console = Console()
    console.print(
        f"{mapping.height} Zuordnungen geschrieben: {mapping_out} (Dateirechte 0600); "
        f"{quarantined} Identitäten nicht verwendbar.",
        highlight=False,
    )
    console.print(
        "Nächster Schritt: 'bimo verlauf apply-rotation ZUORDNUNG --store …' im Analysebestand.",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add the pseudonymisation commands to the main app."""
    app.command("pseudonymize")(pseudonymize_command)
    app.add_typer(key_app, name="key")
