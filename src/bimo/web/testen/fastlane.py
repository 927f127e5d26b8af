"""The answer fast lane: ``POST /test/api/antworten`` answered before the framework.

During a test wave this one path carries nearly all requests (every answer change of every
student), and on a two-core server the CPU per request decides the tail latency. Measured
in-process, FastAPI spent about two thirds of the request's event-loop time on things this
path does not need: matching the app's ~100 routes through nested routers, solving the
dependency graph, building ``Request`` objects. The lane does only what the route does —
the CSRF check of :func:`bimo.web.csrf.csrf_protect` (Origin + synchroniser token from the
signed session cookie), reading the bounded body and :func:`bimo.web.testen.sync.store_answers`
— and nothing else, so both answer identically; ``tests/web/test_testen_fastlane.py`` runs
the same requests through both and compares.

It sits inside :class:`bimo.web.logs.FrameMiddleware` (security headers, request id, access
log stay) and outside the response cache and the session middleware (a POST is never cached,
and this path never changes the session). Every other request passes through untouched.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable

from sqlalchemy import Engine
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from bimo.web.csrf import CsrfError
from bimo.web.session import SessionCodec, session_cookie
from bimo.web.testen.common import TOKEN_COOKIE
from bimo.web.testen.sync import Reply, store_answers

__all__ = ["MAX_BODY_BYTES", "PATH", "AnswerFastLane"]

PATH = "/test/api/antworten"
# 200 changes of at most 20,000 characters, each escaped to at most 6 bytes, plus framing: a
# bound well above anything a player sends, far below what would hurt the server.
MAX_BODY_BYTES = 32 * 1024 * 1024
# A cached signature check is reused this long: an expiring session (max age) is refused at
# most this much later on this one path.
VERIFIED_SECONDS = 60.0
VERIFIED_MAX = 50_000
_CSRF_TEXT = str(CsrfError().detail)
_TOO_LARGE = "Die Sendung ist zu groß."


class AnswerFastLane:
    """Serve the player's answer posts directly; pass everything else to ``app``."""

    def __init__(self, app: ASGIApp, *, codec: SessionCodec, engine: Callable[[], Engine]) -> None:
        self.app = app
        self.codec = codec
        self.engine = engine
        # Verified session cookie → (its CSRF token, until when the verdict may be reused). A
        # player sends the same cookie every few seconds; checking its signature costs ~60 µs.
        self._verified: dict[str, tuple[str | None, float]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        scope["bimo.private"] = True
        headers = _headers(scope)
        if not self._csrf_ok(scope, headers):
            await _send(send, Reply(403, {"detail": _CSRF_TEXT}, {"Cache-Control": "no-store"}))
            return
        body = await _read_body(receive, headers)
        if body is None:
            await _send(send, Reply(413, {"detail": _TOO_LARGE}, {"Cache-Control": "no-store"}))
            return
        token = ""
        cookie = headers.get("cookie")
        if cookie and TOKEN_COOKIE in cookie:
            token = cookie_parser(cookie).get(TOKEN_COOKIE, "")
        await _send(send, await store_answers(self.engine(), token, body))

    def _csrf_ok(self, scope: Scope, headers: dict[str, str]) -> bool:
        """As :func:`bimo.web.csrf.csrf_protect` for a JSON request (token in the header)."""
        origin = headers.get("origin")
        own = f"{scope.get('scheme', 'http')}://{_netloc(scope, headers)}"
        if origin is not None and origin != own:
            return False
        expected = self._session_csrf(scope)
        provided = headers.get("x-csrf-token")
        return bool(expected and provided and secrets.compare_digest(expected, provided))

    def _session_csrf(self, scope: Scope) -> str | None:
        """The CSRF token of the request's session cookie (signature checked, or cached)."""
        raw = session_cookie(scope)
        if not raw:
            return None
        now = time.monotonic()
        known = self._verified.get(raw)
        if known is not None and known[1] > now:
            return known[0]
        csrf = self.codec.load(raw).csrf
        if len(self._verified) >= VERIFIED_MAX:
            self._verified.clear()  # simpler than LRU; refilled within seconds
        self._verified[raw] = (csrf, now + VERIFIED_SECONDS)
        return csrf


def _headers(scope: Scope) -> dict[str, str]:
    # Repeated headers: the last one wins, except cookies, which are joined as browsers do.
    out: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        if name == "cookie" and name in out:
            out[name] = f"{out[name]}; {value}"
        else:
            out[name] = value
    return out


def _netloc(scope: Scope, headers: dict[str, str]) -> str:
    """Host (and port) as Starlette's ``request.url.netloc`` builds it."""
    host = headers.get("host")
    if host:
        return host
    server = scope.get("server")
    if not server:
        return ""
    name, port = server
    default = 443 if scope.get("scheme") == "https" else 80
    return name if port == default else f"{name}:{port}"


async def _read_body(receive: Receive, headers: dict[str, str]) -> bytes | None:
    """The whole request body, or ``None`` if it is larger than :data:`MAX_BODY_BYTES`."""
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send(send: Send, reply: Reply) -> None:
    # Encoded as Starlette's JSONResponse does, so both paths answer byte for byte the same.
    text = json.dumps(reply.payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    body = text.encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers.items()),
    ]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
