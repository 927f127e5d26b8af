"""Request-scoped access to the stores, the session and the current principal.

Routes depend on :func:`current_principal` and ask :func:`bimo.accounts.policy.can`; they
never inspect roles themselves.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from threading import Lock

import duckdb
from fastapi import HTTPException, Request

from bimo.accounts import policy
from bimo.accounts.hierarchy import load_hierarchy
from bimo.accounts.policy import ANONYMOUS, Action, Hierarchy, Principal, can
from bimo.accounts.service import grants_of
from bimo.accounts.sessions import resolve_session
from bimo.core.operational import OperationalStore
from bimo.web.session import browser_session
from bimo.web.settings import OidcSettings, WebSettings

_PRINCIPAL_KEY = "bimo.principal"
_LOG = logging.getLogger("bimo.web")


@dataclass
class HierarchyCache:
    """The region/school hierarchy, re-read when the analytic store file changes."""

    path: Path
    _stamp: tuple[int, int] | None = None
    _value: Hierarchy = field(default_factory=Hierarchy)
    _lock: Lock = field(default_factory=Lock)

    def get(self) -> Hierarchy:
        try:
            stat = os.stat(self.path)
            stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = None
        with self._lock:
            if stamp != self._stamp:
                try:
                    self._value = load_hierarchy(self.path) if stamp else Hierarchy()
                    self._stamp = stamp
                except duckdb.Error as exc:
                    # Locked by an import in progress or not a DuckDB file: keep the last
                    # hierarchy (scopes on explicit schools/classes still work) and retry on
                    # the next request rather than failing every page.
                    _LOG.warning("Analysebestand nicht lesbar: %s", type(exc).__name__)
            return self._value


@dataclass
class WebContext:
    """What the application shares between requests (``app.state.bimo``)."""

    settings: WebSettings
    store: OperationalStore
    duckdb_path: Path
    hierarchy: HierarchyCache
    oidc: OidcSettings = field(default_factory=OidcSettings)
    # Published files offered for download (Bildungsbericht, Open Data): read-only for the web.
    publication_dir: Path = Path("bimo-data/veroeffentlichung")

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.settings.session_idle_minutes)

    @property
    def lifetime(self) -> timedelta:
        return timedelta(hours=self.settings.session_max_hours)


def web_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.bimo
    return context


def current_principal(request: Request) -> Principal:
    """The logged-in principal, or :data:`ANONYMOUS` (sync: runs in the thread pool)."""
    cached = request.scope.get(_PRINCIPAL_KEY)
    if isinstance(cached, Principal):
        return cached
    session = browser_session(request)
    principal = ANONYMOUS
    if session.authenticated:
        ctx = web_context(request)
        with ctx.store.session() as db:
            user = resolve_session(db, session.token, idle=ctx.idle)
            if user is None:
                session.reset()  # logged out elsewhere, expired, or deactivated
            else:
                principal = policy.principal_for(
                    user.id, user.login, user.display_name, grants_of(user), ctx.hierarchy.get()
                )
    request.scope[_PRINCIPAL_KEY] = principal
    return principal


def authorize(principal: Principal, action: Action, obj: object = None) -> None:
    """Raise 403 unless the policy allows ``action`` on ``obj`` (the one call routes make)."""
    if not can(principal, action, obj):
        raise HTTPException(status_code=403, detail="Sie haben keine Berechtigung für diese Seite.")
