"""CSRF on every unsafe route of the real app, enumerated from ``app.routes``.

``test_security.py`` proves the mechanism on a probe route; this file proves that no route of
``create_app()`` (including those of the portal, directory, internal and API areas) accepts a
write without the token — anonymous or logged in, form or JSON.
"""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI

from tests.web.testclient import TestClient

from .conftest import PASSWORD
from .helpers import csrf_from, login
from .routes import route_keys

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _unsafe_urls(app: FastAPI) -> list[tuple[str, str]]:
    routes = sorted(key for key in route_keys(app) if key[0] in UNSAFE)
    # Path parameters get a plausible value: CSRF is checked before the object is looked up.
    return [(method, re.sub(r"\{[^}]+\}", "1", path)) for method, path in routes]


def test_the_app_has_unsafe_routes(app: FastAPI) -> None:
    urls = _unsafe_urls(app)
    assert ("POST", "/anmelden") in urls and ("POST", "/abmelden") in urls


@pytest.mark.parametrize("logged_in", [False, True], ids=["anonym", "angemeldet"])
def test_no_unsafe_route_accepts_a_request_without_token(app: FastAPI, logged_in: bool) -> None:
    with TestClient(app, follow_redirects=False) as client:
        if logged_in:
            assert login(client, "erika.k", PASSWORD).status_code == 303
        token = csrf_from(client.get("/mein-bereich" if logged_in else "/anmelden"))
        accepted: list[str] = []
        for method, url in _unsafe_urls(app):
            attempts = [
                client.request(method, url, data={"x": "1"}),  # form without csrf_token
                client.request(method, url, json={"x": 1}),  # JSON without header
                client.request(method, url, headers={"X-CSRF-Token": token + "x"}),  # wrong
                # Right token, foreign origin: the Origin check refuses it.
                client.request(
                    method, url, headers={"X-CSRF-Token": token, "Origin": "https://boese.example"}
                ),
            ]
            for response in attempts:
                if response.status_code != 403 or "CSRF" not in response.text:
                    accepted.append(f"{method} {url}: {response.status_code}")
        # The session survived all of it (a refused write must not log anybody out).
        still_in = client.get("/mein-bereich").status_code == 200
    assert not accepted, "\n".join(accepted)
    assert still_in == logged_in
