"""User administration and the audit log through the web (every change audited)."""

from __future__ import annotations

from fastapi import FastAPI

from bimo.accounts import service
from bimo.accounts.roles import Role, ScopeType
from bimo.core.operational import OperationalStore, list_events
from tests.web.conftest import PASSWORD
from tests.web.helpers import csrf_from
from tests.web.intern_helpers import logged_in, make_user
from tests.web.testclient import TestClient


def test_admin_manages_users_and_every_change_is_audited(
    app: FastAPI, store: OperationalStore
) -> None:
    make_user(store, "admin.a", [(Role.ADMIN, ScopeType.GLOBAL, "")])
    with logged_in(app, "admin.a") as client:
        page = client.get("/admin/benutzer")
        assert page.status_code == 200 and "erika.k" in page.text
        token = csrf_from(page)

        def post(**form: str) -> str:
            response = client.post("/admin/benutzer", data={"csrf_token": token, **form})
            assert response.status_code == 200, response.text
            return str(response.text)

        post(aktion="anlegen", login="neu.nutzer", name="Neu Nutzer", passwort=PASSWORD)
        post(aktion="vergeben", login="neu.nutzer", rolle="kreis", bereich="kreis",
             bereich_id="17001")  # fmt: skip
        post(aktion="entziehen", login="neu.nutzer", rolle="kreis", bereich="kreis",
             bereich_id="17001")  # fmt: skip
        post(aktion="entsperren", login="neu.nutzer")
        text = post(aktion="deaktivieren", login="neu.nutzer")
        assert "deaktiviert" in text
        bad = client.post(
            "/admin/benutzer",
            data={"csrf_token": token, "aktion": "vergeben", "login": "neu.nutzer",
                  "rolle": "kreis", "bereich": "schule", "bereich_id": "123456"},
        )  # fmt: skip
        assert bad.status_code == 400 and "kann nicht mit Geltungsbereich" in bad.text
        own = client.post(
            "/admin/benutzer",
            data={"csrf_token": token, "aktion": "deaktivieren", "login": "admin.a"},
        )
        assert own.status_code == 400
        # Without the CSRF token nothing happens.
        refused = client.post(
            "/admin/benutzer", data={"aktion": "aktivieren", "login": "neu.nutzer"}
        )
        assert refused.status_code == 403

        log = client.get("/admin/protokoll", params={"aktion": "users.grant"})
        assert log.status_code == 200
        assert "neu.nutzer" in log.text and "users.create" not in log.text

    with store.session() as db:
        user = service.get_user(db, "neu.nutzer")
        assert not user.active and user.grants == []
        actions = [
            e.action for e in list_events(object_id="neu.nutzer", db=db) if e.actor == "admin.a"
        ]
    assert actions == [
        "users.create", "users.grant", "users.revoke", "users.unlock", "users.deactivate",
    ]  # fmt: skip


def test_audit_log_is_paginated_newest_first(app: FastAPI, store: OperationalStore) -> None:
    make_user(store, "admin.b", [(Role.ADMIN, ScopeType.GLOBAL, "")])
    with store.session() as db:
        for i in range(60):
            service.create_user(db, f"massen.{i:02d}", f"Nutzer {i}", None, actor="test")
    with logged_in(app, "admin.b") as client:
        first = client.get("/admin/protokoll", params={"aktion": "users.create"})
        assert "massen.59" in first.text and "massen.00" not in first.text
        assert "seite=2" in first.text
        second = client.get("/admin/protokoll", params={"aktion": "users.create", "seite": 2})
        assert "massen.00" in second.text and "massen.59" not in second.text
        assert client.get("/admin/protokoll", params={"seite": 0}).status_code == 422


def test_non_admins_cannot_administer(app: FastAPI) -> None:
    with logged_in(app, "erika.k") as erika:
        assert erika.get("/admin/benutzer").status_code == 403
        assert erika.get("/admin/protokoll").status_code == 403
        token = csrf_from(erika.get("/intern"))  # any page with the layout's token
        response = erika.post(
            "/admin/benutzer",
            data={"csrf_token": token, "aktion": "entsperren", "login": "erika.k"},
        )
        assert response.status_code == 403


def test_authorisation_comes_before_form_validation(app: FastAPI, client: TestClient) -> None:
    with logged_in(app, "erika.k") as erika:
        token = csrf_from(erika.get("/intern"))
        # An incomplete form: someone without the right gets 403, not the 422 naming its fields.
        for data in ({"csrf_token": token}, {"csrf_token": token, "aktion": "x" * 50}):
            response = erika.post("/admin/benutzer", data=data)
            assert response.status_code == 403, response.text
    # Without a login (but with a valid CSRF token of an anonymous session): to the login page.
    token = csrf_from(client.get("/anmelden"))
    response = client.post("/admin/benutzer", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/anmelden?weiter=")
