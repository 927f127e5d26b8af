"""Options and results of an import (the data passed between reader, validator and loader)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

# CSV/XLSX files above this size are refused: they are read line by line and would take long
# and much memory; Parquet is streamed and has no limit.
DEFAULT_MAX_TEXT_BYTES = 1 << 30

# Columns the readers add to every chunk besides the data columns.
LINE_COL = "__zeile"  # row number as the user sees it (editor line, Excel row, record index + 2)
RAW_COL = "__roh"  # original text of the record (text readers only), for the quarantine file


@dataclass(frozen=True)
class ImportOptions:
    """How to import: strictness, where the quarantine file goes, limits and chunking."""

    strict: bool = False
    quarantine_dir: Path | None = None  # default: <data_dir>/quarantine
    max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES
    chunk_rows: int = 500_000
    # DuckDB memory limit while importing (staging spills to disk beyond it); None keeps the
    # store's setting. Keeps a 13-million-row import well below 8 GiB resident memory.
    duckdb_memory_limit: str | None = "3GB"
    # Called with the number of data rows read so far (for a progress bar).
    on_progress: Callable[[int], None] | None = None


@dataclass(frozen=True)
class ImportResult:
    """Outcome of importing one file. ``read == stored + quarantined + duplicates + rejected``.

    ``rejected`` is non-zero only when ``--strict`` refused the file: then nothing is stored and
    the valid rows are counted there instead of in ``stored``.
    """

    file: str
    kind: str
    read: int
    stored: int
    quarantined: int
    duplicates: int
    quarantine_file: Path | None
    sha256: str
    committed: bool = True
    rejected: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "kind": self.kind,
            "read": self.read,
            "stored": self.stored,
            "quarantined": self.quarantined,
            "duplicates": self.duplicates,
            "quarantine_file": str(self.quarantine_file) if self.quarantine_file else None,
            "committed": self.committed,
            "rejected": self.rejected,
        }


@dataclass(frozen=True)
class BadLine:
    """A data line that could not be parsed into a record at all."""

    line: int
    raw: str
    reason: str


@dataclass
class Chunk:
    """A block of parsed records plus the lines of that block that could not be parsed.

    ``frame`` holds the data columns present in the file (canonical names; text readers give
    strings, Parquet gives its own types), :data:`LINE_COL` and, for text readers, :data:`RAW_COL`.
    """

    frame: pl.DataFrame
    bad: list[BadLine] = field(default_factory=list)

    @property
    def n_read(self) -> int:
        return self.frame.height + len(self.bad)
