"""Routes of the web area 'portal'."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

router = APIRouter()

# Scaffolding until the area is built (replaced by its owner this session).


@router.get("/indikatoren", name="indikatoren", response_class=PlainTextResponse)
def indikatoren() -> str:
    return "in Arbeit"


@router.get("/vergleich", name="vergleich", response_class=PlainTextResponse)
def vergleich() -> str:
    return "in Arbeit"


@router.get("/downloads", name="downloads", response_class=PlainTextResponse)
def downloads() -> str:
    return "in Arbeit"


__all__ = ["router"]
