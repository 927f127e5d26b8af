"""Pytest plugins shipped with BiMo (enable with ``pytest_plugins = ["bimo.testing.postgres"]``).

:mod:`bimo.testing.postgres` starts a throwaway PostgreSQL cluster for tests that must run on
the production database as well as on SQLite.
"""

from bimo.testing.postgres import (
    PostgresCluster,
    PostgresUnavailable,
    find_pg_bin,
    pid_alive,
    skip_or_fail,
)

__all__ = ["PostgresCluster", "PostgresUnavailable", "find_pg_bin", "pid_alive", "skip_or_fail"]
