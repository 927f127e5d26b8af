"""OIDC login end to end: BiMo ↔ a real local OpenID provider (authorisation code + PKCE)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

from bimo.accounts import service
from bimo.accounts.roles import Role, ScopeType
from bimo.core.operational import OperationalStore, list_events
from bimo.web import WebSettings, create_app
from bimo.web.settings import OidcSettings
from tests.web.conftest import SECRET
from tests.web.testclient import TestClient

from .conftest import REDIRECT_URI, RunningProvider


@pytest.fixture
def oidc_client(store: OperationalStore, oidc_provider: RunningProvider) -> Iterator[TestClient]:
    settings = OidcSettings(
        issuer=oidc_provider.issuer,
        client_id=oidc_provider.client_id,
        client_secret=oidc_provider.client_secret,
        display_name="VIDIS (Test)",
    )
    with store.session() as session:
        service.create_user(session, "lena.s", "Lena Schmidt", None, actor="admin")
        service.link_oidc_identity(session, "lena.s", oidc_provider.issuer, "lena-42")
        service.grant_role(session, "lena.s", Role.LEHRKRAFT, ScopeType.KLASSE, "100001/7b")
    app = create_app(WebSettings(secret_key=SECRET), store=store, oidc_settings=settings)
    with TestClient(app, follow_redirects=False) as client:
        yield client


def _through_provider(authorize_url: str, subject: str) -> str:
    """Act as the browser at the provider: log in as ``subject``; the callback URL to BiMo."""
    url = authorize_url
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        for _ in range(12):
            if url.startswith(REDIRECT_URI):
                return url
            response = browser.get(url)
            form = re.search(r'<form method="post" action="([^"]+)"', response.text)
            if response.status_code == 200 and form:
                response = browser.post(urljoin(url, form.group(1)), data={"login": subject})
            assert response.status_code in (302, 303), response.text[:500]
            url = urljoin(url, response.headers["location"])
    raise AssertionError("kein Rücksprung zu BiMo")


def _start(client: TestClient) -> str:
    response = client.get("/anmelden/oidc")
    assert response.status_code == 302
    location = str(response.headers["location"])
    query = parse_qs(urlsplit(location).query)
    # Authorisation code flow with PKCE (S256), state and nonce.
    assert query["response_type"] == ["code"] and query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43 and query["state"] and query["nonce"]
    assert query["redirect_uri"] == [REDIRECT_URI]
    return location


def test_login_page_offers_oidc(oidc_client: TestClient) -> None:
    page = oidc_client.get("/anmelden")
    assert "Mit VIDIS (Test) anmelden" in page.text
    assert 'href="/anmelden/oidc"' in page.text


def test_known_subject_logs_in(oidc_client: TestClient, store: OperationalStore) -> None:
    callback = _through_provider(_start(oidc_client), "lena-42")
    before = oidc_client.cookies.get("bimo_sitzung")
    response = oidc_client.get(callback)
    assert response.status_code == 303 and response.headers["location"] == "/mein-bereich"
    assert oidc_client.cookies.get("bimo_sitzung") != before  # new session identity
    page = oidc_client.get("/mein-bereich")
    assert page.status_code == 200
    assert "Lena Schmidt" in page.text and "Klasse 7b, Schule 100001" in page.text
    login = list_events(action="auth.login", db=store)
    assert len(login) == 1 and login[0].actor == "lena.s"
    assert login[0].details["methode"] == "oidc"
    # The authorisation code is single-use: replaying the callback fails.
    replay = TestClient(oidc_client.app, follow_redirects=False).get(callback)
    assert replay.status_code == 400 and "fehlgeschlagen" in replay.text


def test_unknown_subject_is_refused(oidc_client: TestClient, store: OperationalStore) -> None:
    callback = _through_provider(_start(oidc_client), "fremde-person")
    response = oidc_client.get(callback)
    assert response.status_code == 403
    assert "nicht freigeschaltet" in response.text and '<html lang="de">' in response.text
    assert oidc_client.get("/mein-bereich").status_code == 303
    failed = list_events(action="auth.login_failed", db=store)
    assert failed[-1].details["grund"] == "oidc_unbekannt"


def test_deactivated_user_is_refused(oidc_client: TestClient, store: OperationalStore) -> None:
    with store.session() as session:
        service.set_active(session, "lena.s", False, actor="admin")
    response = oidc_client.get(_through_provider(_start(oidc_client), "lena-42"))
    assert response.status_code == 403


def test_callback_with_foreign_state_fails(oidc_client: TestClient) -> None:
    callback = _through_provider(_start(oidc_client), "lena-42")
    # Another browser (without the state in its session) cannot use the callback …
    other = TestClient(oidc_client.app, follow_redirects=False)
    assert other.get(callback).status_code == 400
    # … and a forged state fails for the right browser, too.
    forged = re.sub(r"state=[^&]+", "state=gefaelscht", callback)
    assert oidc_client.get(forged).status_code == 400
    error = oidc_client.get("/anmelden/oidc/rueckruf?error=access_denied&state=x")
    assert error.status_code == 400
