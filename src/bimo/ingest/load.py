"""DuckDB side of an import: staging, referential checks, duplicates, conflicts, insert, log.

Validated rows are staged in a temporary table; duplicate and conflict detection are joins
there, so a 13-million-row file never has to fit into Python. Everything runs on the
connection of an open :meth:`AnalyticStore.transaction`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from bimo.core.schemas import DUCKDB_TYPES, TableSpec
from bimo.ingest.models import LINE_COL

STAGE = "__bimo_import_stage"
QUAR = "__bimo_import_quarantine"

# Referential rules: (table, column) must exist in (parent table, column).
REFERENCES: dict[str, tuple[str, str, str]] = {
    "student_years": ("schulnummer", "schools", "schulnummer"),
    "offers": ("actor_id", "actors", "actor_id"),
}

IMPORT_LOG_DDL = """
CREATE TABLE IF NOT EXISTS import_log (
    zeitpunkt TIMESTAMP NOT NULL,
    datei VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    tabelle VARCHAR NOT NULL,
    gelesen BIGINT NOT NULL,
    gespeichert BIGINT NOT NULL,
    quarantaene BIGINT NOT NULL,
    duplikate BIGINT NOT NULL
)
"""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class LoadCounts:
    stored: int
    duplicates: int


class Staging:
    """Temporary tables of one import on the transaction's connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, spec: TableSpec, file: str) -> None:
        self.con = con
        self.spec = spec
        self.file = file
        cols = ", ".join(f"{_q(c.name)} {DUCKDB_TYPES[c.dtype]}" for c in spec.columns)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGE} ({cols}, {LINE_COL} BIGINT)")
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {QUAR} (datei VARCHAR, zeile BIGINT, "
            "spalte VARCHAR, grund VARCHAR, rohdaten VARCHAR)"
        )

    def add_rows(self, good: pl.DataFrame) -> None:
        if good.height == 0:
            return
        arrow = good.to_arrow()
        self.con.register("__bimo_chunk", arrow)
        try:
            cols = ", ".join(_q(c) for c in (*self.spec.column_names, LINE_COL))
            self.con.execute(f"INSERT INTO {STAGE} ({cols}) SELECT {cols} FROM __bimo_chunk")
        finally:
            self.con.unregister("__bimo_chunk")

    def add_problems(self, problems: pl.DataFrame) -> None:
        if problems.height == 0:
            return
        arrow = problems.with_columns(pl.lit(self.file).alias("datei")).to_arrow()
        self.con.register("__bimo_problems", arrow)
        try:
            self.con.execute(
                f"INSERT INTO {QUAR} SELECT datei, zeile, spalte, grund, rohdaten "
                "FROM __bimo_problems"
            )
        finally:
            self.con.unregister("__bimo_problems")

    def _raw_sql(self, alias: str) -> str:
        parts = ", ".join(
            f"coalesce(CAST({alias}.{_q(c)} AS VARCHAR), '')" for c in self.spec.column_names
        )
        return f"concat_ws(';', {parts})"

    def _prefix_sql(self, alias: str, column: str) -> str:
        return (
            f"'Datei ' || {_lit(self.file)} || ', Zeile ' || {alias}.{LINE_COL} || "
            f"', Spalte {column}: '"
        )

    def check_references(self) -> None:
        """Quarantine rows whose foreign key is not in the stored parent table."""
        ref = REFERENCES.get(self.spec.name)
        if ref is None:
            return
        column, parent, parent_col = ref
        absent = (
            f"NOT EXISTS (SELECT 1 FROM {_q(parent)} p WHERE p.{_q(parent_col)} = s.{_q(column)})"
        )
        reason = (
            f"{column} ' || s.{_q(column)} || ' ist in der Tabelle {parent} nicht vorhanden; "
            f"bitte zuerst {parent} importieren (bimo import … --kind {parent})"
        )
        self.con.execute(
            f"INSERT INTO {QUAR} SELECT {_lit(self.file)}, s.{LINE_COL}, {_lit(column)}, "
            f"{self._prefix_sql('s', column)} || '{reason}', {self._raw_sql('s')} "
            f"FROM {STAGE} s WHERE {absent}"
        )
        self.con.execute(f"DELETE FROM {STAGE} AS s WHERE {absent}")

    def _same(self, a: str, b: str) -> str:
        return " AND ".join(
            f"{a}.{_q(c)} IS NOT DISTINCT FROM {b}.{_q(c)}" for c in self.spec.column_names
        )

    def _key_eq(self, a: str, b: str) -> str:
        return " AND ".join(f"{a}.{_q(c)} = {b}.{_q(c)}" for c in self.spec.key)

    def _key_desc(self, alias: str) -> str:
        # The pseudonym is not repeated in the message: it is in the row itself.
        parts = [
            f"'{c}=' || CAST({alias}.{_q(c)} AS VARCHAR)" for c in self.spec.key if c != "pseudonym"
        ]
        if "pseudonym" in self.spec.key:
            parts.append("'Pseudonym wie in dieser Zeile'")
        return " || ', ' || ".join(parts)

    def resolve_and_insert(self) -> LoadCounts:
        """Count duplicates, quarantine key conflicts, insert the rest into the target table.

        Hash aggregation and joins only (no window sort): on a clean first import the sets of
        repeated keys and of keys already stored are empty and cost one pass each.
        """
        con, spec = self.con, self.spec
        target = _q(spec.name)
        key_cols = ", ".join(_q(c) for c in spec.key)
        keys = ", ".join(spec.key)
        # Rows of the file repeating the key of an earlier row: duplicate or conflict.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE __bimo_multi AS SELECT {key_cols}, "
            f"min({LINE_COL}) AS __first FROM {STAGE} GROUP BY ALL HAVING count(*) > 1"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE __bimo_later AS SELECT l.*, m.__first, "
            f"({self._same('l', 'f')}) AS __same FROM {STAGE} l "
            f"JOIN __bimo_multi m ON {self._key_eq('l', 'm')} AND l.{LINE_COL} <> m.__first "
            f"JOIN {STAGE} f ON f.{LINE_COL} = m.__first"
        )
        dup_in_file = _scalar(con, "SELECT count(*) FROM __bimo_later WHERE __same")
        con.execute(
            f"INSERT INTO {QUAR} SELECT {_lit(self.file)}, l.{LINE_COL}, {_lit(keys)}, "
            f"{self._prefix_sql('l', keys)} || 'gleicher Schlüssel ({keys}) wie Zeile ' || "
            f"l.__first || ', aber abweichender Inhalt (Konflikt)', {self._raw_sql('l')} "
            "FROM __bimo_later l WHERE NOT l.__same"
        )
        con.execute(
            f"DELETE FROM {STAGE} WHERE {LINE_COL} IN (SELECT {LINE_COL} FROM __bimo_later)"
        )
        # Remaining rows against the stored table (keys are unique in both now).
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE __bimo_hits AS SELECT r.{LINE_COL}, "
            f"({self._same('t', 'r')}) AS __same FROM {STAGE} r JOIN {target} t "
            f"ON {self._key_eq('t', 'r')}"
        )
        dup_stored = _scalar(con, "SELECT count(DISTINCT __zeile) FROM __bimo_hits WHERE __same")
        con.execute(
            f"INSERT INTO {QUAR} SELECT {_lit(self.file)}, r.{LINE_COL}, {_lit(keys)}, "
            f"{self._prefix_sql('r', keys)} || 'ein gespeicherter Datensatz mit demselben "
            f"Schlüssel (' || {self._key_desc('r')} || ') hat abweichenden Inhalt (Konflikt)', "
            f"{self._raw_sql('r')} FROM {STAGE} r WHERE r.{LINE_COL} IN "
            f"(SELECT {LINE_COL} FROM __bimo_hits GROUP BY ALL HAVING NOT bool_or(__same))"
        )
        cols = ", ".join(_q(c) for c in spec.column_names)
        stored = _scalar(
            con,
            f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {STAGE} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM __bimo_hits h WHERE h.{LINE_COL} = s.{LINE_COL})",
        )
        return LoadCounts(stored=stored, duplicates=dup_in_file + dup_stored)

    def quarantined_rows(self) -> int:
        return _scalar(self.con, f"SELECT count(DISTINCT zeile) FROM {QUAR}")

    def write_quarantine(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con.execute(
            f"COPY (SELECT datei, zeile, spalte, grund, rohdaten FROM {QUAR} "
            f"ORDER BY zeile, spalte) TO {_lit(str(path))} (FORMAT csv, DELIMITER ';', "
            "HEADER true)"
        )

    def drop(self) -> None:
        for name in (STAGE, QUAR, "__bimo_multi", "__bimo_later", "__bimo_hits"):
            self.con.execute(f"DROP TABLE IF EXISTS {name}")


def log_import(
    con: duckdb.DuckDBPyConnection,
    *,
    file: str,
    sha256: str,
    kind: str,
    read: int,
    stored: int,
    quarantined: int,
    duplicates: int,
) -> None:
    """Record the import (counts and checksum only, never row content) in ``import_log``."""
    con.execute(IMPORT_LOG_DDL)
    con.execute(
        "INSERT INTO import_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            datetime.now(UTC).replace(tzinfo=None),
            file,
            sha256,
            kind,
            read,
            stored,
            quarantined,
            duplicates,
        ],
    )


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchall()[0]
    return int(row[0]) if row else 0
