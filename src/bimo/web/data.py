"""The indicator data layer of the web: frames held in memory, filtered with Polars.

The analytic store is read once per process (and again when the DuckDB file's mtime or size
changes), so a request never runs a DuckDB query: the portal must answer within a few
milliseconds under load. What a principal may see is decided by the one policy
(:func:`bimo.accounts.policy.can`), asked once per distinct (ebene, ags, intern) of a frame.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from threading import Lock
from typing import Any, TypeVar

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
    "snapshot",
    "snapshot_generation",
    "visible_values",
]

_LOG = logging.getLogger("bimo.web")
T = TypeVar("T")

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
    # Results derived from this snapshot alone and the same for every visitor (the start
    # page's key figures): computed once per snapshot, see :meth:`derived`.
    _derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def land_ags(self) -> str | None:
        land = self.regions.filter(pl.col("ebene") == "LAND")
        return str(land["ags"][0]) if land.height else None

    @cached_property
    def _region_names(self) -> dict[str, str]:
        return dict(zip(self.regions["ags"].to_list(), self.regions["name"].to_list(), strict=True))

    def region_name(self, ags: str) -> str | None:
        return self._region_names.get(ags)

    def derived(self, name: str, compute: Callable[[PortalData], T]) -> T:
        """``compute(self)``, once per snapshot (two threads may both compute it: harmless)."""
        if name not in self._derived:
            self._derived[name] = compute(self)
        value: T = self._derived[name]
        return value


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
    # Which snapshot ``data`` is: unique within the process (the response cache keys on it).
    generation: int = 0


_CACHES: dict[Path, _Cache] = {}
_LOCK = Lock()
_CATALOG: list[Catalog] = []
_GENERATIONS = itertools.count(1)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


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
    return snapshot(web_context(request).duckdb_path)


def snapshot(path: Path) -> PortalData:
    """The snapshot of the DuckDB file at ``path`` (loaded or reloaded when needed)."""
    stamp = _stamp(path)
    with _LOCK:
        cache = _CACHES.setdefault(path, _Cache())
        data = cache.data
        if data is None or stamp != cache.stamp:
            try:
                fresh = _load_with_retry(path)
            except duckdb.Error as exc:
                # Locked by an import in progress: keep the last snapshot, retry next request.
                _LOG.warning("Analysebestand nicht lesbar: %s", type(exc).__name__)
                if data is None:
                    data = load_portal_data(Path("/nonexistent"), _catalog())
                    cache.data, cache.generation = data, next(_GENERATIONS)
            else:
                # The stamp last: snapshot_generation() reads without the lock, and a current
                # stamp must never come with the previous snapshot's generation.
                data = fresh
                cache.data, cache.generation = fresh, next(_GENERATIONS)
                cache.stamp = stamp
        return data


def snapshot_generation(path: Path) -> int | None:
    """The generation of the loaded snapshot of ``path`` if it is still current, else None.

    Never loads anything (the caller runs on the event loop): None means "not loaded yet, or
    the file changed since", and the next :func:`portal_data` call reloads it. A failed
    reload keeps the stamp old, so a stale snapshot is never reported as current.
    """
    cache = _CACHES.get(path)
    if cache is None or cache.data is None or cache.stamp != _stamp(path):
        return None
    return cache.generation


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
