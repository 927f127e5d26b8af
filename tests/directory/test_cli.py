"""``bimo verzeichnis import`` (registered on a stand-alone Typer app, as the main CLI does)."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from bimo.core.config import get_settings
from bimo.core.operational import OperationalStore, list_events
from bimo.directory import DirectoryError, OfferFilter, search_offers
from bimo.directory.cli import register

from .conftest import ACTORS, OFFERS, write_analytic


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test-Hauptprogramm."""

    register(app)
    return app


def test_import_command_fills_the_configured_store() -> None:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    write_analytic(settings.resolved_duckdb_path, ACTORS, OFFERS)
    runner = CliRunner()
    result = runner.invoke(_app(), ["verzeichnis", "import"])
    assert result.exit_code == 0, result.output
    assert "Angebote: 3 neu" in result.output and "1 Angebote übersprungen" in result.output
    again = runner.invoke(_app(), ["verzeichnis", "import"])
    assert "Angebote: 0 neu, 0 aktualisiert" in again.output
    with OperationalStore.from_settings(settings) as store:
        with store.session() as db:
            assert search_offers(db, OfferFilter()).total == 3
        assert len(list_events(action="directory.import", db=store)) == 2


def test_import_command_reports_a_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _app(), ["verzeichnis", "import", "--analysebestand", str(tmp_path / "fehlt.duckdb")]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, DirectoryError)
    assert "existiert nicht" in str(result.exception)
