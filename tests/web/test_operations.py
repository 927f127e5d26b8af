"""Health and readiness endpoints, JSON request logs, static files and templates."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from bimo.core.operational import OperationalStore
from bimo.core.store import AnalyticStore
from bimo.web.rendering import STATIC_DIR, TEMPLATES_DIR
from tests.web.testclient import TestClient

from .conftest import PASSWORD, duckdb_path
from .helpers import csrf_from

HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"


def test_health(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_needs_the_analytic_store(client: TestClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["pruefungen"] == {
        "betriebsdatenbank": "ok",
        "analysebestand": "Datei fehlt",
    }
    AnalyticStore(duckdb_path()).close()
    response = client.get("/ready")
    assert response.status_code == 200 and response.json()["status"] == "bereit"


def test_ready_reports_an_outdated_database(client: TestClient, store: OperationalStore) -> None:
    AnalyticStore(duckdb_path()).close()
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["pruefungen"]["betriebsdatenbank"] == "veraltet (Stand 0001)"


def test_ready_reports_an_unreadable_analytic_store(client: TestClient) -> None:
    path = duckdb_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"keine DuckDB-Datei" * 100)
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["pruefungen"]["analysebestand"].startswith("nicht lesbar")


def test_request_log_is_json_without_query_or_password(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="bimo.web.zugriff"):
        client.get("/anmelden?weiter=/geheim&token=abc123")
        token = csrf_from(client.get("/anmelden"))
        client.post(
            "/anmelden", data={"login": "erika.k", "passwort": PASSWORD, "csrf_token": token}
        )
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "bimo.web.zugriff"]
    assert [(r["methode"], r["pfad"], r["status"]) for r in records] == [
        ("GET", "/anmelden", 200),
        ("GET", "/anmelden", 200),
        ("POST", "/anmelden", 303),
    ]
    assert all(isinstance(r["dauer_ms"], float) and len(r["id"]) == 16 for r in records)
    everything = caplog.text
    assert "abc123" not in everything and PASSWORD not in everything and "token=" not in everything


def test_htmx_is_vendored_and_served(client: TestClient) -> None:
    vendored = STATIC_DIR / "vendor" / "htmx.min.js"
    assert hashlib.sha256(vendored.read_bytes()).hexdigest() == HTMX_SHA256
    assert (STATIC_DIR / "vendor" / "htmx.LICENSE").exists()
    readme = (STATIC_DIR / "vendor" / "README.md").read_text(encoding="utf-8")
    assert "2.0.11" in readme and HTMX_SHA256 in readme
    response = client.get("/static/vendor/htmx.min.js")
    assert response.status_code == 200 and "javascript" in response.headers["content-type"]
    page = client.get("/").text
    assert '<script src="/static/vendor/htmx.min.js" defer></script>' in page


def _templates() -> list[Path]:
    return sorted(TEMPLATES_DIR.rglob("*.html"))


@pytest.mark.parametrize("path", _templates(), ids=lambda p: p.name)
def test_templates_have_no_inline_script_or_style(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source), "inline <script>"
    assert "<style" not in source and " style=" not in source
    assert not re.search(r"\son[a-z]+=", source), "inline event handler"


def test_error_pages_are_german_html(client: TestClient) -> None:
    response = client.get("/gibt-es-nicht", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.text and '<html lang="de">' in response.text
    api = client.get("/api/v1/gibt-es-nicht")
    assert api.status_code == 404 and api.json() == {
        "detail": "Die angeforderte Seite gibt es nicht."
    }


@pytest.mark.parametrize("path", ["/impressum", "/datenschutz", "/barrierefreiheit"])
def test_legal_pages(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert "Vom Betreiber" in response.text  # marked for the operator to complete
    assert 'aria-label="Rechtliche Hinweise"' in response.text


def _raise_operational(message: str) -> None:
    from sqlalchemy.exc import OperationalError

    raise OperationalError("UPDATE test_attempts …", {}, Exception(message))


def test_a_locked_database_answers_503_with_retry_after(app: FastAPI) -> None:
    app.add_api_route("/_gesperrt", lambda: _raise_operational("database is locked"))
    app.add_api_route("/api/_gesperrt", lambda: _raise_operational("database is locked"))
    app.add_api_route("/_kaputt", lambda: _raise_operational("no such table: users"))
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/_gesperrt")
        assert page.status_code == 503
        assert page.headers["retry-after"] == "2"
        assert "erneut versuchen" in page.text
        api = client.get("/api/_gesperrt")
        assert api.status_code == 503 and "ausgelastet" in api.json()["detail"]
        # Any other database fault is a real error, not "try again".
        assert client.get("/_kaputt").status_code == 500
