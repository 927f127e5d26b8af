"""The Bildungsbericht on the fixture table: structure, accessibility, symbols, PDF/UA, pixels."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest

from bimo.indicators import Catalog, load_catalog
from bimo.indicators.targets import evaluate_targets, parse_targets
from bimo.reports.bildungsbericht import CHAPTER_AREAS, Report, build_report, write_report
from bimo.reports.data import ReportDataError
from tests.reports.fixtures import (
    KREISE,
    REGION,
    SCHOOL_NAME,
    TARGETS_YAML,
    make_values,
    write_catalog,
)
from tests.reports.pdfcheck import pdf_catalog_text

PAGES_DIR = Path("/tmp/h6_pages")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Catalog, Path, Path]:
    base = tmp_path_factory.mktemp("bericht")
    catalog = load_catalog(write_catalog(base / "catalog"))
    values = make_values()
    statuses = evaluate_targets(values, catalog, REGION, targets=parse_targets(TARGETS_YAML))
    report = build_report(values, catalog, REGION, 2023, kreistyp="LKV", target_statuses=statuses)
    html_path, pdf_path = write_report(report, base / "out")
    return report, catalog, html_path, pdf_path


class _Outline(HTMLParser):
    """Collects headings, landmarks, figures, tables and th scopes of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.tags: dict[str, int] = {}
        self.th_without_scope = 0
        self.figures = 0
        self.figcaptions = 0
        self.script_srcs: list[str] = []
        self.stylesheets: list[str] = []
        self.svg_labels: list[str | None] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "th" and a.get("scope") not in ("col", "row"):
            self.th_without_scope += 1
        if tag == "script" and a.get("src"):
            self.script_srcs.append(str(a["src"]))
        if tag == "link" and a.get("rel") == "stylesheet":
            self.stylesheets.append(str(a.get("href")))
        if tag == "svg" and a.get("role") == "img":
            self.svg_labels.append(a.get("aria-label"))


def _outline(html: str) -> _Outline:
    parser = _Outline()
    parser.feed(html)
    return parser


def test_report_model_covers_every_catalogue_indicator(
    generated: tuple[Report, Catalog, Path, Path],
) -> None:
    report, catalog, _, _ = generated
    assert [c.letter for c in report.chapters] == list(CHAPTER_AREAS)
    in_chapters = {s.indicator.id for c in report.chapters for s in c.sections}
    assert in_chapters == {i.id for i in catalog if i.bereich in CHAPTER_AREAS}
    assert report.focus is not None
    assert [s.indicator.id for s in report.focus.sections] == ["D14"]
    assert {i.id for i in report.glossary} == set(catalog.ids)
    # D05 worsened and its target is red: it is a challenge; D14 improved: a key finding.
    assert any(f.anchor == "ind-D05" for f in report.challenges)
    assert any("Abgänge ohne Ersten Schulabschluss" in f.text for f in report.findings)
    assert {f.kind for f in report.target_findings} <= {
        "ziel-gruen",
        "ziel-gelb",
        "ziel-rot",
        "ziel-unbekannt",
    }


def test_html_structure_and_accessibility(generated: tuple[Report, Catalog, Path, Path]) -> None:
    report, catalog, html_path, _ = generated
    html = html_path.read_text(encoding="utf-8")
    outline = _outline(html)
    assert '<html lang="de">' in html
    assert "<title>Bildungsbericht Landkreis Auen – Berichtsjahr 2023</title>" in html
    assert 'class="skip-link" href="#inhalt"' in html
    for landmark in ("main", "nav", "header", "footer"):
        assert outline.tags.get(landmark, 0) >= 1, landmark
    assert outline.headings[0] == 1 and outline.headings.count(1) == 1
    for before, after in zip(outline.headings, outline.headings[1:], strict=False):
        assert after <= before + 1, "heading levels must not skip"
    for chapter_id in (
        "kernaussagen",
        "einleitung",
        "kap-A",
        "kap-B",
        "kap-C",
        "kap-D",
        "kap-E",
        "kap-schwerpunkt",
        "herausforderungen",
        "glossar",
        "anhang",
    ):
        assert chapter_id in outline.ids, chapter_id
    for ind in catalog:
        assert f'id="ind-{ind.id}"' in html
        assert f'id="glossar-{ind.id}"' in html
    assert outline.tags["figure"] == report.figure_count
    assert outline.tags["figcaption"] == report.figure_count
    assert len(outline.svg_labels) == report.figure_count
    assert all(label and len(label) > 40 for label in outline.svg_labels)
    assert outline.th_without_scope == 0
    duplicates = {i for i in outline.ids if outline.ids.count(i) > 1}
    assert not duplicates, duplicates
    assert outline.tags["caption"] == report.table_count
    assert "Abbildung 1:" in html and "Tabelle 1:" in html


def test_html_shows_symbols_with_footnotes_and_hides_internal_rows(
    generated: tuple[Report, Catalog, Path, Path],
) -> None:
    _, _, html_path, _ = generated
    html = html_path.read_text(encoding="utf-8")
    for symbol in (".", "/", "-"):
        assert f"<td>{symbol}</td>" in html, symbol
        assert f"<strong>{symbol}</strong> = " in html, symbol
    assert "Lücken in den Linien" in html
    assert "Zeichen statt Balken" in html
    assert SCHOOL_NAME not in html
    assert "123456" not in html
    # German number format in tables: decimal comma and thousands dot.
    assert re.search(r"<td>\d{1,3},\d</td>", html)
    assert re.search(r"<td>\d\.\d{3}</td>", html)
    assert re.search(r"<td>\d+\.\d</td>", html) is None
    for name, _typ in KREISE.values():
        assert name in html


