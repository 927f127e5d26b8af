"""Core: configuration, stores, table schemas, code lists and error types."""

from bimo.core.config import ABSOLUTE_MIN_CELL, Settings, get_settings
from bimo.core.errors import BimoError, ConfigError, InputFileError, Location
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
