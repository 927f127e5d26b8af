"""``bimo verlauf …``: linkage of trajectories and Bildungsverlauf analyses."""

from __future__ import annotations

from collections.abc import MutableMapping

import typer
from typer._click.core import Command
from typer.core import TyperGroup


class _LazyVerlauf(TyperGroup):
    """The ``verlauf`` group, whose commands are built on first use.

    Their modules import Ibis, Polars, DuckDB and the disclosure control at the top (their
    option texts list the analyses' dimensions); building them for every ``bimo`` call cost a
    second of start-up. ``bimo --help`` needs only this group's own help text. Everything
    that asks for the commands (help, dispatch, the docs tests walking ``commands``) gets them.
    """

    _loaded: MutableMapping[str, Command] | None = None

    @property
    def commands(self) -> MutableMapping[str, Command]:
        if self._loaded is None:
            from bimo.trajectories import analyses_cli, linkage_cli

            inner = typer.Typer()
            linkage_cli.add_commands(inner)
            analyses_cli.add_commands(inner)
            loaded: MutableMapping[str, Command] = typer.main.get_group(inner).commands
            self._loaded = loaded
            return loaded
        return self._loaded

    @commands.setter
    def commands(self, value: MutableMapping[str, Command]) -> None:
        # Click's constructor assigns the (empty) command dict given to it.
        if value:
            raise ValueError("Die Befehle von 'bimo verlauf' werden beim ersten Zugriff gebaut.")


verlauf_app = typer.Typer(
    help="Bildungsverlaufsstatistik: Verläufe verknüpfen und auswerten.",
    no_args_is_help=True,
    cls=_LazyVerlauf,
)


def register(app: typer.Typer) -> None:
    app.add_typer(verlauf_app, name="verlauf")
