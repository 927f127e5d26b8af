"""Open Data export and targets on real engine output (hand-made store, ``compute``)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from bimo.core.store import AnalyticStore
from bimo.indicators import Catalog, compute, load_catalog
from bimo.indicators.targets import evaluate_targets, format_number
from bimo.opendata import DATAPACKAGE, ExportOptions, check_required, export_open_data
from tests.indicators.builder import U3, WDH, Data, indicator_yaml, write

YEARS = range(2019, 2025)
SCHOOLS = ("100001", "100002", "200001", "200002", "300001")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalyticStore]:
    rng = random.Random(7)
    d = Data()
    for year in YEARS:
        for school in SCHOOLS:
            # Repetition falls over the years; small schools produce suppressed cells.
            for sex in ("w", "m"):
                d.add(school, year, 3, rng.randint(6, 30), sex=sex)
                d.add(school, year, 3, rng.randint(2, 5) + (2024 - year), sex=sex, wdh="NV")
    for kreis in ("01001", "01002", "01003"):
        for year in YEARS:
            for alter in (0, 1, 2):
                d.pop(kreis, year, alter, "w", 10)
            d.care(kreis, year, "U3", rng.randint(8, 25))
    s = d.store(tmp_path_factory.mktemp("store") / "s.duckdb")
    yield s
    s.close()


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    folder = tmp_path_factory.mktemp("cat")
    write(folder, "D20", indicator_yaml("D20", WDH, aufgliederungen="[geschlecht]"))
    write(folder, "C90", indicator_yaml("C90", U3, art="quote", ebenen="[LAND, KREIS]"))
    return load_catalog(folder)


@pytest.fixture(scope="module")
def values(store: AnalyticStore, catalog: Catalog) -> pl.DataFrame:
    return compute(store, catalog)


def test_export_of_engine_output(tmp_path: Path, values: pl.DataFrame, catalog: Catalog) -> None:
    frictionless = pytest.importorskip("frictionless")
    assert values.filter(pl.col("flag") != "").height > 0  # the fixture exercises suppression
    result = export_open_data(values, catalog, tmp_path / "out", ExportOptions())
    assert result.exported_rows == values.filter(~pl.col("intern")).height
    assert result.internal_rows == values.filter(pl.col("ebene") == "SCHULE").height > 0
    assert result.blanked_numbers == 0  # the engine never leaves a value in a flagged row
    report = frictionless.validate(str(result.out_dir / DATAPACKAGE))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    for ind in result.rows:
        frame = pl.read_parquet(result.out_dir / f"{ind}.parquet")
        assert "SCHULE" not in frame["ebene"].to_list()
        flagged = frame.filter(pl.col("flag") != "")
        for column in ("wert", "zaehler", "nenner", "se"):
            assert flagged[column].null_count() == flagged.height
    from rdflib import Graph

    assert check_required(Graph().parse(result.out_dir / "dcat.ttl")) == []


def test_targets_on_engine_output(values: pl.DataFrame, catalog: Catalog) -> None:
    statuses = {s.indikator: s for s in evaluate_targets(values, catalog, "01")}
    d20 = statuses["D20"]
    land = values.filter(
        (pl.col("indikator") == "D20")
        & (pl.col("ags") == "01")
        & (pl.col("merkmal") == "insgesamt")
    ).sort("jahr")
    assert d20.letztes_jahr == 2024 and d20.basisjahr == 2021
    assert d20.letzter_wert == pytest.approx(land["wert"][-1])
    assert d20.status in ("gruen", "gelb", "rot")
    assert format_number(land["wert"][-1], 1) + " %" in d20.begruendung
    assert statuses["D21"].status == "unbekannt"  # not in this catalogue
