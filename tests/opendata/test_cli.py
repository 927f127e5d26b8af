"""``bimo opendata export`` end to end on a small analytic store."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import bimo.indicators
from bimo.core.errors import BimoError
from bimo.core.operational import list_events
from bimo.core.store import AnalyticStore
from bimo.indicators import Catalog, load_catalog, write_values
from bimo.opendata import DATAPACKAGE, DCAT_TURTLE
from bimo.opendata.cli import register
from tests.opendata.fixtures import long_table, write_catalog


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Testanwendung."""

    register(app)
    return app


@pytest.fixture
def tiny_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Catalog:
    catalog = load_catalog(write_catalog(tmp_path / "katalog"))
    monkeypatch.setattr(bimo.indicators, "load_catalog", lambda directory=None: catalog)
    return catalog


def test_cli_export(tmp_path: Path, tiny_catalog: Catalog) -> None:
    store_path = tmp_path / "bimo.duckdb"
    with AnalyticStore(store_path) as store:
        write_values(store, long_table())
    out = tmp_path / "opendata"
    result = CliRunner().invoke(
        _app(),
        [
            "opendata",
            "export",
            "--store",
            str(store_path),
            "--out",
            str(out),
            "--publisher",
            "Stadt Muster",
            "--contact-email",
            "daten@example.org",
        ],
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # Rich wraps at the terminal width
    assert "2 Indikatoren" in text and "6 interne Zeilen (Schulen) nicht exportiert" in text
    assert (out / "D91.csv").is_file() and (out / DATAPACKAGE).is_file()
    assert "Stadt Muster" in (out / DCAT_TURTLE).read_text(encoding="utf-8")
    assert len(list_events(action="export.open_data")) == 1


def test_cli_errors_are_german(tmp_path: Path, tiny_catalog: Catalog) -> None:
    runner = CliRunner()
    result = runner.invoke(
        _app(), ["opendata", "export", "--store", str(tmp_path / "fehlt.duckdb"), "--out", "x"]
    )
    assert isinstance(result.exception, BimoError)
    assert "nicht gefunden" in str(result.exception)
    result = runner.invoke(
        _app(), ["opendata", "export", "--out", str(tmp_path / "o"), "--licence", "gpl"]
    )
    assert isinstance(result.exception, BimoError)
    assert "Unbekannte Lizenz" in str(result.exception)


def test_cli_without_store_does_not_create_one(tmp_path: Path, tiny_catalog: Catalog) -> None:
    from bimo.core.config import get_settings

    default = get_settings().resolved_duckdb_path
    result = CliRunner().invoke(_app(), ["opendata", "export", "--out", str(tmp_path / "o")])
    assert isinstance(result.exception, BimoError)
    assert "nicht gefunden" in str(result.exception)
    assert not default.exists()
