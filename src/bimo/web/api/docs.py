"""JSON API routes: docs."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

router = APIRouter()

# Scaffolding until the area is built (replaced by its owner this session).


@router.get("/api/docs", name="api_docs", response_class=PlainTextResponse)
def api_docs() -> str:
    return "in Arbeit"
