"""Shared fixtures. Domain fixtures live in ``tests/<domain>/conftest.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bimo.core.config import get_settings
from tests.spark_support import spark  # noqa: F401  (the shared PySpark session fixture)

pytest_plugins = ["bimo.testing.postgres"]


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own data directory; no test touches ./bimo-data."""
    monkeypatch.setenv("BIMO_DATA_DIR", str(tmp_path / "bimo-data"))
    monkeypatch.delenv("BIMO_DUCKDB_PATH", raising=False)
    monkeypatch.delenv("BIMO_DATABASE_URL", raising=False)
    get_settings.cache_clear()
