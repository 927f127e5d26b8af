"""Security headers, CSRF, session fixation, cookies and the secret key."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from fastapi import FastAPI
from itsdangerous import URLSafeTimedSerializer

from bimo.core.config import Settings
from bimo.core.errors import ConfigError
from bimo.core.operational import list_events
from bimo.web import WebSettings
from bimo.web.app import resolve_secret
from bimo.web.logs import CSP
from tests.web.testclient import TestClient

from .conftest import PASSWORD, SECRET
from .helpers import csrf_from, login, session_cookie

PATHS = [
    "/",
    "/anmelden",
    "/impressum",
    "/static/css/bimo.css",
    "/gibt-es-nicht",
    "/health",
    "/ready",
    "/mein-bereich",
]


@pytest.mark.parametrize("path", PATHS)
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    response = client.get(path)
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]
    assert headers["x-frame-options"] == "DENY"
    # Plain HTTP without a trusted proxy: no HSTS (it would lock users out of a non-TLS test
    # installation).
    assert "strict-transport-security" not in headers
    assert len(headers["x-request-id"]) == 16


@pytest.mark.parametrize("path", ["/", "/gibt-es-nicht", "/static/css/bimo.css"])
def test_hsts_only_over_tls(https_client: TestClient, path: str) -> None:
    response = https_client.get(path)
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    assert response.headers["content-security-policy"] == CSP


def test_public_pages_set_no_cookie(client: TestClient) -> None:
    for path in ("/", "/impressum", "/health"):
        assert "set-cookie" not in client.get(path).headers
    # A form needs a CSRF token, hence a session cookie.
    cookie = client.get("/anmelden").headers["set-cookie"]
    assert cookie.startswith("bimo_sitzung=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_cookie_is_secure_and_host_prefixed_over_tls(https_client: TestClient) -> None:
    cookie = https_client.get("/anmelden").headers["set-cookie"]
    assert cookie.startswith("__Host-bimo_sitzung=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    response = login(https_client, "erika.k", PASSWORD)
    assert response.status_code == 303
    assert https_client.get("/mein-bereich").status_code == 200


def test_post_without_csrf_token_is_refused(client: TestClient) -> None:
    response = client.post("/anmelden", data={"login": "erika.k", "passwort": PASSWORD})
    assert response.status_code == 403
    assert "CSRF" in response.text and '<html lang="de">' in response.text
    client.get("/anmelden")  # now there is a session with a token …
    response = client.post("/anmelden", data={"login": "erika.k", "passwort": PASSWORD})
    assert response.status_code == 403  # … but the form did not send it
    assert list_events(action="auth.login", db=client.app.state.bimo.store) == []  # type: ignore[attr-defined]


def test_post_with_wrong_csrf_token_is_refused(client: TestClient) -> None:
    real = csrf_from(client.get("/anmelden"))
    for token in ("falsch", real[:-1] + ("A" if real[-1] != "A" else "B"), ""):
        response = client.post(
            "/anmelden", data={"login": "erika.k", "passwort": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 403
    # A token from another browser session does not help either.
    other = TestClient(client.app, follow_redirects=False)
    foreign = csrf_from(other.get("/anmelden"))
    response = client.post(
        "/anmelden", data={"login": "erika.k", "passwort": PASSWORD, "csrf_token": foreign}
    )
    assert response.status_code == 403


def test_csrf_header_for_htmx_and_origin_check(client: TestClient) -> None:
    assert login(client, "erika.k", PASSWORD).status_code == 303
    page = client.get("/mein-bereich")
    token = csrf_from(page)
    assert f'"X-CSRF-Token": "{token}"' in page.text  # hx-headers on <body>
    foreign = client.post(
        "/abmelden", headers={"X-CSRF-Token": token, "Origin": "https://boese.example"}
    )
    assert foreign.status_code == 403
    response = client.post(
        "/abmelden", headers={"X-CSRF-Token": token, "Origin": "http://testserver"}
    )
    assert response.status_code == 303
    assert client.get("/mein-bereich").status_code == 303  # logged out


def test_json_error_for_api_clients(client: TestClient) -> None:
    response = client.post("/anmelden", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_session_fixation_and_logout(client: TestClient) -> None:
    client.get("/anmelden")
    before = session_cookie(client)
    assert before is not None
    assert login(client, "erika.k", PASSWORD).status_code == 303
    after = session_cookie(client)
    assert after is not None and after != before
    serializer = URLSafeTimedSerializer(SECRET, salt="bimo.sitzung")
    old, new = serializer.loads(before), serializer.loads(after)
    assert old["t"] != new["t"] and old["c"] != new["c"] and new["a"] is True

    # An attacker who planted the pre-login cookie gets nothing from it.
    attacker = TestClient(client.app, follow_redirects=False)
    attacker.cookies.set("bimo_sitzung", before)
    assert attacker.get("/mein-bereich").status_code == 303

    page = client.get("/mein-bereich")
    assert page.status_code == 200 and "Erika Mustermann" in page.text
    assert client.post("/abmelden", data={"csrf_token": csrf_from(page)}).status_code == 303
    assert session_cookie(client) != after

    # Replaying the logged-in cookie after logout does not work: the server-side row is gone.
    replay = TestClient(client.app, follow_redirects=False)
    replay.cookies.set("bimo_sitzung", after)
    response = replay.get("/mein-bereich")
    assert response.status_code == 303 and response.headers["location"].startswith("/anmelden")
    store = client.app.state.bimo.store  # type: ignore[attr-defined]
    assert [e.action for e in list_events(db=store)][-2:] == ["auth.login", "auth.logout"]


def test_forged_or_tampered_cookie_is_anonymous(client: TestClient) -> None:
    forged = URLSafeTimedSerializer("ein-anderer-schluessel-" + "y" * 20, salt="bimo.sitzung")
    client.cookies.set("bimo_sitzung", forged.dumps({"t": "x", "c": "y", "a": True}))
    assert client.get("/mein-bereich").status_code == 303
    client.cookies.set("bimo_sitzung", "kaputt")
    assert client.get("/mein-bereich").status_code == 303


def test_responses_to_sessions_are_not_cached(client: TestClient) -> None:
    login(client, "erika.k", PASSWORD)
    assert client.get("/mein-bereich").headers["cache-control"] == "no-store"


def test_secret_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    core = Settings(data_dir=tmp_path / "daten")
    first = resolve_secret(WebSettings(), core)
    path = tmp_path / "daten" / "web-secret.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert resolve_secret(WebSettings(), core) == first and len(first) >= 32
    assert resolve_secret(WebSettings(secret_key=SECRET), core) == SECRET
    with pytest.raises(ConfigError, match="zu kurz"):
        resolve_secret(WebSettings(secret_key="kurz"), core)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_routes_added_later_are_csrf_protected(
    app: FastAPI, client: TestClient, method: str
) -> None:
    @app.api_route("/probe", methods=[method])
    def probe() -> dict[str, bool]:
        return {"ok": True}

    assert client.request(method, "/probe").status_code == 403
    token = csrf_from(client.get("/anmelden"))
    response = client.request(method, "/probe", headers={"X-CSRF-Token": token})
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert client.get("/probe").status_code == 405
