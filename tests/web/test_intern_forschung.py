"""Research access: tables and microdata requests (role forschung only, audited)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from bimo.accounts import service
from bimo.accounts.roles import Role, ScopeType
from bimo.core.operational import OperationalStore, list_events
from bimo.research import (
    RequestStatus,
    ResearchError,
    decide,
    list_requests,
    parse_tables,
    submit_request,
)
from tests.web.helpers import csrf_from
from tests.web.intern_helpers import logged_in, make_user

PURPOSE = "Übergänge nach der Grundschule und Lernstand in Klasse 8 (Projekt ÜBERGANG)."


def test_research_request_flow(data_app: FastAPI, store: OperationalStore) -> None:
    make_user(store, "forscherin", [(Role.FORSCHUNG, ScopeType.GLOBAL, "")])
    make_user(store, "forscher.zwei", [(Role.FORSCHUNG, ScopeType.GLOBAL, "")])
    with logged_in(data_app, "forscherin") as client:
        page = client.get("/intern/forschung")
        assert page.status_code == 200
        assert "/indikatoren/D21" in page.text and "noch keinen Antrag" in page.text
        token = csrf_from(page)
        sent = client.post(
            "/intern/forschung",
            data={"csrf_token": token, "zweck": PURPOSE, "tabellen": "D21, D22 D21"},
        )
        assert sent.status_code == 200 and "ist eingegangen" in sent.text
        assert "D21, D22" in sent.text and "beantragt" in sent.text
        short = client.post(
            "/intern/forschung", data={"csrf_token": token, "zweck": "kurz", "tabellen": "D21"}
        )
        assert short.status_code == 400 and "Zweck" in short.text
        no_csrf = client.post("/intern/forschung", data={"zweck": PURPOSE, "tabellen": "D21"})
        assert no_csrf.status_code == 403
    with logged_in(data_app, "forscher.zwei") as other:
        assert "noch keinen Antrag" in other.get("/intern/forschung").text
    with logged_in(data_app, "erika.k") as erika:
        assert erika.get("/intern/forschung").status_code == 403
    with store.session() as db:
        (request,) = list_requests(db)
        assert request.tables == "D21,D22" and request.status == "beantragt"
        events = list_events(action="research.request", db=db)
    assert [(e.actor, e.object_id) for e in events] == [("forscherin", str(request.id))]


def test_decisions_are_final_and_audited(store: OperationalStore) -> None:
    make_user(store, "forscher.drei", [(Role.FORSCHUNG, ScopeType.GLOBAL, "")])
    with store.session() as db:
        user_id = service.get_user(db, "forscher.drei").id
        request = submit_request(db, user_id, "forscher.drei", PURPOSE, "assessment_results")
        decided = decide(db, request.id, RequestStatus.ABGELEHNT, actor="datenstelle", note="Nein")
        assert decided.status == "abgelehnt" and decided.decided_by == "datenstelle"
        with pytest.raises(ResearchError, match="bereits abgelehnt"):
            decide(db, request.id, RequestStatus.GENEHMIGT, actor="datenstelle")
        with pytest.raises(ResearchError, match="keinen Antrag"):
            decide(db, 9999, RequestStatus.GENEHMIGT, actor="datenstelle")
        assert [e.action for e in list_events(object_type="microdata_request", db=db)] == [
            "research.request",
            "research.decide",
        ]


def test_table_names_are_checked() -> None:
    assert parse_tables("D21;D22\nschools") == ("D21", "D22", "schools")
    with pytest.raises(ResearchError, match="Ungültige Angabe"):
        parse_tables("D21, ../geheim")
    with pytest.raises(ResearchError, match="mindestens einen"):
        parse_tables("  ,")


def test_authorisation_comes_before_form_validation(data_app: FastAPI) -> None:
    with logged_in(data_app, "erika.k") as erika:
        token = csrf_from(erika.get("/intern"))
        response = erika.post("/intern/forschung", data={"csrf_token": token})
        assert response.status_code == 403, response.text
    make_user(data_app.state.bimo.store, "forscherin.b", [(Role.FORSCHUNG, ScopeType.GLOBAL, "")])
    with logged_in(data_app, "forscherin.b") as client:
        token = csrf_from(client.get("/intern/forschung"))
        # With the right, the incomplete form is what is wrong.
        assert client.post("/intern/forschung", data={"csrf_token": token}).status_code == 422
