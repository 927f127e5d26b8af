"""Reading the region/school hierarchy from the analytic store for scope resolution."""

from __future__ import annotations

from pathlib import Path

import duckdb

from bimo.accounts.policy import Hierarchy


def load_hierarchy(duckdb_path: Path) -> Hierarchy:
    """Regions and schools from the analytic store (read-only); empty if the file is missing.

    An empty hierarchy still lets every grant work on its own scope id (a Schulleitung sees
    its school), it only cannot expand a Kreis or Land into its schools.
    """
    if not duckdb_path.exists():
        return Hierarchy()
    connection = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        tables = {row[0] for row in connection.execute("SHOW TABLES").fetchall()}
        if not {"regions", "schools"} <= tables:
            return Hierarchy()
        regions = connection.execute("SELECT ags, parent_ags, name FROM regions").fetchall()
        schools = connection.execute(
            "SELECT schulnummer, kreis_ags, gemeinde_ags, name FROM schools"
        ).fetchall()
    finally:
        connection.close()
    names = {str(r[0]): str(r[2]) for r in regions} | {str(s[0]): str(s[3]) for s in schools}
    return Hierarchy(
        {str(r[0]): (str(r[1]) if r[1] is not None else None) for r in regions},
        {str(s[0]): (str(s[1]), str(s[2])) for s in schools},
        names,
    )
