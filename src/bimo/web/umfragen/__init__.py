"""Survey pages: students answer anonymously with a code; teachers open rounds and read
protected reports; Schulleitung and Land see released aggregates."""

from __future__ import annotations

from fastapi import APIRouter

from bimo.web.umfragen import lehrkraft, leitung, pdf, schueler, uebersicht

router = APIRouter()
router.include_router(schueler.router)
router.include_router(uebersicht.router)
router.include_router(lehrkraft.router)
router.include_router(leitung.router)
router.include_router(pdf.router)

__all__ = ["router"]
