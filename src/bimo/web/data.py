"""The indicator data layer of the web: frames held in memory, filtered with Polars.

The analytic store is read once per process (and again when the DuckDB file's mtime or size
changes), so a request never runs a DuckDB query: the portal must answer within a few
milliseconds under load. What a principal may see is decided by the one policy
(:func:`bimo.accounts.policy.can`), asked once per distinct (ebene, ags, intern) of a frame.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

import duckdb
import polars as pl
from fastapi import Request

from bimo.accounts.policy import Action, IndicatorRows, Level, Principal, can
from bimo.indicators import Catalog, load_catalog
from bimo.indicators.engine import VALUE_SCHEMA, VALUES_TABLE
from bimo.web.deps import web_context

__all__ = [
    "SUPPRESSED_FLAGS",
    "PortalData",
    "load_portal_data",
    "portal_data",
    "visible_values",
]

_LOG = logging.getLogger("bimo.web")

# Symbols of suppressed cells (docs/indicators.md): the value is never shown, only the symbol.
SUPPRESSED_FLAGS: dict[str, str] = {
    ".": "Zahlenwert unbekannt oder geheim zu halten",
    "/": "Keine Angabe, da Zahlenwert nicht sicher genug",
    "-": "Nichts vorhanden",
}

REGION_SCHEMA: dict[str, pl.DataType] = {
    "ags": pl.String(),
    "name": pl.String(),
    "ebene": pl.String(),
    "parent_ags": pl.String(),
    "kreistyp": pl.String(),
}
SCHOOL_SCHEMA: dict[str, pl.DataType] = {
    "schulnummer": pl.String(),
    "name": pl.String(),
    "schulform": pl.String(),
    "kreis_ags": pl.String(),
    "gemeinde_ags": pl.String(),
}


@dataclass(frozen=True)
class PortalData:
    """One snapshot of the analytic store's published side (plus internal rows, filtered later)."""

    catalog: Catalog
    values: pl.DataFrame  # indicator_values (VALUE_SCHEMA), ALL rows incl. intern
    regions: pl.DataFrame  # ags, name, ebene, parent_ags, kreistyp
    schools: pl.DataFrame  # schulnummer, name, schulform, kreis_ags, gemeinde_ags

    @property
    def land_ags(self) -> str | None:
        land = self.regions.filter(pl.col("ebene") == "LAND")
        return str(land["ags"][0]) if land.height else None

    def region_name(self, ags: str) -> str | None:
        hit = self.regions.filter(pl.col("ags") == ags)
        return str(hit["name"][0]) if hit.height else None


def _empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def _table(
    con: duckdb.DuckDBPyConnection, name: str, schema: dict[str, pl.DataType]
) -> pl.DataFrame:
    # fetchall: DuckDB 2 refuses further work on a connection with an unfinished result.
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchall()
    if not exists[0][0]:
        return _empty(schema)
    cols = ", ".join(f'"{c}"' for c in schema)
    frame: pl.DataFrame = con.sql(f'SELECT {cols} FROM "{name}"').pl()
    return frame.select([pl.col(c).cast(t) for c, t in schema.items()])


def load_portal_data(path: Path, catalog: Catalog | None = None) -> PortalData:
    """Read the frames from the DuckDB file at ``path`` (read-only; empty when it is missing)."""
    catalog = catalog if catalog is not None else load_catalog()
    value_schema: dict[str, pl.DataType] = dict(VALUE_SCHEMA)
    if not path.exists():
        return PortalData(
            catalog, _empty(value_schema), _empty(REGION_SCHEMA), _empty(SCHOOL_SCHEMA)
        )
    con = duckdb.connect(str(path), read_only=True)
    try:
        values = _table(con, VALUES_TABLE, value_schema)
        regions = _table(con, "regions", REGION_SCHEMA)
        schools = _table(con, "schools", SCHOOL_SCHEMA)
    finally:
        con.close()
    # Suppressed cells carry no number at all in memory: nothing downstream can leak them.
    suppressed = pl.col("flag").fill_null("").is_in(list(SUPPRESSED_FLAGS))
    values = values.with_columns(
        [
            pl.when(suppressed).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("wert", "zaehler", "nenner", "se")
        ]
        + [pl.col("flag").fill_null("")]
    ).sort(["indikator", "jahr", "ebene", "ags", "merkmal", "auspraegung"])
    return PortalData(catalog, values, regions, schools)


@dataclass
class _Cache:
    stamp: tuple[int, int] | None = None
    data: PortalData | None = None


_CACHES: dict[Path, _Cache] = {}
_LOCK = Lock()
_CATALOG: list[Catalog] = []


def _catalog() -> Catalog:
    if not _CATALOG:
        _CATALOG.append(load_catalog())
    return _CATALOG[0]


def _load_with_retry(path: Path, attempts: int = 5) -> PortalData:
    # A writer holds the file lock only briefly (an import's last step): wait a little.
    for attempt in range(attempts):
        try:
            return load_portal_data(path, _catalog())
        except duckdb.Error:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def portal_data(request: Request) -> PortalData:
    """The process-wide snapshot, reloaded when the analytic store file changes."""
    path = web_context(request).duckdb_path
    try:
        stat = os.stat(path)
        stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = None
    with _LOCK:
        cache = _CACHES.setdefault(path, _Cache())
        if cache.data is None or stamp != cache.stamp:
            try:
                cache.data = _load_with_retry(path)
                cache.stamp = stamp
            except duckdb.Error as exc:
                # Locked by an import in progress: keep the last snapshot, retry next request.
                _LOG.warning("Analysebestand nicht lesbar: %s", type(exc).__name__)
                if cache.data is None:
                    cache.data = load_portal_data(Path("/nonexistent"), _catalog())
        return cache.data


def visible_values(principal: Principal, frame: pl.DataFrame) -> pl.DataFrame:
    """Only the rows ``principal`` may see (one policy question per distinct unit)."""
    if frame.is_empty():
        return frame
    units = frame.select("ebene", "ags", "intern").unique()
    allowed = [
        (ebene, ags, intern)
        for ebene, ags, intern in units.iter_rows()
        if ebene in Level.__members__
        and can(principal, Action.VIEW_INDICATOR, IndicatorRows(Level(ebene), ags, bool(intern)))
    ]
    if not allowed:
        return frame.clear()
    keys = pl.DataFrame(
        allowed, schema={"ebene": pl.String, "ags": pl.String, "intern": pl.Boolean}, orient="row"
    )
    return frame.join(keys, on=["ebene", "ags", "intern"], how="semi", maintain_order="left")