def test_html_works_offline(generated: tuple[Report, Catalog, Path, Path]) -> None:
    _, _, html_path, _ = generated
    html = html_path.read_text(encoding="utf-8")
    outline = _outline(html)
    assert outline.script_srcs == [
        "assets/vendor/vega.min.js",
        "assets/vendor/vega-lite.min.js",
        "assets/vendor/vega-embed.min.js",
        "assets/report.js",
    ]
    for src in [*outline.script_srcs, *outline.stylesheets]:
        assert not src.startswith(("http:", "https:", "//"))
        assert (html_path.parent / src).is_file(), src
    for licence in ("vega.LICENSE", "vega-lite.LICENSE", "vega-embed.LICENSE"):
        assert (html_path.parent / "assets" / "vendor" / licence).is_file()
    assert 'type="application/json" id="spec-abb-D05-verlauf"' in html
    assert '"decimal":","' in html.replace(" ", "")


def test_pdf_is_tagged_titled_and_paginated(generated: tuple[Report, Catalog, Path, Path]) -> None:
    report, _, _, pdf_path = generated
    catalog_text = pdf_catalog_text(pdf_path)
    assert "/StructTreeRoot" in catalog_text
    assert "/Marked true" in catalog_text
    assert "/Lang (de)" in catalog_text
    assert "/Outlines" in catalog_text  # bookmarks from the headings
    assert "pdfuaid" in catalog_text  # PDF/UA identification in the XMP metadata
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        assert doc.get_metadata_dict()["Title"] == f"{report.title} – {report.subtitle}"
        n = len(doc)
        assert n >= 10
        texts = [doc[i].get_textpage().get_text_range() for i in range(n)]
        assert "Seite" not in texts[0]  # title page without number
        assert f"Seite 2 von {n}" in texts[1]
        assert f"Seite {n} von {n}" in texts[-1]
        # Table of contents with page numbers taken from the real layout.
        toc = texts[1]
        anhang_page = next(
            i for i, t in enumerate(texts) if t.lstrip().startswith("Tabellenanhang")
        )
        assert re.search(rf"Tabellenanhang\s*\.+\s*{anhang_page + 1}\b", toc)
        toc_items = doc.get_toc()
        titles = [item.get_title() for item in toc_items]
        assert "A Rahmenbedingungen" in titles and "Glossar der Indikatoren" in titles
    finally:
        doc.close()


def test_pdf_pages_render_with_coloured_charts(
    generated: tuple[Report, Catalog, Path, Path],
) -> None:
    _, _, _, pdf_path = generated
    doc = pdfium.PdfDocument(str(pdf_path))
    PAGES_DIR.mkdir(parents=True, exist_ok=True)
    try:
        chart_pages = 0
        for i in range(len(doc)):
            page = doc[i]
            text = page.get_textpage().get_text_range()
            image = np.asarray(page.render(scale=0.6).to_pil().convert("RGB"), dtype=np.int16)
            ink = (image < 200).any(axis=2).mean()
            assert ink > 0.002, f"page {i + 1} is blank"
            spread = image.max(axis=2) - image.min(axis=2)
            coloured = (spread > 60).mean()
            is_chart_page = re.search(r"Abbildung \d+: .*(Entwicklung|Vergleich|nach)", text)
            if is_chart_page:
                # Charts are drawn in the palette colours; text and tables are grey scale.
                assert coloured > 0.001, f"chart page {i + 1} has no coloured pixels"
                chart_pages += 1
            if i < 3 or i == len(doc) - 1 or (is_chart_page and chart_pages <= 3):
                page.render(scale=1.2).to_pil().save(PAGES_DIR / f"seite_{i + 1:02d}.png")
        assert chart_pages >= 5
    finally:
        doc.close()


def test_unknown_region_and_gemeinde_are_rejected() -> None:
    values = make_values()  # the region is checked before the catalogue is used
    with pytest.raises(ReportDataError, match="keine veröffentlichbaren"):
        build_report(values, load_catalog(), "09999", 2023)
    with pytest.raises(ReportDataError, match="Ebene GEMEINDE"):
        build_report(values, load_catalog(), "09002001", 2023)


def test_report_for_a_land_has_no_kreis_comparison(tmp_path: Path) -> None:
    catalog = load_catalog(write_catalog(tmp_path / "catalog"))
    report = build_report(make_values(), catalog, "09", 2023, static_charts=False)
    assert report.region.ebene == "LAND" and report.region.kreistyp_ags is None
    figure_ids = [f.id for c in report.chapters for s in c.sections for f in s.figures]
    assert figure_ids and not any(i.endswith("-kreise") for i in figure_ids)
    d05 = next(s for c in report.chapters for s in c.sections if s.indicator.id == "D05")
    assert d05.latest_label == "2023/24"
    assert "Musterland" in d05.comparison
