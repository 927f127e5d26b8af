"""Student login with a school account in the test player, end to end against a real local
OpenID provider: seat binding, resume on a second device, missing class claim, choice."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from bimo.accounts.roles import Role, ScopeType
from bimo.assessment.delivery.models import AccessCode, Attempt
from bimo.assessment.delivery.sessions import create_session, open_session
from bimo.assessment.delivery.tests import create_test
from bimo.assessment.itembank import ItemBank
from bimo.core.operational import OperationalStore, list_events
from bimo.web import WebSettings, create_app
from bimo.web.settings import OidcSettings
from bimo.web.testen.anmeldung import student_oidc_router
from tests.web.conftest import SECRET
from tests.web.helpers import csrf_from
from tests.web.intern_helpers import logged_in, make_user
from tests.web.matrix_testen import OIDC_ROWS
from tests.web.routes import route_keys
from tests.web.test_testen_items import CLUSTERS, build_bank
from tests.web.testclient import TestClient

from .conftest import STUDENT_REDIRECT_URI, RunningProvider

SCHOOL, KLASSE = "100001", "7b"


def _settings(provider: RunningProvider, *, students: bool = True) -> OidcSettings:
    return OidcSettings(
        issuer=provider.issuer,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        display_name="VIDIS (Test)",
        students=students,
    )


@pytest.fixture
def bank(tmp_path: Path) -> ItemBank:
    return build_bank(tmp_path / "bank")


@pytest.fixture
def student_app(store: OperationalStore, oidc_provider: RunningProvider, bank: ItemBank) -> FastAPI:
    settings = _settings(oidc_provider)
    app = create_app(WebSettings(secret_key=SECRET), store=store, oidc_settings=settings)
    # What app.py does when BIMO_OIDC_STUDENTS is on (see docs/test-player.md).
    app.include_router(student_oidc_router(settings))
    app.state.testen_bank = bank
    return app


@pytest.fixture
def client(student_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(student_app, follow_redirects=False) as c:
        yield c


def open_sitting(store: OperationalStore, bank: ItemBank, key: str, title: str) -> int:
    """A test and an open session of class 7b with three seats."""
    with store.session() as db:
        create_test(
            db,
            key=key,
            title=title,
            domain="Mathematik",
            grade=7,
            clusters=CLUSTERS,
            positions=2,
            block_minutes=20,
            bank=bank,
            actor="test",
        )
        created = create_session(
            db, test_key=key, schulnummer=SCHOOL, klasse=KLASSE, n_codes=3, actor="test"
        )
        open_session(db, created.session.id, "test")
        return created.session.id


def through_provider(authorize_url: str, subject: str) -> str:
    """Act as the browser at the provider: log in as ``subject``; the callback URL to BiMo."""
    url = authorize_url
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        for _ in range(12):
            if url.startswith(STUDENT_REDIRECT_URI):
                return url
            response = browser.get(url)
            form = re.search(r'<form method="post" action="([^"]+)"', response.text)
            if response.status_code == 200 and form:
                response = browser.post(urljoin(url, form.group(1)), data={"login": subject})
            assert response.status_code in (302, 303), response.text[:500]
            url = urljoin(url, response.headers["location"])
    raise AssertionError("kein Rücksprung zu BiMo")


def start(client: TestClient) -> str:
    response = client.get("/test/anmelden")
    assert response.status_code == 302
    location = str(response.headers["location"])
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"] and query["nonce"]
    assert query["redirect_uri"] == [STUDENT_REDIRECT_URI]
    return location


def log_in(client: TestClient, subject: str) -> httpx.Response:
    return client.get(through_provider(start(client), subject))


def attempts(store: OperationalStore) -> list[tuple[int, int, str | None]]:
    """(attempt id, session id, seat's subject hash) of every attempt."""
    with store.session() as db:
        rows = db.execute(
            select(Attempt.id, Attempt.session_id, AccessCode.oidc_subject_hash).join(
                AccessCode, AccessCode.id == Attempt.code_id
            )
        ).all()
        return [(a, s, h) for a, s, h in rows]


def test_code_page_offers_the_school_account(
    client: TestClient, store: OperationalStore, oidc_provider: RunningProvider
) -> None:
    page = client.get("/test")
    assert "Mit VIDIS (Test) anmelden" in page.text and 'href="/test/anmelden"' in page.text
    # Staff OIDC alone does not offer it to students.
    app = create_app(
        WebSettings(secret_key=SECRET),
        store=store,
        oidc_settings=_settings(oidc_provider, students=False),
    )
    with TestClient(app) as other:
        assert "/test/anmelden" not in other.get("/test").text


def test_student_logs_in_and_resumes_on_another_device(
    client: TestClient, student_app: FastAPI, store: OperationalStore, bank: ItemBank
) -> None:
    session_id = open_sitting(store, bank, "M7-A", "Mathematik 7")
    landing = log_in(client, "schueler-1")
    # A page of our own moves on to the player (SameSite=Strict cookies, see anmeldung.py).
    assert landing.status_code == 200
    assert 'http-equiv="refresh" content="0; url=/test/spielen"' in landing.text
    assert client.cookies.get("bimo_test") and client.cookies.get("bimo_geraet")
    player = client.get("/test/spielen")
    assert player.status_code == 200 and "Teil 1 von 2" in player.text
    ((attempt_id, in_session, bound),) = attempts(store)
    assert in_session == session_id and bound is not None and len(bound) == 64
    # The login of another student takes another seat.
    with TestClient(student_app, follow_redirects=False) as classmate:
        assert log_in(classmate, "schueler-2").status_code == 200  # "7 B", numeric Schulnummer
    assert len({h for _, _, h in attempts(store)}) == 2

    # The same student on another device (a fresh browser): the same attempt, no unlock.
    with TestClient(student_app, follow_redirects=False) as tablet:
        assert log_in(tablet, "schueler-1").status_code == 200
        assert tablet.get("/test/spielen").status_code == 200
    assert len(attempts(store)) == 2
    changes = list_events(action="tests.attempt_device_change", db=store)
    assert len(changes) == 1 and changes[0].details["durchgang"] == attempt_id
    # The first device's token was replaced: it is logged out of the attempt.
    assert client.get("/test/spielen").status_code == 403
    # The raw subject is stored nowhere, not even in the audit log.
    with store.session() as db:
        assert all(
            "schueler" not in (c.oidc_subject_hash or "") for c in db.scalars(select(AccessCode))
        )
    assert not any("schueler" in str(e.details) for e in list_events(db=store))


def test_proctor_sees_how_the_seat_was_taken(
    client: TestClient, student_app: FastAPI, store: OperationalStore, bank: ItemBank
) -> None:
    session_id = open_sitting(store, bank, "M7-A", "Mathematik 7")
    assert log_in(client, "schueler-1").status_code == 200
    teacher = make_user(store, "lehrkraft.7b", [(Role.LEHRKRAFT, ScopeType.KLASSE, "100001/7b")])
    with logged_in(student_app, teacher) as proctor:
        page = proctor.get(f"/intern/tests/sitzungen/{session_id}")
    assert page.status_code == 200 and '<th scope="col">Anmeldung</th>' in page.text
    assert page.text.count("<td>Schulkonto</td>") == 1 and page.text.count("<td>–</td>") >= 2


def test_account_without_class_is_refused(
    client: TestClient, store: OperationalStore, bank: ItemBank
) -> None:
    open_sitting(store, bank, "M7-A", "Mathematik 7")
    response = log_in(client, "ohne-klasse")
    assert response.status_code == 403 and '<html lang="de">' in response.text
    assert "nennt keine Schule und Klasse" in response.text
    assert 'name="code"' in response.text  # the code entry is right there
    assert attempts(store) == []
    refused = list_events(action="tests.account_refused", db=store)
    assert refused[-1].details["grund"] == "ohne_schule_klasse"


def test_no_open_session_shows_the_message(client: TestClient) -> None:
    response = log_in(client, "schueler-1")
    assert response.status_code == 400 and "kein Test freigegeben" in response.text


def test_several_sessions_lead_to_a_choice(
    client: TestClient, store: OperationalStore, bank: ItemBank
) -> None:
    open_sitting(store, bank, "M7-A", "Mathematik 7")
    second = open_sitting(store, bank, "D7-A", "Deutsch Lesen 7")
    page = log_in(client, "schueler-3")
    assert page.status_code == 200
    assert "<fieldset" in page.text and "<legend>Welchen Test schreibst du?</legend>" in page.text
    assert 'type="radio"' in page.text and "Deutsch Lesen 7" in page.text
    assert attempts(store) == []
    # Without a choice: asked again.
    csrf = csrf_from(page)
    again = client.post("/test/anmelden/auswahl", data={"csrf_token": csrf})
    assert again.status_code == 400 and "Bitte wähle einen Test aus." in again.text
    chosen = client.post(
        "/test/anmelden/auswahl", data={"csrf_token": csrf, "sitzung": str(second)}
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == "/test/spielen"
    assert client.get("/test/spielen").status_code == 200
    ((_, in_session, _),) = attempts(store)
    assert in_session == second
    # The pending identity was used up: a replayed choice is refused.
    replay = client.post(
        "/test/anmelden/auswahl", data={"csrf_token": csrf, "sitzung": str(second)}
    )
    assert replay.status_code == 400 and "abgelaufen" in replay.text


def test_routes_are_in_the_matrix_and_guarded(student_app: FastAPI) -> None:
    router_keys = route_keys(student_app) - route_keys(
        create_app(WebSettings(secret_key=SECRET), store=student_app.state.bimo.store)
    )
    staff = {("GET", "/anmelden/oidc"), ("GET", "/anmelden/oidc/rueckruf")}
    assert router_keys - staff == OIDC_ROWS.keys()
    with TestClient(student_app, follow_redirects=False) as anonymous:
        # A callback without the flow state in the session, a choice without a pending login.
        assert anonymous.get("/test/anmelden/rueckruf?code=x&state=y").status_code == 400
        assert anonymous.post("/test/anmelden/auswahl", data={"sitzung": "1"}).status_code == 403
        csrf = csrf_from(anonymous.get("/test"))
        refused = anonymous.post(
            "/test/anmelden/auswahl", data={"csrf_token": csrf, "sitzung": "1"}
        )
        assert refused.status_code == 400
