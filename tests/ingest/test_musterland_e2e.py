"""End to end: Musterland generator → import clean directory → dirty CSV against its manifest."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from bimo.core.store import AnalyticStore
from bimo.ingest import IMPORT_ORDER, ImportOptions, import_directory, import_file

synth = pytest.importorskip("bimo.synth")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def musterland(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("musterland")
    synth.generate(synth.SynthConfig(out=out, students=2000, years=2, dirty_rows=240))
    return out


def _manifest(out: Path, name: str) -> dict[str, Any]:
    return json.loads((out / f"{name}_manifest.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _quarantined_lines(path: Path | None) -> set[int]:
    assert path is not None
    with path.open(encoding="utf-8", newline="") as fh:
        return {int(r["zeile"]) for r in csv.DictReader(fh, delimiter=";")}


def test_clean_directory_then_dirty_csv(musterland: Path, tmp_path: Path) -> None:
    options = ImportOptions(quarantine_dir=tmp_path / "q")
    with AnalyticStore(tmp_path / "store.duckdb") as store:
        results = import_directory(musterland, store, options)
        assert [r.kind for r in results] == list(IMPORT_ORDER)
        for r in results:
            rows = pq.ParquetFile(musterland / f"{r.kind}.parquet").metadata.num_rows
            assert (r.read, r.stored, r.quarantined, r.duplicates) == (rows, rows, 0, 0), r
            assert store.count(r.kind) == rows

        manifest = _manifest(musterland, "student_years_dirty")
        dirty = import_file(musterland / "student_years_dirty.csv", None, store, options)
        assert dirty.read == manifest["expected"]["read"]
        assert dirty.read == dirty.stored + dirty.quarantined + dirty.duplicates
        # Its rows are samples of the clean file: nothing new may be stored.
        assert dirty.stored == 0
        expected_q = {e["line"] for e in manifest["lines"] if e["action"] == "quarantine"}
        got_q = _quarantined_lines(dirty.quarantine_file)
        assert expected_q <= got_q
        # The only extra quarantined lines: a new record_key written with decimal comma, which
        # conflicts with the stored record of the same key.
        extra = {
            e["line"]: e["defect"] for e in manifest["lines"] if e["line"] in got_q - expected_q
        }
        assert set(extra.values()) <= {"decimal_comma"} and len(extra) == len(got_q - expected_q)

        before = {k: store.count(k) for k in IMPORT_ORDER}
        again = import_directory(musterland, store, options)
        again.append(import_file(musterland / "student_years_dirty.csv", None, store, options))
        assert all(r.stored == 0 for r in again)
        assert {k: store.count(k) for k in IMPORT_ORDER} == before


@pytest.mark.parametrize("name", ["student_years_dirty", "schools_dirty"])
def test_dirty_csv_matches_manifest_on_empty_store(
    musterland: Path, tmp_path: Path, name: str
) -> None:
    manifest = _manifest(musterland, name)
    options = ImportOptions(quarantine_dir=tmp_path / "q")
    with AnalyticStore(tmp_path / "store.duckdb") as store:
        for parent in ("regions", "schools"):
            import_file(musterland / f"{parent}.parquet", None, store, options)
        r = import_file(musterland / f"{name}.csv", manifest["table"], store, options)
        expected = manifest["expected"]
        got = {k: getattr(r, k) for k in ("read", "stored", "quarantined", "duplicates")}
        assert got == expected
        expected_q = {e["line"] for e in manifest["lines"] if e["action"] == "quarantine"}
        assert _quarantined_lines(r.quarantine_file) == expected_q
        again = import_file(musterland / f"{name}.csv", manifest["table"], store, options)
        assert again.stored == 0
        assert again.duplicates == expected["stored"] + expected["duplicates"]
