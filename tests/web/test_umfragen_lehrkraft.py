"""Teachers' survey pages: open a round (code sheet), close it, release it; only own classes."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import select

from bimo.accounts.roles import Role, ScopeType
from bimo.core.operational import OperationalStore
from bimo.surveys.models import SurveyCode, SurveyRound
from bimo.surveys.rounds import code_digest, open_round, today
from tests.web.helpers import csrf_from
from tests.web.intern_helpers import logged_in, make_user
from tests.web.testclient import TestClient

SCHOOL = "100001"
CLASS_URL = f"/intern/umfragen/schulen/{SCHOOL}/klassen/5a"
CODE = re.compile(r'<span class="code">([^<]+)</span>')


def _teacher(store: OperationalStore, name: str = "lena.lehrkraft", klasse: str = "5a") -> str:
    return make_user(store, name, [(Role.LEHRKRAFT, ScopeType.KLASSE, f"{SCHOOL}/{klasse}")])


def _form(client: TestClient, **values: str) -> dict[str, str]:
    token = csrf_from(client.get(CLASS_URL))
    data = {
        "fragebogen": "wohlbefinden",
        "jahrgang": "5",
        "codeart": "einzeln",
        "anzahl": "8",
        "schliesst_am": (today() + timedelta(days=3)).isoformat(),
        "mindestzahl": "",
        "csrf_token": token,
    }
    data.update(values)
    return data


def test_overview_lists_own_classes_only(app: FastAPI, store: OperationalStore) -> None:
    with logged_in(app, _teacher(store)) as client:
        page = client.get("/intern/umfragen")
    assert page.status_code == 200
    assert f'href="{CLASS_URL}"' in page.text
    assert "/intern/umfragen/land" not in page.text
    assert "Schulbericht" not in page.text


def test_class_page_offers_the_open_form_with_the_grade_from_the_class_name(
    app: FastAPI, store: OperationalStore
) -> None:
    with logged_in(app, _teacher(store)) as client:
        page = client.get(CLASS_URL)
    assert page.status_code == 200
    assert "Für diese Klasse gibt es noch keine Umfragerunde." in page.text
    assert 'id="jahrgang" name="jahrgang" type="number" min="1" max="13" required ' in page.text
    assert 'value="5"' in page.text
    for label in ("Fragebogen", "Art der Codes", "Antworten möglich bis einschließlich"):
        assert label in page.text


def test_opening_a_round_shows_the_codes_once_and_stores_digests_only(
    app: FastAPI, store: OperationalStore
) -> None:
    with logged_in(app, _teacher(store)) as client:
        sheet = client.post(CLASS_URL, data=_form(client))
        assert sheet.status_code == 200, sheet.text
        assert sheet.headers["cache-control"] == "no-store"
        codes = CODE.findall(sheet.text)
        assert len(codes) == 8 and len(set(codes)) == 8
        with store.session() as db:
            (survey_round,) = db.scalars(select(SurveyRound)).all()
            digests = set(db.scalars(select(SurveyCode.code_hash)))
            assert (survey_round.teacher, survey_round.jahrgang) == ("lena.lehrkraft", 5)
            assert survey_round.single_use
        assert digests == {code_digest(c) for c in codes}
        # The class page lists the round but never shows a code again.
        page = client.get(CLASS_URL)
        round_url = f"{CLASS_URL}/runden/{survey_round.id}"
        assert f'href="{round_url}"' in page.text
        for code in codes:
            assert code not in page.text and code not in client.get(round_url).text


def test_class_code_sheet_has_one_code(app: FastAPI, store: OperationalStore) -> None:
    with logged_in(app, _teacher(store)) as client:
        sheet = client.post(CLASS_URL, data=_form(client, codeart="klasse", anzahl="25"))
    assert sheet.status_code == 200
    assert len(CODE.findall(sheet.text)) == 1
    assert "Der Klassencode gilt für bis zu 25 Abgaben." in sheet.text


def test_invalid_form_is_shown_again_with_the_reason(app: FastAPI, store: OperationalStore) -> None:
    with logged_in(app, _teacher(store)) as client:
        cases = {
            "Bitte wählen Sie einen Fragebogen.": {"fragebogen": "gibt-es-nicht"},
            "Jahrgangsstufe: bitte eine ganze Zahl eingeben.": {"jahrgang": "fünf"},
            "Bitte geben Sie das Enddatum als Datum an.": {"schliesst_am": "morgen"},
            "nicht unter 5 gesenkt": {"mindestzahl": "3"},
            "Vergangenheit": {"schliesst_am": (today() - timedelta(days=1)).isoformat()},
            "Bitte zwischen 5 und 60": {"anzahl": "3"},
        }
        for message, values in cases.items():
            page = client.post(CLASS_URL, data=_form(client, **values))
            assert page.status_code == 422, message
            assert message in page.text, message
            assert 'role="alert"' in page.text
    with store.session() as db:
        assert db.scalars(select(SurveyRound)).all() == []


def test_close_release_and_withdraw(app: FastAPI, store: OperationalStore) -> None:
    with logged_in(app, _teacher(store)) as client:
        client.post(CLASS_URL, data=_form(client))
        with store.session() as db:
            round_id = db.scalars(select(SurveyRound.id)).one()
        url = f"{CLASS_URL}/runden/{round_id}"
        page = client.get(url)
        assert (
            "Runde jetzt beenden" in page.text and "Freigabe für den Schulbericht" not in page.text
        )
        token = csrf_from(page)
        done = client.post(url + "/schliessen", data={"csrf_token": token})
        assert done.status_code == 303 and done.headers["location"] == url + "?erledigt=geschlossen"
        page = client.get(done.headers["location"])
        assert "Die Runde ist geschlossen." in page.text
        assert "Ich habe die Erläuterung gelesen" in page.text
        # The consent checkbox is required (also without the browser's check).
        refused = client.post(url + "/freigabe", data={"csrf_token": token})
        assert refused.status_code == 400
        assert (
            client.post(url + "/freigabe", data={"csrf_token": token, "einverstanden": "ja"})
            .headers["location"]
            .endswith("erledigt=freigegeben")
        )
        with store.session() as db:
            assert db.get(SurveyRound, round_id).released  # type: ignore[union-attr]
        assert "Freigabe zurückziehen" in client.get(url).text
        client.post(url + "/freigabe-zurueckziehen", data={"csrf_token": token})
        with store.session() as db:
            assert not db.get(SurveyRound, round_id).released  # type: ignore[union-attr]
        # Closing twice: the domain's reason, not a crash.
        again = client.post(url + "/schliessen", data={"csrf_token": token})
        assert again.status_code == 409 and "bereits beendet" in again.text


def test_rounds_of_another_class_are_not_found_even_by_id(
    app: FastAPI, store: OperationalStore
) -> None:
    with store.session() as db:
        other = open_round(
            db,
            instrument_id="wohlbefinden",
            schulnummer=SCHOOL,
            klasse="5b",
            jahrgang=5,
            teacher="someone.else",
            single_use=False,
            n_codes=20,
            closes_on=today() + timedelta(days=2),
        ).round.id
    with logged_in(app, _teacher(store)) as client:
        token = csrf_from(client.get(CLASS_URL))
        # Own class in the URL, foreign round id: not found (no report, no actions).
        assert client.get(f"{CLASS_URL}/runden/{other}").status_code == 404
        closing = client.post(f"{CLASS_URL}/runden/{other}/schliessen", data={"csrf_token": token})
        assert closing.status_code == 404
        # Foreign class in the URL: refused by the policy.
        foreign = f"/intern/umfragen/schulen/{SCHOOL}/klassen/5b"
        assert client.get(f"{foreign}/runden/{other}").status_code == 403
        assert client.post(foreign, data=_form(client)).status_code == 403
    with store.session() as db:
        assert db.get(SurveyRound, other).closed_on is None  # type: ignore[union-attr]


def test_schulleitung_does_not_see_class_rounds(app: FastAPI, store: OperationalStore) -> None:
    # erika.k is Schulleitung of the school: class surveys still belong to the teacher.
    from tests.web.conftest import PASSWORD
    from tests.web.helpers import login

    with TestClient(app, follow_redirects=False) as client:
        assert login(client, "erika.k", PASSWORD).status_code == 303
        assert client.get(CLASS_URL).status_code == 403
        overview = client.get("/intern/umfragen")
    assert f'/intern/umfragen/schulen/{SCHOOL}"' in overview.text
    assert CLASS_URL not in overview.text


def test_round_numbers_out_of_range_are_refused_before_any_lookup(
    app: FastAPI, store: OperationalStore
) -> None:
    with logged_in(app, _teacher(store)) as client:
        for bad in ("0", "99999999999999999999", "abc"):
            assert client.get(f"{CLASS_URL}/runden/{bad}").status_code == 422, bad
