"""CSRF protection for every unsafe method: synchroniser token + Origin check.

Installed as a global FastAPI dependency (:func:`bimo.web.app.create_app`), so every route,
also those added later, is covered. The token comes from the hidden form field ``csrf_token``
or, for htmx and scripts, the ``X-CSRF-Token`` header (the base layout sets it via
``hx-headers``).
"""

from __future__ import annotations

import secrets

from fastapi import HTTPException, Request

from bimo.web.session import browser_session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfError(HTTPException):
    def __init__(self) -> None:
        super().__init__(
            status_code=403,
            detail="Die Anfrage wurde abgelehnt: Sicherheitsmerkmal (CSRF-Token) fehlt oder ist "
            "ungültig. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.",
        )


async def csrf_protect(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise CsrfError()
    expected = browser_session(request).csrf
    provided = request.headers.get(HEADER)
    if provided is None and request.headers.get("content-type", "").startswith(_FORM_TYPES):
        # Starlette caches the parsed form on the request: the route reads it again for free.
        value = (await request.form()).get(FORM_FIELD)
        provided = value if isinstance(value, str) else None
    if not expected or not provided or not secrets.compare_digest(expected, provided):
        raise CsrfError()
