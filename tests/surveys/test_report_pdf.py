"""Class and school reports as tagged German PDFs."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest

from bimo.core.operational import OperationalStore
from bimo.surveys import model_for, simulate_round
from bimo.surveys.report_pdf import class_report_html, class_report_pdf, school_report_pdf
from bimo.surveys.reporting import (
    ClassReport,
    SchoolReport,
    class_report,
    school_report,
    sheets_from_matrix,
)
from bimo.surveys.rounds import (
    close_round,
    open_round,
    release_round,
    shipped_instruments,
    submit_answers,
)
from tests.reports.pdfcheck import pdf_catalog_text

DAY = date(2026, 9, 14)
INST = shipped_instruments()["wohlbefinden"]


@pytest.fixture(scope="module")
def reports() -> Iterator[tuple[ClassReport, SchoolReport]]:
    with OperationalStore("sqlite://", migrate=True) as store:
        ids = []
        for k, (klasse, jahrgang, n) in enumerate([("6a", 6, 18), ("6b", 6, 16), ("7a", 7, 12)]):
            responses = simulate_round(
                model_for(INST), n_schools=1, classes_per_school=1, students_per_class=n, seed=k
            ).responses
            with store.session() as db:
                opened = open_round(
                    db,
                    instrument_id=INST.id,
                    schulnummer="100001",
                    klasse=klasse,
                    jahrgang=jahrgang,
                    teacher=f"lk{k}",
                    single_use=True,
                    n_codes=n,
                    closes_on=DAY + timedelta(days=5),
                    on=DAY,
                )
            for i, (code, sheet) in enumerate(
                zip(opened.codes, sheets_from_matrix(INST, responses), strict=True)
            ):
                answers: dict[str, int | str | None] = dict(sheet)
                answers["wb_offen"] = f"Wunsch Nummer {i} für die Pause"
                with store.session() as db:
                    submit_answers(db, code, answers, on=DAY)
            with store.session() as db:
                close_round(db, opened.round.id, f"lk{k}", on=DAY)
                release_round(db, opened.round.id, f"lk{k}")
            ids.append(opened.round.id)
        with store.session() as db:
            klass = class_report(db, ids[0])
            school = school_report(db, "100001", INST.id)
    assert isinstance(klass, ClassReport) and isinstance(school, SchoolReport)
    yield klass, school


def _text(pdf_bytes: bytes) -> tuple[list[str], pdfium.PdfDocument]:
    doc = pdfium.PdfDocument(io.BytesIO(pdf_bytes))
    return [doc[i].get_textpage().get_text_range() for i in range(len(doc))], doc


def test_class_report_pdf_is_tagged_german_and_complete(
    reports: tuple[ClassReport, SchoolReport], tmp_path: Path
) -> None:
    klass, _ = reports
    data = class_report_pdf(klass, INST)
    assert data.startswith(b"%PDF")
    (tmp_path / "klasse.pdf").write_bytes(data)
    catalog = pdf_catalog_text(tmp_path / "klasse.pdf")
    assert "/Lang (de)" in catalog and "/StructTreeRoot" in catalog and "pdfuaid" in catalog
    pages, doc = _text(data)
    try:
        assert pdfium_raw.FPDFCatalog_IsTagged(doc.raw)
        assert doc.get_metadata_dict()["Title"] == f"Umfrageergebnisse Klasse 6a – {INST.titel}"
    finally:
        doc.close()
    for i, page in enumerate(pages, start=1):
        assert f"Seite {i} von {len(pages)}" in page
    full = " ".join(" ".join(pages).split())
    assert "Umfrageergebnisse der Klasse 6a" in full and "18 Antworten" in full
    assert "Cronbachs Alpha" in full and "McDonalds Omega" in full
    for scale in klass.scales:
        assert scale.title in full and scale.mean is not None
        assert f"{scale.mean.mean:.2f}".replace(".", ",") in full
    # 18 answers ≥ 10: the teacher's PDF carries the open answers.
    assert "Wunsch Nummer 7 für die Pause" in full
    assert "(umgepolt ausgewertet)" in full
    assert INST.hinweis.split(".")[0] in full


def test_school_report_pdf_shows_protected_cells_only(
    reports: tuple[ClassReport, SchoolReport],
) -> None:
    _, school = reports
    data = school_report_pdf(school, INST)
    pages, doc = _text(data)
    doc.close()
    full = " ".join(" ".join(pages).split())
    assert "Umfrageergebnisse: Schule 100001" in full
    assert "46 Antworten aus 3 Klassen" in full
    assert "Wunsch Nummer" not in full  # never open answers above the class
    # Jahrgang 7 is a single class: its row shows only the secrecy symbol.
    cells = {c.label: c for c in school.scales[0].cells}
    assert cells["Jahrgang 7"].n is None
    assert "Jahrgang 7 . . ." in full


def test_html_escapes_open_answers(reports: tuple[ClassReport, SchoolReport]) -> None:
    klass, _ = reports
    hostile = ClassReport(
        **{**klass.__dict__, "open_texts": {"Frage": ["<script>alert(1)</script>"]}}
    )
    html = class_report_html(hostile, INST)
    assert "<script>" not in html and "&lt;script&gt;" in html
