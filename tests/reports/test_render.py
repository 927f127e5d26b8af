"""The shared HTML → PDF/UA-1 renderer."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest

from bimo.reports.render import RenderError, document_language, document_title, render_pdf
from tests.reports.pdfcheck import pdf_catalog_text

HTML = """<!DOCTYPE html><html lang="de"><head><meta charset="utf-8">
<title>Prüfbericht &amp; Test</title>
<style>@page { @bottom-center { content: "Seite " counter(page); } }</style></head>
<body><h1>Überschrift</h1><p>Text mit Umlauten: äöüß.</p>
<img alt="Ein roter Kreis" src="data:image/svg+xml;utf8,%3Csvg xmlns='http://www.w3.org/2000/svg'
 width='40' height='40'%3E%3Ccircle cx='20' cy='20' r='15' fill='%23b04a00'/%3E%3C/svg%3E">
</body></html>"""


def test_title_and_language_are_read_from_html() -> None:
    assert document_title(HTML) == "Prüfbericht & Test"
    assert document_language(HTML) == "de"
    assert document_title("<html><body></body></html>") is None


def test_render_pdf_is_tagged_with_title_and_language(tmp_path: Path) -> None:
    out = render_pdf(HTML, tmp_path / "sub" / "test.pdf")
    assert out.is_file()
    doc = pdfium.PdfDocument(str(out))
    try:
        assert doc.get_metadata_dict()["Title"] == "Prüfbericht & Test"
        assert len(doc) == 1
        text = doc[0].get_textpage().get_text_range()
        assert "Seite 1" in text
    finally:
        doc.close()
    catalog = pdf_catalog_text(out)
    assert "/StructTreeRoot" in catalog
    assert "/MarkInfo" in catalog and "/Marked true" in catalog
    assert "/Lang (de)" in catalog
    assert "/Alt (Ein roter Kreis)" in catalog or "Ein roter Kreis" in catalog


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ('<html lang="de"><body>x</body></html>', "<title>"),
        ("<html><head><title>T</title></head><body>x</body></html>", "lang"),
    ],
)
def test_render_pdf_requires_title_and_language(tmp_path: Path, html: str, message: str) -> None:
    with pytest.raises(RenderError, match=message):
        render_pdf(html, tmp_path / "x.pdf")
