"""Fixtures of the import tests: a fresh store with the parent tables filled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bimo.core.store import AnalyticStore
from bimo.ingest import ImportOptions, import_file
from tests.ingest.helpers import actor_rows, school_rows, write_parquet


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AnalyticStore]:
    with AnalyticStore(tmp_path / "store.duckdb") as s:
        yield s


@pytest.fixture
def options(tmp_path: Path) -> ImportOptions:
    return ImportOptions(quarantine_dir=tmp_path / "quarantine")


@pytest.fixture
def parents(tmp_path: Path, store: AnalyticStore, options: ImportOptions) -> AnalyticStore:
    """Store with the schools and actors that generated student_years/offers rows refer to."""
    src = tmp_path / "parents"
    src.mkdir()
    import_file(write_parquet(src / "schools.parquet", "schools", school_rows()), None, store,
                options)  # fmt: skip
    import_file(write_parquet(src / "actors.parquet", "actors", actor_rows()), None, store,
                options)  # fmt: skip
    return store
