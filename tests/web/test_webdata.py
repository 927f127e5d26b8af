"""The shared web test dataset is complete and holds nothing identifying."""

from __future__ import annotations

import duckdb

from bimo.core.schemas import IDENTIFYING_COLUMNS
from bimo.testing.webdata import WEB_INDICATORS, WebDataset


def test_dataset_has_values_reports_and_no_identities(web_data: WebDataset) -> None:
    con = duckdb.connect(str(web_data.duckdb_path), read_only=True)
    try:
        ids = {
            r[0] for r in con.execute("SELECT DISTINCT indikator FROM indicator_values").fetchall()
        }
        assert ids == set(WEB_INDICATORS)
        columns = {
            r[0]
            for r in con.execute("SELECT column_name FROM information_schema.columns").fetchall()
        }
        assert not columns & set(IDENTIFYING_COLUMNS)
        tables = {
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        assert "identities" not in tables
    finally:
        con.close()
    assert (web_data.publication_dir / "bildungsbericht" / "bildungsbericht.pdf").stat().st_size > 0
    assert (web_data.publication_dir / "opendata" / "datapackage.json").exists()
    assert (
        web_data.schools and web_data.kreis_ags and web_data.land_ags == web_data.kreis_ags[0][:2]
    )
    # Only the served data stays: no generator output (identities, truth files) next to it.
    assert sorted(p.name for p in web_data.data_dir.iterdir()) == [
        "bimo.duckdb",
        "veroeffentlichung",
        "webdata.json",
    ]
