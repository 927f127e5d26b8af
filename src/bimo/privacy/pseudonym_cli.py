"""Commands of the Vertrauensstelle: ``bimo pseudonymize`` and key management."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the pseudonymisation commands to the main app."""
