"""PDF downloads of the class report (teacher), the school report (Schulleitung) and the
Land report.

Same checks as the screen pages; a withheld report has no PDF (404 with the reason)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from bimo.accounts.policy import Action, ClassRef, SchoolRef
from bimo.surveys.report_pdf import class_report_pdf, land_report_pdf, school_report_pdf
from bimo.surveys.reporting import Withheld, class_report, land_report, school_report
from bimo.surveys.rounds import is_open
from bimo.web.deps import authorize, web_context
from bimo.web.intern.common import need_login
from bimo.web.umfragen.common import PrincipalDep, RoundId, instrument
from bimo.web.umfragen.lehrkraft import BASE, round_of_class
from bimo.web.umfragen.leitung import choose

router = APIRouter()


def _pdf(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            # A class's results: never in a shared cache or the browser's disk cache.
            "Cache-Control": "no-store",
        },
    )


@router.get(BASE + "/runden/{round_id}/bericht.pdf", name="umfragen_runde_pdf")
def class_pdf(
    request: Request, schulnummer: str, klasse: str, round_id: RoundId, principal: PrincipalDep
) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    authorize(principal, Action.VIEW_SURVEY_CLASS, ClassRef(schulnummer, klasse))
    with web_context(request).store.session() as db:
        survey_round = round_of_class(db, round_id, schulnummer, klasse)
        if is_open(survey_round):
            raise HTTPException(
                status_code=404, detail="Den Bericht gibt es, sobald die Runde beendet ist."
            )
        report = class_report(db, round_id)
    if isinstance(report, Withheld):
        raise HTTPException(status_code=404, detail=report.reason)
    content = class_report_pdf(report, instrument(report.instrument_id))
    return _pdf(content, f"umfrage-{report.instrument_id}-runde-{round_id}.pdf")


@router.get("/intern/umfragen/schulen/{schulnummer}/bericht.pdf", name="umfragen_schule_pdf")
def school_pdf(
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
        fragebogen, _available, period = choose(db, fragebogen, halbjahr, schulnummer)
        report = school_report(db, schulnummer, fragebogen, period=period)
    if isinstance(report, Withheld):
        raise HTTPException(status_code=404, detail=report.reason)
    content = school_report_pdf(report, instrument(report.instrument_id))
    return _pdf(content, f"schulbericht-{schulnummer}-{fragebogen}.pdf")


@router.get("/intern/umfragen/land/bericht.pdf", name="umfragen_land_pdf")
def land_pdf(
    request: Request, principal: PrincipalDep, fragebogen: str = "", halbjahr: str = ""
) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    authorize(principal, Action.VIEW_SURVEY_LAND)
    with web_context(request).store.session() as db:
        fragebogen, _available, period = choose(db, fragebogen, halbjahr, None)
        report = land_report(db, fragebogen, period=period)
    if isinstance(report, Withheld):
        raise HTTPException(status_code=404, detail=report.reason)
    content = land_report_pdf(report, instrument(report.instrument_id))
    return _pdf(content, f"umfragen-land-{fragebogen}.pdf")
