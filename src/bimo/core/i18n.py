"""German user interface text for the command line (Typer/Click defaults are English)."""

from __future__ import annotations

from typing import Any

import typer._click.core as click_core
import typer._click.decorators as click_decorators
import typer._click.exceptions as click_exceptions
import typer._click.formatting as click_formatting
import typer.core as typer_core
import typer.rich_utils as rich_utils

_CLICK_DE: dict[str, str] = {
    "Show this message and exit.": "Diese Hilfe anzeigen und beenden.",
    "Show the version and exit.": "Version anzeigen und beenden.",
    "Usage:": "Aufruf:",
    "Options": "Optionen",
    "Commands": "Befehle",
    "Error": "Fehler",
    "Missing argument": "Fehlendes Argument",
    "Missing option": "Fehlende Option",
    "Missing parameter": "Fehlender Parameter",
    "Invalid value": "Ungültiger Wert",
    "No such option: {name}": "Unbekannte Option: {name}",
    "No such command {name!r}.": "Unbekannter Befehl {name!r}.",
    "Got unexpected extra argument ({args})": "Unerwartetes zusätzliches Argument ({args})",
    "Got unexpected extra arguments ({args})": "Unerwartete zusätzliche Argumente ({args})",
    "Invalid value for {param_hint}": "Ungültiger Wert für {param_hint}",
    "Missing {param_type}": "{param_type} fehlt",
    "Try {command} for help.": "Hilfe mit {command}.",
    "Did you mean {possibility}?": "Meinten Sie {possibility}?",
}


def _de(message: str) -> str:
    return _CLICK_DE.get(message, message)


_original_help_option = click_decorators.help_option
_original_write_usage = click_formatting.HelpFormatter.write_usage
_HELP_TEXT_DE = "Diese Hilfe anzeigen und beenden."


def _help_option_de(param_decls: list[str]) -> Any:
    decorator = _original_help_option(param_decls)

    def apply(command: Any) -> Any:
        command = decorator(command)
        command.params[-1].help = _HELP_TEXT_DE
        return command

    return apply


def _write_usage_de(
    self: click_formatting.HelpFormatter, prog: str, args: str = "", prefix: str | None = None
) -> None:
    _original_write_usage(self, prog, args, "Aufruf: " if prefix is None else prefix)


def germanise_cli() -> None:
    """Switch the help and error chrome of Typer/Click to German (idempotent)."""
    # Click builds the help option lazily via ``from .decorators import help_option`` and
    # writes the usage line with a hard-coded English prefix: replace both entry points.
    click_decorators.help_option = _help_option_de
    click_formatting.HelpFormatter.write_usage = _write_usage_de  # type: ignore[method-assign]
    # The vendored Click looks its ``_`` (gettext) up as a module global at call time.
    for module in (click_core, click_decorators, click_exceptions, click_formatting, typer_core):
        module._ = _de  # type: ignore[attr-defined]
    rich_utils.ARGUMENTS_PANEL_TITLE = "Argumente"
    rich_utils.OPTIONS_PANEL_TITLE = "Optionen"
    rich_utils.COMMANDS_PANEL_TITLE = "Befehle"
    rich_utils.ERRORS_PANEL_TITLE = "Fehler"
    rich_utils.ABORTED_TEXT = "Abgebrochen."
    rich_utils.DEFAULT_STRING = "[Standard: {}]"
    rich_utils.ENVVAR_STRING = "[Umgebungsvariable: {}]"
    rich_utils.REQUIRED_LONG_STRING = "[erforderlich]"
    rich_utils.RICH_HELP = "Hilfe: [blue]'{command_path} {help_option}'[/]"
