"""The public Bildungsportal: indicators, region comparison, published downloads."""

from __future__ import annotations

from fastapi import APIRouter

from bimo.web.portal import indicators, pages

router = APIRouter()
router.include_router(indicators.router)
router.include_router(pages.router)

__all__ = ["router"]
