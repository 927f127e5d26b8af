"""Fixtures: a small synthetic delivery (identities + content) with tricky names."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from bimo.core.schemas import IDENTITIES

# Synthetic people only. Names chosen to exercise the normalisation.
PEOPLE: list[tuple[str, str, date, str]] = [
    ("Jürgen", "Müller-Lüdenscheidt", date(2010, 3, 14), "m"),
    ("Çağla", "Öztürk", date(2011, 7, 1), "w"),
    ("Łucja", "Kowalczyk", date(2010, 12, 24), "w"),
    ("Nguyễn Thị", "Đào", date(2012, 2, 29), "w"),
    ("Anne-Marie", "O'Connor", date(2009, 9, 9), "d"),
    ("Sören", "Strauß", date(2011, 1, 31), "m"),
    ("Bjørn", "Ærøskøbing", date(2010, 5, 5), "m"),
    ("Zoë", "Dąbrowska", date(2012, 8, 17), "w"),
]


@dataclass(frozen=True)
class Delivery:
    identities: Path
    content: Path
    frame: pl.DataFrame  # identities as written


def content_row(lieferung_id: str, schuljahr: int = 2024) -> dict[str, object]:
    return {
        "lieferung_id": lieferung_id,
        "schuljahr": schuljahr,
        "schulnummer": "100001",
        "schulform": "GS",
        "jahrgangsstufe": 3,
        "klasse": "3a",
        "geburtsjahr": 2015,
        "geburtsmonat": 4,
        "geschlecht": "w",
        "foerderschwerpunkt": None,
        "ndh": False,
        "ganztag": True,
        "wiederholung": None,
        "zugangsart": None,
        "einschulungsart": None,
        "abgangsart": None,
        "abschlussart": None,
    }


def write_delivery(
    directory: Path, people: list[tuple[str | None, str | None, date | None, str | None]]
) -> Delivery:
    directory.mkdir(parents=True, exist_ok=True)
    ids = [f"L{i:05d}" for i in range(len(people))]
    frame = pl.DataFrame(
        {
            "lieferung_id": ids,
            "schueler_id": [f"S-{secrets.token_hex(4)}" for _ in people],
            "vorname": [p[0] for p in people],
            "nachname": [p[1] for p in people],
            "geburtsdatum": [p[2] for p in people],
            "geschlecht": [p[3] for p in people],
            "wohnanschrift": [
                f"Hauptstraße {i + 1}, 12345 Musterstadt" for i in range(len(people))
            ],
        },
        schema={
            "lieferung_id": pl.String,
            "schueler_id": pl.String,
            "vorname": pl.String,
            "nachname": pl.String,
            "geburtsdatum": pl.Date,
            "geschlecht": pl.String,
            "wohnanschrift": pl.String,
        },
    ).select(list(IDENTITIES.column_names))
    identities = directory / "identities.parquet"
    frame.write_parquet(identities)
    content = directory / "lieferung.parquet"
    pl.DataFrame([content_row(i) for i in ids]).write_parquet(content)
    return Delivery(identities, content, frame)


@pytest.fixture
def delivery(tmp_path: Path) -> Delivery:
    return write_delivery(tmp_path / "vertrauensstelle", list(PEOPLE))


@pytest.fixture
def key_hex() -> str:
    return secrets.token_hex(32)


@pytest.fixture
def key_file(tmp_path: Path, key_hex: str) -> Path:
    path = tmp_path / "schluessel.key"
    path.write_text(key_hex + "\n", encoding="ascii")
    path.chmod(0o600)
    return path
