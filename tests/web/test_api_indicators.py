"""JSON API of indicators, regions and targets: content equals the store, filters, errors."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from bimo.indicators import load_catalog
from bimo.indicators.targets import load_targets
from bimo.testing.webdata import WebDataset
from tests.web.conftest import PASSWORD
from tests.web.helpers import login
from tests.web.testclient import TestClient


@pytest.fixture(scope="module")
def stored(web_data: WebDataset) -> pl.DataFrame:
    con = duckdb.connect(str(web_data.duckdb_path), read_only=True)
    try:
        frame: pl.DataFrame = con.sql("SELECT * FROM indicator_values").pl()
    finally:
        con.close()
    return frame


def test_indicator_list_and_detail(data_client: TestClient) -> None:
    items = data_client.get("/api/v1/indikatoren").json()
    assert [i["id"] for i in items] == load_catalog().ids
    by_id = {i["id"]: i for i in items}
    assert by_id["D21"]["hat_werte"] is True and by_id["E01"]["hat_werte"] is False
    only_a = data_client.get("/api/v1/indikatoren", params={"bereich": "A"}).json()
    assert only_a and {i["bereich"] for i in only_a} == {"A"}
    detail = data_client.get("/api/v1/indikatoren/D21").json()
    assert detail["titel"] == load_catalog()["D21"].titel and detail["einheit"] == "prozent"
    missing = data_client.get("/api/v1/indikatoren/Z99")
    assert missing.status_code == 404 and "detail" in missing.json()
    assert data_client.get("/api/v1/indikatoren", params={"bereich": "Z"}).status_code == 422


def test_values_equal_store_and_filters(
    data_client: TestClient, web_data: WebDataset, stored: pl.DataFrame
) -> None:
    kreis = web_data.kreis_ags[0]
    params: dict[str, str | int] = {
        "jahr": web_data.latest_year,
        "ags": kreis,
        "merkmal": "geschlecht",
    }
    rows = data_client.get("/api/v1/indikatoren/D21/werte", params=params).json()
    expected = stored.filter(
        (pl.col("indikator") == "D21")
        & (pl.col("jahr") == web_data.latest_year)
        & (pl.col("ags") == kreis)
        & (pl.col("merkmal") == "geschlecht")
    )
    assert len(rows) == expected.height > 0
    want = {r["auspraegung"]: (r["wert"], r["flag"]) for r in expected.iter_rows(named=True)}
    for row in rows:
        wert, flag = want[row["auspraegung"]]
        assert row["flag"] == flag
        assert row["wert"] == (None if flag else pytest.approx(wert))
    only_kreis = data_client.get("/api/v1/indikatoren/D21/werte", params={"ebene": "KREIS"}).json()
    assert only_kreis and {r["ebene"] for r in only_kreis} == {"KREIS"}


def test_suppressed_and_internal_rows_never_leak(
    data_client: TestClient, web_data: WebDataset, stored: pl.DataFrame
) -> None:
    every = data_client.get("/api/v1/indikatoren/D21/werte").json()
    public = stored.filter((pl.col("indikator") == "D21") & ~pl.col("intern"))
    assert len(every) == public.height
    assert all(r["ebene"] != "SCHULE" for r in every)
    assert all(r["wert"] is None for r in every if r["flag"])
    school = web_data.schools[0]
    assert data_client.get("/api/v1/indikatoren/D21/werte", params={"ags": school}).json() == []


def test_school_leader_sees_own_school_only(data_client: TestClient, stored: pl.DataFrame) -> None:
    login(data_client, "erika.k", PASSWORD)
    rows = data_client.get("/api/v1/indikatoren/D21/werte", params={"ebene": "SCHULE"}).json()
    expected = stored.filter(
        (pl.col("indikator") == "D21") & (pl.col("ebene") == "SCHULE") & (pl.col("ags") == "100001")
    )
    assert len(rows) == expected.height
    assert {r["ags"] for r in rows} <= {"100001"}


def test_invalid_filters_are_422(data_client: TestClient) -> None:
    for params in ({"jahr": "x"}, {"ebene": "BUND"}, {"ags": "1;drop"}, {"merkmal": "A B"}):
        assert data_client.get("/api/v1/indikatoren/D21/werte", params=params).status_code == 422


def test_regions_and_targets(data_client: TestClient, web_data: WebDataset) -> None:
    regions = data_client.get("/api/v1/regionen").json()
    assert web_data.land_ags in {r["ags"] for r in regions}
    kreise = data_client.get("/api/v1/regionen", params={"ebene": "KREIS"}).json()
    assert sorted(r["ags"] for r in kreise) == sorted(web_data.kreis_ags)
    one = data_client.get(f"/api/v1/regionen/{web_data.kreis_ags[0]}").json()
    assert one["parent_ags"] == web_data.land_ags
    assert data_client.get("/api/v1/regionen/99999").status_code == 404
    targets = data_client.get("/api/v1/ziele").json()
    assert [t["id"] for t in targets] == [t.id for t in load_targets()]
