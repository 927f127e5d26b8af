"""Web area 'verzeichnis': Bildungsangebote and Akteure, the editor pages, the feedback form."""

from __future__ import annotations

from fastapi import APIRouter

from bimo.web.verzeichnis import editor, feedback, public

router = APIRouter()
router.include_router(public.router)
router.include_router(editor.router)
router.include_router(feedback.router)

__all__ = ["router"]
