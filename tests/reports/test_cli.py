"""Real pipeline: synthetic Musterland → import → indicators → `bimo report bildungsbericht`."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from bimo.core.errors import BimoError
from bimo.core.store import AnalyticStore
from bimo.indicators import compute, load_catalog, read_values, write_values
from bimo.ingest.importer import import_directory
from bimo.reports.cli import register
from bimo.synth.generator import SynthConfig, generate

# A few indicators of every area keep the test fast; the report still has a section for every
# catalogue indicator (those without values say so).
IDS = ["A03", "B01", "C01", "E01"]
YEAR = 2023

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("pipeline")
    generate(SynthConfig(base / "synth", students=2_000, years=3, first_year=2021, dirty_rows=100))
    path = base / "store.duckdb"
    with AnalyticStore(path) as store:
        import_directory(base / "synth", store)
        write_values(store, compute(store, load_catalog(), ids=IDS))
    return path


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Testanwendung."""

    register(app)
    return app


def _kreis(path: Path) -> str:
    with AnalyticStore(path, read_only=True) as store:
        rows = store.raw.execute(
            "SELECT ags FROM regions WHERE ebene = 'KREIS' ORDER BY ags LIMIT 1"
        ).fetchall()
    return str(rows[0][0])


def test_cli_writes_html_and_pdf_from_the_store(store_path: Path, tmp_path: Path) -> None:
    kreis = _kreis(store_path)
    out = tmp_path / "bericht"
    result = CliRunner().invoke(
        _app(),
        [
            "report",
            "bildungsbericht",
            "--region",
            kreis,
            "--year",
            str(YEAR),
            "--out",
            str(out),
            "--store",
            str(store_path),
        ],
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    html = (out / "bildungsbericht.html").read_text(encoding="utf-8")
    assert (out / "bildungsbericht.pdf").stat().st_size > 10_000
    assert (out / "assets" / "vendor" / "vega.min.js").is_file()
    catalog = load_catalog()
    for ind in catalog:
        if ind.bereich in "ABCDE":
            assert f'id="ind-{ind.id}"' in html, ind.id
    # A time-series figure exactly for the indicators with a published value for the Kreis or
    # its Land (charts without a single point are left out).
    with AnalyticStore(store_path, read_only=True) as store:
        values = read_values(store)
    published = set(
        values.filter(
            pl.col("ags").is_in([kreis, kreis[:2]])
            & (pl.col("merkmal") == "insgesamt")
            & (pl.col("jahr") <= YEAR)
            & pl.col("wert").is_not_null()
        )["indikator"].to_list()
    )
    assert published, "the pipeline produced no published value at all"
    for ind_id in IDS:
        assert (f'id="abb-{ind_id}-verlauf"' in html) == (ind_id in published), ind_id
    assert "Schwerpunkt: Bildungserfolg und Abschlüsse" in html
    assert "Stand der Ziele" in html
    assert "bildungsbericht.pdf" in result.output


def test_cli_german_errors(store_path: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(
        _app(),
        [
            "report",
            "bildungsbericht",
            "--region",
            "01001",
            "--year",
            "2023",
            "--out",
            str(tmp_path),
            "--store",
            str(tmp_path / "fehlt.duckdb"),
        ],
    )
    assert isinstance(missing.exception, BimoError)
    assert "nicht gefunden" in str(missing.exception)
    unknown = runner.invoke(
        _app(),
        [
            "report",
            "bildungsbericht",
            "--region",
            "99999",
            "--year",
            "2023",
            "--out",
            str(tmp_path),
            "--store",
            str(store_path),
        ],
    )
    assert isinstance(unknown.exception, BimoError)
    assert "keine veröffentlichbaren Indikatorwerte" in str(unknown.exception)
    empty = tmp_path / "leer.duckdb"
    AnalyticStore(empty).close()
    no_values = runner.invoke(
        _app(),
        [
            "report",
            "bildungsbericht",
            "--region",
            "01001",
            "--year",
            "2023",
            "--out",
            str(tmp_path),
            "--store",
            str(empty),
        ],
    )
    assert isinstance(no_values.exception, BimoError)
    assert "bimo indicators compute" in str(no_values.exception)


def test_help_is_german() -> None:
    result = CliRunner().invoke(_app(), ["report", "bildungsbericht", "--help"])
    assert result.exit_code == 0
    assert "Berichtsjahr" in result.output and "Ausgabeverzeichnis" in result.output
