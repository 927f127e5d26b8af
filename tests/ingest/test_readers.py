"""Readers: delimiter and encoding sniffing, row numbers, unparseable lines."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from bimo.core.schemas import ANALYTIC_TABLES
from bimo.ingest.models import LINE_COL, ImportOptions
from bimo.ingest.readers import detect_encoding, open_reader
from tests.ingest.helpers import csv_text, valid_rows, write_parquet, write_xlsx

SCHOOLS = ANALYTIC_TABLES["schools"]
HEADER = "schulnummer;name;schulform;traeger;gemeinde_ags;kreis_ags;ganztag_form\n"
ROW = "100001;Schule {};GS;OEFF;01001000;01001;KEIN\n"


def _read(path: Path, kind: str = "schools") -> tuple[pl.DataFrame, list[tuple[int, str]]]:
    reader = open_reader(path, ANALYTIC_TABLES[kind], ImportOptions(chunk_rows=3))
    chunks = list(reader.chunks())
    frames = [c.frame for c in chunks]
    bad = [(b.line, b.reason) for c in chunks for b in c.bad]
    return pl.concat(frames) if frames else pl.DataFrame(), bad


@pytest.mark.parametrize("delimiter", [";", ","])
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "schools.csv"
    path.write_text(csv_text("schools", valid_rows("schools", 5), delimiter=delimiter))
    frame, bad = _read(path)
    assert bad == []
    assert frame.height == 5
    assert frame[LINE_COL].to_list() == [2, 3, 4, 5, 6]


def test_header_is_matched_case_insensitively_after_trimming(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(" SchulNummer ;NAME;schulform;traeger;gemeinde_ags;kreis_ags;ganztag_form\n"
                    + ROW.format("A"))  # fmt: skip
    frame, _ = _read(path)
    assert frame["schulnummer"].to_list() == ["100001"]


def test_utf8_bom_and_cp1252_are_detected(tmp_path: Path) -> None:
    text = HEADER + ROW.format("Müllerstraße")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    ansi = tmp_path / "ansi.csv"
    ansi.write_bytes(text.encode("cp1252"))
    assert detect_encoding(ansi) == "cp1252"
    for path in (bom, ansi):
        frame, bad = _read(path)
        assert bad == []
        assert frame["name"].to_list() == ["Schule Müllerstraße"]


def test_mixed_encoding_quarantines_only_the_broken_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        HEADER.encode()
        + ROW.format("Jürgen").encode("utf-8")
        + ROW.format("Jörg").encode("cp1252")
        + ROW.format("ok").encode()
    )
    frame, bad = _read(path)
    assert frame[LINE_COL].to_list() == [2, 4]
    assert [line for line, _ in bad] == [3]
    assert "nicht als UTF-8 lesbar" in bad[0][1]


def test_utf8_line_in_cp1252_file_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        HEADER.encode()
        + ROW.format("Jörg Müller").encode("cp1252")
        + ROW.format("Jürgen").encode("utf-8")  # would read as "JÃ¼rgen"
        + ROW.format("Käthe").encode("cp1252")
    )
    assert detect_encoding(path) == "cp1252"
    frame, bad = _read(path)
    assert frame["name"].to_list() == ["Schule Jörg Müller", "Schule Käthe"]
    assert [line for line, _ in bad] == [3]
    assert "nicht als Windows-1252 lesbar" in bad[0][1]


def test_invalid_bytes_in_cp1252_file_do_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "ansi.csv"
    # 0x81 is undefined in Windows-1252; 0xe4 (ä) makes the file non-UTF-8.
    path.write_bytes(HEADER.encode() + b"100001;K\xe4se;GS;OEFF;01001000;01001;KEIN\n"
                     + b"100001;\x81;GS;OEFF;01001000;01001;KEIN\n")  # fmt: skip
    frame, bad = _read(path)
    assert frame["name"].to_list() == ["Käse"]
    assert [line for line, _ in bad] == [3]


def test_multiline_record_is_numbered_by_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(HEADER + '100001;"Schule\nmit Umbruch";GS;OEFF;01001000;01001;KEIN\n'
                    + ROW.format("B"))  # fmt: skip
    frame, bad = _read(path)
    assert bad == []
    assert frame[LINE_COL].to_list() == [2, 4]
    assert frame["name"].to_list() == ["Schule\nmit Umbruch", "Schule B"]


def test_broken_quoting_and_field_counts_are_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        HEADER
        + ROW.format("A")
        + '100001;"kaputt"x;GS;OEFF;01001000;01001;KEIN\n'  # text after closing quote
        + "100001;zu;wenig\n"
        + "\n"  # blank line: not a data line
        + '100001;"offen;GS;OEFF;01001000;01001;KEIN\n'  # unterminated quote ...
        + ROW.format("E")  # ... must not swallow the following good lines
        + ROW.format("F")
    )
    frame, bad = _read(path)
    assert frame[LINE_COL].to_list() == [2, 7, 8]
    assert sorted(line for line, _ in bad) == [3, 4, 6]
    assert any("Felder" in reason for _, reason in bad)


def test_decimal_comma_and_booleans_as_strings(tmp_path: Path) -> None:
    rows = valid_rows("student_years", 4)
    path = tmp_path / "student_years.csv"
    path.write_text(csv_text("student_years", rows, decimal_comma=True))
    frame, _ = _read(path, "student_years")
    assert set(frame["ndh"].to_list()) <= {"ja", "nein"}


def test_xlsx_row_numbers_as_excel_shows_them(tmp_path: Path) -> None:
    import openpyxl

    path = write_xlsx(tmp_path / "schools.xlsx", "schools", valid_rows("schools", 3))
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert ws is not None
    ws.insert_rows(3)  # an empty row between the first and second data row
    wb.save(path)
    frame, bad = _read(path)
    assert bad == []
    assert frame[LINE_COL].to_list() == [2, 4, 5]


def test_parquet_row_numbers_are_index_plus_two(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "schools.parquet", "schools", valid_rows("schools", 7))
    frame, _ = _read(path)
    assert frame[LINE_COL].to_list() == list(range(2, 9))
