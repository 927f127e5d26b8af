"""Login with OpenID Connect: authorisation-code flow with PKCE (S256) via authlib.

Accounts are pre-provisioned: an identity (issuer + subject) must be linked to a BiMo user
(``bimo users link-oidc``); unknown subjects are refused. The id token's signature, issuer,
audience, expiry and nonce are checked by authlib; state, nonce and the PKCE verifier live in
the signed session cookie between the two requests.
"""

from __future__ import annotations

import warnings
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bimo.accounts.service import user_for_oidc
from bimo.accounts.sessions import start_session
from bimo.core.operational import record_event, utcnow
from bimo.web.auth import DEFAULT_TARGET
from bimo.web.deps import WebContext, web_context
from bimo.web.rendering import render
from bimo.web.session import browser_session
from bimo.web.settings import OidcSettings

with warnings.catch_warnings():
    # authlib 1.6+ warns at import that it prefers the httpx2 package; the installed httpx
    # works the same (see docs/web.md).
    # authlib.deprecate installs an "always" filter for its warnings when imported; ours must
    # come after it to win.
    from authlib.deprecate import AuthlibDeprecationWarning

    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    import authlib.integrations.httpx_client  # noqa: F401  (imported lazily by authlib)
    from authlib.integrations.starlette_client import OAuth, OAuthError

__all__ = ["CLIENT_NAME", "FAILED", "REFUSED", "OAuthError", "oauth_client", "oidc_router"]

CLIENT_NAME = "bimo"
REFUSED = (
    "Die Anmeldung über den Identitätsdienst ist für dieses Konto in BiMo nicht freigeschaltet. "
    "Bitte wenden Sie sich an die Administration Ihres Bildungsmonitorings."
)
FAILED = (
    "Die Anmeldung über den Identitätsdienst ist fehlgeschlagen oder wurde abgebrochen. "
    "Bitte versuchen Sie es noch einmal."
)


def oauth_client(settings: OidcSettings, name: str = CLIENT_NAME) -> Any:
    """An authlib client for the configured provider: authorisation code flow with PKCE (S256).

    Each router registers its own (staff login, student login in the test player): the flow
    state authlib keeps in the session is keyed by the client name, so the two flows cannot
    pick up each other's state. (authlib is untyped: the client is ``Any``.)
    """
    oauth = OAuth()
    client_kwargs: dict[str, Any] = {"scope": settings.scopes, "code_challenge_method": "S256"}
    if settings.client_secret is None:
        client_kwargs["token_endpoint_auth_method"] = "none"
    oauth.register(
        name=name,
        client_id=settings.client_id,
        client_secret=(
            settings.client_secret.get_secret_value() if settings.client_secret else None
        ),
        server_metadata_url=settings.metadata_url,
        client_kwargs=client_kwargs,
    )
    return oauth.create_client(name)


def oidc_router(settings: OidcSettings) -> APIRouter:
    client = oauth_client(settings)
    router = APIRouter()

    @router.get("/anmelden/oidc", name="oidc_start")
    async def start(request: Request) -> Response:
        redirect_uri = request.url_for("oidc_callback")
        response: Response = await client.authorize_redirect(request, redirect_uri)
        return response

    @router.get("/anmelden/oidc/rueckruf", name="oidc_callback")
    async def callback(request: Request) -> Response:
        try:
            token = await client.authorize_access_token(request)
        except OAuthError:
            return _page(request, FAILED, 400)
        claims = token.get("userinfo") or {}
        issuer, subject = claims.get("iss"), claims.get("sub")
        if not isinstance(issuer, str) or not isinstance(subject, str):
            return _page(request, FAILED, 400)
        session_token = await run_in_threadpool(_login, web_context(request), issuer, subject)
        if session_token is None:
            return _page(request, REFUSED, 403)
        browser_session(request).start_login(session_token)
        return RedirectResponse(DEFAULT_TARGET, status_code=303)

    return router


def _login(ctx: WebContext, issuer: str, subject: str) -> str | None:
    with ctx.store.session() as db:
        user = user_for_oidc(db, issuer, subject)
        if user is None or not user.active:
            # The subject is the provider's identifier, not a name: safe to keep for follow-up.
            record_event(
                "auth.login_failed",
                "user",
                user.login if user else None,
                actor=user.login if user else "anonym",
                db=db,
                details={
                    "grund": "oidc_deaktiviert" if user else "oidc_unbekannt",
                    "aussteller": issuer,
                },
            )
            return None
        user.last_login_at = utcnow()
        user.failed_attempts = 0
        record_event(
            "auth.login",
            "user",
            user.login,
            actor=user.login,
            db=db,
            details={"methode": "oidc", "aussteller": issuer},
        )
        return start_session(db, user.id, method="oidc", lifetime=ctx.lifetime)


def _page(request: Request, message: str, status: int) -> Response:
    return render(
        request,
        "fehler.html",
        {"title": "Anmeldung nicht möglich", "meldung": message},
        status_code=status,
    )
