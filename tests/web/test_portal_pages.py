"""The public portal: indicator list and page, selection, downloads, comparison, files."""

from __future__ import annotations

import io
import re
from pathlib import Path

import duckdb
import polars as pl
import pytest
from openpyxl import load_workbook

from bimo.core.operational import AuditEvent, OperationalStore
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


def _cells(html: str) -> list[str]:
    return [c.strip() for c in re.findall(r'<td class="zahl">(.*?)</td>', html, re.S)]


def test_list_groups_by_area_and_marks_missing_values(data_client: TestClient) -> None:
    page = data_client.get("/indikatoren")
    assert page.status_code == 200
    assert "<h2>D – Allgemeinbildende Schulen</h2>" in page.text
    assert 'href="/indikatoren/D21"' in page.text
    # E01 is in the catalogue but not computed for the test data.
    assert re.search(
        r'/indikatoren/E01">[^<]*</a>\s*<span class="hinweis">\(keine Werte\)', page.text
    )
    found = data_client.get("/indikatoren", params={"suche": "Jugendquotient"})
    assert "A01" in found.text and "/indikatoren/D21" not in found.text
    partial = data_client.get(
        "/indikatoren", params={"suche": "Lesen"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in partial.text and 'id="ergebnisse"' in partial.text


def test_indicator_page_shows_stored_values(
    data_client: TestClient, web_data: WebDataset, stored: pl.DataFrame
) -> None:
    kreis = web_data.kreis_ags[0]
    page = data_client.get("/indikatoren/D21", params={"ags": kreis})
    assert page.status_code == 200
    expected = stored.filter(
        (pl.col("indikator") == "D21")
        & (pl.col("ags") == kreis)
        & (pl.col("merkmal") == "insgesamt")
    ).sort("jahr")
    shown = _cells(page.text)
    assert len(shown) == expected.height > 0
    for cell, row in zip(shown, expected.iter_rows(named=True), strict=True):
        if row["flag"]:
            assert row["flag"] in cell and "abbr" in cell
        else:
            assert cell == f"{row['wert']:.1f}".replace(".", ",")
    assert "<caption>" in page.text and 'scope="col"' in page.text
    assert 'id="spec-verlauf" data-spec=' in page.text
    assert "vendor/vega-interpreter.js" in page.text
    assert "<h2>Definition</h2>" in page.text and "Ziele" in page.text


def test_suppressed_values_never_leak(
    data_client: TestClient, web_data: WebDataset, stored: pl.DataFrame
) -> None:
    suppressed = stored.filter(
        (pl.col("flag") == ".") & (pl.col("ebene") == "KREIS") & (pl.col("merkmal") == "insgesamt")
    ).row(0, named=True)
    params = {"ags": suppressed["ags"], "jahr": suppressed["jahr"]}
    page = data_client.get(f"/indikatoren/{suppressed['indikator']}", params=params)
    assert page.status_code == 200
    assert '<abbr title="Zahlenwert unbekannt oder geheim zu halten">.</abbr>' in page.text
    assert "<dt>.</dt>" in page.text  # footnote
    csv = data_client.get(f"/indikatoren/{suppressed['indikator']}/daten.csv", params=params)
    frame = pl.read_csv(io.BytesIO(csv.content), schema_overrides={"ags": pl.String})
    row = frame.filter(pl.col("auspraegung") == suppressed["auspraegung"]).row(0, named=True)
    assert row["wert"] is None and row["flag"] == "."
    assert "zaehler" not in frame.columns


def test_school_rows_are_not_public(data_client: TestClient, web_data: WebDataset) -> None:
    school = web_data.schools[0]
    assert data_client.get("/indikatoren/D21", params={"ags": school}).status_code == 404
    page = data_client.get("/indikatoren/D21")
    assert f'value="{school}"' not in page.text


def test_unknown_and_invalid(data_client: TestClient) -> None:
    assert data_client.get("/indikatoren/Z99").status_code == 404
    assert data_client.get("/indikatoren/D21", params={"jahr": "abc"}).status_code == 422
    assert data_client.get("/indikatoren/D21", params={"merkmal": "gibtsnicht"}).status_code == 404
    assert data_client.get("/indikatoren/D21/daten.exe").status_code in (404, 422)
    empty = data_client.get("/indikatoren/E01")
    assert empty.status_code == 200 and "keine Werte" in empty.text


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_downloads_parse_back(
    data_client: TestClient, web_data: WebDataset, stored: pl.DataFrame, fmt: str
) -> None:
    kreis = web_data.kreis_ags[1]
    params = {"ags": kreis, "merkmal": "geschlecht"}
    response = data_client.get(f"/indikatoren/D21/daten.{fmt}", params=params)
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    body = io.BytesIO(response.content)
    if fmt == "csv":
        frame = pl.read_csv(body, schema_overrides={"ags": pl.String})
    elif fmt == "parquet":
        frame = pl.read_parquet(body)
    else:
        rows = list(load_workbook(body, read_only=True).active.iter_rows(values_only=True))
        frame = pl.DataFrame([list(r) for r in rows[1:]], schema=list(rows[0]), orient="row")
    expected = stored.filter(
        (pl.col("indikator") == "D21")
        & (pl.col("ags") == kreis)
        & (pl.col("merkmal") == "geschlecht")
    )
    assert frame.height == expected.height > 0
    got = frame.sort(["jahr", "auspraegung"])["wert"].to_list()
    want = expected.sort(["jahr", "auspraegung"])["wert"].to_list()
    assert [g is None for g in got] == [w is None for w in want]
    assert [g for g in got if g is not None] == pytest.approx([w for w in want if w is not None])
    assert set(frame["ags"].cast(pl.String).to_list()) == {kreis}


def test_export_by_logged_in_user_is_audited(
    data_client: TestClient, store: OperationalStore
) -> None:
    data_client.get("/indikatoren/D21/daten.csv")
    with store.session() as db:
        assert db.query(AuditEvent).filter(AuditEvent.action == "portal.export").count() == 0
    login(data_client, "erika.k", PASSWORD)
    assert data_client.get("/indikatoren/D21/daten.parquet").status_code == 200
    with store.session() as db:
        events = db.query(AuditEvent).filter(AuditEvent.action == "portal.export").all()
        assert [(e.object_id, e.actor) for e in events] == [("D21", "erika.k")]


def test_comparison_lists_kreise_with_land(
    data_client: TestClient, web_data: WebDataset, stored: pl.DataFrame
) -> None:
    year = web_data.latest_year
    page = data_client.get("/vergleich", params={"indikator": "D01", "jahr": year})
    assert page.status_code == 200
    kreise = stored.filter(
        (pl.col("indikator") == "D01")
        & (pl.col("jahr") == year)
        & (pl.col("ebene") == "KREIS")
        & (pl.col("merkmal") == "insgesamt")
    )
    assert len(_cells(page.text)) == kreise.height + 1  # + Land in tfoot
    assert "(Land)" in page.text and 'id="spec-vergleich" data-spec=' in page.text
    assert (
        data_client.get("/vergleich", params={"indikator": "D01", "jahr": 1999}).status_code == 404
    )
    assert data_client.get("/vergleich", params={"indikator": "xx"}).status_code == 422


def test_published_files_listed_and_served_safely(
    data_client: TestClient, web_data: WebDataset
) -> None:
    page = data_client.get("/downloads")
    assert page.status_code == 200
    assert "bildungsbericht/bildungsbericht.pdf" in page.text and "opendata/D01.csv" in page.text
    pdf = data_client.get("/downloads/bildungsbericht/bildungsbericht.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert (
        pdf.content
        == (web_data.publication_dir / "bildungsbericht/bildungsbericht.pdf").read_bytes()
    )
    csv = data_client.get("/downloads/opendata/D01.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    for bad in (
        "/downloads/../bimo.duckdb",
        "/downloads/..%2Fbimo.duckdb",
        "/downloads/%2Fetc%2Fpasswd",
        "/downloads/opendata/nicht.csv",
    ):
        assert data_client.get(bad).status_code == 404, bad
    assert Path(web_data.duckdb_path).exists()


def test_start_page_key_figures(
    data_client: TestClient, stored: pl.DataFrame, web_data: WebDataset
) -> None:
    page = data_client.get("/")
    assert page.status_code == 200
    assert "Kennzahlen für Musterland" in page.text
    land = stored.filter(
        (pl.col("indikator") == "C01")
        & (pl.col("ags") == web_data.land_ags)
        & (pl.col("merkmal") == "insgesamt")
        & (pl.col("jahr") == web_data.latest_year)
    )
    value = f"{land['wert'][0]:.1f}".replace(".", ",")
    assert f"{value} <small>%</small>" in page.text
    assert f"gegenüber {web_data.latest_year - 1}" in page.text
