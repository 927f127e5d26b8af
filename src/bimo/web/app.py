"""The application factory: ``create_app()`` builds the FastAPI app with all middleware.

Order of the layers around every request (outermost first): :class:`FrameMiddleware`
(security headers, request id, JSON access log) → :class:`AnswerFastLane` (the test player's
answer posts, unless ``BIMO_WEB_ANSWER_FAST_LANE=0``) → :class:`ResponseCacheMiddleware` (stored
answers to anonymous visitors, unless ``BIMO_WEB_RESPONSE_CACHE=0``) →
:class:`SessionMiddleware` (signed cookie) → FastAPI, where the global :func:`csrf_protect`
dependency guards every unsafe method.
"""

from __future__ import annotations

import gc
import logging
import os
import secrets
from functools import partial
from http import HTTPStatus
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from bimo import __version__
from bimo.core.config import Settings, get_settings
from bimo.core.errors import ConfigError
from bimo.core.operational import OperationalStore
from bimo.web import api, auth, health, intern, pages, portal, testen, umfragen, verzeichnis
from bimo.web.cache import ResponseCacheMiddleware
from bimo.web.csrf import csrf_protect
from bimo.web.data import snapshot, snapshot_generation
from bimo.web.deps import HierarchyCache, WebContext
from bimo.web.logs import FrameMiddleware
from bimo.web.rendering import STATIC_DIR, render
from bimo.web.session import SessionCodec, SessionMiddleware
from bimo.web.settings import OidcSettings, WebSettings
from bimo.web.testen.fastlane import AnswerFastLane

_LOG = logging.getLogger("bimo.web")
SECRET_FILE = "web-secret.key"
_MIN_SECRET = 32

ERROR_TITLES: dict[int, str] = {
    400: "Ungültige Anfrage",
    401: "Anmeldung erforderlich",
    403: "Zugriff verweigert",
    404: "Seite nicht gefunden",
    405: "Methode nicht erlaubt",
    422: "Ungültige Eingabe",
    503: "Gerade ausgelastet",
}
ERROR_TEXTS: dict[int, str] = {
    401: "Für diese Aktion ist eine Anmeldung erforderlich.",
    403: "Sie haben keine Berechtigung für diese Seite.",
    404: "Die angeforderte Seite gibt es nicht.",
    405: "Diese Aktion ist hier nicht möglich.",
    422: "Die Eingaben sind unvollständig oder ungültig.",
    503: "Der Dienst ist gerade stark ausgelastet. Bitte in einigen Sekunden erneut versuchen; "
    "es ist nichts verloren gegangen.",
}
# Generation-1 and generation-2 thresholds of a serving worker (Python: 10, 10); generation 0
# comes from BIMO_WEB_GC_THRESHOLD (see create_served_app).
GC_OLDER_THRESHOLDS = (20, 100)
# Seconds a client should wait after a 503 (a database lock held longer than busy_timeout).
RETRY_AFTER_SECONDS = 2


def resolve_secret(web: WebSettings, core: Settings) -> str:
    """The signing key: from the setting, else from (or newly into) ``DATA_DIR/web-secret.key``.

    The file is created atomically with mode 0600, so several uvicorn workers starting at
    once all end up with the same key.
    """
    if web.secret_key is not None:
        value = web.secret_key.get_secret_value()
        if len(value) < _MIN_SECRET:
            raise ConfigError(
                f"BIMO_WEB_SECRET_KEY ist zu kurz: mindestens {_MIN_SECRET} Zeichen erforderlich."
            )
        return value
    path = core.data_dir / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text(encoding="ascii").strip()
        if len(value) < _MIN_SECRET:
            raise ConfigError(f"{path} enthält keinen brauchbaren Schlüssel.") from None
        return value
    value = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value)
    return value


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.startswith("/api/") or (
        "application/json" in accept and "text/html" not in accept
    )


def _error_response(request: Request, status: int, detail: str | None) -> Response:
    title = ERROR_TITLES.get(status, "Fehler")
    # Our own messages are German and say what went wrong; Starlette's defaults are the
    # English reason phrases ("Not Found"), which are replaced by the German standard text.
    own = detail and detail != HTTPStatus(status).phrase
    text = detail if own and status in (400, 401, 403, 404, 409) else ERROR_TEXTS.get(status, title)
    if _wants_json(request):
        return JSONResponse({"detail": text}, status_code=status)
    return render(request, "fehler.html", {"title": title, "meldung": text}, status_code=status)


