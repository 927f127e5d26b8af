"""A fresh operational store and a tiny analytic store with actors and offers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pytest

from bimo.core.operational import OperationalStore

ACTORS = [
    ("vhs-1", "Volkshochschule Musterstadt", "VHS", "17001001", "Markt 1", "https://vhs.example"),
    ("bib-1", "Stadtbibliothek Hafenstadt", "BIBLIOTHEK", "17002001", None, None),
]
OFFERS = [
    (
        "vhs-1-a",
        "vhs-1",
        "Deutsch als Zweitsprache",
        "Abendkurs",
        "VHS",
        "ERW",
        "Sprache",
        "17001001",
    ),
    ("vhs-1-b", "vhs-1", "Robotik für Jugendliche", None, "VHS", "10_16", "MINT", "17001002"),
    (
        "bib-1-a",
        "bib-1",
        "Vorlesestunde",
        "Bilderbücher",
        "BIBLIOTHEK",
        "U6",
        "Sprache",
        "17002001",
    ),
    ("xx-1", "fehlt", "Ohne Akteur", None, "VHS", "ERW", "Sprache", "17001001"),
]


@pytest.fixture
def op_store(tmp_path: Path) -> Iterator[OperationalStore]:
    with OperationalStore(f"sqlite:///{tmp_path / 'op.sqlite'}") as store:
        yield store


def write_analytic(
    path: Path, actors: Sequence[tuple[object, ...]], offers: Sequence[tuple[object, ...]]
) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE OR REPLACE TABLE actors (actor_id VARCHAR, name VARCHAR, kategorie VARCHAR, "
            "gemeinde_ags VARCHAR, adresse VARCHAR, url VARCHAR)"
        )
        con.execute(
            "CREATE OR REPLACE TABLE offers (offer_id VARCHAR, actor_id VARCHAR, titel VARCHAR, "
            "beschreibung VARCHAR, kategorie VARCHAR, altersgruppe VARCHAR, thema VARCHAR, "
            "gemeinde_ags VARCHAR)"
        )
        if actors:
            con.executemany("INSERT INTO actors VALUES (?, ?, ?, ?, ?, ?)", actors)
        if offers:
            con.executemany("INSERT INTO offers VALUES (?, ?, ?, ?, ?, ?, ?, ?)", offers)


@pytest.fixture
def analytic(tmp_path: Path) -> Path:
    path = tmp_path / "bimo.duckdb"
    write_analytic(path, ACTORS, OFFERS)
    return path


@pytest.fixture
def filled(op_store: OperationalStore, analytic: Path) -> OperationalStore:
    from bimo.directory import import_from_store

    with op_store.session() as db:
        import_from_store(analytic, db, actor="test")
    return op_store
