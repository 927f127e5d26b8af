"""Feedback report files: accessible HTML, PDF/UA rendering, suppression in the output, CLI."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest
import typer
from typer.testing import CliRunner

from bimo.core.errors import BimoError
from bimo.core.store import AnalyticStore
from bimo.reports import feedback_cli
from bimo.reports.charts import contrast_ratio
from bimo.reports.feedback import (
    FeedbackConfig,
    SyntheticErhebung,
    build_school_feedback,
    load_erhebung,
    prepare_erhebung,
    render_html,
    school_feedback,
    write_synthetic_erhebung,
)
from bimo.reports.feedback.charts import LEVEL_COLORS, level_colors

# WeasyPrint warns at import time that HarfBuzz-Subset will be required in future versions.
pytestmark = pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")

ERHEBUNG = "LS4-2024"
PAGES = Path("/tmp/h7_pages")
# Synthetic schools (class sizes): index 3 has a class of 4 next to one of 17.
SMALL = SyntheticErhebung(
    schools=((24, 23, 22), (19, 21), (26, 25, 24, 23), (17, 4), (20,), (22, 22))
)


@pytest.fixture
def store(tmp_path: Path) -> tuple[AnalyticStore, list[str]]:
    s = AnalyticStore(tmp_path / "synth.duckdb")
    return s, write_synthetic_erhebung(s, SMALL)


def _pdf_text(path: Path) -> list[str]:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def _save_pages(path: Path, prefix: str) -> list[Path]:
    PAGES.mkdir(parents=True, exist_ok=True)
    pdf = pdfium.PdfDocument(str(path))
    out = []
    try:
        for i in range(len(pdf)):
            image = pdf[i].render(scale=1.3).to_pil()
            pixels = np.asarray(image.convert("L"), dtype=float)
            # Non-blank: a real share of the page is ink, and it is not one flat colour.
            assert pixels.std() > 10 and (pixels < 200).mean() > 0.01, f"Seite {i + 1} leer"
            target = PAGES / f"{prefix}_seite{i + 1}.png"
            image.save(target)
            out.append(target)
    finally:
        pdf.close()
    return out


def test_level_colours_meet_contrast() -> None:
    for color in LEVEL_COLORS:
        assert contrast_ratio(color) >= 4.5  # white labels on the segments, and ≥ 3:1 marks
    assert len(level_colors(7)) == 7


def test_html_is_accessible_and_hides_small_classes(store: tuple[AnalyticStore, list[str]]) -> None:
    s, numbers = store
    ref = prepare_erhebung(load_erhebung(s, ERHEBUNG), FeedbackConfig(min_group=10))
    html = render_html(school_feedback(ref, numbers[3]))
    assert re.search(r'<html lang="de">', html)
    assert "<title>Rückmeldung LS4-2024 – Grundschule am Musterweg 4</title>" in html
    assert "Vertraulich – nur für den internen Gebrauch der Schule" in html
    assert html.count("<caption>") >= 4 and 'scope="col"' in html and 'scope="row"' in html
    alts = re.findall(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="([^"]*)"', html)
    assert len(alts) == 3 and all(len(a) > 40 for a in alts)
    for klasse in ("4a", "4b"):
        row = re.search(rf'<tr id="gruppe-klasse-{klasse}">(.*?)</tr>', html, re.DOTALL)
        assert row is not None
        assert 'class="num"' not in row.group(1)
        assert "keine Ergebnisse ausgewiesen" in row.group(1)
    # No class column in the item table: both classes are hidden.
    assert '<th scope="col">Klasse 4a</th>' not in html
    pseudonyms = s.raw.execute("SELECT pseudonym FROM student_years").fetchall()
    assert not any(p[0] in html for p in pseudonyms)


def test_pdf_renders_with_page_numbers(
    store: tuple[AnalyticStore, list[str]], tmp_path: Path
) -> None:
    s, numbers = store
    files = build_school_feedback(s, ERHEBUNG, numbers[2], tmp_path / "out")
    assert files.pdf.name == f"rueckmeldung_{numbers[2]}_{ERHEBUNG}.pdf"
    assert files.html.name == f"rueckmeldung_{numbers[2]}_{ERHEBUNG}.html"
    pdf = pdfium.PdfDocument(str(files.pdf))
    try:
        assert pdfium_raw.FPDFCatalog_IsTagged(pdf.raw)  # tagged PDF (PDF/UA)
        assert pdf.get_metadata_dict()["Title"].startswith("Rückmeldung LS4-2024 – ")
    finally:
        pdf.close()
    pages = _pdf_text(files.pdf)
    assert len(pages) >= 4
    for i, text in enumerate(pages, start=1):
        assert f"Seite {i} von {len(pages)}" in text
    full = "\n".join(pages)
    assert "Fairer Vergleich" in full and "Erwartungsbereich" in full
    assert "Klasse 4d" in full and "Tabelle 4" in full
    saved = _save_pages(files.pdf, "rueckmeldung_schule3")
    assert len(saved) == len(pages)


def test_pdf_text_has_no_numbers_for_small_classes(
    store: tuple[AnalyticStore, list[str]], tmp_path: Path
) -> None:
    s, numbers = store
    files = build_school_feedback(s, ERHEBUNG, numbers[3], tmp_path / "out")
    full = "\n".join(_pdf_text(files.pdf))
    _save_pages(files.pdf, "rueckmeldung_kleine_klasse")
    for klasse in ("4a", "4b"):
        # The table row of the class: its label followed by the note, with no numbers in it
        # (the note names the minimum, 10).
        row = re.search(rf"Klasse {klasse}\s+(Für diese Klasse.*?)(?:Klasse|Landkreis)", full, re.S)
        assert row is not None, full
        assert not re.search(r"\d", row.group(1).replace("10", ""))
    # The class means would be printed as whole points; none may appear in the text.
    means = s.raw.execute(
        "SELECT klasse, avg(wert) FROM assessment_results WHERE schulnummer = ? GROUP BY klasse",
        [numbers[3]],
    ).fetchall()
    school_mean = s.raw.execute(
        "SELECT avg(wert) FROM assessment_results WHERE schulnummer = ?", [numbers[3]]
    ).fetchall()[0][0]
    for _, mean in means:
        if round(mean) != round(school_mean):
            assert not re.search(rf"(?<![\d,]){round(mean)}(?![\d,])", full)


def _cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Testgruppe."""

    feedback_cli.add_commands(app)
    return app


