"""Test definitions: items from the bank, pinned versions, booklets in presentation order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bimo.assessment.delivery import tests as t
from bimo.assessment.delivery.design import design_balance
from bimo.assessment.delivery.errors import DeliveryError
from bimo.assessment.delivery.samples import sample_bank, sample_items, write_sample_package
from bimo.assessment.itembank import ItemBank
from bimo.core.operational import OperationalStore, list_events


@pytest.fixture
def any_store(operational_url: str) -> Iterator[OperationalStore]:
    with OperationalStore(operational_url, migrate=True) as st:
        yield st


@pytest.fixture
def store(tmp_path: Path) -> Iterator[OperationalStore]:
    with OperationalStore(f"sqlite:///{tmp_path / 'op.sqlite'}") as st:
        yield st


@pytest.fixture
def bank(tmp_path: Path) -> tuple[ItemBank, list[str]]:
    return sample_bank(tmp_path / "bank", 14, prefix="T")


def _create(store: OperationalStore, bank: ItemBank, **kw: object) -> int:
    args: dict[str, object] = {
        "key": "M8-2027",
        "title": "Mathematik 8",
        "domain": "Mathematik",
        "grade": 8,
        "positions": 3,
        "block_minutes": 20,
        "bank": bank,
        "actor": "land",
    } | kw
    with store.session() as db:
        return t.create_test(db, **args).id  # type: ignore[arg-type]


def test_create_test_pins_versions_and_builds_booklets(
    any_store: OperationalStore, bank: tuple[ItemBank, list[str]]
) -> None:
    item_bank, refs = bank
    clusters = [[r.split("@")[0] for r in refs[2 * c : 2 * c + 2]] for c in range(7)]
    _create(any_store, item_bank, clusters=clusters)
    with any_store.session() as db:
        test = t.get_test(db, "M8-2027")
        assert t.cluster_refs(test)[0] == ["T_001@v1", "T_002@v1"]  # resolved and pinned
        assert t.n_booklets(test) == 7
        assert design_balance(t.booklet_design(test)).balanced  # Youden square 7 × 3
        items = t.booklet_items(test, 2)
        assert [i.block for i in items] == [0, 0, 1, 1, 2, 2]
        assert [i.position for i in items] == list(range(6))
        assert [i.cluster for i in items] == [2, 2, 3, 3, 5, 5]
        assert items[0].item_ref == "T_005@v1"
        assert len(t.all_item_refs(test)) == 14
        assert [x.key for x in t.list_tests(db)] == ["M8-2027"]
        event = list_events(action="tests.create", db=db)[0]
        assert event.details["testhefte"] == 7 and event.details["paarbalanciert"] is True
        with pytest.raises(DeliveryError, match="Heft 7 gibt es nicht"):
            t.booklet_items(test, 7)
        with pytest.raises(DeliveryError, match="keinen Test"):
            t.get_test(db, "X")


def test_new_item_version_does_not_change_the_test(
    store: OperationalStore, bank: tuple[ItemBank, list[str]], tmp_path: Path
) -> None:
    item_bank, refs = bank
    _create(store, item_bank, clusters=[refs[:2], refs[2:4], refs[4:6]])
    changed = sample_items(1, prefix="T")[0]
    changed = type(changed)(
        changed.identifier, changed.kind, changed.xml.replace("Malaufgabe", "Neu"), None
    )
    item_bank.import_package(write_sample_package(tmp_path / "v2.zip", [changed]))
    assert item_bank.get("T_001").version == 2
    with store.session() as db:
        assert t.cluster_refs(t.get_test(db, "M8-2027"))[0][0] == "T_001@v1"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"key": "a b"}, "Ungültige Testkennung"),
        ({"title": ""}, "Titel"),
        ({"domain": " "}, "Fachbereich"),
        ({"grade": 14}, "Jahrgangsstufe"),
        ({"block_minutes": 0}, "Bearbeitungszeit"),
        ({"clusters": []}, "mindestens einen Cluster"),
        ({"clusters": [["T_001"], []]}, "Cluster 2 enthält keine Aufgabe"),
        ({"clusters": [["T_001"], ["GIBTS_NICHT"]]}, "Cluster 2: Aufgabe GIBTS_NICHT"),
        ({"clusters": [["T_001@v9"]]}, "in Version 9"),
        ({"clusters": [["T_001"], ["T_001@v1"]]}, "nur einmal"),
        ({"clusters": [["kaputt@"]]}, "Ungültige Aufgabenangabe"),
        ({"positions": 4}, "1 bis 3 Blöcke"),
    ],
)
def test_create_test_refuses_bad_input(
    store: OperationalStore,
    bank: tuple[ItemBank, list[str]],
    change: dict[str, object],
    message: str,
) -> None:
    item_bank, refs = bank
    with pytest.raises(DeliveryError, match=message):
        _create(store, item_bank, **({"clusters": [refs[:2], refs[2:4], refs[4:6]]} | change))


def test_duplicate_key_and_archived_item(
    store: OperationalStore, bank: tuple[ItemBank, list[str]]
) -> None:
    item_bank, refs = bank
    _create(store, item_bank, clusters=[refs[:1]], positions=1)
    with pytest.raises(DeliveryError, match="bereits einen Test"):
        _create(store, item_bank, clusters=[refs[:1]], positions=1)
    item_bank.set_status("T_002", "archiviert")
    with pytest.raises(DeliveryError, match="archiviert"):
        _create(store, item_bank, clusters=[refs[1:2]], positions=1, key="ANDERS")


def test_parse_item_ref() -> None:
    assert t.parse_item_ref("M8_001@v12") == ("M8_001", 12)
    assert t.parse_item_ref(" M8_001 ") == ("M8_001", None)
    for bad in ("", "a@v0", "a@v", "a b"):
        with pytest.raises(DeliveryError):
            t.parse_item_ref(bad)
