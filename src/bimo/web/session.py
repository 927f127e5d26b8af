"""The browser session: a signed cookie (itsdangerous) holding a token and the CSRF token.

Anonymous visitors get a cookie only once something needs it (a form's CSRF token), so public
pages stay cookie-free and cacheable. A logged-in session's token names a server-side
:class:`~bimo.accounts.models.LoginSession` row; logout deletes the row, so a copied or
replayed cookie is worthless afterwards. Login always issues a *new* token and CSRF token
(no session fixation).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SCOPE_KEY = "bimo.session"
COOKIE_NAME = "bimo_sitzung"
# The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and
# Path=/ — nobody on a sibling subdomain can plant or overwrite it.
SECURE_COOKIE_NAME = "__Host-bimo_sitzung"


def _random() -> str:
    return secrets.token_urlsafe(32)


@dataclass
class BrowserSession:
    token: str = field(default_factory=_random)
    csrf: str | None = None
    authenticated: bool = False
    dirty: bool = False
    from_cookie: bool = False
    # Small transient data of multi-step flows (the OIDC state, nonce and PKCE verifier kept by
    # authlib); exposed as Starlette's ``request.session``. Signed, not encrypted: nothing
    # secret beyond the user's own flow goes here.
    data: dict[str, Any] = field(default_factory=dict)

    def csrf_token(self) -> str:
        """The synchroniser token for forms (created on first use)."""
        if self.csrf is None:
            self.csrf = _random()
            self.dirty = True
        return self.csrf

    def start_login(self, login_token: str) -> None:
        """A new session identity at login: new token, new CSRF token."""
        self.token, self.csrf, self.authenticated, self.dirty = login_token, _random(), True, True
        self.data = {}

    def reset(self) -> None:
        """Back to a fresh anonymous session (logout, expired login session)."""
        self.token, self.csrf, self.authenticated, self.dirty = _random(), None, False, True
        self.data = {}

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"t": self.token, "c": self.csrf, "a": self.authenticated}
        if self.data:
            payload["d"] = self.data
        return payload


def browser_session(request: HTTPConnection) -> BrowserSession:
    session = request.scope.get(SCOPE_KEY)
    if not isinstance(session, BrowserSession):
        raise RuntimeError("SessionMiddleware is not installed")
    return session


def cookie_name(request: Request | HTTPConnection) -> str:
    return SECURE_COOKIE_NAME if request.url.scheme == "https" else COOKIE_NAME


def _cookie(scope: Scope, name: str) -> str | None:
    for header, value in scope["headers"]:
        if header == b"cookie" and name.encode("ascii") in value:
            return cookie_parser(value.decode("latin-1")).get(name)
    return None


def _fingerprint(data: dict[str, Any]) -> str | None:
    # Most sessions carry no flow data: no JSON encoding for them.
    return json.dumps(data, sort_keys=True) if data else None


class SessionCodec:
    """Signs and reads the session cookie (also used by the answer fast lane)."""

    def __init__(self, secret: str, max_age_seconds: int) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="bimo.sitzung")
        self.max_age = max_age_seconds

    def dumps(self, session: BrowserSession) -> str:
        return str(self.serializer.dumps(session.payload()))

    def load(self, raw: str | None) -> BrowserSession:
        if not raw:
            return BrowserSession()
        try:
            data = self.serializer.loads(raw, max_age=self.max_age)
        except BadSignature:  # also covers SignatureExpired
            return BrowserSession(dirty=True, from_cookie=True)
        if not (
            isinstance(data, dict)
            and isinstance(data.get("t"), str)
            and isinstance(data.get("c"), str | None)
            and isinstance(data.get("d", {}), dict)
        ):
            return BrowserSession(dirty=True, from_cookie=True)
        return BrowserSession(
            data["t"], data["c"], data.get("a") is True, from_cookie=True, data=data.get("d", {})
        )


def session_cookie(scope: Scope) -> str | None:
    """The raw session cookie of a request, straight from the ASGI scope's Cookie header."""
    return _cookie(scope, SECURE_COOKIE_NAME if scope.get("scheme") == "https" else COOKIE_NAME)


class SessionMiddleware:
    def __init__(self, app: ASGIApp, *, codec: SessionCodec) -> None:
        self.app = app
        self.codec = codec

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The scheme and the raw Cookie header straight from the scope: building Starlette's
        # URL and cookie objects for every request (most of them anonymous, without any
        # cookie) costs more than the rest of this middleware.
        secure = scope.get("scheme") == "https"
        name = SECURE_COOKIE_NAME if secure else COOKIE_NAME
        session = self.codec.load(_cookie(scope, name))
        scope[SCOPE_KEY] = session
        scope["session"] = session.data
        data_before = _fingerprint(session.data)
        if session.from_cookie:
            scope["bimo.private"] = True  # responses to sessions are not cached

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and (
                session.dirty or _fingerprint(session.data) != data_before
            ):
                value = self.codec.dumps(session)
                parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
                if secure:
                    parts.append("Secure")
                # A session cookie (no Max-Age): it ends with the browser; the signature's
                # timestamp and the server-side row enforce the lifetime.
                MutableHeaders(scope=message).append("Set-Cookie", "; ".join(parts))
                MutableHeaders(scope=message)["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_cookie)
