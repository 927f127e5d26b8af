"""Login, lockout, Mein Bereich and logout through the browser-facing pages."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import Depends, FastAPI

from bimo.accounts import service
from bimo.accounts.policy import Action, Principal, SchoolRef
from bimo.accounts.roles import Role, ScopeType
from bimo.core.operational import OperationalStore, list_events
from bimo.core.store import AnalyticStore
from bimo.web.auth import safe_target
from bimo.web.deps import authorize, current_principal
from tests.web.testclient import TestClient

from .conftest import PASSWORD, duckdb_path
from .helpers import csrf_from, login, session_cookie


def test_login_page_is_german_and_accessible(client: TestClient) -> None:
    page = client.get("/anmelden")
    assert page.status_code == 200
    text = page.text
    assert '<html lang="de">' in text and 'href="#inhalt"' in text
    assert '<label for="login">Anmeldename</label>' in text
    assert 'autocomplete="current-password"' in text
    assert 'aria-label="Hauptnavigation"' in text and 'aria-current="page"' in text
    assert "5 fehlgeschlagenen Versuchen" in text and "15 Minuten" in text


def test_successful_login_redirects_and_shows_roles(client: TestClient) -> None:
    response = login(client, "Erika.K", PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/mein-bereich"
    page = client.get("/mein-bereich")
    assert page.status_code == 200
    assert "Erika Mustermann" in page.text and "erika.k" in page.text
    assert "Schulleitung" in page.text and "Schule 100001" in page.text
    assert "Redaktion Bildungsangebote" in page.text
    assert "Abmelden (Erika Mustermann)" in page.text


def test_scope_names_come_from_the_analytic_store(client: TestClient) -> None:
    with AnalyticStore(duckdb_path()) as analytic, analytic.transaction() as con:
        con.execute(
            "INSERT INTO schools VALUES ('100001', 'Grundschule am Bach', 'GS', 'OEFFENTLICH', "
            "'09161000', '09161', 'OFFEN')"
        )
    login(client, "erika.k", PASSWORD)
    assert "Grundschule am Bach (100001)" in client.get("/mein-bereich").text


def test_unreadable_analytic_store_does_not_break_pages(client: TestClient) -> None:
    path = duckdb_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"keine DuckDB-Datei" * 100)
    login(client, "erika.k", PASSWORD)
    page = client.get("/mein-bereich")
    assert page.status_code == 200 and "Schule 100001" in page.text


def test_second_login_ends_the_first_session(client: TestClient, store: OperationalStore) -> None:
    login(client, "erika.k", PASSWORD)
    first = session_cookie(client)
    with store.session() as session:
        service.create_user(session, "max.m", "Max Muster", "ein langes geheimes wort")
    # Logged in, the login page forwards; a form posted from elsewhere still logs in anew.
    token = csrf_from(client.get("/mein-bereich"))
    data = {"login": "max.m", "passwort": "ein langes geheimes wort", "csrf_token": token}
    assert client.post("/anmelden", data=data).status_code == 303
    assert session_cookie(client) != first
    assert "Max Muster" in client.get("/mein-bereich").text
    replay = TestClient(client.app, follow_redirects=False)
    replay.cookies.set("bimo_sitzung", first or "")
    assert replay.get("/mein-bereich").status_code == 303


def test_user_without_roles_sees_a_hint(client: TestClient, store: OperationalStore) -> None:
    with store.session() as session:
        service.create_user(session, "max.m", "Max Muster", "ein langes geheimes wort")
    login(client, "max.m", "ein langes geheimes wort")
    assert "noch keine Rolle zugewiesen" in client.get("/mein-bereich").text


def test_wrong_password_gives_a_generic_german_message(client: TestClient) -> None:
    for name in ("erika.k", "unbekannt"):
        response = login(client, name, "falsch falsch falsch")
        assert response.status_code == 400
        assert "Die Anmeldung ist fehlgeschlagen" in response.text
        assert 'role="alert"' in response.text
        assert "falsch falsch falsch" not in response.text  # the password is never echoed
    assert client.get("/mein-bereich").status_code == 303


def test_lockout_through_the_login_form(client: TestClient, store: OperationalStore) -> None:
    for _ in range(5):
        assert login(client, "erika.k", "falsch falsch falsch").status_code == 400
    # Locked: the right password fails with the same message.
    response = login(client, "erika.k", PASSWORD)
    assert response.status_code == 400 and "fehlgeschlagen" in response.text
    assert len(list_events(action="auth.lockout", db=store)) == 1
    with store.session() as session:
        service.unlock(session, "erika.k", actor="admin")
    assert login(client, "erika.k", PASSWORD).status_code == 303


def test_deactivation_ends_the_session(client: TestClient, store: OperationalStore) -> None:
    login(client, "erika.k", PASSWORD)
    assert client.get("/mein-bereich").status_code == 200
    with store.session() as session:
        service.set_active(session, "erika.k", False, actor="admin")
    assert client.get("/mein-bereich").status_code == 303


def test_role_changes_apply_on_the_next_request(
    client: TestClient, store: OperationalStore
) -> None:
    login(client, "erika.k", PASSWORD)
    with store.session() as session:
        service.grant_role(session, "erika.k", Role.LEHRKRAFT, ScopeType.KLASSE, "100001/5a")
    assert "Klasse 5a, Schule 100001" in client.get("/mein-bereich").text


def test_login_redirects_back_to_the_requested_page(client: TestClient) -> None:
    response = client.get("/mein-bereich")
    assert response.status_code == 303
    assert response.headers["location"] == "/anmelden?weiter=%2Fmein-bereich"
    form = client.get(response.headers["location"])
    assert 'name="weiter" value="/mein-bereich"' in form.text
    assert login(client, "erika.k", PASSWORD, weiter="/impressum").headers["location"] == (
        "/impressum"
    )
    # Already logged in: the login page forwards.
    assert client.get("/anmelden?weiter=/impressum").headers["location"] == "/impressum"


@pytest.mark.parametrize(
    "target",
    [
        "//boese.example/",
        "https://boese.example/",
        "/\\boese.example",
        "",
        None,
        "/x\r\nSet-Cookie",
    ],
)
def test_no_open_redirect(target: str | None) -> None:
    assert safe_target(target) == "/mein-bereich"


def test_logout_requires_post_with_token(client: TestClient, store: OperationalStore) -> None:
    login(client, "erika.k", PASSWORD)
    assert client.get("/abmelden").status_code == 405
    assert client.post("/abmelden").status_code == 403
    token = csrf_from(client.get("/mein-bereich"))
    assert client.post("/abmelden", data={"csrf_token": token}).headers["location"] == "/"
    logout = list_events(action="auth.logout", db=store)
    assert len(logout) == 1 and logout[0].actor == "erika.k"


def test_authorize_helper_uses_the_policy(app: FastAPI, client: TestClient) -> None:
    """A route guarded with ``authorize`` answers 403 outside the scope, 200 inside."""

    @app.get("/probe/schule/{schulnummer}")
    def probe(
        schulnummer: str, principal: Annotated[Principal, Depends(current_principal)]
    ) -> dict[str, str]:
        authorize(principal, Action.VIEW_SCHOOL, SchoolRef(schulnummer))
        return {"schule": schulnummer}

    assert client.get("/probe/schule/100001").status_code == 403  # anonymous
    login(client, "erika.k", PASSWORD)  # Schulleitung of 100001
    assert client.get("/probe/schule/100001").json() == {"schule": "100001"}
    denied = client.get("/probe/schule/200001", headers={"Accept": "text/html"})
    assert denied.status_code == 403 and "keine Berechtigung" in denied.text
