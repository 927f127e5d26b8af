"""Proctor, Land and coding pages of test delivery: scope, code sheet, control, coding."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from bimo.accounts.roles import Role, ScopeType
from bimo.assessment.delivery.models import AccessCode, Attempt, AttemptStatus, Coding
from bimo.assessment.delivery.models import TestDefinition as Definition
from bimo.assessment.delivery.models import TestSession as Sitting
from bimo.assessment.delivery.responses import AnswerEvent, record_answers
from bimo.assessment.delivery.sessions import attempt_items, next_block, open_attempt
from bimo.assessment.itembank import ItemBank
from bimo.core.operational import OperationalStore
from tests.web.conftest import PASSWORD
from tests.web.helpers import csrf_from, login
from tests.web.intern_helpers import logged_in, make_user
from tests.web.test_testen_items import ANSWERS, build_bank
from tests.web.test_testen_spielen import KLASSE, SCHOOL, enter, make_sitting
from tests.web.testclient import TestClient

TEACHER = "lena.lehrkraft"
OTHER_TEACHER = "otto.lehrkraft"
LAND = "lars.land"


@pytest.fixture
def bank(tmp_path: Path) -> ItemBank:
    return build_bank(tmp_path / "bank")


@pytest.fixture
def test_app(app: FastAPI, store: OperationalStore, bank: ItemBank) -> FastAPI:
    app.state.testen_bank = bank
    make_user(store, TEACHER, [(Role.LEHRKRAFT, ScopeType.KLASSE, f"{SCHOOL}/{KLASSE}")])
    make_user(store, OTHER_TEACHER, [(Role.LEHRKRAFT, ScopeType.KLASSE, f"{SCHOOL}/9b")])
    make_user(store, LAND, [(Role.LAND, ScopeType.LAND, "09")])
    return app


def _count(store: OperationalStore, model: type) -> int:
    with store.session() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_teacher_creates_session_and_gets_the_code_sheet_once(
    test_app: FastAPI, store: OperationalStore, bank: ItemBank
) -> None:
    make_sitting(store, bank)  # the test M8-TEST (and a session of another day)
    with logged_in(test_app, TEACHER) as client:
        page = client.get("/intern/tests")
        assert page.status_code == 200
        assert f'value="{SCHOOL}/{KLASSE}"' in page.text and "M8-TEST" in page.text
        response = client.post(
            "/intern/tests/sitzungen",
            data={
                "test": "M8-TEST",
                "klasse": f"{SCHOOL}/{KLASSE}",
                "anzahl": "4",
                "csrf_token": csrf_from(page),
            },
        )
        assert response.status_code == 200
        codes = re.findall(r'<td class="code">([A-Z0-9-]+)</td>', response.text)
        assert len(codes) == 4 and all(re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", c) for c in codes)
        assert not set("01ILO") & set("".join(codes).replace("-", ""))
        with store.session() as db:
            hashes = set(db.scalars(select(AccessCode.code_hash)))
            newest = db.scalar(select(func.max(Sitting.id)))
        # Only hashes are stored; the sheet cannot be shown again.
        assert not any(c.replace("-", "") in h for c in codes for h in hashes)
        detail = client.get(f"/intern/tests/sitzungen/{newest}")
        assert detail.status_code == 200
        assert not any(c in detail.text for c in codes)
        assert detail.text.count("<td>nicht begonnen</td>") == 4
        # Another teacher's class is refused.
        refused = client.post(
            "/intern/tests/sitzungen",
            data={
                "test": "M8-TEST",
                "klasse": f"{SCHOOL}/9b",
                "anzahl": "4",
                "csrf_token": csrf_from(page),
            },
        )
        assert refused.status_code == 403


def test_other_class_teacher_sees_no_foreign_session(
    test_app: FastAPI, store: OperationalStore, bank: ItemBank
) -> None:
    sitting = make_sitting(store, bank)
    with logged_in(test_app, OTHER_TEACHER) as client:
        assert f"Sitzung {sitting.session_id}<" not in client.get("/intern/tests").text
        assert client.get(f"/intern/tests/sitzungen/{sitting.session_id}").status_code == 403
        assert client.get(f"/intern/tests/kodierung/{sitting.session_id}").status_code == 403


def test_progress_pause_extend_unlock_end(
    test_app: FastAPI, store: OperationalStore, bank: ItemBank
) -> None:
    sitting = make_sitting(store, bank)
    url = f"/intern/tests/sitzungen/{sitting.session_id}"
    with TestClient(test_app, follow_redirects=False) as student:
        assert enter(student, sitting.codes[0][0])[0] == 303
    with TestClient(test_app, follow_redirects=False) as second_device:
        assert enter(second_device, sitting.codes[0][0])[0] == 400  # locks the attempt
    with logged_in(test_app, TEACHER) as client:
        page = client.get(url)
        token = csrf_from(page)
        assert 'hx-trigger="every 5s"' in page.text and "gesperrt" in page.text
        # The htmx poll gets the progress table alone.
        partial = client.get(url, headers={"HX-Request": "true"})
        assert partial.text.lstrip().startswith('<div id="fortschritt"')
        with store.session() as db:
            attempt_id = db.scalars(select(Attempt.id)).one()

        def act(aktion: str, **extra: str) -> str:
            response = client.post(url, data={"aktion": aktion, "csrf_token": token, **extra})
            assert response.status_code == 303, response.text
            text: str = client.get(response.headers["location"]).text
            return text

        assert "Zugang ist freigegeben" in act("freigeben", versuch=str(attempt_id))
        assert "Zeit aller" in act("pausieren")
        assert "läuft weiter" in act("fortsetzen")
        assert "verlängert" in act("verlaengern", minuten="10")
        with store.session() as db:
            attempt = db.get(Attempt, attempt_id)
            assert attempt is not None and attempt.extra_seconds == 600
        assert "Sitzung ist beendet" in act("beenden")
        with store.session() as db:
            attempt = db.get(Attempt, attempt_id)
            assert attempt is not None and attempt.status == AttemptStatus.ABGEGEBEN.value
        # A second end is refused with the domain's German reason.
        again = client.post(url, data={"aktion": "beenden", "csrf_token": token})
        assert again.status_code == 409 and "bereits beendet" in again.text


def test_attempt_of_another_session_cannot_be_unlocked_here(
    test_app: FastAPI, store: OperationalStore, bank: ItemBank
) -> None:
    sitting = make_sitting(store, bank)
    with store.session() as db:
        other = Sitting(
            test_id=db.scalars(select(Definition.id)).one(),
            schulnummer="999999",
            klasse="5c",
            created_by="test",
            codes_expire_at=db.get(Sitting, sitting.session_id).codes_expire_at,  # type: ignore[union-attr]
        )
        db.add(other)
    with TestClient(test_app, follow_redirects=False) as student:
        assert enter(student, sitting.codes[0][0])[0] == 303
    with store.session() as db:
        attempt_id = db.scalars(select(Attempt.id)).one()
        other_id = db.scalars(select(Sitting.id).where(Sitting.klasse == "5c")).one()
    with logged_in(test_app, TEACHER) as client:
        token = csrf_from(client.get("/intern/tests"))
        # Own session id, foreign attempt: refused before the domain is asked.
        response = client.post(
            f"/intern/tests/sitzungen/{sitting.session_id}",
            data={"aktion": "freigeben", "versuch": str(attempt_id + 1000), "csrf_token": token},
        )
        assert response.status_code == 404
        response = client.post(
            f"/intern/tests/sitzungen/{other_id}",
            data={"aktion": "freigeben", "versuch": str(attempt_id), "csrf_token": token},
        )
        assert response.status_code == 403


def test_land_creates_a_test_from_the_bank(test_app: FastAPI, store: OperationalStore) -> None:
    with logged_in(test_app, LAND) as client:
        page = client.get("/intern/tests/verwaltung")
        assert page.status_code == 200 and "T8_ORDNEN@v1" in page.text
        form = {
            "kennung": "D8-2027",
            "titel": "Deutsch 8",
            "bereich": "Deutsch",
            "jahrgang": "8",
            "cluster": "T8_WAHL, T8_MEHR\nT8_LUECKE T8_DREIECK\nT8_ORDNEN",
            "bloecke": "2",
            "minuten": "15",
            "csrf_token": csrf_from(page),
        }
        created = client.post("/intern/tests/verwaltung", data=form)
        assert created.status_code == 200 and "Der Test D8-2027 ist angelegt" in created.text
        again = client.post("/intern/tests/verwaltung", data=form)
        assert again.status_code == 400 and "bereits einen Test" in again.text
        # The form keeps what was typed.
        assert "T8_LUECKE T8_DREIECK" in again.text
        missing = client.post(
            "/intern/tests/verwaltung", data={**form, "kennung": "X", "cluster": "GIBTS_NICHT"}
        )
        assert missing.status_code == 400 and "GIBTS_NICHT" in missing.text
    with store.session() as db:
        test = db.scalars(select(Definition).where(Definition.key == "D8-2027")).one()
        assert test.block_minutes == 15
    with logged_in(test_app, TEACHER) as client:
        assert client.get("/intern/tests/verwaltung").status_code == 403


def _hand_in(store: OperationalStore, code: str) -> int:
    with store.session() as db:
        attempt = open_attempt(db, code, "geraet-" + "k" * 40).attempt
        items = attempt_items(db, attempt)
        seq = 0
        for block in sorted({b.block for b in items}):
            events = []
            for b in items:
                if b.block == block:
                    seq += 1
                    events.append(AnswerEvent(seq, b.item_ref, ANSWERS[b.item_ref]))
            record_answers(db, attempt, events)
            next_block(db, attempt)
        return attempt.id


def test_coding_one_answer_at_a_time_pass_two_blind(
    test_app: FastAPI, store: OperationalStore, bank: ItemBank
) -> None:
    sitting = make_sitting(store, bank)
    attempt_id = _hand_in(store, sitting.codes[0][0])
    make_user(store, "sven.schulleitung", [(Role.SCHULLEITUNG, ScopeType.SCHULE, SCHOOL)])
    url = f"/intern/tests/kodierung/{sitting.session_id}"
    with logged_in(test_app, TEACHER) as client:
        overview = client.get("/intern/tests/kodierung")
        assert overview.status_code == 200 and "1. Durchgang: 1 offen" in overview.text
        page = client.get(url, params={"durchgang": 1})
        assert "Weil jede gerade Zahl 2 · n ist." in page.text
        assert "Platz" in page.text
        response = client.post(
            url,
            data={
                "versuch": str(attempt_id),
                "aufgabe": "T8_BEGRUENDEN@v1",
                "durchgang": "1",
                "kode": "2",
                "csrf_token": csrf_from(page),
            },
        )
        assert response.status_code == 303
        assert "nichts mehr zu kodieren" in client.get(response.headers["location"]).text
        # The same person may not do the second pass.
        assert "nichts mehr zu kodieren" in client.get(url, params={"durchgang": 2}).text
    with logged_in(test_app, "sven.schulleitung") as client:
        page = client.get(url, params={"durchgang": 2})
        assert "Weil jede gerade Zahl" in page.text
        # Blind: the first code is not on the page.
        assert "vollständig gelöst" in page.text and "checked" not in page.text
        response = client.post(
            url,
            data={
                "versuch": str(attempt_id),
                "aufgabe": "T8_BEGRUENDEN@v1",
                "durchgang": "2",
                "kode": "1",
                "csrf_token": csrf_from(page),
            },
        )
        assert response.status_code == 303
    with store.session() as db:
        codes = {c.pass_no: (c.score, c.coder) for c in db.scalars(select(Coding))}
    assert codes == {1: (2, TEACHER), 2: (1, "sven.schulleitung")}
    with logged_in(test_app, LAND) as client:
        page = client.get("/intern/tests/kodierung")
        assert "Übereinstimmung der Kodierungen" in page.text
        assert "zu wenige Doppelkodierungen" in page.text
    assert _count(store, Coding) == 2


def test_school_head_proctors_any_class_of_the_school_only(
    test_app: FastAPI, store: OperationalStore, bank: ItemBank
) -> None:
    make_sitting(store, bank)
    # erika.k (conftest): Schulleitung of SCHOOL.
    with TestClient(test_app, follow_redirects=False) as client:
        assert login(client, "erika.k", PASSWORD).status_code == 303
        page = client.get("/intern/tests")
        assert '<select id="schulnummer" name="schulnummer">' in page.text
        form = {
            "test": "M8-TEST",
            "schulnummer": SCHOOL,
            "klasse": "10 b",
            "anzahl": "2",
            "csrf_token": csrf_from(page),
        }
        created = client.post("/intern/tests/sitzungen", data=form)
        assert created.status_code == 200 and created.text.count('<td class="code">') == 2
        assert "Klasse 10 b" in created.text
        other = client.post("/intern/tests/sitzungen", data={**form, "schulnummer": "999999"})
        assert other.status_code == 403
    with store.session() as db:
        classes = set(db.scalars(select(Sitting.klasse)))
    assert classes == {KLASSE, "10 b"}
