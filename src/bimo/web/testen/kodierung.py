"""Coding open answers (:data:`Action.CODE_RESPONSES`): one answer at a time, two passes.

The coder sees the item (read-only preview), the student's answer and the seat label of the
code sheet — never a name, never the other pass's code (pass 2 is blind). The Land
(:data:`Action.MANAGE_TESTS`) sees the coding progress and the agreement (Cohen's kappa) of
every test.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from bimo.accounts.policy import Action, ClassRef, Principal, can
from bimo.assessment.delivery.coding import (
    MAX_CODE,
    agreement,
    coding_queue,
    coding_status,
    record_coding,
)
from bimo.assessment.delivery.errors import DeliveryError
from bimo.assessment.delivery.models import Attempt, TestDefinition, TestSession
from bimo.assessment.delivery.tests import list_tests
from bimo.assessment.itembank import render_item_html
from bimo.core.operational import begin_write
from bimo.web.deps import authorize, current_principal, web_context
from bimo.web.intern.common import need_login
from bimo.web.rendering import render
from bimo.web.testen.common import bank_for, load_item

router = APIRouter()
PrincipalDep = Annotated[Principal, Depends(current_principal)]

CODE_LABELS = {0: "nicht gelöst", 1: "teilweise gelöst", 2: "vollständig gelöst"}


def _codable_sessions(db: Session, principal: Principal) -> list[tuple[TestSession, str]]:
    rows = db.execute(
        select(TestSession, TestDefinition.key)
        .join(TestDefinition, TestDefinition.id == TestSession.test_id)
        .order_by(TestSession.id.desc())
    ).all()
    return [
        (s, key)
        for s, key in rows
        if can(principal, Action.CODE_RESPONSES, ClassRef(s.schulnummer, s.klasse))
    ]


@router.get("/intern/tests/kodierung", name="intern_tests_kodierung", response_class=HTMLResponse)
def overview(request: Request, principal: PrincipalDep) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    manage = can(principal, Action.MANAGE_TESTS)
    bank = bank_for(request)
    assert principal.login is not None
    with web_context(request).store.session() as db:
        sessions = _codable_sessions(db, principal)
        if not sessions and not manage and not _may_code_somewhere(principal):
            raise HTTPException(403, "Sie haben keine Berechtigung für diese Seite.")
        rows = [
            {
                "id": s.id,
                "test": key,
                "schulnummer": s.schulnummer,
                "klasse": s.klasse,
                "offen1": len(
                    coding_queue(db, key, bank, pass_no=1, coder=principal.login, session_id=s.id)
                ),
                "offen2": len(
                    coding_queue(db, key, bank, pass_no=2, coder=principal.login, session_id=s.id)
                ),
            }
            for s, key in sessions
        ]
        tests = []
        if manage:
            for test in list_tests(db):
                tests.append(
                    {
                        "key": test.key,
                        "stand": coding_status(db, test.key, bank),
                        "kappa": agreement(db, test.key),
                    }
                )
    return render(
        request,
        "testen/kodierung.html",
        {"title": "Offene Antworten kodieren", "active": "intern", "sitzungen": rows,
         "tests": tests},
    )  # fmt: skip


def _may_code_somewhere(principal: Principal) -> bool:
    classes = {pair for g in principal.grants for pair in g.classes}
    schools = {s for g in principal.grants for s in g.schools}
    return any(can(principal, Action.CODE_RESPONSES, ClassRef(*pair)) for pair in classes) or any(
        can(principal, Action.CODE_RESPONSES, ClassRef(s, "\x00")) for s in schools
    )


def _session(db: Session, principal: Principal, session_id: int) -> tuple[TestSession, str]:
    session = db.get(TestSession, session_id)
    if session is None:
        raise HTTPException(404, "Diese Testsitzung gibt es nicht.")
    authorize(principal, Action.CODE_RESPONSES, ClassRef(session.schulnummer, session.klasse))
    test = db.get(TestDefinition, session.test_id)
    assert test is not None  # foreign key
    return session, test.key


def _task_page(
    request: Request,
    principal: PrincipalDep,
    session_id: int,
    durchgang: int,
    *,
    fehler: str = "",
    status_code: int = 200,
) -> Response:
    assert principal.login is not None
    bank = bank_for(request)
    with web_context(request).store.session() as db:
        session, key = _session(db, principal, session_id)
        try:
            queue = coding_queue(
                db, key, bank, pass_no=durchgang, coder=principal.login, session_id=session_id
            )
        except DeliveryError as exc:
            raise HTTPException(400, str(exc)) from None
        klasse = session.klasse
    task = queue[0] if queue else None
    # The preview escapes all item text itself (bimo.assessment.itembank.preview).
    preview = Markup(render_item_html(load_item(bank, task.item_ref))) if task else ""
    return render(
        request,
        "testen/kodieren.html",
        {
            "title": f"Kodierung – Durchgang {durchgang}",
            "active": "intern",
            "sitzung": session_id,
            "test": key,
            "klasse": klasse,
            "durchgang": durchgang,
            "aufgabe": task,
            "vorschau": preview,
            "offen": len(queue),
            "kodes": [(c, CODE_LABELS[c]) for c in range(MAX_CODE + 1)],
            "fehler": fehler,
        },
        status_code=status_code,
    )


@router.get(
    "/intern/tests/kodierung/{session_id}",
    name="intern_tests_kodieren",
    response_class=HTMLResponse,
)
def code_next(
    request: Request, principal: PrincipalDep, session_id: int, durchgang: int = 1
) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    if durchgang not in (1, 2):
        raise HTTPException(400, "Kodierdurchgang 1 oder 2.")
    return _task_page(request, principal, session_id, durchgang)


@router.post(
    "/intern/tests/kodierung/{session_id}",
    name="intern_tests_kodieren_speichern",
    response_class=HTMLResponse,
)
def code_save(
    request: Request,
    principal: PrincipalDep,
    session_id: int,
    versuch: Annotated[int, Form()],
    aufgabe: Annotated[str, Form(max_length=120)],
    durchgang: Annotated[int, Form(ge=1, le=2)],
    kode: Annotated[int, Form(ge=0, le=MAX_CODE)],
) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    assert principal.login is not None
    try:
        with web_context(request).store.session() as db:
            begin_write(db)  # reads the answer, then records the code
            _session(db, principal, session_id)
            # The answer must belong to this session: the check above covers its class only.
            attempt = db.get(Attempt, versuch)
            if attempt is None or attempt.session_id != session_id:
                raise HTTPException(404, "Diese Antwort gibt es in der Sitzung nicht.")
            record_coding(
                db,
                attempt_id=versuch,
                item_ref=aufgabe,
                pass_no=durchgang,
                score=kode,
                coder=principal.login,
                bank=bank_for(request),
            )
    except DeliveryError as exc:
        return _task_page(
            request, principal, session_id, durchgang, fehler=str(exc), status_code=409
        )
    url = request.url_for("intern_tests_kodieren", session_id=session_id).path
    return RedirectResponse(f"{url}?durchgang={durchgang}", status_code=303)
