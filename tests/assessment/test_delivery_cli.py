"""``bimo tests …`` end to end on the configured (SQLite) operational database."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bimo.assessment.delivery import cli
from bimo.assessment.delivery import sessions as s
from bimo.assessment.delivery.errors import DeliveryError
from bimo.assessment.delivery.samples import sample_bank
from bimo.core.config import get_settings
from bimo.core.operational import OperationalStore

runner = CliRunner()


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    cli.register(application)
    return application


def test_tests_commands(app: typer.Typer, tmp_path: Path) -> None:
    _, refs = sample_bank(get_settings().data_dir / "aufgabenbank", 14, prefix="C")
    result = runner.invoke(app, ["tests", "design", "7", "3"])
    assert result.exit_code == 0 and "balanciert (Youden-Quadrat / BIBD)" in result.output
    clusters = [arg for c in range(7) for arg in ("--cluster", f"{refs[2 * c]},{refs[2 * c + 1]}")]
    result = runner.invoke(
        app,
        ["tests", "anlegen", "M8", "--titel", "Mathe 8", "--fachbereich", "Mathematik",
         "--jahrgangsstufe", "8", "--bloecke", "3", "--minuten", "15", *clusters],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "7 Testhefte à 3 Blöcke" in result.output and "C7" in result.output
    assert "M8" in runner.invoke(app, ["tests", "liste"]).output

    sheet = tmp_path / "codes.csv"
    args = ["tests", "sitzung", "M8", "--schulnummer", "123456", "--klasse", "8a",
            "--codes", "5", "--ausgabe", str(sheet), "--oeffnen"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    with sheet.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["platz"] for r in rows] == [f"Platz {i}" for i in range(1, 6)]
    again = runner.invoke(app, args)
    assert isinstance(again.exception, DeliveryError)  # a code sheet is never overwritten
    assert "existiert bereits" in str(again.exception)

    with OperationalStore.from_settings() as store, store.session() as db:
        s.open_attempt(db, rows[0]["code"], "geraet")
    result = runner.invoke(app, ["tests", "fortschritt", "1"])
    assert (
        result.exit_code == 0 and "laufend" in result.output and "nicht_begonnen" in result.output
    )
    assert "123456" in runner.invoke(app, ["tests", "sitzungen", "--test", "M8"]).output
    result = runner.invoke(app, ["tests", "beenden", "1"])
    assert result.exit_code == 0 and "1 laufende Durchgänge abgegeben" in result.output
    result = runner.invoke(app, ["tests", "export", "M8", "--ausgabe", str(tmp_path / "a.csv")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a.csv").read_text(encoding="utf-8").startswith("id,C_001@v1")
    result = runner.invoke(app, ["tests", "kodierung-uebereinstimmung", "M8"])
    assert result.exit_code == 0 and "Noch keine Doppelkodierungen" in result.output
    bad = runner.invoke(app, ["tests", "oeffnen", "99"])
    assert isinstance(bad.exception, DeliveryError)


def test_tests_demo(app: typer.Typer, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["tests", "demo", "--ausgabe", str(tmp_path), "--klassen", "1", "--schueler", "7"]
    )
    assert result.exit_code == 0, result.output
    assert "testdurchgaenge: 7" in result.output
    assert (tmp_path / "M8-DEMO_antworten.csv").is_file()
