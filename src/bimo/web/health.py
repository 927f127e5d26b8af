"""Liveness (``/health``) and readiness (``/ready``) for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

import duckdb
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from bimo.core.operational import current_revision, head_revision
from bimo.web.deps import web_context

router = APIRouter()


@router.get("/health", name="health", include_in_schema=False)
def health() -> dict[str, str]:
    """The process answers; nothing else is checked (a restart would not fix a database)."""
    return {"status": "ok"}


@router.get("/ready", name="ready", include_in_schema=False)
def ready(request: Request) -> JSONResponse:
    """Both stores usable: operational DB reachable and at head, analytic store readable."""
    ctx = web_context(request)
    checks: dict[str, Any] = {}
    try:
        with ctx.store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(ctx.store.engine)
        checks["betriebsdatenbank"] = (
            "ok" if revision == head_revision() else f"veraltet (Stand {revision or 'leer'})"
        )
    except Exception as exc:  # any failure means "not ready"; the type goes to the answer
        checks["betriebsdatenbank"] = f"nicht erreichbar ({type(exc).__name__})"
    path = ctx.duckdb_path
    if not path.exists():
        checks["analysebestand"] = "Datei fehlt"
    else:
        try:
            analytic = duckdb.connect(str(path), read_only=True)
            try:
                analytic.execute("SELECT count(*) FROM regions").fetchall()
            finally:
                analytic.close()
            checks["analysebestand"] = "ok"
        except duckdb.Error as exc:
            checks["analysebestand"] = f"nicht lesbar ({type(exc).__name__})"
    ok = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "bereit" if ok else "nicht bereit", "pruefungen": checks},
        status_code=200 if ok else 503,
    )
