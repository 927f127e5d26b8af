"""Teachers' survey pages: rounds of their classes, opening a round and the code sheet,
closing, the class report (+ PDF) and the release for the school report.

Every route asks the policy for the class in its URL first (``RUN_SURVEY`` /
``VIEW_SURVEY_CLASS``: the class's own teacher only) and then checks that the round in the URL
belongs to that class, so a round id of another class is simply "not found".
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from bimo.accounts.policy import Action, ClassRef, Principal, can
from bimo.core.config import get_settings
from bimo.surveys.models import SurveyRound
from bimo.surveys.reporting import class_report
from bimo.surveys.rounds import (
    MAX_CODES,
    SurveyError,
    close_round,
    get_round,
    is_open,
    open_round,
    release_round,
    rounds_of_class,
    today,
    withdraw_release,
)
from bimo.web.deps import authorize, web_context
from bimo.web.intern.common import need_login
from bimo.web.rendering import render
from bimo.web.umfragen.common import (
    PrincipalDep,
    RoundId,
    grade_of_class,
    instruments,
    report_helpers,
)

router = APIRouter()

DEFAULT_CODES = 30
DEFAULT_DAYS_OPEN = 14
BASE = "/intern/umfragen/schulen/{schulnummer}/klassen/{klasse}"
DONE = {
    "geschlossen": "Die Runde ist geschlossen. Es werden keine Antworten mehr angenommen.",
    "freigegeben": "Die Runde ist für den Schulbericht freigegeben.",
    "zurueckgezogen": (
        "Die Freigabe ist zurückgezogen. Die Runde zählt nicht mehr zum Schulbericht."
    ),
}


def own_classes(principal: Principal) -> list[tuple[str, str]]:
    """(Schulnummer, Klasse) of the classes whose surveys the principal runs."""
    classes = {c for g in principal.grants for c in g.classes}
    return sorted(c for c in classes if can(principal, Action.RUN_SURVEY, ClassRef(*c)))


def _guard(
    request: Request, principal: Principal, schulnummer: str, klasse: str
) -> Response | None:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    authorize(principal, Action.RUN_SURVEY, ClassRef(schulnummer, klasse))
    return None


def round_of_class(db: Session, round_id: int, schulnummer: str, klasse: str) -> SurveyRound:
    """The round, if it belongs to the class of the URL (whose rights were checked)."""
    try:
        survey_round = get_round(db, round_id)
    except SurveyError:
        raise HTTPException(status_code=404, detail="Diese Umfragerunde gibt es nicht.") from None
    if (survey_round.schulnummer, survey_round.klasse) != (schulnummer, klasse):
        raise HTTPException(status_code=404, detail="Diese Umfragerunde gibt es nicht.")
    return survey_round


def _round_row(survey_round: SurveyRound) -> dict[str, object]:
    inst = instruments().get(survey_round.instrument_id)
    return {
        "id": survey_round.id,
        "label": survey_round.label,
        "fragebogen": inst.titel if inst else survey_round.instrument_id,
        "geoeffnet": survey_round.opened_on.strftime("%d.%m.%Y"),
        "schliesst": survey_round.closes_on.strftime("%d.%m.%Y"),
        "geschlossen": not is_open(survey_round),
        "freigegeben": survey_round.released,
        "codeart": "Einzelcodes" if survey_round.single_use else "Klassencode",
    }


def _class_page(
    request: Request,
    schulnummer: str,
    klasse: str,
    *,
    werte: dict[str, str] | None = None,
    fehler: str = "",
    status_code: int = 200,
) -> Response:
    with web_context(request).store.session() as db:
        rows = [_round_row(r) for r in rounds_of_class(db, schulnummer, klasse)]
    grade = grade_of_class(klasse)
    defaults = {
        "fragebogen": "",
        "codeart": "klasse",
        "anzahl": str(DEFAULT_CODES),
        "schliesst_am": (today() + timedelta(days=DEFAULT_DAYS_OPEN)).isoformat(),
        "jahrgang": str(grade) if grade else "",
        "mindestzahl": "",
    }
    return render(
        request,
        "umfragen/klasse.html",
        {
            "title": f"Umfragen der Klasse {klasse}",
            "active": "intern",
            "schulnummer": schulnummer,
            "klasse": klasse,
            "runden": rows,
            "fragebogen_liste": sorted(
                ((i.id, i.titel) for i in instruments().values()), key=lambda t: t[1]
            ),
            "werte": {**defaults, **(werte or {})},
            "fehler": fehler,
            "max_codes": MAX_CODES,
            "heute": today().isoformat(),
            "min_cell": get_settings().min_cell,
        },
        status_code=status_code,
    )


@router.get(BASE, name="umfragen_klasse", response_class=HTMLResponse)
def class_rounds(
    request: Request, schulnummer: str, klasse: str, principal: PrincipalDep
) -> Response:
    if (redirect := _guard(request, principal, schulnummer, klasse)) is not None:
        return redirect
    return _class_page(request, schulnummer, klasse)


def _int(value: str, field: str, low: int, high: int) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise ValueError(f"{field}: bitte eine ganze Zahl eingeben.") from None
    if not low <= number <= high:
        raise ValueError(f"{field}: erlaubt sind {low} bis {high}.")
    return number


@router.post(BASE, name="umfragen_runde_oeffnen", response_class=HTMLResponse)
def open_class_round(
    request: Request,
    schulnummer: str,
    klasse: str,
    principal: PrincipalDep,
    fragebogen: Annotated[str, Form(max_length=64)] = "",
    codeart: Annotated[str, Form(max_length=16)] = "",
    anzahl: Annotated[str, Form(max_length=8)] = "",
    schliesst_am: Annotated[str, Form(max_length=16)] = "",
    jahrgang: Annotated[str, Form(max_length=4)] = "",
    mindestzahl: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    # Authorise before looking at the form: a refused user learns nothing from validation.
    authorize(principal, Action.RUN_SURVEY, ClassRef(schulnummer, klasse))
    assert principal.login is not None
    werte = {
        "fragebogen": fragebogen,
        "codeart": codeart,
        "anzahl": anzahl,
        "schliesst_am": schliesst_am,
        "jahrgang": jahrgang,
        "mindestzahl": mindestzahl,
    }
    try:
        if fragebogen not in instruments():
            raise ValueError("Bitte wählen Sie einen Fragebogen.")
        if codeart not in ("klasse", "einzeln"):
            raise ValueError("Bitte wählen Sie, ob es einen Klassencode oder Einzelcodes gibt.")
        n_codes = _int(anzahl, "Zahl der Schülerinnen und Schüler", 1, MAX_CODES)
        grade = _int(jahrgang, "Jahrgangsstufe", 1, 13)
        try:
            closes_on = date.fromisoformat(schliesst_am.strip())
        except ValueError:
            raise ValueError("Bitte geben Sie das Enddatum als Datum an.") from None
        minimum = _int(mindestzahl, "Mindestzahl", 1, MAX_CODES) if mindestzahl.strip() else None
        with web_context(request).store.session() as db:
            opened = open_round(
                db,
                instrument_id=fragebogen,
                schulnummer=schulnummer,
                klasse=klasse,
                jahrgang=grade,
                teacher=principal.login,
                single_use=codeart == "einzeln",
                n_codes=n_codes,
                closes_on=closes_on,
                min_answers=minimum,
            )
            row = _round_row(opened.round)
            minimum_used = opened.round.min_answers
            codes = list(opened.codes)
    except (ValueError, SurveyError) as exc:
        return _class_page(
            request, schulnummer, klasse, werte=werte, fehler=str(exc), status_code=422
        )
    response = render(
        request,
        "umfragen/codes.html",
        {
            "title": f"Codes für die Klasse {klasse}",
            "active": "intern",
            "schulnummer": schulnummer,
            "klasse": klasse,
            "runde": row,
            "codes": codes,
            "einzeln": codeart == "einzeln",
            "anzahl": n_codes,
            "mindestzahl": minimum_used,
        },
    )
    # The clear codes exist only in this response: no browser or proxy may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(BASE + "/runden/{round_id}", name="umfragen_runde", response_class=HTMLResponse)
def round_page(
    request: Request,
    schulnummer: str,
    klasse: str,
    round_id: RoundId,
    principal: PrincipalDep,
    erledigt: str = "",
) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    authorize(principal, Action.VIEW_SURVEY_CLASS, ClassRef(schulnummer, klasse))
    with web_context(request).store.session() as db:
        survey_round = round_of_class(db, round_id, schulnummer, klasse)
        row = _round_row(survey_round)
        closed = not is_open(survey_round)
        report = class_report(db, survey_round.id) if closed else None
    return render(
        request,
        "umfragen/runde.html",
        {
            "title": f"Umfrage {row['fragebogen']}, Klasse {klasse}",
            "active": "intern",
            "schulnummer": schulnummer,
            "klasse": klasse,
            "runde": row,
            "bericht": report,
            "meldung": DONE.get(erledigt, ""),
            **report_helpers(),
        },
    )


def _after(schulnummer: str, klasse: str, round_id: int, done: str) -> RedirectResponse:
    url = BASE.format(schulnummer=schulnummer, klasse=klasse) + f"/runden/{round_id}"
    return RedirectResponse(f"{url}?erledigt={done}", status_code=303)


def _round_action(
    request: Request,
    principal: Principal,
    schulnummer: str,
    klasse: str,
    round_id: int,
    action: str,
) -> Response:
    authorize(principal, Action.RUN_SURVEY, ClassRef(schulnummer, klasse))
    assert principal.login is not None
    try:
        with web_context(request).store.session() as db:
            round_of_class(db, round_id, schulnummer, klasse)
            if action == "geschlossen":
                close_round(db, round_id, principal.login)
            elif action == "freigegeben":
                release_round(db, round_id, principal.login)
            else:
                withdraw_release(db, round_id, principal.login)
    except SurveyError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    return _after(schulnummer, klasse, round_id, action)


@router.post(
    BASE + "/runden/{round_id}/schliessen",
    name="umfragen_runde_schliessen",
    response_class=HTMLResponse,
)
def close(
    request: Request, schulnummer: str, klasse: str, round_id: RoundId, principal: PrincipalDep
) -> Response:
    return _round_action(request, principal, schulnummer, klasse, round_id, "geschlossen")


@router.post(
    BASE + "/runden/{round_id}/freigabe",
    name="umfragen_runde_freigeben",
    response_class=HTMLResponse,
)
def release(
    request: Request,
    schulnummer: str,
    klasse: str,
    round_id: RoundId,
    principal: PrincipalDep,
    einverstanden: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    authorize(principal, Action.RUN_SURVEY, ClassRef(schulnummer, klasse))
    if einverstanden != "ja":
        raise HTTPException(
            status_code=400,
            detail="Bitte bestätigen Sie, dass Sie die Erläuterung zur Freigabe gelesen haben.",
        )
    return _round_action(request, principal, schulnummer, klasse, round_id, "freigegeben")


@router.post(
    BASE + "/runden/{round_id}/freigabe-zurueckziehen",
    name="umfragen_runde_zurueckziehen",
    response_class=HTMLResponse,
)
def withdraw(
    request: Request, schulnummer: str, klasse: str, round_id: RoundId, principal: PrincipalDep
) -> Response:
    return _round_action(request, principal, schulnummer, klasse, round_id, "zurueckgezogen")