def test_cli_one_school_and_all(tmp_path: Path) -> None:
    s = AnalyticStore(tmp_path / "cli.duckdb")
    numbers = write_synthetic_erhebung(s, SyntheticErhebung(schools=((21, 20), (22, 3)), seed=5))
    s.close()
    runner = CliRunner()
    store_arg = ["--store", str(tmp_path / "cli.duckdb")]
    one = runner.invoke(
        _cli(),
        ["rueckmeldung", "--erhebung", ERHEBUNG, "--schule", numbers[0], "--out",
         str(tmp_path / "eins"), *store_arg],
    )  # fmt: skip
    assert one.exit_code == 0, one.output
    assert "Rückmeldung geschrieben" in one.output
    assert (tmp_path / "eins" / f"rueckmeldung_{numbers[0]}_{ERHEBUNG}.pdf").is_file()
    every = runner.invoke(
        _cli(),
        ["rueckmeldung", "--erhebung", ERHEBUNG, "--alle", "--out", str(tmp_path / "alle"),
         "--min-gruppe", "8", *store_arg],
    )  # fmt: skip
    assert every.exit_code == 0, every.output
    written = sorted(p.name for p in (tmp_path / "alle").iterdir())
    assert written == sorted(
        f"rueckmeldung_{n}_{ERHEBUNG}.{ext}" for n in numbers for ext in ("html", "pdf")
    )
    assert "2 Rückmeldungen geschrieben" in every.output


def test_cli_errors_are_german(tmp_path: Path) -> None:
    s = AnalyticStore(tmp_path / "cli.duckdb")
    write_synthetic_erhebung(s, SyntheticErhebung(schools=((12,), (11,)), seed=3))
    s.close()
    runner = CliRunner()
    base = ["rueckmeldung", "--out", str(tmp_path / "x"), "--store", str(tmp_path / "cli.duckdb")]
    cases = [
        (["--erhebung", ERHEBUNG], "--schule NUMMER"),
        (["--erhebung", ERHEBUNG, "--alle", "--schule", "170001"], "nicht beides"),
        (["--erhebung", "LS9-1999", "--alle"], "keine Ergebnisse"),
        (["--erhebung", ERHEBUNG, "--alle", "--min-gruppe", "2"], "nicht unterschreiten"),
    ]
    for args, message in cases:
        result = runner.invoke(_cli(), [*base, *args])
        assert isinstance(result.exception, BimoError), result.output
        assert message in str(result.exception)
    missing = runner.invoke(
        _cli(),
        ["rueckmeldung", "--erhebung", ERHEBUNG, "--alle", "--out", str(tmp_path),
         "--store", str(tmp_path / "fehlt.duckdb")],
    )  # fmt: skip
    assert isinstance(missing.exception, BimoError)
    assert "existiert nicht" in str(missing.exception)


def test_school_below_minimum_report_has_notes_only(tmp_path: Path) -> None:
    s = AnalyticStore(tmp_path / "klein.duckdb")
    numbers = write_synthetic_erhebung(
        s, SyntheticErhebung(schools=((22, 21), (8,), (23,), (20, 19), (24,)), seed=9)
    )
    ref = prepare_erhebung(load_erhebung(s, ERHEBUNG), FeedbackConfig(min_group=10))
    fb = school_feedback(ref, numbers[1])
    html = render_html(fb)
    assert "weniger als 10" in html
    assert "Ergebnisse auf Aufgabenebene entfallen" in html
    assert "Der faire Vergleich entfällt" in html
    assert 'class="item-table"' not in html and "<img" not in html
    row = re.search(r'<tr id="gruppe-schule-[0-9]+">(.*?)</tr>', html, re.DOTALL)
    assert row is not None and 'class="num"' not in row.group(1)


def test_signed_differences_never_show_minus_zero() -> None:
    from bimo.reports.feedback.html import _signed

    assert [_signed(0)(v) for v in (-0.3, 0.4, 5.6, -5.6)] == ["±0", "±0", "+6", "−6"]
    assert _signed(1)(-12.34) == "−12,3"
