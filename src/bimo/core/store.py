"""Engines of BiMo's two stores.

* The **analytic store** is a DuckDB file accessed through Ibis; its tables follow
  :mod:`bimo.core.schemas`. It never holds identifying data.
* The **operational store** (users, test sessions, survey answers …) is a SQLAlchemy database:
  SQLite by default, PostgreSQL in production (``BIMO_DATABASE_URL``); see
  :mod:`bimo.core.operational`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import ibis
from ibis.backends.duckdb import Backend as DuckDBBackend
from ibis.expr.types import Table

from bimo.core.config import Settings, get_settings
from bimo.core.schemas import ANALYTIC_TABLES, DUCKDB_TYPES, IBIS_TYPES, TableSpec


def create_table_sql(spec: TableSpec, name: str | None = None) -> str:
    """DDL for one analytic table (NOT NULL for required columns)."""
    cols = ", ".join(
        f'"{c.name}" {DUCKDB_TYPES[c.dtype]}{" NOT NULL" if c.required else ""}'
        for c in spec.columns
    )
    return f'CREATE TABLE IF NOT EXISTS "{name or spec.name}" ({cols})'


def unbound_table(spec: TableSpec, name: str | None = None) -> Table:
    """An Ibis table with the schema of ``spec``, not bound to any backend.

    Expressions built on it compile to SQL for any engine without asking a database for the
    schema (with DuckDB 2.0, Ibis 12's schema lookup calls a deprecated DuckDB API).
    """
    schema = ibis.schema({c.name: IBIS_TYPES[c.dtype] for c in spec.columns})
    return ibis.table(schema, name=name or spec.name)


class AnalyticStore:
    """The DuckDB analytic store. Use :meth:`ibis` for analyses, :meth:`transaction` to write."""

    def __init__(self, path: Path | str | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else get_settings().resolved_duckdb_path
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._raw = duckdb.connect(str(self.path), read_only=read_only)
        self._ibis: DuckDBBackend | None = None
        if not read_only:
            self.ensure_schema()

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> AnalyticStore:
        return cls((settings or get_settings()).resolved_duckdb_path)

    @property
    def raw(self) -> duckdb.DuckDBPyConnection:
        """The underlying DuckDB connection (for bulk writes inside :meth:`transaction`)."""
        return self._raw

    def ibis(self) -> DuckDBBackend:
        """An Ibis backend on the same connection."""
        if self._ibis is None:
            self._ibis = ibis.duckdb.from_connection(self._raw)
        return self._ibis

    def table(self, name: str) -> Table:
        return self.ibis().table(name)

    def ensure_schema(self) -> None:
        for spec in ANALYTIC_TABLES.values():
            self._raw.execute(create_table_sql(spec))

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing write: commits on success, rolls back on any exception."""
        self._raw.execute("BEGIN TRANSACTION")
        try:
            yield self._raw
        except BaseException:
            self._raw.execute("ROLLBACK")
            raise
        self._raw.execute("COMMIT")

    def count(self, table: str) -> int:
        # fetchall, not fetchone: DuckDB 2.0 refuses new work on a connection whose last
        # result was not fetched to the end.
        rows = self._raw.execute(f'SELECT count(*) FROM "{table}"').fetchall()
        return int(rows[0][0])

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> AnalyticStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
