"""Readers: CSV (sniffed delimiter and encoding), XLSX (first sheet) and Parquet (streamed).

Each reader checks the header on opening and then yields :class:`~bimo.ingest.models.Chunk`\\ s.
Text readers yield every value as a string; typing and validation happen vectorised in
:mod:`bimo.ingest.validate`. Row numbers are what the user sees: the editor line (header = 1,
the first line of a multi-line quoted record), the Excel row, or the Parquet record index + 2.
"""

from __future__ import annotations

import codecs
import csv
import re
import warnings
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Protocol

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from bimo.core.errors import InputFileError, Location
from bimo.core.schemas import TableSpec
from bimo.ingest.header import check_header
from bimo.ingest.models import LINE_COL, RAW_COL, BadLine, Chunk, ImportOptions

TEXT_SUFFIXES = (".csv", ".txt")
SUFFIXES = (".parquet", ".csv", ".xlsx")
_BLOCK = 1 << 24
# A UTF-8 multi-byte sequence (for telling UTF-8 from Windows-1252 in files mixing both).
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
_ASCII = bytes(range(128))


class Reader(Protocol):
    columns: list[str]
    delimiter: str

    def chunks(self) -> Iterator[Chunk]: ...


def _gib(size: int) -> str:
    return f"{size / 2**30:.1f}".replace(".", ",")


def _refuse(file: str, reason: str) -> InputFileError:
    return InputFileError(Location(file), reason)


