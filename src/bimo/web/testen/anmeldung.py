"""Student login with a school account ("Mit Schulkonto anmelden") in the test player.

Optional (``BIMO_OIDC_STUDENTS``): the code page offers the login next to the code entry. The
identity service's claims name the student's Schulnummer and Klasse; the student takes a free
seat of the class's open session, or resumes the own attempt — on any device
(:mod:`bimo.assessment.delivery.identity`). BiMo keeps only the SHA-256 of issuer and subject.

Two browser details shape the flow:

* The player's cookies are ``SameSite=Strict``. The callback arrives as a navigation started
  on the provider's site, so they are not sent with it — and browsers keep treating the
  redirects of that navigation as cross-site, so a ``303`` to ``/test/spielen`` would arrive
  there without the new attempt cookie. The device token is therefore carried through the
  flow in the (Lax) session cookie, and the callback answers with a short page that moves on
  to the player by itself (meta refresh, plus a link): a navigation started on our own page.
* Between the callback and the choice of a test (several sessions open for the class), the
  identity's hash, Schulnummer and Klasse wait in the signed session data, like authlib's
  flow state; they are removed when used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from bimo.assessment.delivery.errors import DeliveryError
from bimo.assessment.delivery.identity import open_attempt_for_identity, subject_hash
from bimo.assessment.delivery.models import TestDefinition
from bimo.assessment.delivery.sessions import OpenedAttempt
from bimo.core.operational import begin_write, record_event
from bimo.web.deps import WebContext, web_context
from bimo.web.oidc import OAuthError, oauth_client
from bimo.web.rendering import render
from bimo.web.settings import OidcSettings
from bimo.web.testen.common import device_token, set_device_cookie, set_token_cookie
from bimo.web.testen.spielen import code_page

__all__ = ["CLIENT_NAME", "student_oidc_router"]

# Its own authlib client: the staff login's flow state cannot be used here, nor vice versa.
CLIENT_NAME = "bimo_test"
DEVICE_KEY = "bimo_test_geraet"  # session data: the device token during the flow
PENDING_KEY = "bimo_test_auswahl"  # session data: the identity waiting for a choice
FAILED = (
    "Die Anmeldung mit dem Schulkonto ist fehlgeschlagen oder wurde abgebrochen. Versuche es "
    "noch einmal oder gib deinen Zugangscode ein."
)
UNAVAILABLE = (
    "Die Anmeldung mit dem Schulkonto ist gerade nicht möglich. Bitte gib deinen Zugangscode "
    "ein oder frage deine Testleitung."
)
NO_CLASS = (
    "Dein Schulkonto nennt keine Schule und Klasse. Deshalb kann BiMo dir keinen Test "
    "zuordnen. Bitte gib den Zugangscode ein, den du von deiner Testleitung bekommst."
)
EXPIRED = (
    "Die Anmeldung ist abgelaufen oder wurde schon abgeschlossen. Bitte melde dich noch einmal "
    "mit deinem Schulkonto an."
)


@dataclass(frozen=True)
class _Identity:
    subject: str  # subject_hash(issuer, subject)
    schulnummer: str
    klasse: str
    device: str


@dataclass(frozen=True)
class _Choice:
    sessions: list[tuple[int, str]]  # (session id, test title)


def student_oidc_router(settings: OidcSettings) -> APIRouter:
    """The routes of the student login; include them only if ``settings.students_enabled``."""
    client = oauth_client(settings, CLIENT_NAME)
    router = APIRouter()

    @router.get("/test/anmelden", name="test_oidc_start")
    async def start(request: Request) -> Response:
        # This request comes from our own code page, so the Strict device cookie is here;
        # the callback will not see it (module doc).
        device, new_device = device_token(request)
        request.session.pop(PENDING_KEY, None)
        request.session[DEVICE_KEY] = device
        try:
            response: Response = await client.authorize_redirect(
                request, request.url_for("test_oidc_rueckruf")
            )
        except (OAuthError, httpx.HTTPError):
            # The provider's metadata cannot be fetched: the code entry still works.
            response = code_page(request, fehler=UNAVAILABLE, status_code=503)
        if new_device:
            set_device_cookie(request, response, device)
        return response

    @router.get("/test/anmelden/rueckruf", name="test_oidc_rueckruf")
    async def callback(request: Request) -> Response:
        device = request.session.pop(DEVICE_KEY, None)
        try:
            token = await client.authorize_access_token(request)
            claims = await _claims(client, token, settings)
        except (OAuthError, httpx.HTTPError):
            return code_page(request, fehler=FAILED, status_code=400)
        if claims is None:
            return code_page(request, fehler=FAILED, status_code=400)
        issuer, subject = claims["iss"], claims["sub"]
        schulnummer = _claim(claims, settings.claim_schule)
        klasse = _claim(claims, settings.claim_klasse)
        ctx = web_context(request)
        if not schulnummer or not klasse:
            await run_in_threadpool(_refused, ctx, issuer)
            return code_page(request, fehler=NO_CLASS, status_code=403)
        if not isinstance(device, str) or not device:
            device = device_token(request)[0]
        identity = _Identity(subject_hash(issuer, subject), schulnummer, klasse, device)
        return await run_in_threadpool(_complete, request, ctx, identity, None)

    @router.post("/test/anmelden/auswahl", name="test_oidc_auswahl")
    def choose(request: Request, sitzung: Annotated[int | None, Form()] = None) -> Response:
        pending = request.session.get(PENDING_KEY)
        identity = _pending_identity(pending)
        if identity is None or not isinstance(pending, dict):
            return render(
                request,
                "testen/kein_zugang.html",
                {"title": "Anmeldung abgelaufen", "fehler": EXPIRED},
                status_code=400,
            )
        if sitzung is None:
            choice = _Choice([(int(i), str(t)) for i, t in pending.get("sitzungen", [])])
            return _choice_page(request, choice, fehler="Bitte wähle einen Test aus.")
        request.session.pop(PENDING_KEY, None)  # used once, whatever the outcome
        return _complete(request, web_context(request), identity, sitzung)

    return router


async def _claims(
    client: Any, token: Mapping[str, Any], settings: OidcSettings
) -> dict[str, Any] | None:
    """The id token's claims (checked by authlib), completed from the userinfo endpoint when
    the school or class claim is not in the id token (many providers keep custom claims
    there); ``None`` without issuer and subject."""
    claims = dict(token.get("userinfo") or {})
    if not isinstance(claims.get("iss"), str) or not isinstance(claims.get("sub"), str):
        return None
    wanted = (settings.claim_schule, settings.claim_klasse)
    if any(name not in claims for name in wanted) and token.get("access_token"):
        extra = await client.userinfo(token=token)
        # The userinfo response is about the id token's subject, or it is not used at all.
        if extra.get("sub") == claims["sub"]:
            claims.update({name: extra[name] for name in wanted if name in extra})
    return claims


def _claim(claims: Mapping[str, Any], name: str) -> str:
    """A claim as text: strings and numbers (a Schulnummer may come as a number), or a list
    with exactly one of them; anything else counts as missing."""
    value = claims.get(name)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value.strip() if isinstance(value, str) else ""


def _pending_identity(pending: object) -> _Identity | None:
    if not isinstance(pending, dict):
        return None
    values = [pending.get(key) for key in ("h", "s", "k", "d")]
    if not all(isinstance(value, str) and value for value in values):
        return None
    subject, schulnummer, klasse, device = (str(value) for value in values)
    return _Identity(subject, schulnummer, klasse, device)


def _complete(
    request: Request, ctx: WebContext, identity: _Identity, session_id: int | None
) -> Response:
    """Open the attempt (runs in the thread pool) and answer the browser."""
    try:
        outcome = _open(ctx, identity, session_id)
    except DeliveryError as exc:
        return code_page(request, fehler=str(exc), status_code=400)
    if isinstance(outcome, _Choice):
        request.session[PENDING_KEY] = {
            "h": identity.subject,
            "s": identity.schulnummer,
            "k": identity.klasse,
            "d": identity.device,
            "sitzungen": [[i, t] for i, t in outcome.sessions],
        }
        response = _choice_page(request, outcome)
    elif session_id is None:
        # Still inside the provider's navigation: move on from a page of our own (module doc).
        response = render(
            request,
            "testen/anmeldung_weiter.html",
            {"title": "Angemeldet", "ziel": request.url_for("test_spielen").path},
        )
    else:  # the choice form was posted from our own page: a plain redirect will do
        response = RedirectResponse(request.url_for("test_spielen").path, status_code=303)
    if not isinstance(outcome, _Choice):
        set_token_cookie(request, response, outcome)
    # The device cookie may not have reached us (callback) or be new: set it (again), so the
    # printed code of the seat works on this device as well.
    set_device_cookie(request, response, identity.device)
    return response


def _open(ctx: WebContext, identity: _Identity, session_id: int | None) -> str | _Choice:
    """The attempt token, or the sessions to choose from with their test titles."""
    with ctx.store.session() as db:
        begin_write(db)  # the seat is read, then bound: a writer from the start
        result = open_attempt_for_identity(
            db,
            subject_hash=identity.subject,
            schulnummer=identity.schulnummer,
            klasse=identity.klasse,
            device_token=identity.device,
            session_id=session_id,
        )
        if isinstance(result, OpenedAttempt):
            return result.token
        tests = {s.test_id for s in result}
        titles: dict[int, str] = {
            test_id: title
            for test_id, title in db.execute(
                select(TestDefinition.id, TestDefinition.title).where(TestDefinition.id.in_(tests))
            )
        }
        return _Choice([(s.id, titles.get(s.test_id, "Test")) for s in result])


def _refused(ctx: WebContext, issuer: str) -> None:
    # For the administration: a provider that sends no school/class claims is a
    # configuration problem (claim names, scopes), not a single student's.
    with ctx.store.session() as db:
        record_event(
            "tests.account_refused",
            "test_session",
            None,
            actor="teilnehmer",
            db=db,
            details={"grund": "ohne_schule_klasse", "aussteller": issuer},
        )


def _choice_page(request: Request, choice: _Choice, fehler: str = "") -> Response:
    return render(
        request,
        "testen/anmeldung_auswahl.html",
        {"title": "Test auswählen", "sitzungen": choice.sessions, "fehler": fehler},
        status_code=400 if fehler else 200,
    )
