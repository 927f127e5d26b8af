"""Error types. Messages are German and written for the person who has to fix the input."""

from __future__ import annotations

from dataclasses import dataclass


class BimoError(Exception):
    """Base class: an expected failure with a German message for the user (no traceback)."""


class ConfigError(BimoError):
    """Invalid configuration or missing key material."""


@dataclass(frozen=True)
class Location:
    """Where in an input something is wrong: file, 1-based data row, column."""

    file: str
    row: int | None = None
    column: str | None = None

    def describe(self) -> str:
        parts = [f"Datei {self.file}"]
        if self.row is not None:
            parts.append(f"Zeile {self.row}")
        if self.column is not None:
            parts.append(f"Spalte {self.column}")
        return ", ".join(parts)


class InputFileError(BimoError):
    """A whole input file cannot be used (empty, binary, wrong columns, too large …)."""

    def __init__(self, location: Location, reason: str) -> None:
        self.location = location
        self.reason = reason
        super().__init__(f"{location.describe()}: {reason}")
