"""HTML → accessible PDF (PDF/UA-1, tagged) with WeasyPrint.

Shared by the Bildungsbericht and the school feedback report. The HTML must carry a ``<title>`` and
``<html lang="…">``: PDF/UA requires a document title (shown instead of the file name) and a natural
language, and WeasyPrint takes both from there.
"""

from __future__ import annotations

import logging
import re
import warnings
from html import unescape
from pathlib import Path
from typing import Any

from bimo.core.errors import BimoError

__all__ = ["RenderError", "document_language", "document_title", "render_pdf"]

_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_LANG_RE = re.compile(r"<html\b[^>]*\blang\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)


class RenderError(BimoError):
    """The PDF cannot be produced (missing title/language or an unwritable target)."""


def document_title(html: str) -> str | None:
    """The text of the HTML ``<title>`` (entities resolved, whitespace collapsed), if any."""
    match = _TITLE_RE.search(html)
    if match is None:
        return None
    title = " ".join(unescape(re.sub(r"<[^>]+>", "", match.group(1))).split())
    return title or None


def document_language(html: str) -> str | None:
    """The ``lang`` attribute of the ``<html>`` element, if any."""
    match = _LANG_RE.search(html)
    return match.group(1).strip() if match else None


def _weasyprint() -> Any:
    """Import WeasyPrint lazily (Pango/fontconfig are not needed for ``bimo --help``).

    WeasyPrint 70 warns at import time (DeprecationWarning) when the system lacks the optional
    HarfBuzz-Subset library; it then subsets fonts with fontTools, which is correct, just slower.
    The warning is not actionable for a report user and would fail runs with warnings as errors.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
        import weasyprint
    return weasyprint


def render_pdf(html: str, out: Path, *, base_url: Path | None = None) -> Path:
    """Render ``html`` to a tagged PDF/UA-1 file at ``out`` and return its path.

    ``base_url`` is the directory relative asset paths (images, stylesheets) are resolved against.
    Page numbers, the table of contents and bookmarks come from the document's print CSS
    (``@page`` counters, ``target-counter``, headings).
    """
    title = document_title(html)
    lang = document_language(html)
    if title is None:
        raise RenderError("PDF kann nicht erzeugt werden: Das HTML hat keinen <title>.")
    if lang is None:
        raise RenderError("PDF kann nicht erzeugt werden: <html> hat kein lang-Attribut.")
    weasyprint = _weasyprint()
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RenderError(f"Verzeichnis {out.parent} kann nicht angelegt werden: {exc}") from exc
    # WeasyPrint logs every unsupported CSS property at WARNING level; they are not actionable
    # for the user of a report, so keep them out of the console.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = weasyprint.HTML(
        string=html, base_url=str(base_url) if base_url is not None else None
    ).render()
    # Set explicitly, so the PDF metadata is right even if the HTML <head> is unusual.
    document.metadata.title = title
    document.metadata.lang = lang
    try:
        document.write_pdf(out, pdf_variant="pdf/ua-1")
    except OSError as exc:
        raise RenderError(f"PDF-Datei {out} kann nicht geschrieben werden: {exc}") from exc
    return out
