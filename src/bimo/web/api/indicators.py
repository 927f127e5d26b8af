"""JSON API routes: indicators."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
