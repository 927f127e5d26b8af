"""``bimo scale …``: IRT calibration (irt) and linking/standards (standards)."""

from __future__ import annotations

import typer

from bimo.assessment.irt import cli as irt_cli
from bimo.assessment.standards import cli as standards_cli

scale_app = typer.Typer(
    help="IRT-Skalierung für Lernstandserhebungen: kalibrieren, Plausible Values, Linking, "
    "Kompetenzstufen.",
    no_args_is_help=True,
)
irt_cli.add_commands(scale_app)
standards_cli.add_commands(scale_app)


def register(app: typer.Typer) -> None:
    app.add_typer(scale_app, name="scale")
