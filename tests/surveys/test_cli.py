from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bimo.core.errors import InputFileError
from bimo.surveys import load_instruments
from bimo.surveys.cli import read_answers, register


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test-Wurzel."""

    register(app)
    return app


def test_check_simulate_analyze(app: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["umfrage", "pruefen"])
    assert res.exit_code == 0, res.output
    assert "unterrichtsqualitaet (1.0): 3 Skalen, 15 Items – in Ordnung" in res.output
    out = tmp_path / "antworten.csv"
    res = runner.invoke(
        app,
        ["umfrage", "simulieren", "wohlbefinden", "--ausgabe", str(out), "--schulen", "2"],
    )
    assert res.exit_code == 0, res.output
    assert "176 simulierte Antwortbögen" in res.output
    res = runner.invoke(app, ["umfrage", "auswerten", "wohlbefinden", str(out)])
    assert res.exit_code == 0, res.output
    assert "Zugehörigkeit" in res.output
    assert "unaufmerksames Antworten" in res.output


def test_small_groups_are_withheld(app: typer.Typer, tmp_path: Path) -> None:
    inst = load_instruments()["stundenfeedback"]
    out = tmp_path / "wenig.csv"
    out.write_text(",".join(inst.item_ids) + "\n" + "\n".join(["4,4,1,4,2,2"] * 4) + "\n")
    res = CliRunner().invoke(app, ["umfrage", "auswerten", "stundenfeedback", str(out)])
    assert res.exit_code == 0, res.output
    assert "erst ab 5 Antwortbögen" in res.output
    assert "α" not in res.output


def test_bad_answer_file_names_row_and_column(tmp_path: Path) -> None:
    inst = load_instruments()["stundenfeedback"]
    out = tmp_path / "kaputt.csv"
    out.write_text(",".join(inst.item_ids) + "\n4,4,1,4,2,2\n4,x,1,4,2,2\n")
    with pytest.raises(InputFileError, match=r"Datei kaputt\.csv, Zeile 2, Spalte st2: „x“"):
        read_answers(out, inst)


def test_unknown_instrument_is_a_german_error(app: typer.Typer, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["umfrage", "auswerten", "gibtsnicht", str(tmp_path / "a.csv")])
    assert res.exit_code != 0
    assert "ist nicht mitgeliefert" in str(res.exception)
