"""Local login and logout (German pages). Decisions live in :mod:`bimo.accounts`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bimo.accounts.policy import Principal
from bimo.accounts.service import LoginOutcome, authenticate
from bimo.accounts.sessions import end_session, new_token, purge_expired, start_session
from bimo.core.operational import record_event
from bimo.web.deps import current_principal, web_context
from bimo.web.rendering import render
from bimo.web.session import browser_session

router = APIRouter()

LOGIN_FAILED = (
    "Die Anmeldung ist fehlgeschlagen. Bitte prüfen Sie Anmeldename und Passwort. "
    "Nach mehreren Fehlversuchen ist ein Konto vorübergehend gesperrt."
)
DEFAULT_TARGET = "/mein-bereich"


def safe_target(value: str | None) -> str:
    """Only local paths as redirect targets (no open redirect via ``weiter``)."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 32 for c in value)
    ):
        return DEFAULT_TARGET
    return value


def login_redirect(request: Request) -> RedirectResponse:
    """Send an anonymous visitor to the login page and back afterwards."""
    target = request.url.path
    url = request.url_for("anmelden_formular").include_query_params(weiter=target)
    return RedirectResponse(str(url.path) + "?" + str(url.query), status_code=303)


def _oidc_context(request: Request) -> dict[str, object]:
    oidc = web_context(request).oidc
    return {"oidc_enabled": oidc.enabled, "oidc_name": oidc.display_name}


@router.get("/anmelden", response_class=HTMLResponse, name="anmelden_formular")
def login_form(
    request: Request,
    principal: Annotated[Principal, Depends(current_principal)],
    weiter: str | None = None,
) -> Response:
    if principal.authenticated:
        return RedirectResponse(safe_target(weiter), status_code=303)
    return render(
        request,
        "anmelden.html",
        {
            "title": "Anmelden",
            "active": "anmelden",
            "weiter": safe_target(weiter),
            "login": "",
            **_oidc_context(request),
        },
    )


@router.post("/anmelden", response_class=HTMLResponse, name="anmelden")
def login(
    request: Request,
    login: Annotated[str, Form(max_length=200)],
    passwort: Annotated[str, Form(max_length=1024)],
    weiter: Annotated[str | None, Form()] = None,
) -> Response:
    ctx = web_context(request)
    session = browser_session(request)
    with ctx.store.session() as db:
        if session.authenticated:
            # Logging in again (perhaps as someone else) ends the previous session for good.
            end_session(db, session.token)
        result = authenticate(db, login, passwort)
        token = None
        if result.outcome is LoginOutcome.OK and result.user_id is not None:
            token = start_session(db, result.user_id, method="passwort", lifetime=ctx.lifetime)
            purge_expired(db)  # housekeeping at a moment that writes anyway
    if token is None:
        # One message for every failure: the answer does not reveal whether an account
        # exists, is locked or deactivated.
        return render(
            request,
            "anmelden.html",
            {
                "title": "Anmelden",
                "active": "anmelden",
                "fehler": LOGIN_FAILED,
                "weiter": safe_target(weiter),
                "login": login[:64],
                **_oidc_context(request),
            },
            status_code=400,
        )
    session.start_login(token)
    return RedirectResponse(safe_target(weiter), status_code=303)


@router.post("/abmelden", name="abmelden")
def logout(request: Request) -> Response:
    ctx = web_context(request)
    session = browser_session(request)
    if session.authenticated:
        principal = current_principal(request)
        with ctx.store.session() as db:
            end_session(db, session.token)
            if principal.login is not None:
                record_event("auth.logout", "user", principal.login, actor=principal.login, db=db)
    session.reset()
    session.token = new_token()
    return RedirectResponse("/", status_code=303)
