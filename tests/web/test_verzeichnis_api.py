"""JSON API of the directory: public reads, CRUD for the Redaktion, 401/403/404/422."""

from __future__ import annotations

import pytest

from bimo.accounts import service as accounts
from bimo.core.operational import OperationalStore, list_events
from bimo.directory import DirectoryActor, OfferInput, create_offer
from tests.web.testclient import TestClient

from .conftest import PASSWORD
from .helpers import csrf_from, login

BODY = {
    "actor_id": "vhs-1",
    "titel": "Töpferkurs",
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
                adresse=None,
                url=None,
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
            OfferInput("vhs-1", "Robotik-AG", "JUGEND", "10_16", "MINT", "17002001"),
            actor="test",
            offer_id="o-2",
        )
    return store


def _token(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": csrf_from(client.get("/rueckmeldung"))}


def test_public_reads(client: TestClient, directory: OperationalStore) -> None:
    page = client.get("/api/v1/angebote", params={"kreis_ags": "17002"}).json()
    assert page["gesamt"] == 1 and page["angebote"][0]["offer_id"] == "o-2"
    assert page["angebote"][0]["akteur_name"] == "VHS Musterstadt"
    paged = client.get("/api/v1/angebote", params={"pro_seite": 1, "seite": 2}).json()
    assert (paged["gesamt"], [a["offer_id"] for a in paged["angebote"]]) == (2, ["o-2"])
    assert client.get("/api/v1/angebote", params={"text": "deutsch"}).json()["gesamt"] == 1
    assert client.get("/api/v1/angebote/o-1").json()["titel"] == "Deutschkurs"
    missing = client.get("/api/v1/angebote/fehlt")
    assert missing.status_code == 404 and missing.json() == {
        "detail": "Dieses Angebot gibt es nicht."
    }
    assert client.get("/api/v1/angebote", params={"pro_seite": 1000}).status_code == 422
    assert client.get("/api/v1/angebote", params={"gemeinde_ags": "x"}).status_code == 422
    assert [a["actor_id"] for a in client.get("/api/v1/akteure").json()] == ["vhs-1"]
    assert client.get("/api/v1/akteure/vhs-1").json()["angebote"] == ["o-1", "o-2"]
    assert client.get("/api/v1/akteure/fehlt").status_code == 404


def test_crud_for_the_redaktion(client: TestClient, directory: OperationalStore) -> None:
    login(client, "erika.k", PASSWORD)
    headers = _token(client)
    created = client.post("/api/v1/angebote", json={**BODY, "offer_id": "neu-1"}, headers=headers)
    assert created.status_code == 201 and created.json()["offer_id"] == "neu-1"
    changed = client.put(
        "/api/v1/angebote/neu-1", json={**BODY, "thema": "Handwerk"}, headers=headers
    )
    assert changed.status_code == 200 and changed.json()["thema"] == "Handwerk"
    invalid = client.put(
        "/api/v1/angebote/neu-1", json={**BODY, "kategorie": "ZOO"}, headers=headers
    )
    assert invalid.status_code == 422 and "kategorie" in invalid.json()["fehler"]
    assert client.put("/api/v1/angebote/fehlt", json=BODY, headers=headers).status_code == 404
    assert client.delete("/api/v1/angebote/neu-1", headers=headers).status_code == 204
    assert client.get("/api/v1/angebote/neu-1").status_code == 404
    assert client.delete("/api/v1/angebote/neu-1", headers=headers).status_code == 404
    actions = [e.action for e in list_events(object_id="neu-1", db=directory)]
    assert actions == ["directory.create", "directory.update", "directory.delete"]


def test_writes_refused(client: TestClient, directory: OperationalStore) -> None:
    headers = _token(client)
    anonymous = client.post("/api/v1/angebote", json=BODY, headers=headers)
    assert (
        anonymous.status_code == 401 and anonymous.json()["detail"] == "Bitte melden Sie sich an."
    )
    assert client.delete("/api/v1/angebote/o-1", headers=headers).status_code == 401
    with directory.session() as db:
        accounts.create_user(db, "max.m", "Max Muster", PASSWORD, actor="admin")
    login(client, "max.m", PASSWORD)
    headers = _token(client)
    assert client.post("/api/v1/angebote", json=BODY, headers=headers).status_code == 403
    assert client.put("/api/v1/angebote/o-1", json=BODY, headers=headers).status_code == 403
    assert client.delete("/api/v1/angebote/o-1", headers=headers).status_code == 403
    assert client.get("/api/v1/angebote/o-1").status_code == 200


def test_writes_need_the_csrf_header(client: TestClient, directory: OperationalStore) -> None:
    login(client, "erika.k", PASSWORD)
    assert client.delete("/api/v1/angebote/o-1").status_code == 403
    assert client.get("/api/v1/angebote/o-1").status_code == 200


def test_openapi_describes_the_directory(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    operations = schema["paths"]["/api/v1/angebote/{offer_id}"]
    assert {"get", "put", "delete"} <= set(operations)
    assert "Angebot" in schema["components"]["schemas"]
    assert "AngebotSeite" in schema["components"]["schemas"]
