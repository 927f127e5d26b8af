"""Routes of the web area 'intern': dashboards, research access and administration."""

from __future__ import annotations

from fastapi import APIRouter

from bimo.web.intern import admin, dashboards, forschung

router = APIRouter()
router.include_router(dashboards.router)
router.include_router(forschung.router)
router.include_router(admin.router)

__all__ = ["router"]
