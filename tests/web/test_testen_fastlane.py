"""The answer fast lane (:mod:`bimo.web.testen.fastlane`) answers like the route it bypasses.

``test_testen_sync.py`` runs every sync scenario through both paths; here: what only the lane
does itself (CSRF, Origin, body bound, pass-through, frame headers) and byte-for-byte equality
of its refusals with the route's.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from bimo.core.operational import OperationalStore
from bimo.web import WebSettings, create_app
from bimo.web.testen import fastlane
from tests.web.conftest import SECRET
from tests.web.helpers import csrf_from
from tests.web.testclient import TestClient

ANSWERS = "/test/api/antworten"
JSON = {"Accept": "application/json"}
BATCH = {"events": [{"seq": 1, "item": "a@v1", "value": "A"}]}


def _app(store: OperationalStore, lane: bool) -> FastAPI:
    return create_app(WebSettings(secret_key=SECRET, answer_fast_lane=lane), store=store)


@pytest.fixture
def both(store: OperationalStore) -> Iterator[tuple[TestClient, TestClient]]:
    with (
        TestClient(_app(store, True), follow_redirects=False) as lane,
        TestClient(_app(store, False), follow_redirects=False) as route,
    ):
        yield lane, route


def _csrf(client: TestClient) -> str:
    return csrf_from(client.get("/test"))


def _same(lane: TestClient, route: TestClient, **kwargs: object) -> int:
    """Send the same request through both apps; status, body and key headers must agree."""
    a = lane.post(ANSWERS, **kwargs)  # type: ignore[arg-type]
    b = route.post(ANSWERS, **kwargs)  # type: ignore[arg-type]
    assert (a.status_code, a.content) == (b.status_code, b.content)
    for header in ("content-type", "content-security-policy", "x-frame-options"):
        assert a.headers.get(header) == b.headers.get(header), header
    # Stricter than the route, whose refusals to cookie-less requests carry no Cache-Control.
    assert a.headers["cache-control"] == "no-store"
    assert "set-cookie" not in a.headers
    return a.status_code


def test_refusals_are_byte_for_byte_those_of_the_route(
    both: tuple[TestClient, TestClient],
) -> None:
    lane, route = both
    # No session at all, then a session whose token does not match.
    assert _same(lane, route, json=BATCH, headers=JSON) == 403
    csrf = _csrf(lane)
    route.cookies.update(lane.cookies)  # same secret: the route accepts the lane's session
    assert _same(lane, route, json=BATCH, headers={**JSON, "X-CSRF-Token": "x" * 43}) == 403
    ok = {**JSON, "X-CSRF-Token": csrf}
    # Not JSON, not the schema, no attempt cookie.
    assert _same(lane, route, content=b"{kaputt", headers=ok) == 422
    assert _same(lane, route, json={"events": [{"seq": 0, "item": "a"}]}, headers=ok) == 422
    assert _same(lane, route, json=BATCH, headers=ok) == 401


def test_a_foreign_origin_is_refused(both: tuple[TestClient, TestClient]) -> None:
    lane, route = both
    csrf = _csrf(lane)
    route.cookies.update(lane.cookies)
    headers = {**JSON, "X-CSRF-Token": csrf, "Origin": "https://boese.example"}
    assert _same(lane, route, json=BATCH, headers=headers) == 403
    # The own origin is fine (then the missing attempt is the problem).
    own = {**headers, "Origin": "http://testserver"}
    assert _same(lane, route, json=BATCH, headers=own) == 401


def test_a_body_beyond_the_bound_is_413(
    both: tuple[TestClient, TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    lane, _ = both
    monkeypatch.setattr(fastlane, "MAX_BODY_BYTES", 100)
    headers = {**JSON, "X-CSRF-Token": _csrf(lane)}
    big = {"events": [{"seq": 1, "item": "a@v1", "value": "x" * 200}]}
    response = lane.post(ANSWERS, json=big, headers=headers)
    assert response.status_code == 413
    assert response.json() == {"detail": "Die Sendung ist zu groß."}
    assert lane.post(ANSWERS, json=BATCH, headers=headers).status_code == 401  # below: on


def test_other_requests_pass_through_to_the_framework(
    both: tuple[TestClient, TestClient],
) -> None:
    lane, _ = both
    assert lane.get(ANSWERS, headers=JSON).status_code == 405
    assert lane.post(ANSWERS + "/x", json=BATCH, headers=JSON).status_code in (403, 404)
    assert lane.get("/test/api/stand", headers=JSON).status_code == 401


def test_lane_answers_carry_frame_headers_and_are_logged(
    both: tuple[TestClient, TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    lane, _ = both
    headers = {**JSON, "X-CSRF-Token": _csrf(lane)}
    with caplog.at_level(logging.INFO, logger="bimo.web.zugriff"):
        response = lane.post(ANSWERS, json=BATCH, headers=headers)
    assert response.status_code == 401
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(response.headers["x-request-id"]) == 16
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "bimo.web.zugriff"]
    assert [(x["methode"], x["pfad"], x["status"]) for x in lines] == [("POST", ANSWERS, 401)]


def test_a_remembered_session_check_never_admits_another_cookie(
    both: tuple[TestClient, TestClient],
) -> None:
    lane, _ = both
    headers = {**JSON, "X-CSRF-Token": _csrf(lane)}
    assert lane.post(ANSWERS, json=BATCH, headers=headers).status_code == 401  # CSRF passed
    good = lane.cookies["bimo_sitzung"]
    lane.cookies.set("bimo_sitzung", good[:-2] + ("AA" if not good.endswith("AA") else "BB"))
    assert lane.post(ANSWERS, json=BATCH, headers=headers).status_code == 403
    lane.cookies.set("bimo_sitzung", good)
    assert lane.post(ANSWERS, json=BATCH, headers=headers).status_code == 401
