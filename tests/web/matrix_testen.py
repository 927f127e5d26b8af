"""Route authorisation matrix rows of the test delivery pages (bimo.web.testen)."""

from __future__ import annotations

from .matrix_rules import Rule

ROWS: dict[tuple[str, str], Rule] = {}
