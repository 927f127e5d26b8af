"""``bimo synth`` on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bimo.cli import app
from bimo.core.errors import BimoError


def test_synth_command_writes_files_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "ml"
    result = CliRunner().invoke(
        app,
        ["synth", "--out", str(out), "--students", "3000", "--years", "2", "--dirty-rows", "200"],
    )
    assert result.exit_code == 0, result.output
    assert "Musterland geschrieben" in result.output
    assert (out / "README.txt").read_text("utf-8").startswith("Musterland")
    assert (out / "student_years.parquet").is_file()


def test_check_option_prints_the_calibration_table(out_dir: Path, tmp_path: Path) -> None:
    from rich.console import Console

    from bimo.synth.cli import _print_check

    console = Console(record=True, width=160)
    _print_check(console, out_dir)
    text = console.export_text()
    assert "Kalibrierung Musterland" in text and "Wiederholerquote" in text


def test_invalid_option_is_a_bimo_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["synth", "--out", str(tmp_path), "--students", "5"])
    assert isinstance(result.exception, BimoError)
    with pytest.raises(BimoError, match="mindestens"):
        raise result.exception
