"""Core: configuration, stores, table schemas, code lists and error types.

``AnalyticStore`` is imported lazily (PEP 562): it pulls in Ibis and DuckDB, which commands
that never touch the store (``bimo --help``, ``bimo scale …``) should not pay for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bimo.core.config import ABSOLUTE_MIN_CELL, Settings, get_settings
from bimo.core.errors import BimoError, ConfigError, InputFileError, Location

if TYPE_CHECKING:
    from bimo.core.store import AnalyticStore

__all__ = [
    "ABSOLUTE_MIN_CELL",
    "AnalyticStore",
    "BimoError",
    "ConfigError",
    "InputFileError",
    "Location",
    "Settings",
    "get_settings",
]


def __getattr__(name: str) -> Any:
    if name == "AnalyticStore":
        from bimo.core.store import AnalyticStore

        return AnalyticStore
    raise AttributeError(f"module 'bimo.core' has no attribute {name!r}")
