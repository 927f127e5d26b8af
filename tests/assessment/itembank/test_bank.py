from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bimo.assessment.itembank import (
    ItemBank,
    ItemBankError,
    ItemMetadata,
    QtiImportError,
    score_item,
)

from .conftest import PackageBuilder, fixture_item


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def test_import_versions_and_noop(
    full_package: Callable[[str], Path], tmp_path: Path, make_package: PackageBuilder
) -> None:
    bank = ItemBank(tmp_path / "bank")
    meta = ItemMetadata(
        kompetenzbereich="MATHEMATIK",
        jahrgangsstufe=3,
        kompetenzstufe="III",
        bildungsstandard="Zahlen und Operationen",
    )
    report = bank.import_package(full_package("qti21"), meta)
    assert len(report.created) == 7 and not report.updated and not report.unchanged
    item = bank.get("M21_CHOICE")
    assert item.version == 1 and item.metadata.status == "entwurf"
    assert (item.path / "item.xml").read_bytes() == fixture_item("qti21", "choice")
    assert item.path == tmp_path / "bank" / "M21_CHOICE" / "v1"
    assert score_item(item.load(), {"RESPONSE": "B"}).points == 1.0

    before = snapshot(tmp_path / "bank")
    again = bank.import_package(full_package("qti21"), meta)
    assert len(again.unchanged) == 7 and not again.created and not again.updated
    assert snapshot(tmp_path / "bank") == before

    changed = fixture_item("qti21", "choice").replace(b"<value>B</value>", b"<value>C</value>")
    rep = bank.import_package(make_package("neu.zip", {"c.xml": changed}), meta)
    assert rep.updated == ("M21_CHOICE",)
    assert [v.version for v in bank.versions("M21_CHOICE")] == [1, 2]
    assert score_item(bank.get("M21_CHOICE").load(), {"RESPONSE": "C"}).points == 1.0
    assert score_item(bank.get("M21_CHOICE", 1).load(), {"RESPONSE": "B"}).points == 1.0


def test_listing_and_status(full_package: Callable[[str], Path], tmp_path: Path) -> None:
    bank = ItemBank(tmp_path / "bank")
    bank.import_package(full_package("qti21"), ItemMetadata(kompetenzbereich="MATHEMATIK"))
    bank.import_package(
        full_package("qti30"), ItemMetadata(kompetenzbereich="DEUTSCH_LESEN", jahrgangsstufe=8)
    )
    assert len(bank.list_items()) == 14
    lesen = bank.list_items(kompetenzbereich="DEUTSCH_LESEN")
    assert {i.item_id for i in lesen} == {
        "M30_CHOICE",
        "M30_MULTI",
        "M30_TEXT",
        "D30_ESSAY",
        "D30_INLINE",
        "M30_ORDER",
        "D30_MATCH",
    }
    assert len(bank.list_items(jahrgangsstufe=8)) == 7
    bank.set_status("M30_CHOICE", "freigegeben")
    assert [i.item_id for i in bank.list_items(status="freigegeben")] == ["M30_CHOICE"]
    with pytest.raises(ItemBankError, match="Unbekannter Status"):
        bank.set_status("M30_CHOICE", "fertig")
    with pytest.raises(ItemBankError, match="Aufgabe NOPE ist nicht in der Aufgabenbank"):
        bank.get("NOPE")
    with pytest.raises(ItemBankError, match="Unbekannter Kompetenzbereich"):
        bank.import_package(full_package("qti21"), ItemMetadata(kompetenzbereich="CHEMIE"))


def test_failed_import_leaves_bank_unchanged(
    full_package: Callable[[str], Path], make_package: PackageBuilder, tmp_path: Path
) -> None:
    bank = ItemBank(tmp_path / "bank")
    bank.import_package(full_package("qti21"))
    before = snapshot(tmp_path / "bank")
    changed = fixture_item("qti21", "choice").replace(b"<value>B</value>", b"<value>C</value>")
    bad = make_package(
        "teils.zip",
        {"ok.xml": changed, "neu.xml": fixture_item("qti30", "choice"), "kaputt.xml": b"<a>"},
    )
    with pytest.raises(QtiImportError, match=r"teils\.zip, Datei kaputt\.xml"):
        bank.import_package(bad)
    assert snapshot(tmp_path / "bank") == before
    assert not [p for p in (tmp_path / "bank").iterdir() if p.name.startswith(".staging")]


def test_rename_failure_rolls_back(
    full_package: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    bank = ItemBank(tmp_path / "bank")
    real = os.rename
    calls: list[str] = []

    def flaky(src: str | Path, dst: str | Path) -> None:
        calls.append(str(dst))
        if len(calls) == 3:
            raise OSError("Datenträger voll")
        real(src, dst)

    monkeypatch.setattr("bimo.assessment.itembank.bank.os.rename", flaky)
    with pytest.raises(ItemBankError, match="abgebrochen, Bank unverändert: Datenträger voll"):
        bank.import_package(full_package("qti21"))
    assert bank.list_items() == []
    assert snapshot(tmp_path / "bank") == {}
