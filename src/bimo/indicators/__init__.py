"""Indicators: the catalogue (YAML), the engine that computes it, disclosure control.

Public API: :func:`load_catalog`, :class:`Catalog`, :class:`Indicator`, :class:`CatalogError`,
:data:`AREAS`, :func:`compute`, :func:`write_values`, :func:`read_values`, :data:`VALUE_SCHEMA`,
:class:`IndicatorContext`. The engine (Ibis, Polars, the privacy module) is imported lazily so
that ``bimo --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bimo.indicators.catalog import AREAS, Catalog, CatalogError, Indicator, load_catalog

if TYPE_CHECKING:
    from bimo.indicators.context import IndicatorContext
    from bimo.indicators.engine import VALUE_SCHEMA, compute, read_values, write_values

__all__ = [
    "AREAS",
    "VALUE_SCHEMA",
    "Catalog",
    "CatalogError",
    "Indicator",
    "IndicatorContext",
    "compute",
    "load_catalog",
    "read_values",
    "write_values",
]

_LAZY = {
    "IndicatorContext": "bimo.indicators.context",
    "VALUE_SCHEMA": "bimo.indicators.engine",
    "compute": "bimo.indicators.engine",
    "read_values": "bimo.indicators.engine",
    "write_values": "bimo.indicators.engine",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'bimo.indicators' has no attribute {name!r}")
