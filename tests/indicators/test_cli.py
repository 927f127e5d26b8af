"""``bimo indicators …`` via a fresh Typer app + ``register``."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from bimo.core.errors import BimoError
from bimo.core.store import AnalyticStore
from bimo.indicators import read_values
from bimo.indicators.cli import parse_years, register
from tests.indicators.builder import COUNT, U3, Data, indicator_yaml, write

WDH3 = """\
nenner: {quelle: student_years, filter: {jahrgangsstufe: {zwischen: [3, 3]}}}
zaehler: {filter: {wiederholung: {in: [NV, FW]}}}
"""


@pytest.fixture
def app() -> typer.Typer:
    a = typer.Typer()
    register(a)
    return a


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "katalog"
    write(folder, "D90", indicator_yaml("D90", WDH3, aufgliederungen="[geschlecht]"))
    write(folder, "C90", indicator_yaml("C90", U3, art="quote", ebenen="[LAND, KREIS]"))
    write(folder, "B90", indicator_yaml("B90", COUNT, art="anzahl", einheit="anzahl"))
    return folder


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    d = Data()
    for school in ("100001", "100002", "200001", "200002", "300001"):
        for year in (2020, 2021):
            d.add(school, year, 3, 20, sex="w")
            d.add(school, year, 3, 20, sex="m", wdh="NV")
            d.add(school, year, 4, 10, ndh=True)
    for k in ("01001", "01002", "01003"):
        for year in (2020, 2021):
            d.pop(k, year, 1, "w", 100)
            d.care(k, year, "U3", 40)
    path = tmp_path / "s.duckdb"
    d.store(path).close()
    return path


def test_list_and_show(app: typer.Typer, catalog_dir: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["indicators", "list", "--katalog", str(catalog_dir)])
    assert res.exit_code == 0, res.output
    assert "D90" in res.output and "Test C90" in res.output and "KREISTYP" in res.output
    assert "Allgemeinbildende Schulen" in res.output
    res = runner.invoke(app, ["indicators", "show", "d90", "--katalog", str(catalog_dir)])
    assert res.exit_code == 0, res.output
    assert "D90 – Test D90" in res.output and "wiederholung" in res.output
    res = runner.invoke(app, ["indicators", "show", "X01", "--katalog", str(catalog_dir)])
    assert res.exit_code == 2 and "nicht im Katalog" in res.output


def test_list_real_catalogue(app: typer.Typer) -> None:
    res = CliRunner().invoke(app, ["indicators", "list"])
    assert res.exit_code == 0, res.output
    assert "Indikatorenkatalog" in res.output


def test_check(app: typer.Typer, catalog_dir: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["indicators", "check", str(catalog_dir)])
    assert res.exit_code == 0 and "Katalog in Ordnung: 3 Indikatoren" in res.output
    (catalog_dir / "D91_kaputt.yaml").write_text(
        indicator_yaml("D91", WDH3, einheit="percent"), encoding="utf-8"
    )
    res = runner.invoke(app, ["indicators", "check", str(catalog_dir)])
    assert res.exit_code == 2
    assert "D91_kaputt.yaml" in res.output and "Feld einheit" in res.output
    assert "Traceback" not in res.output


def test_compute_writes_store_and_file(
    app: typer.Typer, catalog_dir: Path, store_path: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "werte.parquet"
    args = ["indicators", "compute", "--store", str(store_path), "--katalog", str(catalog_dir)]
    res = runner.invoke(app, [*args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "3 Indikatoren berechnet" in res.output
    with AnalyticStore(store_path) as s:
        stored = read_values(s)
    assert set(stored["indikator"]) == {"B90", "C90", "D90"}
    assert stored["intern"].any()
    exported = pl.read_parquet(out)
    assert not exported["intern"].any() and exported.height == (~stored["intern"]).sum()

    # Recomputing one indicator and year keeps the rest of the stored table.
    res = runner.invoke(app, [*args, "--ids", "D90", "--years", "2021"])
    assert res.exit_code == 0, res.output
    with AnalyticStore(store_path) as s:
        again = read_values(s)
    assert again.sort(again.columns).equals(stored.sort(stored.columns))


def test_compute_region(
    app: typer.Typer, catalog_dir: Path, store_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "kreis.csv"
    res = CliRunner().invoke(
        app,
        [
            "indicators",
            "compute",
            "--store",
            str(store_path),
            "--katalog",
            str(catalog_dir),
            "--region",
            "01002",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    df = pl.read_csv(out, schema_overrides={"ags": pl.String})
    assert set(df["ags"]) == {"01", "01002", "01002001", "01002002", "KT-LKV"}
    assert set(df["ebene"]) == {"LAND", "KREIS", "GEMEINDE", "KREISTYP"}


def test_compute_errors(app: typer.Typer, catalog_dir: Path, store_path: Path) -> None:
    runner = CliRunner()
    base = ["indicators", "compute", "--store", str(store_path), "--katalog", str(catalog_dir)]
    for extra, message in (
        (["--region", "09999"], "Region „09999“ ist unbekannt"),
        (["--ids", "X01"], "nicht im Katalog"),
        (["--years", "2024-2020"], "Ungültige Jahresangabe"),
        (["--out", "werte.xlsx"], "erlaubt sind .parquet und .csv"),
    ):
        res = runner.invoke(app, [*base, *extra])
        assert res.exit_code == 2, (extra, res.output)
        assert message in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["indicators", "compute", "--store", "/nirgends/x.duckdb"])
    assert res.exit_code == 2 and "existiert nicht" in res.output


def test_parse_years() -> None:
    assert parse_years("2015-2017") == [2015, 2016, 2017]
    assert parse_years("2020, 2018") == [2018, 2020]
    assert parse_years(None) is None
    with pytest.raises(BimoError):
        parse_years("zwanzig")
