"""``bimo verlauf …``: linkage of trajectories and Bildungsverlauf analyses."""

from __future__ import annotations

import typer

from bimo.trajectories import analyses_cli, linkage_cli

verlauf_app = typer.Typer(
    help="Bildungsverlaufsstatistik: Verläufe verknüpfen und auswerten.",
    no_args_is_help=True,
)
linkage_cli.add_commands(verlauf_app)
analyses_cli.add_commands(verlauf_app)


def register(app: typer.Typer) -> None:
    app.add_typer(verlauf_app, name="verlauf")
