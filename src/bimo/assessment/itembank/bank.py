"""The item bank: versioned item files under ``<bank>/<item_id>/v<N>/``.

Each version directory holds ``item.xml`` (the original QTI, byte for byte) and ``item.json``
(normalised item + BiMo metadata). Versions are immutable except for the workflow ``status``.
An import first validates the whole package, writes all new versions into a staging directory
inside the bank and only then renames them into place; if a rename fails, already moved
versions are removed again, so a failed import leaves the bank as it was.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bimo.core.codes import KOMPETENZBEREICH
from bimo.core.errors import BimoError

from .qti import QtiItem, parse_item, read_package

STATUSES = ("entwurf", "geprueft", "freigegeben", "archiviert")


class ItemBankError(BimoError):
    """Invalid use of the item bank (unknown item, bad metadata)."""


@dataclass(frozen=True)
class ItemMetadata:
    """BiMo metadata that QTI does not carry; given at import time."""

    kompetenzbereich: str | None = None
    bildungsstandard: str | None = None
    kompetenzstufe: str | None = None  # target level, e.g. "III"
    jahrgangsstufe: int | None = None
    status: str = "entwurf"

    def validate(self) -> None:
        if (
            self.kompetenzbereich is not None
            and self.kompetenzbereich not in KOMPETENZBEREICH.codes
        ):
            raise ItemBankError(
                f"Unbekannter Kompetenzbereich {self.kompetenzbereich!r}; erlaubt: "
                + ", ".join(sorted(KOMPETENZBEREICH.codes))
            )
        if self.status not in STATUSES:
            raise ItemBankError(
                f"Unbekannter Status {self.status!r}; erlaubt: {', '.join(STATUSES)}"
            )
        if self.jahrgangsstufe is not None and not 1 <= self.jahrgangsstufe <= 13:
            raise ItemBankError(f"Jahrgangsstufe {self.jahrgangsstufe} liegt nicht in 1–13.")


@dataclass(frozen=True)
class BankItem:
    item_id: str
    version: int
    title: str
    qti_version: str
    max_points: float
    processing: str | None
    interactions: tuple[str, ...]
    content_hash: str
    metadata: ItemMetadata
    path: Path

    def load(self) -> QtiItem:
        """The parsed QTI item (for scoring and preview)."""
        data = (self.path / "item.xml").read_bytes()
        return parse_item(data, f"{self.item_id}/v{self.version}/item.xml", str(self.path))


@dataclass(frozen=True)
class ImportReport:
    created: tuple[str, ...]  # new items
    updated: tuple[str, ...]  # new version of an existing item
    unchanged: tuple[str, ...]


def content_hash(item: QtiItem) -> str:
    return hashlib.sha256(item.source_xml).hexdigest()


def _item_json(item: QtiItem, version: int, meta: ItemMetadata) -> dict[str, Any]:
    return {
        "item_id": item.identifier,
        "version": version,
        "title": item.title,
        "qti_version": item.qti_version,
        "source_file": item.source_file,
        "content_hash": content_hash(item),
        "processing": item.processing,
        "max_points": item.max_points,
        "metadata": dataclasses.asdict(meta),
        "declarations": [dataclasses.asdict(d) for d in item.declarations],
        "interactions": [dataclasses.asdict(i) for i in item.interactions],
        "text": item.text,
    }


class ItemBank:
    def __init__(self, root: Path) -> None:
        self.root = root

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)  # one writer at a time
            yield

    def _versions(self, item_id: str) -> list[int]:
        d = self.root / item_id
        if not d.is_dir():
            return []
        return sorted(
            int(p.name[1:]) for p in d.iterdir() if p.name[:1] == "v" and p.name[1:].isdigit()
        )

    def _read(self, item_id: str, version: int) -> BankItem:
        path = self.root / item_id / f"v{version}"
        raw = json.loads((path / "item.json").read_text(encoding="utf-8"))
        return BankItem(
            item_id=raw["item_id"],
            version=raw["version"],
            title=raw["title"],
            qti_version=raw["qti_version"],
            max_points=raw["max_points"],
            processing=raw["processing"],
            interactions=tuple(i["kind"] for i in raw["interactions"]),
            content_hash=raw["content_hash"],
            metadata=ItemMetadata(**raw["metadata"]),
            path=path,
        )

    def get(self, item_id: str, version: int | None = None) -> BankItem:
        versions = self._versions(item_id)
        if not versions or (version is not None and version not in versions):
            which = f" in Version {version}" if version is not None else ""
            raise ItemBankError(f"Aufgabe {item_id}{which} ist nicht in der Aufgabenbank.")
        return self._read(item_id, version if version is not None else versions[-1])

    def versions(self, item_id: str) -> list[BankItem]:
        return [self._read(item_id, v) for v in self._versions(item_id)]

    def list_items(
        self,
        *,
        kompetenzbereich: str | None = None,
        status: str | None = None,
        jahrgangsstufe: int | None = None,
    ) -> list[BankItem]:
        """Latest version of every item, filtered, sorted by id."""
        if not self.root.is_dir():
            return []
        out = []
        for d in sorted(self.root.iterdir()):
            if d.name.startswith(".") or not d.is_dir() or not self._versions(d.name):
                continue
            item = self.get(d.name)
            m = item.metadata
            if kompetenzbereich is not None and m.kompetenzbereich != kompetenzbereich:
                continue
            if status is not None and m.status != status:
                continue
            if jahrgangsstufe is not None and m.jahrgangsstufe != jahrgangsstufe:
                continue
            out.append(item)
        return out

    def set_status(self, item_id: str, status: str, version: int | None = None) -> BankItem:
        item = self.get(item_id, version)
        meta = dataclasses.replace(item.metadata, status=status)
        meta.validate()
        with self._lock():
            path = item.path / "item.json"
            raw = json.loads(path.read_text(encoding="utf-8"))
            raw["metadata"] = dataclasses.asdict(meta)
            tmp = path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(raw, ensure_ascii=False, indent=2), encoding="utf-8")
            os.replace(tmp, path)
        return self.get(item_id, item.version)

    def import_package(self, package: Path, metadata: ItemMetadata | None = None) -> ImportReport:
        """Import all items of a QTI package; all or nothing."""
        meta = metadata or ItemMetadata()
        meta.validate()
        items = read_package(package)  # raises before anything is written
        created: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        with self._lock():
            staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
            moves: list[tuple[Path, Path]] = []
            try:
                for item in items:
                    versions = self._versions(item.identifier)
                    if versions:
                        latest = self._read(item.identifier, versions[-1])
                        if latest.content_hash == content_hash(item):
                            unchanged.append(item.identifier)
                            continue
                        updated.append(item.identifier)
                    else:
                        created.append(item.identifier)
                    version = (versions[-1] if versions else 0) + 1
                    src = staging / item.identifier / f"v{version}"
                    src.mkdir(parents=True)
                    (src / "item.xml").write_bytes(item.source_xml)
                    doc = _item_json(item, version, meta)
                    (src / "item.json").write_text(
                        json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8"
                    )
                    moves.append((src, self.root / item.identifier / f"v{version}"))
                done: list[Path] = []
                try:
                    for src, dst in moves:
                        dst.parent.mkdir(exist_ok=True)
                        os.rename(src, dst)  # atomic per version on one file system
                        done.append(dst)
                except OSError as exc:
                    for dst in done:
                        shutil.rmtree(dst, ignore_errors=True)
                        if not any(dst.parent.iterdir()):
                            dst.parent.rmdir()
                    raise ItemBankError(
                        f"Import von {package.name} abgebrochen, Bank unverändert: {exc}"
                    ) from None
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return ImportReport(tuple(created), tuple(updated), tuple(unchanged))
