"""Routes of the web area 'verzeichnis'."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

router = APIRouter()

# Scaffolding until the area is built (replaced by its owner this session).


@router.get("/angebote", name="verzeichnis", response_class=PlainTextResponse)
def verzeichnis() -> str:
    return "in Arbeit"


@router.get("/rueckmeldung", name="rueckmeldung_formular", response_class=PlainTextResponse)
def rueckmeldung_formular() -> str:
    return "in Arbeit"


__all__ = ["router"]
