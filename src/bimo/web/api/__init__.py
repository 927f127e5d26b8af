"""The JSON API ``/api/v1``: public reads where the data is public, authorised writes.

The OpenAPI description is served at ``/api/openapi.json`` and browsable (vendored Swagger UI,
no CDN) at ``/api/docs``.
"""

from __future__ import annotations

from fastapi import APIRouter

from bimo.web.api import directory, docs, indicators

API_PREFIX = "/api/v1"

router = APIRouter()
router.include_router(indicators.router, prefix=API_PREFIX)
router.include_router(directory.router, prefix=API_PREFIX)
router.include_router(docs.router)

__all__ = ["API_PREFIX", "router"]