def open_reader(path: Path, spec: TableSpec, options: ImportOptions) -> Reader:
    """Pick the reader by file type and refuse files that cannot be read at all."""
    name = path.name
    size = path.stat().st_size
    suffix = path.suffix.lower()
    if size == 0:
        raise _refuse(name, "Die Datei ist leer.")
    if suffix != ".parquet" and size > options.max_text_bytes:
        raise _refuse(
            name,
            f"Die Datei ist mit {_gib(size)} GiB größer als die Grenze von "
            f"{_gib(options.max_text_bytes)} GiB für CSV/XLSX. Bitte als Parquet "
            "liefern oder in mehrere Dateien aufteilen.",
        )
    with path.open("rb") as fh:
        head = fh.read(8192)
    if suffix == ".parquet":
        return ParquetReader(path, spec, options)
    if suffix == ".xlsx":
        return XlsxReader(path, spec, options)
    if head.startswith((b"PAR1", b"PK\x03\x04")) or b"\x00" in head:
        raise _refuse(
            name,
            "Die Datei ist keine Textdatei (Binärdaten gefunden). Erwartet wird CSV in UTF-8 "
            "oder Windows-1252, Excel (.xlsx) oder Parquet mit passender Dateiendung.",
        )
    return CsvReader(path, spec, options)


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` if the whole file is UTF-8; otherwise the majority encoding.

    A file that is not valid UTF-8 is Windows-1252 unless it holds at least as many UTF-8
    multi-byte characters as other non-ASCII bytes (a UTF-8 file with a few broken lines).
    Lines that do not fit the chosen encoding are quarantined by the reader, never guessed.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        try:
            while block := fh.read(_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
            return "utf-8-sig"
        except UnicodeDecodeError:
            pass
        fh.seek(0)
        utf8_chars = utf8_bytes = high_bytes = 0
        while block := fh.read(_BLOCK):
            seqs = _UTF8_MULTIBYTE.findall(block)
            utf8_chars += len(seqs)
            utf8_bytes += sum(map(len, seqs))
            high_bytes += len(block.translate(None, _ASCII))
    # A tie goes to UTF-8, the encoding of current exports.
    return "utf-8-sig" if utf8_chars >= high_bytes - utf8_bytes else "cp1252"


def _sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


class CsvReader:
    """Line-oriented CSV reader that survives broken quoting and undecodable lines."""

    def __init__(self, path: Path, spec: TableSpec, options: ImportOptions) -> None:
        self.path = path
        self.file = path.name
        self.chunk_rows = options.chunk_rows
        self.encoding = detect_encoding(path)
        label = "UTF-8" if self.encoding.startswith("utf-8") else "Windows-1252"
        self._label = label
        with path.open("rb") as fh:
            first = fh.readline()
        try:
            header = first.decode(self.encoding).rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise _refuse(self.file, f"Die Kopfzeile ist nicht als {label} lesbar.") from exc
        self.delimiter = _sniff_delimiter(header)
        names = next(csv.reader([header], delimiter=self.delimiter), [])
        self.columns = check_header(names, spec, self.file)

    def _decoded_lines(
        self, bad: list[BadLine], consumed: list[int], raws: list[str]
    ) -> Iterator[str]:
        with self.path.open("rb") as fh:
            fh.readline()
            for lineno, raw in enumerate(fh, start=2):
                raw = raw.rstrip(b"\r\n")
                try:
                    text = raw.decode(self.encoding)
                    if self.encoding == "cp1252" and not raw.isascii():
                        match = _UTF8_MULTIBYTE.search(raw)
                        if match:  # would decode to mojibake such as "Ã¤"
                            raise UnicodeDecodeError(
                                "cp1252", raw, match.start(), match.end(), "UTF-8-Zeichen"
                            )
                except UnicodeDecodeError as exc:
                    bad.append(
                        BadLine(
                            lineno,
                            raw.decode(self.encoding, "replace"),
                            f"Zeile ist nicht als {self._label} lesbar (ungültiges Byte an "
                            f"Position {exc.start + 1}); Datei mit gemischter Kodierung?",
                        )
                    )
                    continue
                consumed.append(lineno)
                raws.append(text)
                yield text + "\n"

    def _reparse_lines(
        self, consumed: list[int], raws: list[str], reason: str
    ) -> Iterator[tuple[int, str, list[str] | None, str]]:
        """Each physical line of a failed multi-line record, parsed on its own.

        A stray quote otherwise swallows every following line into one broken record; parsing
        line by line keeps the good lines and quarantines only the broken one.
        """
        ncols = len(self.columns)
        for lineno, text in zip(consumed, raws, strict=True):
            try:
                rec = next(csv.reader([text], delimiter=self.delimiter, strict=True), [])
            except csv.Error:
                yield lineno, text, None, reason
                continue
            if not rec:
                continue
            if len(rec) != ncols:
                yield lineno, text, None, f"Zeile hat {len(rec)} Felder, erwartet {ncols}"
            else:
                yield lineno, text, rec, ""

    def chunks(self) -> Iterator[Chunk]:
        ncols = len(self.columns)
        bad: list[BadLine] = []
        consumed: list[int] = []
        raws: list[str] = []
        values: list[list[str]] = [[] for _ in range(ncols)]
        lines: list[int] = []
        texts: list[str] = []

        def accept(lineno: int, text: str, rec: list[str]) -> None:
            for i, v in enumerate(rec):
                values[i].append(v)
            lines.append(lineno)
            texts.append(text)

        reader = csv.reader(
            self._decoded_lines(bad, consumed, raws), delimiter=self.delimiter, strict=True
        )
        while True:
            consumed.clear()
            raws.clear()
            reason = ""
            rec: list[str] | None = None
            try:
                rec = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                reason = f"Zeile kann nicht gelesen werden (Anführungszeichen fehlerhaft: {exc})"
            if rec is not None and not rec:
                continue  # blank line: not a data line
            if rec is not None and len(rec) == ncols:
                accept(consumed[0], "\n".join(raws), rec)
            elif rec is not None and len(consumed) == 1:
                bad.append(
                    BadLine(consumed[0], raws[0], f"Zeile hat {len(rec)} Felder, erwartet {ncols}")
                )
            else:
                reason = reason or "Datensatz über mehrere Zeilen mit falscher Feldzahl"
                for lineno, text, parsed, why in self._reparse_lines(consumed, raws, reason):
                    if parsed is None:
                        bad.append(BadLine(lineno, text, why))
                    else:
                        accept(lineno, text, parsed)
            if len(lines) >= self.chunk_rows:
                yield self._chunk(values, lines, texts, bad)
                values = [[] for _ in range(ncols)]
                lines, texts = [], []
                bad.clear()  # the line generator appends to this very list
        # Undecodable lines are recorded by the line generator, possibly after the last record.
        if lines or bad:
            yield self._chunk(values, lines, texts, bad)

    def _chunk(
        self, values: list[list[str]], lines: list[int], texts: list[str], bad: list[BadLine]
    ) -> Chunk:
        data: dict[str, pl.Series] = {
            name: pl.Series(name, vals, dtype=pl.String)
            for name, vals in zip(self.columns, values, strict=True)
        }
        data[LINE_COL] = pl.Series(LINE_COL, lines, dtype=pl.Int64)
        data[RAW_COL] = pl.Series(RAW_COL, texts, dtype=pl.String)
        return Chunk(pl.DataFrame(data), list(bad))


def _cell_text(value: object) -> str | None:
    """Excel cell value as the text a user would have typed (ints without '.0')."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class XlsxReader:
    """First worksheet of an .xlsx file; row numbers as Excel shows them."""

    delimiter = ";"

    def __init__(self, path: Path, spec: TableSpec, options: ImportOptions) -> None:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        self.file = path.name
        self.chunk_rows = options.chunk_rows
        if not zipfile.is_zipfile(path):
            raise _refuse(self.file, "Die Datei ist keine gültige Excel-Datei (.xlsx).")
        try:
            with warnings.catch_warnings():
                # openpyxl warns about styles/extensions it ignores; irrelevant for values.
                warnings.simplefilter("ignore")
                self._wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise _refuse(self.file, "Die Datei ist keine gültige Excel-Datei (.xlsx).") from exc
        if not self._wb.worksheets:
            raise _refuse(self.file, "Die Excel-Datei enthält kein Tabellenblatt.")
        self._rows = enumerate(self._wb.worksheets[0].iter_rows(values_only=True), start=1)
        header: tuple[object, ...] = ()
        self._header_row = 1
        for rownum, row in self._rows:
            if any(v is not None and str(v).strip() for v in row):
                header, self._header_row = row, rownum
                break
        if not header:
            self._wb.close()
            raise _refuse(self.file, "Das erste Tabellenblatt ist leer.")
        while header and (header[-1] is None or not str(header[-1]).strip()):
            header = header[:-1]
        try:
            self.columns = check_header(list(header), spec, self.file)
        except InputFileError:
            self._wb.close()
            raise

    def chunks(self) -> Iterator[Chunk]:
        ncols = len(self.columns)
        values: list[list[str | None]] = [[] for _ in range(ncols)]
        lines: list[int] = []
        texts: list[str] = []
        bad: list[BadLine] = []
        try:
            for rownum, row in self._rows:
                cells = [_cell_text(v) for v in row]
                if not any(c is not None and c.strip() for c in cells):
                    continue  # empty row: not a data row
                raw = ";".join(c or "" for c in cells)
                if any(c is not None and c.strip() for c in cells[ncols:]):
                    bad.append(BadLine(rownum, raw, "Zeile hat Werte in Spalten ohne Kopfzeile"))
                    continue
                cells = (cells + [None] * ncols)[:ncols]
                for i, v in enumerate(cells):
                    values[i].append(v)
                lines.append(rownum)
                texts.append(raw)
                if len(lines) >= self.chunk_rows:
                    yield self._chunk(values, lines, texts, bad)
                    values = [[] for _ in range(ncols)]
                    lines, texts, bad = [], [], []
            if lines or bad:
                yield self._chunk(values, lines, texts, bad)
        finally:
            self._wb.close()

    def _chunk(
        self,
        values: list[list[str | None]],
        lines: list[int],
        texts: list[str],
        bad: list[BadLine],
    ) -> Chunk:
        data = {
            name: pl.Series(name, vals, dtype=pl.String)
            for name, vals in zip(self.columns, values, strict=True)
        }
        data[LINE_COL] = pl.Series(LINE_COL, lines, dtype=pl.Int64)
        data[RAW_COL] = pl.Series(RAW_COL, texts, dtype=pl.String)
        return Chunk(pl.DataFrame(data), list(bad))


class ParquetReader:
    """Streams a Parquet file by record batches (bounded memory for any file size)."""

    delimiter = ";"

    def __init__(self, path: Path, spec: TableSpec, options: ImportOptions) -> None:
        self.file = path.name
        self.chunk_rows = options.chunk_rows
        try:
            self._pf = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            raise _refuse(self.file, "Die Datei ist keine gültige Parquet-Datei.") from exc
        self._names = list(self._pf.schema_arrow.names)
        try:
            self.columns = check_header(self._names, spec, self.file)
        except InputFileError:
            self._pf.close()
            raise
        if self._pf.metadata.num_rows == 0:
            self._pf.close()
            raise _refuse(self.file, "Die Datei enthält keine Datensätze.")

    def chunks(self) -> Iterator[Chunk]:
        offset = 0
        rename = dict(zip(self._names, self.columns, strict=True))
        try:
            for batch in self._pf.iter_batches(batch_size=self.chunk_rows):
                frame = pl.from_arrow(batch)
                assert isinstance(frame, pl.DataFrame)
                frame = frame.rename(rename).with_columns(
                    pl.int_range(offset + 2, offset + 2 + frame.height, dtype=pl.Int64).alias(
                        LINE_COL
                    )
                )
                offset += frame.height
                yield Chunk(frame)
        except pa.ArrowException as exc:
            raise _refuse(
                self.file, f"Die Parquet-Datei ist beschädigt (nach {offset} Datensätzen)."
            ) from exc
        finally:
            self._pf.close()
