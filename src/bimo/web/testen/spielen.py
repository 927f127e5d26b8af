"""The student side: enter the printed code, take the booklet block by block, hand it in.

The code travels only in a POST body (never in a URL, so no access log, history or Referer
holds it). The page is server-rendered and usable by keyboard and screen reader; ``player.js``
adds the durable answer queue (IndexedDB → ``/test/api/antworten``) and the server-driven timer.
Which block is shown and how much time is left are decided here, from the server clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from bimo.assessment.delivery.errors import DeliveryError
from bimo.assessment.delivery.models import Attempt, AttemptStatus
from bimo.assessment.delivery.sessions import (
    advance_if_expired,
    attempt_for_token,
    attempt_items,
    next_block,
    open_attempt,
    submit_attempt,
)
from bimo.core.operational import begin_write
from bimo.web.deps import web_context
from bimo.web.rendering import render
from bimo.web.testen.common import (
    TOKEN_COOKIE,
    bank_for,
    device_token,
    load_item,
    set_device_cookie,
    set_token_cookie,
)
from bimo.web.testen.render import item_html

router = APIRouter()

CODE_MAX = 64  # codes have 10 characters; generous room for blanks and dashes


@dataclass(frozen=True)
class PlayerItem:
    ref: str
    prefix: str
    number: int
    html: Markup


def code_page(
    request: Request, *, fehler: str = "", status_code: int = 200, meldung: str = ""
) -> Response:
    """The code entry, with a message; also the landing page of a failed school-account login
    (:mod:`bimo.web.testen.anmeldung`)."""
    oidc = web_context(request).oidc
    return render(
        request,
        "testen/code.html",
        {
            "title": "Test",
            "fehler": fehler,
            "meldung": meldung,
            "code_max": CODE_MAX,
            # The school-account button; its route exists only when this is on (app.py).
            "schulkonto": f"Mit {oidc.display_name} anmelden" if oidc.students_enabled else "",
        },
        status_code=status_code,
    )


def _no_access(request: Request) -> Response:
    # 403, not a redirect: the page is for holders of a code only (route matrix), and the
    # page itself leads back to the code entry.
    return render(
        request,
        "testen/kein_zugang.html",
        {"title": "Kein Testzugang"},
        status_code=403,
    )


@router.get("/test", name="test_start", response_class=HTMLResponse)
def test_start(request: Request) -> Response:
    return code_page(request)


@router.post("/test", name="test_code", response_class=HTMLResponse)
def test_code(request: Request, code: Annotated[str, Form(max_length=CODE_MAX)] = "") -> Response:
    if not code.strip():
        return code_page(request, fehler="Bitte gib deinen Zugangscode ein.", status_code=400)
    device, new_device = device_token(request)
    try:
        with web_context(request).store.session() as db:
            opened = open_attempt(db, code, device)
            token = opened.token
    except DeliveryError as exc:
        response = code_page(request, fehler=str(exc), status_code=400)
        if new_device:
            set_device_cookie(request, response, device)
        return response
    response = RedirectResponse(request.url_for("test_spielen").path, status_code=303)
    set_token_cookie(request, response, token)
    if new_device:
        set_device_cookie(request, response, device)
    return response


def _attempt(request: Request, db: Session) -> Attempt | None:
    token = request.cookies.get(TOKEN_COOKIE, "")
    if not token or len(token) > 200:
        return None
    return attempt_for_token(db, token)


@router.get("/test/spielen", name="test_spielen", response_class=HTMLResponse)
def test_play(request: Request) -> Response:
    bank = bank_for(request)
    with web_context(request).store.session() as db:
        # A page view may close an expired block: a writer from the first statement on.
        begin_write(db)
        attempt = _attempt(request, db)
        if attempt is None:
            return _no_access(request)
        if attempt.status == AttemptStatus.GESPERRT.value:
            return render(request, "testen/gesperrt.html", {"title": "Test gesperrt"})
        if attempt.status == AttemptStatus.ABGEGEBEN.value:
            return render(request, "testen/fertig.html", {"title": "Test abgegeben"})
        # The block's time may be over (also while the browser was closed): then the
        # attempt moves on here; after the last block it is handed in.
        clock = advance_if_expired(db, attempt)
        if attempt.status == AttemptStatus.ABGEGEBEN.value:
            return render(request, "testen/fertig.html", {"title": "Test abgegeben"})
        block = attempt.block
        booklet = attempt_items(db, attempt)
        refs = [b.item_ref for b in booklet if b.block == block]
        n_blocks = len({b.block for b in booklet})
        # The player's IndexedDB key: id plus start time, so a reused id (a database set up
        # anew) never meets the queue of an older attempt in the same browser.
        queue_key = f"{attempt.id}-{int(attempt.started_at.timestamp())}"
    items = [
        PlayerItem(ref, f"a{n}", n, item_html(load_item(bank, ref), f"a{n}"))
        for n, ref in enumerate(refs, start=1)
    ]
    return render(
        request,
        "testen/spieler.html",
        {
            "title": f"Test – Teil {block + 1} von {n_blocks}",
            "versuch": queue_key,
            "block": block,
            "teil": block + 1,
            "teile": n_blocks,
            "letzter_teil": block + 1 >= n_blocks,
            "aufgaben": items,
            "restzeit": clock.remaining_seconds,
            "pausiert": clock.paused,
        },
    )


@router.post("/test/weiter", name="test_weiter", response_class=HTMLResponse)
def test_next(request: Request, block: Annotated[int, Form(ge=0, le=100)]) -> Response:
    """The student finishes block ``block`` early (its answers can no longer be changed).

    The block number makes a repeated request (double click, re-sent form) harmless: it acts
    only while the attempt is still in that block."""
    with web_context(request).store.session() as db:
        begin_write(db)  # reads the attempt, then writes it
        attempt = _attempt(request, db)
        if attempt is None:
            return _no_access(request)
        if attempt.status == AttemptStatus.LAUFEND.value:
            next_block(db, attempt, expected_block=block)
    return RedirectResponse(request.url_for("test_spielen").path, status_code=303)


@router.post("/test/abgeben", name="test_abgeben", response_class=HTMLResponse)
def test_submit(request: Request) -> Response:
    with web_context(request).store.session() as db:
        begin_write(db)  # reads the attempt, then writes it
        attempt = _attempt(request, db)
        if attempt is None:
            return _no_access(request)
        if attempt.status != AttemptStatus.ABGEGEBEN.value:
            try:
                submit_attempt(db, attempt)
            except DeliveryError as exc:
                return render(
                    request,
                    "testen/kein_zugang.html",
                    {"title": "Abgabe nicht möglich", "fehler": str(exc)},
                    status_code=409,
                )
    return RedirectResponse(request.url_for("test_spielen").path, status_code=303)
