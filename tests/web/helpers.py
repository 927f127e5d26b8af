"""Small helpers for driving the web app like a browser."""

from __future__ import annotations

import re

from httpx import Response

from tests.web.testclient import TestClient

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(response: Response) -> str:
    match = _CSRF.search(response.text)
    assert match, "Formular ohne CSRF-Token"
    return match.group(1)


def login(client: TestClient, login: str, password: str, weiter: str | None = None) -> Response:
    page = client.get("/anmelden")
    data = {"login": login, "passwort": password, "csrf_token": csrf_from(page)}
    if weiter is not None:
        data["weiter"] = weiter
    response: Response = client.post("/anmelden", data=data)
    return response


def session_cookie(client: TestClient) -> str | None:
    for name in ("bimo_sitzung", "__Host-bimo_sitzung"):
        value = client.cookies.get(name)
        if value:
            return str(value)
    return None
