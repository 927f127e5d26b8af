from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from typer.testing import CliRunner

from bimo.assessment.itembank import QtiImportError
from bimo.assessment.itembank.cli import register

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """BiMo."""

    register(app)
    return app


def test_import_list_show(full_package: Callable[[str], Path], tmp_path: Path) -> None:
    app, bank = _app(), str(tmp_path / "bank")
    pkg = str(full_package("qti30"))
    res = runner.invoke(
        app, ["items", "import", pkg, "--bank", bank, "--kompetenzbereich", "MATHEMATIK"]
    )
    assert res.exit_code == 0, res.output
    assert "qti30.zip: 7 neu, 0 neue Version, 0 unverändert." in res.output
    res = runner.invoke(app, ["items", "import", pkg, "--bank", bank])
    assert "0 neu, 0 neue Version, 7 unverändert." in res.output
    res = runner.invoke(app, ["items", "list", "--bank", bank, "--kompetenzbereich", "MATHEMATIK"])
    assert res.exit_code == 0 and "M30_CHOICE" in res.output
    res = runner.invoke(app, ["items", "show", "M30_CHOICE", "--bank", bank])
    assert res.exit_code == 0
    assert "Wie viel ist 6 · 7?" in res.output and "match_correct" in res.output


def test_import_error_is_bimo_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.zip"
    bad.write_bytes(b"nope")
    res = runner.invoke(_app(), ["items", "import", str(bad), "--bank", str(tmp_path / "b")])
    assert isinstance(res.exception, QtiImportError)
    assert not (tmp_path / "b").exists() or not any((tmp_path / "b").iterdir())
