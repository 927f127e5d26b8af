"""``/intern/umfragen``: each role's way into the survey pages (its classes, its school, the
Land); the links shown are exactly what the policy allows."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bimo.accounts.policy import Action, SchoolRef, can
from bimo.web.intern.common import need_login
from bimo.web.rendering import render
from bimo.web.umfragen.common import PrincipalDep, instruments
from bimo.web.umfragen.lehrkraft import own_classes

router = APIRouter()


@router.get("/intern/umfragen", name="umfragen_start", response_class=HTMLResponse)
def overview(request: Request, principal: PrincipalDep) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    schools = {s for g in principal.grants for s in g.schools}
    return render(
        request,
        "umfragen/start.html",
        {
            "title": "Umfragen",
            "active": "intern",
            "klassen": own_classes(principal),
            "schulen": sorted(
                s for s in schools if can(principal, Action.VIEW_SURVEY_SCHOOL, SchoolRef(s))
            ),
            "land": can(principal, Action.VIEW_SURVEY_LAND),
            "fragebogen": sorted(instruments().values(), key=lambda i: i.titel),
        },
    )
