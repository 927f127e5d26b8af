"""The proctor's pages (Testleitung): sessions of my classes, code sheet, live progress, control.

Who may proctor a class is the policy's decision (:data:`Action.PROCTOR_TEST` on the
:class:`ClassRef`: the class's ``lehrkraft``, the school's ``schulleitung``). Clear access codes
exist only in the response that creates the session: the code sheet is shown (and printed)
exactly once; the database holds only their hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bimo.accounts.policy import Action, ClassRef, Principal, can
from bimo.assessment.delivery.errors import DeliveryError
from bimo.assessment.delivery.models import Attempt, TestDefinition, TestSession
from bimo.assessment.delivery.sessions import (
    create_session,
    end_session,
    extend_time,
    open_session,
    pause_session,
    resume_session,
    session_progress,
    unlock_attempt,
)
from bimo.assessment.delivery.tests import list_tests
from bimo.core.operational import begin_write
from bimo.web.deps import authorize, current_principal, web_context
from bimo.web.intern.common import need_login
from bimo.web.rendering import render
from bimo.web.testen.common import STATUS_LABELS, local_time

router = APIRouter()
PrincipalDep = Annotated[Principal, Depends(current_principal)]

MAX_CODES = 60
# Fixed confirmations after an action (a redirect carries only the key, never free text).
DONE: dict[str, str] = {
    "geoeffnet": "Die Sitzung ist geöffnet: Die Schülerinnen und Schüler können beginnen.",
    "pausiert": "Die Sitzung ist pausiert; die Zeit aller Schülerinnen und Schüler steht still.",
    "fortgesetzt": "Die Sitzung läuft weiter.",
    "verlaengert": "Die Bearbeitungszeit wurde verlängert.",
    "freigegeben": "Der Zugang ist freigegeben: Der Code kann auf einem neuen Gerät "
    "eingegeben werden.",
    "beendet": "Die Sitzung ist beendet.",
}
PROBE_CLASS = "\x00"  # a class name no school has: asks whether a grant covers whole schools


@dataclass(frozen=True)
class SessionRow:
    id: int
    test: str
    schulnummer: str
    klasse: str
    status: str
    erstellt: str


def proctor_scope(principal: Principal) -> tuple[list[tuple[str, str]], list[str]]:
    """Classes the principal may proctor by name, and schools where any class is allowed."""
    classes = sorted(
        {
            pair
            for g in principal.grants
            for pair in g.classes
            if can(principal, Action.PROCTOR_TEST, ClassRef(*pair))
        }
    )
    schools = sorted(
        {
            s
            for g in principal.grants
            for s in g.schools
            if can(principal, Action.PROCTOR_TEST, ClassRef(s, PROBE_CLASS))
        }
    )
    return classes, schools


def may_enter(principal: Principal) -> bool:
    classes, schools = proctor_scope(principal)
    return bool(classes or schools) or can(principal, Action.MANAGE_TESTS)


def _sessions(db: Session, principal: Principal) -> list[SessionRow]:
    rows = db.execute(
        select(TestSession, TestDefinition.key)
        .join(TestDefinition, TestDefinition.id == TestSession.test_id)
        .order_by(TestSession.id.desc())
    )
    return [
        SessionRow(
            s.id,
            key,
            s.schulnummer,
            s.klasse,
            STATUS_LABELS.get(s.status, s.status),
            local_time(s.created_at),
        )
        for s, key in rows
        if can(principal, Action.PROCTOR_TEST, ClassRef(s.schulnummer, s.klasse))
    ]


def _overview(
    request: Request, principal: Principal, *, fehler: str = "", status_code: int = 200
) -> Response:
    classes, schools = proctor_scope(principal)
    with web_context(request).store.session() as db:
        sessions = _sessions(db, principal)
        tests = [(t.key, t.title) for t in list_tests(db)]
    return render(
        request,
        "testen/aufsicht.html",
        {
            "title": "Tests",
            "active": "intern",
            "sitzungen": sessions,
            "tests": tests,
            "klassen": classes,
            "schulen": schools,
            "verwalten": can(principal, Action.MANAGE_TESTS),
            "max_codes": MAX_CODES,
            "fehler": fehler,
        },
        status_code=status_code,
    )


@router.get("/intern/tests", name="intern_tests", response_class=HTMLResponse)
def overview(request: Request, principal: PrincipalDep) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    if not may_enter(principal):
        raise HTTPException(403, "Sie haben keine Berechtigung für diese Seite.")
    return _overview(request, principal)


@router.post("/intern/tests/sitzungen", name="intern_tests_anlegen", response_class=HTMLResponse)
def create(
    request: Request,
    principal: PrincipalDep,
    test: Annotated[str, Form(max_length=64)],
    klasse: Annotated[str, Form(max_length=40)],
    anzahl: Annotated[int, Form(ge=1, le=MAX_CODES)],
    schulnummer: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    # "schule/klasse" from the teacher's list, or a school plus a class name typed in.
    if "/" in klasse:
        schulnummer, klasse = klasse.split("/", 1)
    klasse = klasse.strip()
    if not klasse or not schulnummer:
        return _overview(
            request, principal, fehler="Bitte Schule und Klasse angeben.", status_code=400
        )
    authorize(principal, Action.PROCTOR_TEST, ClassRef(schulnummer, klasse))
    assert principal.login is not None
    try:
        with web_context(request).store.session() as db:
            created = create_session(
                db,
                test_key=test,
                schulnummer=schulnummer,
                klasse=klasse,
                n_codes=anzahl,
                actor=principal.login,
            )
            session_id = created.session.id
            expires = local_time(created.session.codes_expire_at)
            codes = [(c.label, _grouped(c.code), c.booklet + 1) for c in created.codes]
    except DeliveryError as exc:
        return _overview(request, principal, fehler=str(exc), status_code=400)
    return render(
        request,
        "testen/codes.html",
        {
            "title": "Zugangscodes",
            "active": "intern",
            "sitzung": session_id,
            "test": test,
            "schulnummer": schulnummer,
            "klasse": klasse,
            "codes": codes,
            "gueltig_bis": expires,
        },
    )


def _grouped(code: str) -> str:
    plain = code.replace("-", "")
    return f"{plain[:5]}-{plain[5:]}" if len(plain) == 10 else code


def _session_for(
    request: Request, db: Session, principal: Principal, session_id: int
) -> TestSession:
    session = db.get(TestSession, session_id)
    if session is None:
        raise HTTPException(404, "Diese Testsitzung gibt es nicht.")
    authorize(principal, Action.PROCTOR_TEST, ClassRef(session.schulnummer, session.klasse))
    return session


@router.get(
    "/intern/tests/sitzungen/{session_id}", name="intern_tests_sitzung", response_class=HTMLResponse
)
def detail(
    request: Request, principal: PrincipalDep, session_id: int, erledigt: str = ""
) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    with web_context(request).store.session() as db:
        session = _session_for(request, db, principal, session_id)
        test = db.get(TestDefinition, session.test_id)
        progress = session_progress(db, session_id)
        info = {
            "id": session.id,
            "test": test.key if test else "",
            "titel": test.title if test else "",
            "schulnummer": session.schulnummer,
            "klasse": session.klasse,
            "status": session.status,
            "status_text": STATUS_LABELS.get(session.status, session.status),
            "extra": session.extra_minutes,
        }
    rows = [
        {
            "id": p.attempt_id,
            "platz": p.label,
            "status": p.status,
            "status_text": STATUS_LABELS.get(p.status, p.status),
            # How the seat was taken: a withheld code of a "Schulkonto" seat is worth knowing.
            "anmeldung": "Schulkonto"
            if p.via_account
            else ("Code" if p.attempt_id is not None else "–"),
            "teil": "–" if p.attempt_id is None else p.block + 1,
            "beantwortet": p.answered,
            "aufgaben": p.total,
            "restzeit": "–"
            if p.remaining_seconds is None
            else f"{p.remaining_seconds // 60}:{p.remaining_seconds % 60:02d}",
            "zuletzt": local_time(p.last_answer_at, "%H:%M:%S") if p.last_answer_at else "–",
        }
        for p in progress
    ]
    block = "fortschritt" if request.headers.get("HX-Request") == "true" else None
    return render(
        request,
        "testen/sitzung.html",
        {
            "title": f"Testsitzung {info['test']} – Klasse {info['klasse']}",
            "active": "intern",
            "sitzung": info,
            "zeilen": rows,
            "meldung": DONE.get(erledigt, ""),
        },
        block_name=block,
    )


@router.post(
    "/intern/tests/sitzungen/{session_id}",
    name="intern_tests_aktion",
    response_class=HTMLResponse,
)
def action(
    request: Request,
    principal: PrincipalDep,
    session_id: int,
    aktion: Annotated[str, Form(max_length=20)],
    minuten: Annotated[int, Form(ge=1, le=120)] = 5,
    versuch: Annotated[int | None, Form()] = None,
) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    assert principal.login is not None
    actor = principal.login
    try:
        with web_context(request).store.session() as db:
            begin_write(db)  # reads the session and attempts, then changes them
            _session_for(request, db, principal, session_id)
            if versuch is not None:
                # Only attempts of this session: the check above covers its class alone.
                attempt = db.get(Attempt, versuch)
                if attempt is None or attempt.session_id != session_id:
                    raise HTTPException(404, "Diese Testbearbeitung gibt es in der Sitzung nicht.")
            if aktion == "oeffnen":
                open_session(db, session_id, actor)
                done = "geoeffnet"
            elif aktion == "pausieren":
                pause_session(db, session_id, actor)
                done = "pausiert"
            elif aktion == "fortsetzen":
                resume_session(db, session_id, actor)
                done = "fortgesetzt"
            elif aktion == "verlaengern":
                extend_time(db, session_id, minuten, actor, attempt_id=versuch)
                done = "verlaengert"
            elif aktion == "freigeben" and versuch is not None:
                unlock_attempt(db, versuch, actor)
                done = "freigegeben"
            elif aktion == "beenden":
                end_session(db, session_id, actor)
                done = "beendet"
            else:
                raise HTTPException(400, "Unbekannte Aktion.")
    except DeliveryError as exc:
        raise HTTPException(409, str(exc)) from None
    url = request.url_for("intern_tests_sitzung", session_id=session_id).path
    return RedirectResponse(f"{url}?erledigt={done}", status_code=303)
