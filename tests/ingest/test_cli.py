"""``bimo import`` through Typer's CliRunner: summaries, JSON, exit codes, refused files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bimo.core.i18n import germanise_cli
from bimo.ingest import cli as ingest_cli
from tests.ingest.helpers import csv_text, school_rows, valid_rows, write_csv, write_parquet


def _app() -> typer.Typer:
    germanise_cli()
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def main() -> None:
        """Testanwendung."""

    ingest_cli.register(app)
    return app


APP = _app()
runner = CliRunner()


def _run(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(APP, ["import", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_json_summary_reconciles(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    assert (
        _run(write_csv(tmp_path / "schools.csv", "schools", school_rows()), "--store", store)[0]
        == 0
    )
    rows = valid_rows("student_years", 12)
    rows[4]["schulform"] = "GYM"
    path = write_csv(tmp_path / "student_years_dirty.csv", "student_years", rows + rows[:2])
    code, out = _run(path, "--store", store, "--json", "--quarantine-dir", tmp_path / "q")
    assert code == 0
    summary = json.loads(out)
    assert {k: summary[k] for k in ("file", "kind", "read", "stored", "quarantined",
                                    "duplicates")} == {
        "file": "student_years_dirty.csv", "kind": "student_years", "read": 14, "stored": 11,
        "quarantined": 1, "duplicates": 2}  # fmt: skip
    assert Path(summary["quarantine_file"]).parent == tmp_path / "q"


def test_rich_summary_is_german(tmp_path: Path) -> None:
    code, out = _run(write_csv(tmp_path / "schools.csv", "schools", school_rows()), "--store",
                     tmp_path / "s.duckdb")  # fmt: skip
    assert code == 0
    for word in ("gelesen", "gespeichert", "in Quarantäne", "Duplikate"):
        assert word in out


def test_strict_exits_1_and_stores_nothing(tmp_path: Path) -> None:
    rows = school_rows()
    rows[0]["traeger"] = "?"
    code, out = _run(write_csv(tmp_path / "schools.csv", "schools", rows), "--store",
                     tmp_path / "s.duckdb", "--strict")  # fmt: skip
    assert code == 1
    assert "nichts gespeichert" in out


def test_directory(tmp_path: Path) -> None:
    write_parquet(tmp_path / "student_years.parquet", "student_years",
                  valid_rows("student_years", 5))  # fmt: skip
    write_parquet(tmp_path / "schools.parquet", "schools", school_rows())
    code, out = _run(tmp_path, "--store", tmp_path / "s.duckdb", "--json")
    assert code == 0
    assert [(r["kind"], r["stored"]) for r in json.loads(out)] == [("schools", 3),
                                                                  ("student_years", 5)]  # fmt: skip


HEADER = "schulnummer;name;schulform;traeger;gemeinde_ags;kreis_ags;ganztag_form\n"


def _refused(tmp_path: Path, name: str, content: bytes, *extra: str) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    code, out = _run(path, "--store", tmp_path / "s.duckdb", *extra)
    assert code == 2, out
    assert "Traceback" not in out
    assert f"Datei {name}" in out
    return " ".join(out.split())


@pytest.mark.parametrize(
    ("name", "content", "extra", "fragment"),
    [
        ("schools.csv", b"", (), "leer"),
        ("schools.csv", HEADER.encode(), (), "nur die Kopfzeile"),
        ("schools.csv", HEADER.encode() + b"\n\n", (), "nur die Kopfzeile"),
        ("schools.csv", b"\x00\x01\x02binary\x00" * 50, (), "keine Textdatei"),
        ("schools.parquet", b"PAR1 but not really", (), "keine gültige Parquet-Datei"),
        ("schools.xlsx", b"not a zip file at all", (), "keine gültige Excel-Datei"),
        ("schools.csv", b"schulnummer;name\n123456;x\n", (), "Pflichtspalten fehlen"),
        ("schools.csv", HEADER.strip().encode() + b";bemerkung\n1;2;3;4;5;6;7;8\n", (),
         "Unbekannte Spalten für Tabelle schools: bemerkung"),
        ("schools.csv", HEADER.strip().encode() + b";Vorname\n1;2;3;4;5;6;7;8\n", (),
         "identifizierende Spalten (vorname)"),
        ("data.csv", HEADER.encode() + b"1;2;3;4;5;6;7\n", ("--kind", "identities"),
         "nie in den Analysebestand"),
        ("identities.csv", HEADER.encode() + b"1;2;3;4;5;6;7\n", (), "nie in den Analysebestand"),
        ("data.csv", HEADER.encode() + b"1;2;3;4;5;6;7\n", (), "bitte --kind angeben"),
        ("data.csv", HEADER.encode() + b"1;2;3;4;5;6;7\n", ("--kind", "schulen"),
         "Unbekannte Tabelle 'schulen'"),
        ("schools.csv", csv_text("schools", school_rows()).encode(), ("--max-text-gib", "1e-7"),
         "Bitte als Parquet liefern oder in mehrere Dateien aufteilen"),
    ],
)  # fmt: skip
def test_refused_files(
    tmp_path: Path, name: str, content: bytes, extra: tuple[str, ...], fragment: str
) -> None:
    out = _refused(tmp_path, name, content, *extra)
    assert fragment in out


def test_huge_csv_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "schools.csv"
    with path.open("wb") as fh:
        fh.write(HEADER.encode())
        fh.truncate(int(1.5 * 2**30))  # sparse: no 1.5 GB is written
    assert os.stat(path).st_size > 2**30
    code, out = _run(path, "--store", tmp_path / "s.duckdb")
    assert code == 2
    assert "größer als die Grenze von 1,0 GiB" in " ".join(out.split())


def test_nothing_stored_after_refusal(tmp_path: Path) -> None:
    from bimo.core.store import AnalyticStore

    _refused(tmp_path, "schools.csv", HEADER.strip().encode() + b";vorname\n1;2;3;4;5;6;7;8\n")
    with AnalyticStore(tmp_path / "s.duckdb") as store:
        assert store.count("schools") == 0


def test_empty_parquet_and_header_only_xlsx_are_refused(tmp_path: Path) -> None:
    from tests.ingest.helpers import write_xlsx

    empty_pq = write_parquet(tmp_path / "schools.parquet", "schools", [])
    code, out = _run(empty_pq, "--store", tmp_path / "s.duckdb")
    assert code == 2 and "keine Datensätze" in out
    header_only = write_xlsx(tmp_path / "schools.xlsx", "schools", [])
    code, out = _run(header_only, "--store", tmp_path / "s.duckdb")
    assert code == 2 and "nur die Kopfzeile" in out


def test_identifying_column_in_parquet_is_refused(tmp_path: Path) -> None:
    import polars as pl

    from tests.ingest.helpers import frame

    path = tmp_path / "schools.parquet"
    frame("schools", school_rows()).with_columns(pl.lit("x").alias("Nachname")).write_parquet(path)
    code, out = _run(path, "--store", tmp_path / "s.duckdb")
    assert code == 2 and "identifizierende Spalten (nachname)" in " ".join(out.split())
