"""``bimo verlauf …`` analysis commands: output files, German messages, internal marking."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from bimo.cli import app, main
from tests.trajectories.analyses.test_repetition import repetition_data


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "cli.duckdb"
    repetition_data().store(path).close()
    return path


def test_csv_is_marked_internal(store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "w.csv"
    result = CliRunner().invoke(
        app,
        [
            "verlauf",
            "wiederholung",
            "--store",
            str(store_path),
            "--by",
            "geschlecht",
            "--years",
            "2021",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    df = pl.read_csv(out)
    assert df.columns == [
        "schuljahr",
        "geschlecht",
        "zaehler",
        "nenner",
        "quote_prozent",
        "vertraulichkeit",
    ]
    assert df.rows()[0][:4] == (2021, "m", 1, 8)
    assert set(df["vertraulichkeit"]) == {"intern – nicht zur Veröffentlichung"}
    assert "nicht zur Veröffentlichung" in result.output


def test_json_and_screen(store_path: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "k.json"
    result = runner.invoke(
        app,
        [
            "verlauf",
            "wiederholung",
            "--kohorte",
            "--store",
            str(store_path),
            "--json",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert payload["hinweis"] == "intern – nicht zur Veröffentlichung"
    assert payload["zeilen"][0]["quote_prozent"] == 25.0
    for command in ("uebergaenge", "schulformwechsel", "abgaenger", "kohorten"):
        result = runner.invoke(app, ["verlauf", command, "--store", str(store_path)])
        assert result.exit_code == 0, (command, result.output)
        assert "intern" in result.output


def _run_main(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> int:
    monkeypatch.setattr(sys, "argv", ["bimo", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return int(exc.value.code or 0)


def test_german_errors(
    store_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = _run_main(
        monkeypatch,
        ["verlauf", "uebergaenge", "--store", str(store_path), "--by", "kreis,religion"],
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "Unbekannte Gliederung „religion“" in err and "Traceback" not in err
    code = _run_main(
        monkeypatch, ["verlauf", "abgaenger", "--store", str(store_path), "--years", "2023-2018"]
    )
    assert code == 2 and "Ungültiger Jahresbereich" in capsys.readouterr().err
    code = _run_main(
        monkeypatch, ["verlauf", "kohorten", "--store", str(tmp_path / "fehlt.duckdb")]
    )
    assert code == 2 and "existiert nicht" in capsys.readouterr().err
    code = _run_main(
        monkeypatch,
        ["verlauf", "abgaenger", "--store", str(store_path), "--nenner", "bevoelkerung"],
    )
    assert code == 2 and "nur mit --ohne-esa" in capsys.readouterr().err
