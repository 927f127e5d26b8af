"""Directory pages: search with filters (htmx partial), details, editor CRUD, feedback form."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bimo.accounts import service as accounts
from bimo.core.operational import OperationalStore, list_events
from bimo.directory import DirectoryActor, FeedbackMessage, OfferInput, create_offer, get_offer
from tests.web.testclient import TestClient

from .conftest import PASSWORD
from .helpers import csrf_from, login

FORM = {
    "actor_id": "vhs-1",
    "titel": "Töpferkurs",
    "beschreibung": "Ton und Glasur",
    "kategorie": "VHS",
    "altersgruppe": "ERW",
    "thema": "Kunst",
    "gemeinde_ags": "17001001",
}


@pytest.fixture
def directory(store: OperationalStore) -> OperationalStore:
    with store.session() as db:
        db.add(
            DirectoryActor(
                id="vhs-1",
                name="VHS Musterstadt",
                kategorie="VHS",
                gemeinde_ags="17001001",
                adresse="Markt 1",
                url="https://vhs.example",
            )
        )
        db.flush()
        create_offer(
            db,
            OfferInput("vhs-1", "Deutschkurs", "VHS", "ERW", "Sprache", "17001001"),
            actor="test",
            offer_id="o-1",
        )
        create_offer(
            db,
            OfferInput(
                "vhs-1", "Robotik-AG", "JUGEND", "10_16", "MINT", "17002001", "Lego und Arduino"
            ),
            actor="test",
            offer_id="o-2",
        )
    return store


def test_search_page_and_filters(client: TestClient, directory: OperationalStore) -> None:
    page = client.get("/angebote")
    assert page.status_code == 200
    assert "2 Angebote gefunden" in page.text and 'role="search"' in page.text
    assert "css/verzeichnis.css" in page.text
    filtered = client.get("/angebote", params={"text": "arduino"})
    assert "1 Angebot gefunden" in filtered.text and "Robotik-AG" in filtered.text
    assert "Deutschkurs" not in filtered.text
    assert "Deutschkurs" in client.get("/angebote", params={"kreis": "17001"}).text
    assert "Robotik-AG" not in client.get("/angebote", params={"altersgruppe": "ERW"}).text
    empty = client.get("/angebote", params={"thema": "Musik"})
    assert "0 Angebote gefunden" in empty.text and "Keine Angebote passen" in empty.text
    assert client.get("/angebote", params={"seite": "0"}).status_code == 422


def test_htmx_returns_only_the_result_list(client: TestClient, directory: OperationalStore) -> None:
    response = client.get("/angebote", params={"thema": "MINT"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="ergebnisse"')
    assert "Robotik-AG" in response.text and "<html" not in response.text


def test_detail_pages(client: TestClient, directory: OperationalStore) -> None:
    offer = client.get("/angebote/o-2")
    assert offer.status_code == 200 and "Lego und Arduino" in offer.text
    assert "/akteure/vhs-1" in offer.text and "bearbeiten" not in offer.text
    actor = client.get("/akteure/vhs-1")
    assert "Markt 1" in actor.text and "Deutschkurs" in actor.text and "Robotik-AG" in actor.text
    assert client.get("/angebote/fehlt").status_code == 404
    assert client.get("/akteure/fehlt").status_code == 404


def test_editor_create_edit_delete(client: TestClient, directory: OperationalStore) -> None:
    login(client, "erika.k", PASSWORD)
    form = client.get("/redaktion/angebote/neu")
    assert form.status_code == 200
    created = client.post("/redaktion/angebote/neu", data={**FORM, "csrf_token": csrf_from(form)})
    assert created.status_code == 303
    offer_id = created.headers["location"].rsplit("/", 1)[1]
    detail = client.get(f"/angebote/{offer_id}")
    assert "Töpferkurs" in detail.text and "Angebot bearbeiten" in detail.text
    edit = client.get(f"/redaktion/angebote/{offer_id}/bearbeiten")
    assert 'value="Töpferkurs"' in edit.text
    saved = client.post(
        f"/redaktion/angebote/{offer_id}/bearbeiten",
        data={**FORM, "titel": "Töpfern am Abend", "csrf_token": csrf_from(edit)},
    )
    assert saved.status_code == 303
    confirm = client.get(f"/redaktion/angebote/{offer_id}/loeschen")
    assert "Töpfern am Abend" in confirm.text
    deleted = client.post(
        f"/redaktion/angebote/{offer_id}/loeschen", data={"csrf_token": csrf_from(confirm)}
    )
    assert deleted.status_code == 303
    with directory.session() as db:
        assert get_offer(db, offer_id) is None
    actions = [e.action for e in list_events(object_type="offer", object_id=offer_id, db=directory)]
    assert actions == ["directory.create", "directory.update", "directory.delete"]
    assert all(e.actor == "erika.k" for e in list_events(object_id=offer_id, db=directory))


def test_editor_shows_german_field_errors(client: TestClient, directory: OperationalStore) -> None:
    login(client, "erika.k", PASSWORD)
    form = client.get("/redaktion/angebote/neu")
    bad = {**FORM, "gemeinde_ags": "12", "titel": "", "csrf_token": csrf_from(form)}
    response = client.post("/redaktion/angebote/neu", data=bad)
    assert response.status_code == 422
    assert "8 Ziffern" in response.text and 'aria-invalid="true"' in response.text
    assert 'value="12"' in response.text


def test_editor_refuses_missing_csrf(client: TestClient, directory: OperationalStore) -> None:
    login(client, "erika.k", PASSWORD)
    response = client.post("/redaktion/angebote/o-1/loeschen", data={"csrf_token": "falsch"})
    assert response.status_code == 403
    response = client.post("/redaktion/angebote/neu", data=FORM)
    assert response.status_code == 403
    with directory.session() as db:
        assert get_offer(db, "o-1") is not None


def test_editor_pages_refuse_anonymous_and_non_editors(
    client: TestClient, directory: OperationalStore
) -> None:
    for path in (
        "/redaktion/angebote/neu",
        "/redaktion/angebote/o-1/bearbeiten",
        "/redaktion/rueckmeldungen",
    ):
        response = client.get(path)
        assert response.status_code == 303 and "/anmelden?weiter=" in response.headers["location"]
    with directory.session() as db:
        accounts.create_user(db, "max.m", "Max Muster", PASSWORD, actor="admin")
    login(client, "max.m", PASSWORD)
    assert client.get("/redaktion/angebote/neu").status_code == 403
    assert client.get("/redaktion/rueckmeldungen").status_code == 403
    token = csrf_from(client.get("/rueckmeldung"))
    response = client.post("/redaktion/angebote/o-1/loeschen", data={"csrf_token": token})
    assert response.status_code == 403
    with directory.session() as db:
        assert get_offer(db, "o-1") is not None


def test_feedback_is_stored_without_ip_or_user_agent(
    client: TestClient, store: OperationalStore
) -> None:
    form = client.get("/rueckmeldung?anliegen=BARRIERE")
    assert form.status_code == 200 and '<option value="BARRIERE" selected>' in form.text
    response = client.post(
        "/rueckmeldung",
        data={
            "anliegen": "BARRIERE",
            "nachricht": "Der Kontrast ist zu gering.",
            "kontakt_email": "",
            "csrf_token": csrf_from(form),
        },
        headers={"User-Agent": "Testbrowser/1.0", "X-Forwarded-For": "203.0.113.9"},
    )
    assert response.status_code == 200 and "Vielen Dank" in response.text
    with store.session() as db:
        message = db.scalars(select(FeedbackMessage)).one()
        stored = " ".join(str(getattr(message, c.key)) for c in FeedbackMessage.__table__.columns)
    assert (
        "203.0.113.9" not in stored and "testclient" not in stored and "Testbrowser" not in stored
    )
    assert {c.key for c in FeedbackMessage.__table__.columns} == {
        "id",
        "received_at",
        "anliegen",
        "nachricht",
        "kontakt_email",
        "erledigt",
    }
    login(client, "erika.k", PASSWORD)
    listing = client.get("/redaktion/rueckmeldungen")
    assert listing.status_code == 200
    assert "Der Kontrast ist zu gering." in listing.text and "Barriere melden" in listing.text


def test_feedback_validation(client: TestClient, store: OperationalStore) -> None:
    form = client.get("/rueckmeldung")
    response = client.post(
        "/rueckmeldung",
        data={
            "anliegen": "FRAGE",
            "nachricht": " ",
            "kontakt_email": "kaputt",
            "csrf_token": csrf_from(form),
        },
    )
    assert response.status_code == 422
    assert "Bitte schreiben Sie uns Ihre Nachricht." in response.text
    assert "E-Mail-Adresse ist ungültig" in response.text
    with store.session() as db:
        assert db.scalars(select(FeedbackMessage)).all() == []


def test_directory_filled_from_analytic_store_on_first_visit(
    data_client: TestClient, store: OperationalStore
) -> None:
    page = data_client.get("/angebote")
    assert page.status_code == 200 and "Musterstadt" in page.text
    found = re.search(r"(\d+) Angebote gefunden", page.text)
    assert found and int(found.group(1)) > 100
    assert len(list_events(action="directory.import", db=store)) == 1
    data_client.get("/angebote", params={"kategorie": "KITA"})
    assert len(list_events(action="directory.import", db=store)) == 1
