"""``bimo pseudonymize``/``bimo key`` (Vertrauensstelle) and ``bimo privacy …`` (disclosure
control)."""

from __future__ import annotations

import typer

from bimo.privacy import disclosure_cli, pseudonym_cli

privacy_app = typer.Typer(
    help="Geheimhaltung: Tabellen vor der Veröffentlichung schützen und prüfen.",
    no_args_is_help=True,
)
disclosure_cli.add_commands(privacy_app)


def register(app: typer.Typer) -> None:
    app.add_typer(privacy_app, name="privacy")
    pseudonym_cli.register(app)
