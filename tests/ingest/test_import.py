"""Import into the store: counts, quarantine file, duplicates, conflicts, transaction."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bimo.core.store import AnalyticStore
from bimo.ingest import (
    ImportOptions,
    ImportResult,
    StrictRefusal,
    import_directory,
    import_file,
    infer_kind,
)
from bimo.ingest import load as load_module
from tests.ingest.helpers import (
    actor_rows,
    csv_text,
    school_rows,
    valid_rows,
    write_csv,
    write_parquet,
    write_xlsx,
)


def _reconciles(r: ImportResult) -> bool:
    return r.read == r.stored + r.quarantined + r.duplicates + r.rejected


def _quarantine(r: ImportResult) -> list[dict[str, str]]:
    assert r.quarantine_file is not None
    with r.quarantine_file.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def test_infer_kind_from_file_name() -> None:
    assert infer_kind(Path("student_years.parquet")) == "student_years"
    assert infer_kind(Path("schools.csv")) == "schools"
    assert infer_kind(Path("student_years_dirty.csv")) == "student_years"


@pytest.mark.parametrize("writer", [write_csv, write_parquet, write_xlsx])
def test_clean_file_is_stored_and_reimport_stores_nothing(
    tmp_path: Path, parents: AnalyticStore, options: ImportOptions, writer: object
) -> None:
    suffix = {write_csv: "csv", write_parquet: "parquet", write_xlsx: "xlsx"}[writer]  # type: ignore[index]
    path = writer(tmp_path / f"student_years.{suffix}", "student_years",  # type: ignore[operator]
                  valid_rows("student_years", 60))  # fmt: skip
    first = import_file(path, None, parents, options)
    assert (first.read, first.stored, first.quarantined, first.duplicates) == (60, 60, 0, 0)
    again = import_file(path, None, parents, options)
    assert (again.read, again.stored, again.duplicates) == (60, 0, 60)
    assert parents.count("student_years") == 60
    log = parents.raw.execute(
        "SELECT datei, tabelle, gelesen, gespeichert, duplikate, length(sha256) FROM import_log "
        "WHERE tabelle = 'student_years' ORDER BY zeitpunkt"
    ).fetchall()
    assert log == [(path.name, "student_years", 60, 60, 0, 64),
                   (path.name, "student_years", 60, 0, 60, 64)]  # fmt: skip


def test_same_rows_in_all_formats_are_the_same_typed_values(
    tmp_path: Path, parents: AnalyticStore, options: ImportOptions
) -> None:
    rows = valid_rows("student_years", 30)
    write_parquet(tmp_path / "student_years.parquet", "student_years", rows)
    assert import_file(tmp_path / "student_years.parquet", None, parents, options).stored == 30
    for path in (
        write_csv(tmp_path / "a.csv", "student_years", rows, encoding="cp1252", decimal_comma=True),
        write_csv(tmp_path / "b.csv", "student_years", rows, delimiter=","),
        write_xlsx(tmp_path / "c.xlsx", "student_years", rows),
    ):
        r = import_file(path, "student_years", parents, options)
        assert (r.stored, r.duplicates) == (0, 30), path.name


def test_bad_rows_go_to_quarantine_with_all_problems(
    tmp_path: Path, parents: AnalyticStore, options: ImportOptions
) -> None:
    rows = valid_rows("schools", 5)
    rows[1]["schulform"] = "GYM"
    rows[1]["traeger"] = "X"
    rows[3]["name"] = None
    path = write_csv(tmp_path / "x.csv", "schools", rows)
    r = import_file(path, "schools", parents, options)
    assert (r.read, r.stored, r.quarantined, r.duplicates) == (5, 3, 2, 0)
    lines = _quarantine(r)
    assert [(q["zeile"], q["spalte"]) for q in lines] == [
        ("3", "schulform"), ("3", "traeger"), ("5", "name")
    ]  # fmt: skip
    assert lines[0]["datei"] == "x.csv"
    assert lines[0]["grund"].startswith(
        "Datei x.csv, Zeile 3, Spalte schulform: Wert 'GYM' ist kein Code der Liste Schulform"
    )
    assert lines[0]["rohdaten"].split(";")[2] == "GYM"


def test_unparseable_lines_count_as_read_and_quarantined(
    tmp_path: Path, parents: AnalyticStore, options: ImportOptions
) -> None:
    path = tmp_path / "schools.csv"
    body = csv_text("schools", valid_rows("schools", 3))
    path.write_bytes(body.encode() + b"kaputt\n" + b'1;"x"y;2;3;4;5;6\n' + b"\xff\xfe;;\n")
    r = import_file(path, None, parents, options)
    assert (r.read, r.stored, r.quarantined) == (6, 3, 3)
    assert _reconciles(r)
    assert {q["zeile"] for q in _quarantine(r)} == {"5", "6", "7"}


def test_duplicates_and_conflicts_within_file_and_against_store(
    tmp_path: Path, parents: AnalyticStore, options: ImportOptions
) -> None:
    rows = valid_rows("schools", 4)
    first = import_file(write_csv(tmp_path / "a.csv", "schools", rows[:2]), "schools", parents,
                        options)  # fmt: skip
    assert first.stored == 2
    changed = dict(rows[1], name="Umbenannt")
    batch = [rows[0], changed, rows[2], rows[2], dict(rows[2], name="anders"), rows[3]]
    r = import_file(write_csv(tmp_path / "b.csv", "schools", batch), "schools", parents, options)
    # line 2: duplicate of stored; line 3: conflict with stored; line 4 new; line 5 duplicate of
    # line 4; line 6 conflict with line 4; line 7 new.
    assert (r.read, r.stored, r.quarantined, r.duplicates) == (6, 2, 2, 2)
    reasons = {q["zeile"]: q["grund"] for q in _quarantine(r)}
    assert "gespeicherter Datensatz" in reasons["3"] and "schulnummer=" in reasons["3"]
    assert "wie Zeile 4" in reasons["6"]
    assert parents.count("schools") == 3 + 4


def test_conflict_message_does_not_repeat_the_pseudonym(
    tmp_path: Path, parents: AnalyticStore, options: ImportOptions
) -> None:
    rows = valid_rows("student_years", 2)
    import_file(write_csv(tmp_path / "a.csv", "student_years", rows), "student_years", parents,
                options)  # fmt: skip
    other = dict(rows[0], geburtsmonat=(int(rows[0]["geburtsmonat"]) % 12) + 1)  # type: ignore[call-overload]
    r = import_file(write_csv(tmp_path / "b.csv", "student_years", [other]), "student_years",
                    parents, options)  # fmt: skip
    (q,) = _quarantine(r)
    assert str(rows[0]["pseudonym"]) not in q["grund"]
    assert "Pseudonym wie in dieser Zeile" in q["grund"]


def test_references_must_exist(
    tmp_path: Path, store: AnalyticStore, options: ImportOptions
) -> None:
    r = import_file(write_csv(tmp_path / "student_years.csv", "student_years",
                              valid_rows("student_years", 5)), None, store, options)  # fmt: skip
    assert (r.stored, r.quarantined) == (0, 5)
    assert "bitte zuerst schools importieren" in _quarantine(r)[0]["grund"]
    offers = write_csv(tmp_path / "offers.csv", "offers", valid_rows("offers", 3))
    assert import_file(offers, None, store, options).quarantined == 3
    import_file(write_csv(tmp_path / "actors.csv", "actors", actor_rows()), None, store, options)
    assert import_file(offers, None, store, options).stored == 3


def test_strict_stores_nothing(
    tmp_path: Path, parents: AnalyticStore, options: ImportOptions
) -> None:
    rows = valid_rows("schools", 4)
    rows[2]["schulform"] = "??"
    path = write_csv(tmp_path / "schools.csv", "schools", rows)
    with pytest.raises(StrictRefusal) as info:
        import_file(path, None, parents, ImportOptions(strict=True,
                                                       quarantine_dir=tmp_path / "q"))  # fmt: skip
    result = info.value.result
    assert (result.stored, result.quarantined, result.rejected) == (0, 1, 3)
    assert not result.committed
    assert _reconciles(result) and result.quarantine_file is not None
    assert parents.count("schools") == len(school_rows())
    clean = write_csv(tmp_path / "ok.csv", "schools", valid_rows("schools", 2))
    assert import_file(clean, "schools", parents, ImportOptions(strict=True)).stored == 2


def test_crash_mid_import_leaves_store_unchanged(
    tmp_path: Path, parents: AnalyticStore, options: ImportOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = parents.count("schools")
    logs = parents.raw.execute("SELECT count(*) FROM import_log").fetchone()
    original = load_module.Staging.resolve_and_insert

    def crash(self: load_module.Staging) -> load_module.LoadCounts:
        original(self)  # rows are inserted into the target table ...
        raise OSError("Festplatte voll")  # ... and then the process fails

    monkeypatch.setattr(load_module.Staging, "resolve_and_insert", crash)
    path = write_csv(tmp_path / "schools.csv", "schools", valid_rows("schools", 10))
    with pytest.raises(OSError, match="Festplatte voll"):
        import_file(path, None, parents, options)
    assert parents.count("schools") == before
    assert parents.raw.execute("SELECT count(*) FROM import_log").fetchone() == logs
    monkeypatch.undo()
    assert import_file(path, None, parents, options).stored == 10


def test_directory_import_in_dependency_order(
    tmp_path: Path, store: AnalyticStore, options: ImportOptions
) -> None:
    src = tmp_path / "musterland"
    src.mkdir()
    write_parquet(src / "student_years.parquet", "student_years", valid_rows("student_years", 8))
    write_csv(src / "schools.csv", "schools", school_rows())
    write_xlsx(src / "offers.xlsx", "offers", valid_rows("offers", 4))
    write_csv(src / "actors.csv", "actors", actor_rows())
    (src / "notes.txt").write_text("kein Import")
    results = import_directory(src, store, options)
    assert [r.kind for r in results] == ["schools", "actors", "offers", "student_years"]
    assert all(r.quarantined == 0 and _reconciles(r) for r in results)
    assert store.count("student_years") == 8


def test_default_store_and_quarantine_dir_come_from_settings(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "schools.csv", "schools", [dict(valid_rows("schools", 1)[0],
                                                                schulform="X")])  # fmt: skip
    r = import_file(path)
    assert r.quarantine_file is not None
    assert r.quarantine_file.parent == tmp_path / "bimo-data" / "quarantine"
    with AnalyticStore.from_settings() as s:
        assert s.raw.execute("SELECT count(*) FROM import_log").fetchone() == (1,)
