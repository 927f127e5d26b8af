"""Routes of the web area 'intern'."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

router = APIRouter()

# Scaffolding until the area is built (replaced by its owner this session).


@router.get("/intern", name="intern_start", response_class=PlainTextResponse)
def intern_start() -> str:
    return "in Arbeit"


__all__ = ["router"]
