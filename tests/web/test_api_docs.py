"""The API reference /api/docs: generated from the OpenAPI description, no script at all."""

from __future__ import annotations

import re

from bimo.web.api.docs import operations
from tests.web.testclient import TestClient


def test_docs_page_lists_every_operation_of_the_openapi_description(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.text
    ops = operations(spec)
    assert len(ops) >= 10
    for op in ops:
        assert f"<code>{op['method']} {op['path']}</code>" in html
    # Only the JSON API, not the HTML pages that are also in the OpenAPI document.
    assert {op["path"].split("/")[1] for op in ops} == {"api"}
    assert "<code>GET /angebote</code>" not in html and "/api/v1/angebote" in html
    # Parameters are a table with headers; write operations say that they need a login.
    assert "<caption>Parameter von GET /api/v1/indikatoren/{indicator_id}/werte</caption>" in html
    assert "Erfordert eine Anmeldung" in html
    assert "<script" not in html.split("</head>")[1]
    assert not re.search(r"\sstyle=", html) and "cdn" not in html.lower()


def test_openapi_description_is_served(client: TestClient) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    assert "/api/docs" not in spec["paths"]  # the HTML page is not part of the API
