"""Reports: the Bildungsbericht (HTML + PDF/UA) and shared rendering/chart helpers.

Public API: :func:`render_pdf` (HTML → tagged PDF/UA-1), :mod:`bimo.reports.charts` (accessible
Altair charts, palette, contrast), :func:`build_report` / :func:`write_report` (Bildungsbericht),
:func:`generate_bildungsbericht` (store → files). Imported lazily: Altair and WeasyPrint are
heavy and ``bimo --help`` does not need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bimo.reports.bildungsbericht import Report, build_report, write_report
    from bimo.reports.cli import generate_bildungsbericht
    from bimo.reports.render import RenderError, render_pdf

__all__ = [
    "RenderError",
    "Report",
    "build_report",
    "generate_bildungsbericht",
    "render_pdf",
    "write_report",
]

_LAZY = {
    "RenderError": "bimo.reports.render",
    "render_pdf": "bimo.reports.render",
    "Report": "bimo.reports.bildungsbericht",
    "build_report": "bimo.reports.bildungsbericht",
    "write_report": "bimo.reports.bildungsbericht",
    "generate_bildungsbericht": "bimo.reports.cli",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'bimo.reports' has no attribute {name!r}")
