"""The student side of test delivery: code entry, cookies, booklet blocks, timer, hand-in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from bimo.assessment.delivery.models import Attempt, AttemptStatus
from bimo.assessment.delivery.sessions import (
    attempt_test,
    create_session,
    open_session,
    pause_session,
    resume_session,
)
from bimo.assessment.delivery.tests import booklet_items, create_test
from bimo.assessment.itembank import ItemBank
from bimo.core.operational import OperationalStore
from tests.web.helpers import csrf_from
from tests.web.test_testen_items import CLUSTERS, build_bank
from tests.web.testclient import TestClient

SCHOOL, KLASSE = "100001", "8a"


@dataclass
class Sitting:
    session_id: int
    codes: list[tuple[str, int]]  # (printed code, booklet)
    test_key: str


def make_sitting(
    store: OperationalStore, bank: ItemBank, *, n_codes: int = 3, key: str = "M8-TEST"
) -> Sitting:
    """A test from the hand-made items and an open session with ``n_codes`` codes."""
    with store.session() as db:
        create_test(
            db,
            key=key,
            title="Mathematik 8 (Test)",
            domain="Mathematik",
            grade=8,
            clusters=CLUSTERS,
            positions=2,
            block_minutes=20,
            bank=bank,
            actor="test",
        )
        created = create_session(
            db, test_key=key, schulnummer=SCHOOL, klasse=KLASSE, n_codes=n_codes, actor="test"
        )
        open_session(db, created.session.id, "test")
        return Sitting(created.session.id, [(c.code, c.booklet) for c in created.codes], key)


@pytest.fixture
def bank(tmp_path: Path) -> ItemBank:
    return build_bank(tmp_path / "bank")


@pytest.fixture
def test_app(app: FastAPI, bank: ItemBank) -> FastAPI:
    app.state.testen_bank = bank
    return app


@pytest.fixture
def sitting(store: OperationalStore, bank: ItemBank) -> Sitting:
    return make_sitting(store, bank)


@pytest.fixture
def student(test_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(test_app, follow_redirects=False) as c:
        yield c


def enter(client: TestClient, code: str) -> tuple[int, str]:
    token = csrf_from(client.get("/test"))
    response = client.post("/test", data={"code": code, "csrf_token": token})
    return response.status_code, response.text


def _attempt(store: OperationalStore) -> Attempt:
    with store.session() as db:
        attempt = db.scalars(select(Attempt)).one()
        db.expunge(attempt)
        return attempt


def test_code_page_is_a_labelled_form(student: TestClient) -> None:
    page = student.get("/test")
    assert page.status_code == 200
    assert '<label for="code">Zugangscode</label>' in page.text
    assert "bimo_test" not in page.headers.get("set-cookie", "")


def test_wrong_or_malformed_code_is_refused_in_german(
    student: TestClient, sitting: Sitting
) -> None:
    status, text = enter(student, "ABCDE-FGHJK")
    assert status == 400 and "Diesen Zugangscode gibt es nicht" in text
    status, text = enter(student, "123")
    assert status == 400 and "10 Zeichen" in text
    assert student.get("/test/spielen").status_code == 403


def test_code_opens_the_first_block_of_the_booklet(
    student: TestClient, sitting: Sitting, store: OperationalStore
) -> None:
    code, booklet = sitting.codes[0]
    token = csrf_from(student.get("/test"))
    # Lower case with blanks instead of the dash: normalised like the printed code.
    typed = f"{code[:5].lower()} {code[5:].lower()}"
    response = student.post("/test", data={"code": typed, "csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == "/test/spielen"
    cookies = response.headers.get_list("set-cookie")
    test_cookie = next(c for c in cookies if c.startswith("bimo_test="))
    assert "HttpOnly" in test_cookie and "SameSite=strict" in test_cookie.replace(
        "Strict", "strict"
    )
    assert "Path=/test" in test_cookie and "Max-Age" not in test_cookie
    device_cookie = next(c for c in cookies if c.startswith("bimo_geraet="))
    assert "Max-Age" in device_cookie and "HttpOnly" in device_cookie
    page = student.get("/test/spielen")
    assert page.status_code == 200
    with store.session() as db:
        attempt = db.scalars(select(Attempt)).one()
        items = booklet_items(attempt_test(db, attempt), booklet)
    first = [b.item_ref for b in items if b.block == 0]
    assert re.findall(r'data-item="([^"]+)"', page.text) == first
    assert "Teil 1 von 2" in page.text
    assert re.search(r'role="timer">(19:5\d|20:00)<', page.text)
    assert 'src="/static/js/player.js"' in page.text
    # The code itself never appears in the player page.
    assert code not in page.text


def test_same_device_resumes_other_device_is_locked(
    test_app: FastAPI, student: TestClient, sitting: Sitting, store: OperationalStore
) -> None:
    code = sitting.codes[0][0]
    assert enter(student, code)[0] == 303
    first_token = student.cookies.get("bimo_test")
    # Browser restarted: the session cookie is gone, the device cookie stays.
    student.cookies.delete("bimo_test", path="/test")
    student.cookies.delete("bimo_sitzung")
    assert enter(student, code)[0] == 303
    assert student.cookies.get("bimo_test") != first_token
    assert student.get("/test/spielen").status_code == 200
    with TestClient(test_app, follow_redirects=False) as other:
        status, text = enter(other, code)
    assert status == 400 and "Testleitung freigeben" in text
    assert _attempt(store).status == AttemptStatus.GESPERRT.value
    # The first device is locked out too until the proctor unlocks.
    page = student.get("/test/spielen")
    assert page.status_code == 200 and "Test gesperrt" in page.text


def test_finish_block_early_then_hand_in(
    student: TestClient, sitting: Sitting, store: OperationalStore
) -> None:
    assert enter(student, sitting.codes[1][0])[0] == 303
    page = student.get("/test/spielen")
    token = csrf_from(page)
    assert 'name="block" value="0"' in page.text
    assert student.post("/test/weiter", data={"block": "0", "csrf_token": token}).status_code == 303
    # A repeated click (same block number) does not skip the second block.
    assert student.post("/test/weiter", data={"block": "0", "csrf_token": token}).status_code == 303
    page = student.get("/test/spielen")
    assert "Teil 2 von 2" in page.text and "Test abgeben" in page.text
    assert _attempt(store).block == 1
    response = student.post("/test/abgeben", data={"csrf_token": token})
    assert response.status_code == 303
    assert "Test abgegeben" in student.get("/test/spielen").text
    assert _attempt(store).status == AttemptStatus.ABGEGEBEN.value
    status, text = enter(student, sitting.codes[1][0])
    assert status == 400 and "bereits abgegeben" in text


def test_expired_block_moves_on_when_the_page_is_loaded(
    student: TestClient, sitting: Sitting, store: OperationalStore
) -> None:
    assert enter(student, sitting.codes[0][0])[0] == 303
    with store.session() as db:
        attempt = db.scalars(select(Attempt)).one()
        attempt.block_started_at = attempt.block_started_at - timedelta(minutes=21)
    page = student.get("/test/spielen")
    assert "Teil 2 von 2" in page.text
    assert _attempt(store).block == 1


def test_paused_session_shows_the_notice_and_stops_the_clock(
    student: TestClient, sitting: Sitting, store: OperationalStore
) -> None:
    assert enter(student, sitting.codes[0][0])[0] == 303
    running = student.get("/test/spielen").text
    assert (
        'data-pausiert="nein"' in running and 'id="pause-hinweis" class="meldung" hidden' in running
    )
    with store.session() as db:
        pause_session(db, sitting.session_id, "test")
    paused = student.get("/test/spielen").text
    assert 'data-pausiert="ja"' in paused
    assert 'id="pause-hinweis" class="meldung">' in paused and "Test ist gerade pausiert" in paused
    with store.session() as db:
        resume_session(db, sitting.session_id, "test")
    assert 'data-pausiert="nein"' in student.get("/test/spielen").text
