"""Route authorisation matrix rows of the survey pages (bimo.web.umfragen)."""

from __future__ import annotations

from .matrix_rules import Rule

ROWS: dict[tuple[str, str], Rule] = {}
