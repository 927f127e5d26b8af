"""Research access: disclosure-controlled tables and microdata extract requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from bimo.accounts.policy import Action, Principal
from bimo.research import ResearchError, list_requests, submit_request
from bimo.web.data import portal_data
from bimo.web.deps import authorize, current_principal, web_context
from bimo.web.intern.common import authorized, need_login
from bimo.web.rendering import render

router = APIRouter()
PrincipalDep = Annotated[Principal, Depends(current_principal)]


def _page(
    request: Request,
    principal: Principal,
    *,
    meldung: str = "",
    fehler: str = "",
    zweck: str = "",
    tabellen: str = "",
    status_code: int = 200,
) -> Response:
    assert principal.user_id is not None
    with web_context(request).store.session() as db:
        antraege = [
            {
                "nr": r.id,
                "datum": r.created_at.strftime("%d.%m.%Y"),
                "tabellen": r.tables.replace(",", ", "),
                "zweck": r.purpose,
                "status": r.status,
                "notiz": r.decision_note or "",
            }
            for r in list_requests(db, principal.user_id)
        ]
    catalog = portal_data(request).catalog
    return render(
        request,
        "intern/forschung.html",
        {
            "title": "Forschung",
            "active": "intern",
            "indikatoren": [(i.id, i.short_title) for i in catalog],
            "antraege": antraege,
            "meldung": meldung,
            "fehler": fehler,
            "zweck": zweck,
            "tabellen": tabellen,
        },
        status_code=status_code,
    )


@router.get("/intern/forschung", name="intern_forschung", response_class=HTMLResponse)
def research(request: Request, principal: PrincipalDep) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    authorize(principal, Action.REQUEST_MICRODATA)
    return _page(request, principal)


@router.post("/intern/forschung", name="intern_forschung_antrag", response_class=HTMLResponse)
def research_request(
    request: Request,
    # Login and right first, then the form fields (403 before 422).
    principal: Annotated[Principal, Depends(authorized(Action.REQUEST_MICRODATA))],
    zweck: Annotated[str, Form(max_length=5_000)],
    tabellen: Annotated[str, Form(max_length=1_000)],
) -> Response:
    assert principal.user_id is not None and principal.login is not None
    try:
        with web_context(request).store.session() as db:
            antrag = submit_request(db, principal.user_id, principal.login, zweck, tabellen)
            nr = antrag.id
    except ResearchError as exc:
        return _page(
            request, principal, fehler=str(exc), zweck=zweck, tabellen=tabellen, status_code=400
        )
    return _page(request, principal, meldung=f"Ihr Antrag Nr. {nr} ist eingegangen.")
