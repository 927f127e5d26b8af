"""Aggregates for the Schulleitung (released rounds of its school) and the Land (across
schools). Both only ever see what :mod:`bimo.surveys.reporting` publishes: whole released
rounds, at least the minimum of answers and of classes/schools per shown cell."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from bimo.accounts.policy import Action, SchoolRef
from bimo.surveys.reporting import LandReport, SchoolReport, Withheld, land_report, periods
from bimo.surveys.reporting import school_report as build_school_report
from bimo.web.deps import authorize, web_context
from bimo.web.intern.common import need_login
from bimo.web.rendering import render
from bimo.web.umfragen.common import PrincipalDep, instruments, report_helpers

router = APIRouter()


def choose(
    db: Session, fragebogen: str, halbjahr: str, schulnummer: str | None
) -> tuple[str, list[str], str | None]:
    """The instrument asked for (default: the first one with released rounds, by title),
    its half-years with released rounds, and the half-year asked for (default: newest)."""
    ordered = sorted(instruments().values(), key=lambda i: i.titel)
    if fragebogen and fragebogen not in instruments():
        raise HTTPException(status_code=404, detail="Diesen Fragebogen gibt es nicht.")
    if not fragebogen:
        with_data = [i.id for i in ordered if periods(db, i.id, schulnummer)]
        fragebogen = with_data[0] if with_data else ordered[0].id
    available = periods(db, fragebogen, schulnummer)
    if halbjahr and halbjahr not in available:
        raise HTTPException(status_code=404, detail="Für dieses Halbjahr gibt es keine Runden.")
    return fragebogen, available, halbjahr or None


def _page(
    request: Request,
    template: str,
    title: str,
    report: SchoolReport | LandReport | Withheld,
    fragebogen: str,
    available: list[str],
    **extra: object,
) -> Response:
    return render(
        request,
        template,
        {
            "title": title,
            "active": "intern",
            "bericht": report,
            "fragebogen": fragebogen,
            "fragebogen_liste": sorted(
                ((i.id, i.titel) for i in instruments().values()), key=lambda t: t[1]
            ),
            "halbjahre": available,
            "gewaehlt": report.period if not isinstance(report, Withheld) else "",
            **report_helpers(),
            **extra,
        },
    )


@router.get(
    "/intern/umfragen/schulen/{schulnummer}", name="umfragen_schule", response_class=HTMLResponse
)
def school_page(
    request: Request,
    schulnummer: str,
    principal: PrincipalDep,
    fragebogen: str = "",
    halbjahr: str = "",
) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    authorize(principal, Action.VIEW_SURVEY_SCHOOL, SchoolRef(schulnummer))
    with web_context(request).store.session() as db:
        fragebogen, available, period = choose(db, fragebogen, halbjahr, schulnummer)
        report = build_school_report(db, schulnummer, fragebogen, period=period)
    return _page(
        request,
        "umfragen/schule.html",
        f"Schulbericht Umfragen, Schule {schulnummer}",
        report,
        fragebogen,
        available,
        schulnummer=schulnummer,
    )


@router.get("/intern/umfragen/land", name="umfragen_land", response_class=HTMLResponse)
def land_page(
    request: Request, principal: PrincipalDep, fragebogen: str = "", halbjahr: str = ""
) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    authorize(principal, Action.VIEW_SURVEY_LAND)
    with web_context(request).store.session() as db:
        fragebogen, available, period = choose(db, fragebogen, halbjahr, None)
        report = land_report(db, fragebogen, period=period)
    return _page(request, "umfragen/land.html", "Umfragen im Land", report, fragebogen, available)
