"""Command-line face of this domain (registered by :mod:`bimo.cli`)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the main ``bimo`` app."""
