"""``import_file`` / ``import_directory``: read → validate → stage → resolve → commit."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from bimo.core.config import get_settings
from bimo.core.errors import BimoError, InputFileError, Location
from bimo.core.schemas import ANALYTIC_TABLES, IDENTITIES
from bimo.core.store import AnalyticStore
from bimo.ingest.load import Staging, log_import
from bimo.ingest.models import BadLine, ImportOptions, ImportResult
from bimo.ingest.readers import SUFFIXES, TEXT_SUFFIXES, open_reader
from bimo.ingest.validate import PROBLEM_SCHEMA, validate_chunk

# Parents before children: schools before student_years (reference), actors before offers.
IMPORT_ORDER = (
    "regions", "schools", "population", "childcare", "vocational_entrants", "actors", "offers",
    "student_years",
)  # fmt: skip


class StrictRefusal(BimoError):
    """``--strict`` and some rows would be quarantined: nothing was stored."""

    def __init__(self, result: ImportResult) -> None:
        self.result = result
        super().__init__(
            f"Datei {result.file}: {result.quarantined} Zeile(n) mit Problemen; im strikten "
            f"Modus wurde nichts gespeichert. Details: {result.quarantine_file}"
        )


class _Rollback(Exception):
    """Internal: leave the transaction without committing."""


def infer_kind(path: Path) -> str:
    """Table name from the file name: ``student_years_dirty.csv`` → ``student_years``."""
    stem = path.name.split(".")[0].lower()
    if stem == IDENTITIES.name or stem.startswith(IDENTITIES.name + "_"):
        _refuse_identities(path.name)
    candidates = [k for k in ANALYTIC_TABLES if stem == k or stem.startswith(k + "_")]
    if not candidates:
        raise InputFileError(
            Location(path.name),
            "Die Tabelle lässt sich nicht aus dem Dateinamen ablesen; bitte --kind angeben "
            f"({', '.join(ANALYTIC_TABLES)}).",
        )
    return max(candidates, key=len)


def _refuse_identities(file: str) -> None:
    raise InputFileError(
        Location(file),
        "Identitätsdaten (Tabelle identities) werden nie in den Analysebestand eingelesen; "
        "sie bleiben bei der Schule bzw. der Vertrauensstelle, die daraus das Pseudonym bildet.",
    )


def _check_kind(kind: str, file: str) -> str:
    kind = kind.strip().lower()
    if kind == IDENTITIES.name:
        _refuse_identities(file)
    if kind not in ANALYTIC_TABLES:
        raise InputFileError(
            Location(file),
            f"Unbekannte Tabelle '{kind}'. Erlaubt: {', '.join(ANALYTIC_TABLES)}.",
        )
    return kind


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def _quarantine_path(options: ImportOptions, path: Path) -> Path:
    base = options.quarantine_dir or get_settings().data_dir / "quarantine"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return base / f"{path.stem}_{stamp}.csv"


def import_file(
    path: Path | str,
    kind: str | None = None,
    store: AnalyticStore | None = None,
    options: ImportOptions | None = None,
) -> ImportResult:
    """Import one file into the analytic store as a single transaction.

    Raises :class:`InputFileError` if the file as a whole is unusable (nothing is stored) and
    :class:`StrictRefusal` if ``options.strict`` and some rows would be quarantined.
    """
    path = Path(path)
    options = options or ImportOptions()
    if not path.is_file():
        raise InputFileError(Location(path.name), "Die Datei existiert nicht.")
    kind = _check_kind(kind, path.name) if kind else infer_kind(path)
    if path.suffix.lower() not in (*SUFFIXES, *TEXT_SUFFIXES):
        raise InputFileError(
            Location(path.name), "Unbekanntes Dateiformat; erwartet .csv, .xlsx oder .parquet."
        )
    own_store = store is None
    store = store or AnalyticStore.from_settings()
    previous_limit: str | None = None
    try:
        if options.duckdb_memory_limit is not None:
            row = store.raw.execute("SELECT current_setting('memory_limit')").fetchall()[0]
            previous_limit = str(row[0]) if row else None
            store.raw.execute(f"SET memory_limit = '{options.duckdb_memory_limit}'")
        return _import(path, kind, store, options)
    finally:
        if previous_limit is not None:
            store.raw.execute(f"SET memory_limit = '{previous_limit}'")
        if own_store:
            store.close()


def _import(path: Path, kind: str, store: AnalyticStore, options: ImportOptions) -> ImportResult:
    spec = ANALYTIC_TABLES[kind]
    reader = open_reader(path, spec, options)
    digest = sha256_of(path)
    qpath = _quarantine_path(options, path)
    result: ImportResult | None = None
    try:
        with store.transaction() as con:
            staging = Staging(con, spec, path.name)
            read = 0
            for chunk in reader.chunks():
                read += chunk.n_read
                checked = validate_chunk(chunk.frame, spec, path.name, reader.delimiter)
                staging.add_rows(checked.good)
                staging.add_problems(_bad_lines_frame(chunk.bad))
                staging.add_problems(checked.problems)
                if options.on_progress is not None:
                    options.on_progress(read)
            if read == 0:
                raise InputFileError(
                    Location(path.name), "Die Datei enthält nur die Kopfzeile, keine Daten."
                )
            staging.check_references()
            counts = staging.resolve_and_insert()
            quarantined = staging.quarantined_rows()
            if read != counts.stored + counts.duplicates + quarantined:
                raise RuntimeError(  # an internal bug, not bad input: keep the traceback
                    f"Import von {path.name}: Zählung geht nicht auf ({read} gelesen, "
                    f"{counts.stored} gespeichert, {quarantined} Quarantäne, "
                    f"{counts.duplicates} Duplikate)"
                )
            if quarantined:
                staging.write_quarantine(qpath)
            staging.drop()
            strict_fail = options.strict and quarantined > 0
            result = ImportResult(
                file=path.name,
                kind=kind,
                read=read,
                stored=0 if strict_fail else counts.stored,
                quarantined=quarantined,
                duplicates=counts.duplicates,
                quarantine_file=qpath if quarantined else None,
                sha256=digest,
                committed=not strict_fail,
                rejected=counts.stored if strict_fail else 0,
            )
            if strict_fail:
                raise _Rollback
            log_import(
                con,
                file=path.name,
                sha256=digest,
                kind=kind,
                read=read,
                stored=counts.stored,
                quarantined=quarantined,
                duplicates=counts.duplicates,
            )
    except _Rollback:
        assert result is not None
        raise StrictRefusal(result) from None
    assert result is not None
    return result


def _bad_lines_frame(rows: list[BadLine]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "zeile": [b.line for b in rows],
            "spalte": [None] * len(rows),
            "grund": [b.reason for b in rows],
            "rohdaten": [b.raw for b in rows],
        },
        schema=PROBLEM_SCHEMA,
    )


def find_importable(directory: Path) -> list[tuple[str, Path]]:
    """Known ``<kind>.parquet|csv|xlsx`` files of a directory in dependency order."""
    found: list[tuple[str, Path]] = []
    for kind in IMPORT_ORDER:
        for suffix in SUFFIXES:
            candidate = directory / f"{kind}{suffix}"
            if candidate.is_file():
                found.append((kind, candidate))
    return found


def import_directory(
    directory: Path | str,
    store: AnalyticStore | None = None,
    options: ImportOptions | None = None,
) -> list[ImportResult]:
    """Import every known table file of a directory, parents first (one transaction each)."""
    directory = Path(directory)
    files = find_importable(directory)
    if not files:
        raise InputFileError(
            Location(directory.name),
            "Im Verzeichnis liegt keine bekannte Tabellendatei (erwartet z. B. "
            "schools.parquet, student_years.csv).",
        )
    own_store = store is None
    store = store or AnalyticStore.from_settings()
    try:
        return [import_file(p, kind, store, options) for kind, p in files]
    finally:
        if own_store:
            store.close()
