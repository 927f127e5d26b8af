"""JSON API routes: directory."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
