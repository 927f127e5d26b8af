"""``bimo pseudonymize`` (Vertrauensstelle) and ``bimo privacy …`` (disclosure control)."""

from __future__ import annotations

import typer

from bimo.privacy import disclosure_cli, pseudonym_cli

privacy_app = typer.Typer(
    help="Geheimhaltung: Tabellen vor der Veröffentlichung schützen und prüfen.",
    no_args_is_help=True,
)
disclosure_cli.add_commands(privacy_app)

pseudonymize_app = typer.Typer(
    help="Pseudonymisierung (Rolle der Vertrauensstelle): Schlüssel erzeugen, "
    "pseudonymisieren, Schlüssel wechseln.",
    no_args_is_help=True,
)
pseudonym_cli.add_commands(pseudonymize_app)


def register(app: typer.Typer) -> None:
    app.add_typer(privacy_app, name="privacy")
    app.add_typer(pseudonymize_app, name="pseudonymize")
