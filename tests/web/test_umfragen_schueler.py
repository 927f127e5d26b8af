"""Student pages: code → questionnaire → thanks, anonymously and without the code in a URL."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from bimo.core.operational import OperationalStore
from bimo.surveys.models import SurveyAnswer
from bimo.surveys.rounds import UNKNOWN_CODE, open_round, today
from bimo.web.umfragen.common import instrument
from tests.web.helpers import csrf_from
from tests.web.testclient import TestClient

INSTRUMENT = "stundenfeedback"


def _open(store: OperationalStore, *, jahrgang: int = 5, single_use: bool = True) -> list[str]:
    with store.session() as db:
        opened = open_round(
            db,
            instrument_id=INSTRUMENT,
            schulnummer="100001",
            klasse="5a",
            jahrgang=jahrgang,
            teacher="lehrer.l",
            single_use=single_use,
            n_codes=6,
            closes_on=today() + timedelta(days=7),
        )
        return list(opened.codes)


def _stored(store: OperationalStore) -> list[dict[str, object]]:
    with store.session() as db:
        return list(db.scalars(select(SurveyAnswer.answers)))


def _enter(client: TestClient, code: str) -> tuple[int, str, str]:
    token = csrf_from(client.get("/umfrage"))
    response = client.post("/umfrage", data={"code": code, "csrf_token": token})
    return response.status_code, response.text, token


def test_code_form_is_accessible_and_code_goes_in_a_post_body(client: TestClient) -> None:
    page = client.get("/umfrage")
    assert page.status_code == 200
    assert '<form method="post" action="/umfrage"' in page.text
    assert '<label for="code">Dein Code</label>' in page.text
    assert "anonym" in page.text


def test_student_answers_and_sees_the_thank_you_page(
    client: TestClient, store: OperationalStore
) -> None:
    code = _open(store)[0]
    status, text, token = _enter(client, code.lower().replace("-", " "))  # as typed on a phone
    assert status == 200
    inst = instrument(INSTRUMENT)
    # Grade-band wording: Jahrgang 5 reads the primary-school text, not the older one.
    assert "Heute habe ich etwas Neues gelernt." in text
    assert "In dieser Stunde habe ich etwas dazugelernt." not in text
    assert text.count("<fieldset") == len(inst.item_ids)
    assert text.count("<legend>") == len(inst.item_ids)
    assert 'action="/umfrage/antworten"' in text
    answers = {"st1": "4", "st2": "3", "st3": "1", "st4": "4", "sz1": "2", "sz2": "1"}
    response = client.post(
        "/umfrage/antworten",
        data={
            **answers,
            "st_offen": "  Mehr   Gruppenarbeit ",
            "code": code.lower().replace("-", " "),
            "csrf_token": token,
        },
    )
    assert response.status_code == 200, response.text
    assert "Danke!" in response.text
    stored = _stored(store)
    assert stored == [{**{k: int(v) for k, v in answers.items()}, "st_offen": "Mehr Gruppenarbeit"}]
    # The single-use code is spent.
    again, text, _ = _enter(client, code)
    assert again == 422 and UNKNOWN_CODE in text


def test_older_classes_read_the_older_wording(client: TestClient, store: OperationalStore) -> None:
    code = _open(store, jahrgang=9, single_use=False)[0]
    status, text, _ = _enter(client, code)
    assert status == 200
    assert "In dieser Stunde habe ich etwas dazugelernt." in text
    assert "Heute habe ich etwas Neues gelernt." not in text


def test_unknown_and_empty_codes_are_refused_with_a_reason(client: TestClient) -> None:
    status, text, _ = _enter(client, "ABCDE-23456")
    assert status == 422 and UNKNOWN_CODE in text and 'aria-invalid="true"' in text
    status, text, _ = _enter(client, "  ")
    assert status == 422 and "Bitte gib deinen Code ein." in text
    status, text, _ = _enter(client, "zu kurz")
    assert status == 422 and "10 Zeichen" in text


def test_invalid_answer_keeps_the_answers_and_stores_nothing(
    client: TestClient, store: OperationalStore
) -> None:
    code = _open(store)[0]
    _, _, token = _enter(client, code)
    response = client.post(
        "/umfrage/antworten",
        data={"st1": "7", "st2": "3", "code": code, "csrf_token": token},
    )
    assert response.status_code == 422
    assert "zwischen 1 und 4" in response.text
    assert 'name="st2" value="3" checked' in response.text
    assert _stored(store) == []
    # Nothing answered at all: refused as well, the code stays usable.
    response = client.post("/umfrage/antworten", data={"code": code, "csrf_token": token})
    assert response.status_code == 422 and "noch keine Frage beantwortet" in response.text
    status, _, _ = _enter(client, code)
    assert status == 200


def test_no_copy_of_code_or_answers_is_kept_and_the_log_has_neither(
    client: TestClient, store: OperationalStore, caplog: pytest.LogCaptureFixture
) -> None:
    code = _open(store)[0]
    with caplog.at_level(logging.INFO, logger="bimo.web.zugriff"):
        _, _, token = _enter(client, code)
        response = client.post(
            "/umfrage/antworten", data={"st1": "2", "code": code, "csrf_token": token}
        )
    assert response.status_code == 200
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "bimo.web.zugriff"]
    assert {line["pfad"] for line in lines} == {"/umfrage", "/umfrage/antworten"}
    for line in lines:
        assert set(line) == {"ereignis", "id", "methode", "pfad", "status", "dauer_ms"}
        assert code not in json.dumps(line)


def test_questionnaire_is_not_cached(client: TestClient, store: OperationalStore) -> None:
    code = _open(store)[0]
    token = csrf_from(client.get("/umfrage"))
    response = client.post("/umfrage", data={"code": code, "csrf_token": token})
    assert response.headers["cache-control"] == "no-store"
