"""Operational tables of research access (filled in by the dashboard work of issue #6)."""

from __future__ import annotations
