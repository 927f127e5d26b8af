"""Test delivery pages: the player (students with access codes), the proctor view and the
coding view."""

from __future__ import annotations

from fastapi import APIRouter

from bimo.web.testen import aufsicht, kodierung, spielen, sync, verwaltung

router = APIRouter()
router.include_router(spielen.router)
router.include_router(aufsicht.router)
router.include_router(verwaltung.router)
router.include_router(kodierung.router)
router.include_router(sync.router)

__all__ = ["router"]
