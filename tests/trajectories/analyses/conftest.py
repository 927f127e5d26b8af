"""Test configuration of the Bildungsverlauf analyses."""

from __future__ import annotations

import pytest

# ibis 12 still calls DuckDB's deprecated ``fetch_arrow_table`` (duckdb 2.0); that warning comes
# from the library, not from our code, and would otherwise fail every test under "-W error".
_IBIS_DUCKDB_DEPRECATION = pytest.mark.filterwarnings(
    "ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "trajectories/analyses" in str(item.path):
            item.add_marker(_IBIS_DUCKDB_DEPRECATION)
