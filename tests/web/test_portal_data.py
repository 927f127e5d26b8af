"""The indicator data layer: snapshot in memory, reload on change, policy filter."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import duckdb
import polars as pl
from fastapi import Request

from bimo.accounts.policy import ANONYMOUS, Grant, Hierarchy, principal_for
from bimo.accounts.roles import Role, ScopeType
from bimo.testing.webdata import WebDataset
from bimo.web.data import load_portal_data, portal_data, visible_values


def test_snapshot_hides_suppressed_numbers(web_data: WebDataset) -> None:
    data = load_portal_data(web_data.duckdb_path)
    flagged = data.values.filter(pl.col("flag").is_in([".", "/", "-"]))
    assert flagged.height > 0
    for column in ("wert", "zaehler", "nenner", "se"):
        assert flagged[column].null_count() == flagged.height, column
    assert data.land_ags == web_data.land_ags
    assert set(web_data.kreis_ags) <= set(data.regions["ags"].to_list())
    assert data.schools.height > 0 and "schulnummer" in data.schools.columns


def test_anonymous_sees_no_internal_rows(web_data: WebDataset) -> None:
    data = load_portal_data(web_data.duckdb_path)
    public = visible_values(ANONYMOUS, data.values)
    assert public.height == data.values.filter(~pl.col("intern")).height
    assert not public["intern"].any()
    assert "SCHULE" not in public["ebene"].unique().to_list()


def test_school_leader_gets_own_school(web_data: WebDataset) -> None:
    data = load_portal_data(web_data.duckdb_path)
    school = web_data.schools[0]
    hierarchy = Hierarchy()
    principal = principal_for(
        1, "x", "X", (Grant(Role.SCHULLEITUNG, ScopeType.SCHULE, school),), hierarchy
    )
    seen = visible_values(principal, data.values)
    internal = seen.filter(pl.col("intern"))
    assert internal.height > 0 and set(internal["ags"].to_list()) == {school}


def test_missing_store_gives_empty_frames(tmp_path: Path) -> None:
    data = load_portal_data(tmp_path / "fehlt.duckdb")
    assert data.values.is_empty() and data.land_ags is None


def test_snapshot_reloads_when_the_file_changes(web_data: WebDataset, tmp_path: Path) -> None:
    copy = tmp_path / "kopie.duckdb"
    shutil.copy(web_data.duckdb_path, copy)
    copy.chmod(0o644)  # the shared dataset is read-only
    request = cast(
        Request,
        SimpleNamespace(
            app=SimpleNamespace(state=SimpleNamespace(bimo=SimpleNamespace(duckdb_path=copy)))
        ),
    )
    first = portal_data(request)
    assert first.values.height > 0
    assert portal_data(request) is first  # cached: no DuckDB query per request
    con = duckdb.connect(str(copy))
    con.execute("DROP TABLE indicator_values")
    con.execute("CHECKPOINT")
    con.close()
    os.utime(copy, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    second = portal_data(request)
    assert second is not first
    assert second.values.is_empty() and second.regions.height > 0
