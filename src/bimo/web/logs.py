"""Structured JSON request logs and the security headers, as one pure ASGI middleware.

Pure ASGI (not ``BaseHTTPMiddleware``) so that every response gets the headers, including
static files, error pages and streamed responses, and nothing buffers the body.
"""

from __future__ import annotations

import json
import logging
import secrets
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOG = logging.getLogger("bimo.web.zugriff")

# No 'unsafe-inline' anywhere: templates have no inline script or style; htmx is configured
# not to inject its indicator styles.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


class FrameMiddleware:
    """Adds security headers, a request id and one JSON log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = secrets.token_hex(8)
        status = 500
        # uvicorn sets the scheme from X-Forwarded-Proto only for trusted proxies
        # (--forwarded-allow-ips), so "https" here means TLS really ended at us or our proxy.
        tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if tls:
                    headers["Strict-Transport-Security"] = HSTS
                headers["X-Request-ID"] = request_id
                if "cache-control" not in headers and scope.get("bimo.private"):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            ACCESS_LOG.info(
                json.dumps(
                    {
                        "ereignis": "anfrage",
                        "id": request_id,
                        "methode": scope["method"],
                        # The path only: query strings may carry tokens (OIDC codes, state).
                        "pfad": scope["path"],
                        "status": status,
                        "dauer_ms": round((time.perf_counter() - start) * 1000, 2),
                    },
                    ensure_ascii=False,
                )
            )