def create_served_app() -> FastAPI:
    """The application as ``bimo serve`` runs it in each worker process: :func:`create_app`
    plus collector settings for a long-running server.

    Measured under the test-wave load (docs/benchmarks.md): Python's default collector runs
    a generation-0 pass every 700 net allocations, and its older-generation passes walk every
    object of the process — FastAPI's, SQLAlchemy's and the templates' included — while a
    request waits; at 1,000 answer writes/s this alone doubled the p99 latency. So, once the
    app is built: everything that lives as long as the process is moved out of the
    collector's view (``gc.freeze``), and passes run less often. Reference cycles are still
    collected. Not done in :func:`create_app`, which tests call many times per process.
    """
    app = create_app()
    threshold = app.state.bimo.settings.gc_threshold
    if threshold > 0:
        gc.collect()
        gc.freeze()
        gc.set_threshold(threshold, GC_OLDER_THRESHOLDS[0], GC_OLDER_THRESHOLDS[1])
    return app


def create_app(
    settings: WebSettings | None = None,
    *,
    core_settings: Settings | None = None,
    store: OperationalStore | None = None,
    oidc_settings: OidcSettings | None = None,
) -> FastAPI:
    """Build the web application (uvicorn: ``bimo.web.app:create_app`` with ``factory=True``)."""
    web = settings or WebSettings()
    core = core_settings or get_settings()
    operational = store or OperationalStore.from_settings(core)
    duckdb_path: Path = core.resolved_duckdb_path
    app = FastAPI(
        title="BiMo – Bildungsmonitoring",
        version=__version__,
        # The interactive docs load scripts from a CDN, which the CSP forbids; the API issue
        # serves them from vendored files.
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        dependencies=[Depends(csrf_protect)],
    )
    oidc = oidc_settings or OidcSettings()
    app.state.bimo = WebContext(
        web,
        operational,
        duckdb_path,
        HierarchyCache(duckdb_path),
        oidc=oidc,
        publication_dir=web.publication_dir or core.data_dir / "veroeffentlichung",
    )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        response = _error_response(request, exc.status_code, str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(OperationalError)
    async def database_busy(request: Request, exc: OperationalError) -> Response:
        # SQLite under a burst of writes (a whole class entering codes at once) can wait longer
        # than busy_timeout for its lock. The transaction was rolled back, so the request can
        # simply be repeated: say so (503 + Retry-After) instead of a 500. Anything else is a
        # real fault and stays one.
        if "locked" not in str(exc.orig).lower() and "busy" not in str(exc.orig).lower():
            raise exc
        _LOG.warning("Datenbank ausgelastet: %s %s", request.method, request.url.path)
        response = _error_response(request, 503, None)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return _error_response(request, 422, None)

    app.include_router(health.router)
    # Routes are matched in order: the test player's answer sync (the hottest path under a
    # test wave) comes first so that it does not pay for matching every portal route.
    app.include_router(testen.router)
    app.include_router(pages.router)
    app.include_router(auth.router)
    app.include_router(portal.router)
    app.include_router(verzeichnis.router)
    app.include_router(intern.router)
    app.include_router(umfragen.router)
    app.include_router(api.router)
    if oidc.enabled:
        from bimo.web.oidc import oidc_router  # authlib is only imported when OIDC is on

        app.include_router(oidc_router(oidc))
    if oidc.students_enabled:  # BIMO_OIDC_STUDENTS and issuer + client id set
        from bimo.web.testen.anmeldung import student_oidc_router  # authlib only when on

        app.include_router(student_oidc_router(oidc))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    codec = SessionCodec(resolve_secret(web, core), web.session_max_hours * 3600)
    app.add_middleware(SessionMiddleware, codec=codec)
    if web.response_cache:
        app.add_middleware(
            ResponseCacheMiddleware,
            generation=partial(snapshot_generation, duckdb_path),
            max_bytes=web.response_cache_mb * 1024 * 1024,
            warm=partial(snapshot, duckdb_path),
        )
    if web.answer_fast_lane:
        app.add_middleware(AnswerFastLane, codec=codec, engine=lambda: app.state.bimo.store.engine)
    app.add_middleware(FrameMiddleware)
    return app
