"""Test definitions: item clusters from the bank, rotated into booklets.

Item references are ``"item-id@vN"``: a test pins the item *version* it was built from, so a
later revision of an item in the bank never changes a running or finished test. A reference
without ``@vN`` is resolved to the newest version when the test is created and stored pinned.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bimo.assessment.itembank import BankItem, ItemBank, ItemBankError
from bimo.core.operational import record_event

from .design import design_balance, rotation_design
from .errors import DeliveryError
from .models import TestDefinition

__all__ = [
    "BookletItem",
    "all_item_refs",
    "booklet_design",
    "booklet_items",
    "cluster_refs",
    "create_test",
    "format_item_ref",
    "get_test",
    "list_tests",
    "n_booklets",
    "parse_item_ref",
]

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_REF = re.compile(r"(?P<id>[^@\s]+)(?:@v(?P<version>[1-9][0-9]*))?")
MAX_BLOCK_MINUTES = 180


@dataclass(frozen=True)
class BookletItem:
    """One item of a booklet in presentation order.

    ``block`` is the 0-based position of the item's cluster in the booklet (the unit the timer
    runs on), ``position`` the item's 0-based position in the whole booklet, ``cluster`` the
    cluster index in the test's cluster list.
    """

    block: int
    position: int
    item_ref: str
    cluster: int = 0


def parse_item_ref(ref: str) -> tuple[str, int | None]:
    """``"M8_001@v2"`` → ``("M8_001", 2)``; ``"M8_001"`` → ``("M8_001", None)``."""
    match = _REF.fullmatch(ref.strip())
    if match is None:
        raise DeliveryError(
            f"Ungültige Aufgabenangabe {ref!r} (erwartet: Aufgaben-ID oder ID@vN, z. B. M8_001@v1)."
        )
    version = match.group("version")
    return match.group("id"), int(version) if version else None


def format_item_ref(item: BankItem) -> str:
    return f"{item.item_id}@v{item.version}"


def _resolve(bank: ItemBank, ref: str, where: str) -> str:
    item_id, version = parse_item_ref(ref)
    try:
        item = bank.get(item_id, version)
    except ItemBankError as exc:
        raise DeliveryError(f"{where}: {exc}") from None
    if item.metadata.status == "archiviert":
        raise DeliveryError(
            f"{where}: Aufgabe {format_item_ref(item)} ist archiviert und darf in keinem neuen "
            "Test mehr eingesetzt werden."
        )
    return format_item_ref(item)


def create_test(
    db: Session,
    *,
    key: str,
    title: str,
    domain: str,
    grade: int,
    clusters: list[list[str]],
    positions: int,
    block_minutes: int,
    bank: ItemBank,
    actor: str,
) -> TestDefinition:
    """Store a new test: every item must be in ``bank``; the booklets follow
    :func:`~bimo.assessment.delivery.design.rotation_design`."""
    key = key.strip()
    if not _KEY.fullmatch(key):
        raise DeliveryError(
            f"Ungültige Testkennung {key!r}: 1–64 Zeichen aus Buchstaben, Ziffern, '.', '_' "
            "und '-', beginnend mit Buchstabe oder Ziffer (z. B. M8-2027)."
        )
    title, domain = title.strip(), domain.strip()
    if not 1 <= len(title) <= 200:
        raise DeliveryError("Der Titel des Tests muss 1–200 Zeichen lang sein.")
    if not 1 <= len(domain) <= 64:
        raise DeliveryError("Der Fachbereich des Tests muss 1–64 Zeichen lang sein.")
    if not 1 <= grade <= 13:
        raise DeliveryError(f"Jahrgangsstufe {grade} liegt nicht in 1–13.")
    if not 1 <= block_minutes <= MAX_BLOCK_MINUTES:
        raise DeliveryError(
            f"Die Bearbeitungszeit je Block muss 1–{MAX_BLOCK_MINUTES} Minuten betragen "
            f"(angegeben: {block_minutes})."
        )
    if db.scalar(select(TestDefinition.id).where(TestDefinition.key == key)) is not None:
        raise DeliveryError(f"Es gibt bereits einen Test mit der Kennung {key}.")
    if not clusters:
        raise DeliveryError("Ein Test braucht mindestens einen Cluster mit Aufgaben.")
    pinned: list[list[str]] = []
    seen: dict[str, int] = {}
    for c, cluster in enumerate(clusters):
        if not cluster:
            raise DeliveryError(f"Cluster {c + 1} enthält keine Aufgabe.")
        refs = []
        for ref in cluster:
            resolved = _resolve(bank, ref, f"Cluster {c + 1}")
            item_id = parse_item_ref(resolved)[0]
            if item_id in seen:
                raise DeliveryError(
                    f"Aufgabe {item_id} steht in Cluster {seen[item_id] + 1} und in Cluster "
                    f"{c + 1}; jede Aufgabe darf nur einmal im Test vorkommen."
                )
            seen[item_id] = c
            refs.append(resolved)
        pinned.append(refs)
    design = rotation_design(len(pinned), positions)
    test = TestDefinition(
        key=key,
        title=title,
        domain=domain,
        grade=grade,
        clusters=json.dumps(pinned),
        design=json.dumps(design),
        block_minutes=block_minutes,
        created_by=actor,
    )
    db.add(test)
    db.flush()
    balance = design_balance(design)
    record_event(
        "tests.create",
        "test_definition",
        key,
        actor=actor,
        db=db,
        details={
            "cluster": len(pinned),
            "aufgaben": len(seen),
            "bloecke": positions,
            "testhefte": len(design),
            "paarbalanciert": balance.pairs_balanced,
        },
    )
    return test


def get_test(db: Session, key: str) -> TestDefinition:
    test = db.scalar(select(TestDefinition).where(TestDefinition.key == key))
    if test is None:
        raise DeliveryError(f"Es gibt keinen Test mit der Kennung {key!r}.")
    return test


def list_tests(db: Session) -> list[TestDefinition]:
    """All tests, newest first."""
    return list(db.scalars(select(TestDefinition).order_by(TestDefinition.id.desc())))


def cluster_refs(test: TestDefinition) -> list[list[str]]:
    clusters: list[list[str]] = json.loads(test.clusters)
    return clusters


def booklet_design(test: TestDefinition) -> list[list[int]]:
    design: list[list[int]] = json.loads(test.design)
    return design


def all_item_refs(test: TestDefinition) -> list[str]:
    """Every item of the test, cluster by cluster."""
    return [ref for cluster in cluster_refs(test) for ref in cluster]


def n_booklets(test: TestDefinition) -> int:
    return len(booklet_design(test))


def booklet_items(test: TestDefinition, booklet: int) -> list[BookletItem]:
    """The items of ``booklet`` (0-based) in presentation order."""
    design = booklet_design(test)
    if not 0 <= booklet < len(design):
        raise DeliveryError(
            f"Test {test.key} hat die Testhefte 0–{len(design) - 1}; Heft {booklet} gibt es nicht."
        )
    clusters = cluster_refs(test)
    out: list[BookletItem] = []
    for block, cluster in enumerate(design[booklet]):
        for ref in clusters[cluster]:
            out.append(BookletItem(block, len(out), ref, cluster))
    return out
