"""The player's sync API: ``POST /test/api/antworten`` and ``GET /test/api/stand``.

A student enters the printed code through the real code entry (``POST /test``), which sets
the ``bimo_test`` cookie; the API calls carry the session's CSRF token like ``player.js``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from bimo.assessment.delivery.models import Attempt, AttemptStatus
from bimo.assessment.delivery.models import TestDefinition as Definition
from bimo.assessment.delivery.responses import MAX_EVENTS, final_answers
from bimo.assessment.delivery.sessions import (
    create_session,
    open_attempt,
    open_session,
    pause_session,
)
from bimo.core.operational import OperationalStore
from bimo.web import WebSettings, create_app
from tests.web.conftest import SECRET
from tests.web.helpers import csrf_from
from tests.web.testclient import TestClient

CLUSTERS = [["a@v1", "b@v1"], ["c@v1", "d@v1"], ["e@v1", "f@v1"]]
DESIGN = [[0, 1], [1, 2], [2, 0]]
ANSWERS = "/test/api/antworten"
STATE = "/test/api/stand"


@dataclass
class Student:
    client: TestClient
    csrf: str
    attempt_id: int
    booklet: int
    session_id: int

    def send(self, events: list[dict[str, Any]], csrf: str | None = None) -> Any:
        token = self.csrf if csrf is None else csrf
        headers = {"X-CSRF-Token": token} if token else {}
        return self.client.post(ANSWERS, json={"events": events}, headers=headers)

    def items(self, block: int) -> list[str]:
        return CLUSTERS[DESIGN[self.booklet][block]]


@dataclass
class Sitting:
    session_id: int
    codes: list[tuple[str, int]]


@pytest.fixture
def sitting(store: OperationalStore) -> Sitting:
    with store.session() as db:
        db.add(
            Definition(
                key="M8-SYNC", title="Mathematik 8", domain="Mathematik", grade=8,
                clusters=json.dumps(CLUSTERS), design=json.dumps(DESIGN), block_minutes=20,
                created_by="test",
            )
        )  # fmt: skip
        db.flush()
        created = create_session(
            db, test_key="M8-SYNC", schulnummer="100001", klasse="8a", n_codes=3, actor="test"
        )
        open_session(db, created.session.id, "test")
        return Sitting(created.session.id, [(c.code, c.booklet) for c in created.codes])


def _enter(client: TestClient, code: str) -> str:
    csrf = csrf_from(client.get("/test"))
    response = client.post("/test", data={"code": code, "csrf_token": csrf})
    assert response.status_code == 303, response.text
    assert client.cookies.get("bimo_test")
    return csrf


@pytest.fixture(params=[True, False], ids=["schnellspur", "route"])
def app(request: pytest.FixtureRequest, store: OperationalStore) -> FastAPI:
    """Every test here runs twice: through the answer fast lane and through the FastAPI route
    (the lane must behave exactly like the route it replaces on the hot path)."""
    return create_app(WebSettings(secret_key=SECRET, answer_fast_lane=request.param), store=store)


@pytest.fixture
def student(app: FastAPI, store: OperationalStore, sitting: Sitting) -> Iterator[Student]:
    code, booklet = sitting.codes[0]
    with TestClient(app, follow_redirects=False) as client:
        csrf = _enter(client, code)
        with store.session() as db:
            attempt_id = db.scalars(select(Attempt.id)).one()
        yield Student(client, csrf, attempt_id, booklet, sitting.session_id)


def _final(store: OperationalStore, attempt_id: int) -> dict[str, Any]:
    with store.session() as db:
        return final_answers(db, attempt_id)


def test_without_an_attempt_the_api_answers_401(client: TestClient) -> None:
    csrf = csrf_from(client.get("/test"))
    response = client.post(ANSWERS, json={"events": []}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 401
    assert "Zugangscode" in response.json()["detail"]
    assert client.get(STATE).status_code == 401
    client.cookies.set("bimo_test", "falsch")
    assert client.get(STATE).status_code == 401


def test_writes_need_the_csrf_token(student: Student, store: OperationalStore) -> None:
    a, _ = student.items(0)
    assert student.send([{"seq": 1, "item": a, "value": "A"}], csrf="").status_code == 403
    assert student.send([{"seq": 1, "item": a, "value": "A"}], csrf="x" * 43).status_code == 403
    assert _final(store, student.attempt_id) == {}


def test_answers_are_acknowledged_and_the_state_resumes(
    student: Student, store: OperationalStore
) -> None:
    a, b = student.items(0)
    events = [
        {"seq": 1, "item": a, "value": "choice_1"},
        {"seq": 2, "item": b, "value": ["x", "y"]},
        {"seq": 3, "item": a, "value": "choice_2"},
    ]
    response = student.send(events)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["bestaetigt_bis"] == 3
    assert (body["gespeichert"], body["doppelt"], body["abgelehnt"]) == (3, 0, [])
    assert (body["status"], body["block"]) == ("laufend", 0)
    assert 19 * 60 < body["restzeit_s"] <= 20 * 60
    # A retry of the same batch (the acknowledgement got lost) stores nothing new.
    again = student.send(events).json()
    assert (again["bestaetigt_bis"], again["gespeichert"], again["doppelt"]) == (3, 0, 3)
    assert _final(store, student.attempt_id) == {a: "choice_2", b: ["x", "y"]}
    state = student.client.get(STATE)
    assert state.status_code == 200
    assert state.json() == {
        "antworten": {a: "choice_2", b: ["x", "y"]},
        "letzte_seq": 3,
        "bestaetigt_bis": 3,
        "status": "laufend",
        "block": 0,
        "restzeit_s": state.json()["restzeit_s"],
        "abgelaufen": False,
    }


def test_reordered_batches_are_acknowledged_up_to_the_first_gap(student: Student) -> None:
    a, b = student.items(0)
    later = student.send([{"seq": 3, "item": a, "value": 3}]).json()
    assert (later["bestaetigt_bis"], later["gespeichert"]) == (0, 1)
    first = student.send([{"seq": 1, "item": a, "value": 1}, {"seq": 2, "item": b, "value": 2}])
    assert first.json()["bestaetigt_bis"] == 3
    state = student.client.get(STATE).json()
    assert (state["letzte_seq"], state["antworten"]) == (3, {a: 3, b: 2})


def test_a_conflicting_resend_is_409_and_changes_nothing(
    student: Student, store: OperationalStore
) -> None:
    a, b = student.items(0)
    assert student.send([{"seq": 1, "item": a, "value": "A"}]).status_code == 200
    response = student.send(
        [{"seq": 2, "item": b, "value": "B"}, {"seq": 1, "item": a, "value": "Z"}]
    )
    assert response.status_code == 409
    assert "anderen Inhalt" in response.json()["detail"]
    assert _final(store, student.attempt_id) == {a: "A"}


def test_answers_for_a_later_block_stay_queued(student: Student) -> None:
    later = student.items(1)[0]
    response = student.send([{"seq": 1, "item": later, "value": "X"}])
    assert response.status_code == 409
    assert "noch nicht begonnen" in response.json()["detail"]


def test_foreign_items_are_refused_with_a_reason(student: Student) -> None:
    foreign = next(i for c in CLUSTERS for i in c if i not in student.items(0) + student.items(1))
    body = student.send([{"seq": 1, "item": foreign, "value": "X"}]).json()
    assert body["bestaetigt_bis"] == 1
    assert body["gespeichert"] == 0
    assert body["abgelehnt"][0]["seq"] == 1
    assert "Testheft" in body["abgelehnt"][0]["grund"]


def test_a_locked_attempt_answers_403(
    student: Student, store: OperationalStore, sitting: Sitting
) -> None:
    code = sitting.codes[0][0]
    with store.session() as db, pytest.raises(Exception, match="gesperrt"):
        open_attempt(db, code, "anderes-geraet-" + "x" * 30)
    with store.session() as db:
        attempt = db.get(Attempt, student.attempt_id)
        assert attempt is not None and attempt.status == AttemptStatus.GESPERRT.value
    response = student.send([{"seq": 1, "item": student.items(0)[0], "value": "A"}])
    assert response.status_code == 403
    assert "Testleitung" in response.json()["detail"]
    assert student.client.get(STATE).json()["status"] == "gesperrt"


def test_a_paused_session_is_reported_and_still_accepts_answers(
    student: Student, store: OperationalStore
) -> None:
    with store.session() as db:
        pause_session(db, student.session_id, "test")
    body = student.send([{"seq": 1, "item": student.items(0)[0], "value": "A"}]).json()
    assert (body["gespeichert"], body["status"]) == (1, "pausiert")


@pytest.mark.parametrize(
    "payload",
    [
        {"events": [{"seq": 0, "item": "a@v1", "value": 1}]},
        {"events": [{"seq": "1", "item": "a@v1", "value": 1}]},
        {"events": [{"seq": 1, "item": "", "value": 1}]},
        {"events": [{"seq": 1, "item": "a@v1", "value": 1, "extra": 2}]},
        {"events": [{"seq": i, "item": "a@v1", "value": i} for i in range(1, MAX_EVENTS + 2)]},
        {"ereignisse": []},
    ],
)
def test_malformed_batches_are_422(student: Student, payload: dict[str, Any]) -> None:
    response = student.client.post(ANSWERS, json=payload, headers={"X-CSRF-Token": student.csrf})
    assert response.status_code == 422
    assert response.json() == {"detail": "Die Eingaben sind unvollständig oder ungültig."}


def test_the_sync_api_is_not_in_the_public_openapi(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/test/api")]
