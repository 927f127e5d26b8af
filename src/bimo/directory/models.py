"""Operational tables of the directory (filled in by the directory work of issue #6)."""

from __future__ import annotations
