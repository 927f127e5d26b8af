"""``bimo db``: schema management of the operational database (registered by :mod:`bimo.cli`)."""

from __future__ import annotations

from typing import Annotated

import typer

from bimo.core.config import get_settings

# SQLAlchemy and Alembic are imported inside the commands: every ``bimo`` invocation loads
# this module, few of them touch the operational database.

db_app = typer.Typer(
    name="db",
    help="Operative Datenbank (Protokoll, später Benutzer, Testsitzungen): Schema verwalten.",
    no_args_is_help=True,
)


@db_app.command("upgrade")
def upgrade(
    ziel: Annotated[
        str, typer.Option("--ziel", help="Ziel-Revision der Migrationen (Standard: neueste)")
    ] = "head",
) -> None:
    """Alle ausstehenden Migrationen auf die konfigurierte Datenbank anwenden."""
    from bimo.core.operational import current_revision, describe_url, upgrade_to_head

    url = get_settings().resolved_database_url
    before = current_revision(url)
    after = upgrade_to_head(url, ziel)
    if before == after:
        typer.echo(f"{describe_url(url)}: bereits auf Stand {after or 'leer'}.")
    else:
        typer.echo(f"{describe_url(url)}: von Stand {before or 'leer'} auf {after} gebracht.")


@db_app.command("current")
def current() -> None:
    """Stand der konfigurierten Datenbank und neueste verfügbare Migration anzeigen."""
    from bimo.core.operational import current_revision, describe_url, head_revision

    url = get_settings().resolved_database_url
    revision, head = current_revision(url), head_revision()
    state = "aktuell" if revision == head else "veraltet – `bimo db upgrade` ausführen"
    typer.echo(f"Datenbank: {describe_url(url)}")
    typer.echo(f"Stand: {revision or 'leer'} (neueste Migration: {head}; {state})")


@db_app.command("check")
def check(
    konfiguriert: Annotated[
        bool,
        typer.Option(
            "--konfiguriert",
            help="Die konfigurierte Datenbank prüfen statt einer frischen SQLite-Datenbank "
            "(muss auf dem neuesten Stand sein)",
        ),
    ] = False,
) -> None:
    """Prüfen, dass Modelle und Migrationen übereinstimmen (Exit-Code 1, wenn nicht)."""
    from bimo.core.operational import (
        create_operational_engine,
        current_revision,
        describe_url,
        head_revision,
        schema_differences,
        upgrade_to_head,
    )

    if konfiguriert:
        url = get_settings().resolved_database_url
        revision, head = current_revision(url), head_revision()
        if revision != head:
            typer.echo(
                f"{describe_url(url)} ist auf Stand {revision or 'leer'}, neueste Migration: "
                f"{head}. Bitte `bimo db upgrade` ausführen.",
                err=True,
            )
            raise typer.Exit(1)
        diffs = schema_differences(url)
        target = describe_url(url)
    else:
        # A private in-memory database: migrations from scratch, compared with the models.
        engine = create_operational_engine("sqlite://")
        try:
            upgrade_to_head(engine)
            diffs = schema_differences(engine)
        finally:
            engine.dispose()
        target = "frische SQLite-Datenbank"
    if diffs:
        typer.echo(f"Modelle und Migrationen weichen ab ({target}):", err=True)
        for diff in diffs:
            typer.echo(f"  {diff!r}", err=True)
        typer.echo("Bitte eine Migration in bimo/core/migrations/versions/ ergänzen.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Modelle und Migrationen stimmen überein ({target}, Stand {head_revision()}).")


def register(app: typer.Typer) -> None:
    """Add ``bimo db`` to the main ``bimo`` app."""
    app.add_typer(db_app, name="db")
