"""Commands of this part of the domain (added to the domain's Typer app)."""

from __future__ import annotations

import typer


def add_commands(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
