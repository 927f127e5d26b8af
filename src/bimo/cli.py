"""The ``bimo`` command. Thin: each domain registers its own commands (``<domain>/cli.py``)."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from bimo.core.errors import BimoError
from bimo.core.i18n import germanise_cli

germanise_cli()

app = typer.Typer(
    name="bimo",
    help="BiMo – Bildungsmonitoring: Daten einlesen, pseudonymisieren, auswerten, veröffentlichen.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.command("version")
def version() -> None:
    """Version von BiMo anzeigen."""
    from bimo import __version__

    typer.echo(f"bimo {__version__}")


def _register_all() -> None:
    # Imported here so that `bimo --help` fails loudly if a domain CLI is broken.
    from bimo import demo
    from bimo.accounts import cli as users_cli
    from bimo.assessment import cli as assessment_cli
    from bimo.assessment.delivery import cli as tests_cli
    from bimo.assessment.itembank import cli as items_cli
    from bimo.core import db_cli
    from bimo.directory import cli as directory_cli
    from bimo.indicators import cli as indicators_cli
    from bimo.ingest import cli as ingest_cli
    from bimo.opendata import cli as opendata_cli
    from bimo.privacy import cli as privacy_cli
    from bimo.reports import cli as reports_cli
    from bimo.surveys import cli as surveys_cli
    from bimo.synth import cli as synth_cli
    from bimo.trajectories import cli as trajectories_cli
    from bimo.web import cli as web_cli

    for module in (
        synth_cli,
        ingest_cli,
        privacy_cli,
        trajectories_cli,
        assessment_cli,
        items_cli,
        tests_cli,
        indicators_cli,
        reports_cli,
        opendata_cli,
        surveys_cli,
        users_cli,
        directory_cli,
        web_cli,
        db_cli,
        demo,
    ):
        module.register(app)


_register_all()


def main() -> None:
    """Entry point: expected failures print a German message and exit 2, never a traceback."""
    try:
        app()
    except BimoError as exc:
        Console(stderr=True).print(f"[bold red]Fehler:[/] {exc}", highlight=False)
        sys.exit(2)
    except ValueError as exc:  # pydantic's ValidationError: a bad BIMO_* variable
        from bimo.core.config import describe_settings_error

        message = describe_settings_error(exc)
        if message is None:
            raise
        Console(stderr=True).print(f"[bold red]Fehler:[/] {message}", highlight=False)
        sys.exit(2)
