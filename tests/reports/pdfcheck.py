"""Read the object text of a (compressed) PDF: enough to check catalog entries in tests."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)


def pdf_catalog_text(path: Path) -> str:
    """All uncompressed objects plus every Flate stream decoded (object streams included)."""
    raw = Path(path).read_bytes()
    parts = [raw]
    for match in _STREAM.finditer(raw):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts).decode("latin-1")
