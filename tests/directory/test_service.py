"""Directory service: import, search filters, CRUD with audit events, validation, feedback."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bimo.core.operational import OperationalStore, list_events
from bimo.directory import (
    DirectoryError,
    DirectoryOffer,
    FeedbackInput,
    FeedbackMessage,
    OfferFilter,
    OfferInput,
    ValidationFailed,
    create_offer,
    delete_offer,
    directory_imported,
    get_offer,
    import_from_store,
    list_themes,
    search_offers,
    submit_feedback,
    update_offer,
)

from .conftest import ACTORS, OFFERS, write_analytic

GOOD = OfferInput("vhs-1", "Töpfern", "VHS", "ERW", "Kunst", "17001001", "Ton und Glasur")


def _ids(store: OperationalStore, filters: OfferFilter, **kw: int) -> list[str]:
    with store.session() as db:
        return [o.id for o in search_offers(db, filters, **kw).items]


def test_import_is_idempotent_and_updates(op_store: OperationalStore, analytic: Path) -> None:
    with op_store.session() as db:
        assert not directory_imported(db)
        first = import_from_store(analytic, db, actor="test")
    assert (first.actors_added, first.offers_added, first.skipped) == (2, 3, ["xx-1"])
    with op_store.session() as db:
        again = import_from_store(analytic, db, actor="test")
        assert directory_imported(db)
    assert (again.actors_added, again.offers_added, again.offers_updated) == (0, 0, 0)
    changed = [(*OFFERS[0][:2], "Deutschkurs", *OFFERS[0][3:]), *OFFERS[1:]]
    write_analytic(analytic, ACTORS, changed)
    with op_store.session() as db:
        third = import_from_store(analytic, db, actor="test")
        assert third.offers_updated == 1
        offer = get_offer(db, "vhs-1-a")
        assert offer is not None and offer.titel == "Deutschkurs"
        assert db.scalars(select(DirectoryOffer)).all().__len__() == 3
    events = list_events(action="directory.import", db=op_store)
    assert len(events) == 3 and events[0].details["angebote_neu"] == 3


def test_import_missing_file_or_tables(op_store: OperationalStore, tmp_path: Path) -> None:
    with op_store.session() as db, pytest.raises(DirectoryError, match="existiert nicht"):
        import_from_store(tmp_path / "nichts.duckdb", db, actor="test")
    import duckdb

    empty = tmp_path / "leer.duckdb"
    duckdb.connect(str(empty)).close()
    with op_store.session() as db, pytest.raises(DirectoryError, match="actors/offers"):
        import_from_store(empty, db, actor="test")


def test_search_filters(filled: OperationalStore) -> None:
    assert _ids(filled, OfferFilter()) == ["vhs-1-a", "vhs-1-b", "bib-1-a"]
    # Text matches title, description and actor name, case-insensitively.
    assert _ids(filled, OfferFilter(text="ROBOTIK")) == ["vhs-1-b"]
    assert _ids(filled, OfferFilter(text="bilderbü")) == ["bib-1-a"]
    assert _ids(filled, OfferFilter(text="volkshochschule")) == ["vhs-1-a", "vhs-1-b"]
    assert _ids(filled, OfferFilter(text="100%")) == []
    assert _ids(filled, OfferFilter(kategorie="BIBLIOTHEK")) == ["bib-1-a"]
    assert _ids(filled, OfferFilter(altersgruppe="10_16")) == ["vhs-1-b"]
    assert _ids(filled, OfferFilter(thema="Sprache")) == ["vhs-1-a", "bib-1-a"]
    assert _ids(filled, OfferFilter(gemeinde_ags="17001002")) == ["vhs-1-b"]
    assert _ids(filled, OfferFilter(kreis_ags="17001")) == ["vhs-1-a", "vhs-1-b"]
    assert _ids(filled, OfferFilter(thema="Sprache", kreis_ags="17002")) == ["bib-1-a"]
    with filled.session() as db:
        assert list_themes(db) == ["MINT", "Sprache"]


def test_pagination(filled: OperationalStore) -> None:
    with filled.session() as db:
        page = search_offers(db, OfferFilter(), page=2, per_page=2)
    assert (page.total, page.pages, [o.id for o in page.items]) == (3, 2, ["bib-1-a"])
    assert _ids(filled, OfferFilter(), page=5, per_page=2) == []


def test_create_update_delete_record_audit_events(filled: OperationalStore) -> None:
    with filled.session() as db:
        offer = create_offer(db, GOOD, actor="erika.k", offer_id="neu-1")
        assert offer.actor.name == "Volkshochschule Musterstadt"
    with filled.session() as db:
        changed = OfferInput("vhs-1", "Töpfern für alle", "VHS", "ALLE", "Kunst", "17001001")
        update_offer(db, "neu-1", changed, actor="erika.k")
    with filled.session() as db:
        stored = get_offer(db, "neu-1")
        assert stored is not None and stored.altersgruppe == "ALLE" and stored.beschreibung is None
        delete_offer(db, "neu-1", actor="erika.k")
    with filled.session() as db:
        assert get_offer(db, "neu-1") is None
        with pytest.raises(DirectoryError, match="gibt es nicht"):
            delete_offer(db, "neu-1", actor="erika.k")
    events = list_events(object_type="offer", object_id="neu-1", db=filled)
    assert [(e.action, e.actor) for e in events] == [
        ("directory.create", "erika.k"),
        ("directory.update", "erika.k"),
        ("directory.delete", "erika.k"),
    ]
    assert events[1].details == {"felder": ["altersgruppe", "beschreibung", "titel"]}


def test_generated_ids_are_unique(filled: OperationalStore) -> None:
    with filled.session() as db:
        first, second = create_offer(db, GOOD, actor="t"), create_offer(db, GOOD, actor="t")
        assert first.id != second.id and first.id.startswith("vhs-1-")


def test_validation_messages_are_german_and_per_field(filled: OperationalStore) -> None:
    bad = OfferInput("gibtsnicht", " ", "ZOO", "ALT", "", "123")
    with filled.session() as db, pytest.raises(ValidationFailed) as info:
        create_offer(db, bad, actor="t")
    errors = info.value.errors
    assert set(errors) == {
        "actor_id",
        "titel",
        "kategorie",
        "altersgruppe",
        "thema",
        "gemeinde_ags",
    }
    assert "8 Ziffern" in errors["gemeinde_ags"] and "Titel" in errors["titel"]
    with filled.session() as db, pytest.raises(ValidationFailed, match="schon vergeben"):
        create_offer(db, GOOD, actor="t", offer_id="vhs-1-a")
    with filled.session() as db, pytest.raises(ValidationFailed, match="Kennung"):
        create_offer(db, GOOD, actor="t", offer_id="mit leerzeichen")
    assert list_events(action="directory.create", db=filled) == []


def test_feedback_stored_and_validated(op_store: OperationalStore) -> None:
    with op_store.session() as db:
        submit_feedback(db, FeedbackInput("BARRIERE", "  Kontrast zu gering ", None))
        with pytest.raises(ValidationFailed) as info:
            submit_feedback(db, FeedbackInput("X", "", "keine-adresse"))
        assert set(info.value.errors) == {"anliegen", "nachricht", "kontakt_email"}
    with op_store.session() as db:
        stored = db.scalars(select(FeedbackMessage)).one()
        assert (stored.anliegen, stored.nachricht, stored.kontakt_email) == (
            "BARRIERE",
            "Kontrast zu gering",
            None,
        )
