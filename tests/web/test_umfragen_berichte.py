"""Reports on screen: the teacher's class report, withheld reports with their reason, the
Schulleitung's school report of released rounds, the Land's aggregate across schools."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi import FastAPI

from bimo.accounts.roles import Role, ScopeType
from bimo.core.operational import OperationalStore
from bimo.surveys.reporting import ClassReport, class_report, sheets_from_matrix
from bimo.surveys.rounds import close_round, open_round, release_round, submit_answers, today
from bimo.surveys.simulate import model_for, simulate_round
from bimo.web.umfragen.common import decimal, instrument
from tests.web.intern_helpers import logged_in, make_user

SCHOOL = "100001"
OTHER_SCHOOL = "100002"
INSTRUMENT = "wohlbefinden"


def _round(
    store: OperationalStore,
    klasse: str,
    n: int,
    *,
    schulnummer: str = SCHOOL,
    jahrgang: int = 5,
    seed: int = 1,
    close: bool = True,
    release: bool = False,
    text: str | None = None,
) -> int:
    """A round of ``n`` simulated answer sheets, submitted through the service."""
    inst = instrument(INSTRUMENT)
    responses = simulate_round(
        model_for(inst, seed=seed),
        n_schools=1,
        classes_per_school=1,
        students_per_class=n,
        seed=seed,
    ).responses
    with store.session() as db:
        opened = open_round(
            db,
            instrument_id=INSTRUMENT,
            schulnummer=schulnummer,
            klasse=klasse,
            jahrgang=jahrgang,
            teacher=f"lehrkraft.{schulnummer}.{klasse}",
            single_use=False,
            n_codes=max(n, 5),
            closes_on=today() + timedelta(days=5),
        )
        round_id, code = opened.round.id, opened.codes[0]
    for sheet in sheets_from_matrix(inst, responses):
        answers: dict[str, int | str | None] = dict(sheet)
        if text is not None:
            answers["wb_offen"] = text
        with store.session() as db:
            submit_answers(db, code, answers)
    with store.session() as db:
        if close:
            close_round(db, round_id, "test")
        if release:
            release_round(db, round_id, "test")
    return round_id


def _teacher(store: OperationalStore, klasse: str = "5a") -> str:
    return make_user(
        store, f"lehrkraft.{klasse}", [(Role.LEHRKRAFT, ScopeType.KLASSE, f"{SCHOOL}/{klasse}")]
    )


def _url(round_id: int, klasse: str = "5a") -> str:
    return f"/intern/umfragen/schulen/{SCHOOL}/klassen/{klasse}/runden/{round_id}"


def test_class_report_shows_the_domain_figures(app: FastAPI, store: OperationalStore) -> None:
    round_id = _round(store, "5a", 20, text="Mehr Sport")
    with store.session() as db:
        report = class_report(db, round_id)
    assert isinstance(report, ClassReport)
    with logged_in(app, _teacher(store)) as client:
        page = client.get(_url(round_id))
    assert page.status_code == 200
    text = page.text
    assert "<strong>20 Antworten</strong>" in text
    for scale in report.scales:
        assert scale.title in text
        assert scale.mean is not None and scale.alpha is not None
        assert f"{decimal(scale.mean.mean)} auf der Skala von 1 bis {scale.categories}" in text
        assert f"<dd>{decimal(scale.alpha)} (95 %: " in text
        for item in scale.items:
            assert item.text in text
    assert "Cronbachs Alpha" in text and "McDonalds Omega" in text
    # Open answers from 10 on, for the teacher.
    assert "<li>Mehr Sport</li>" in text
    assert f'href="{_url(round_id)}/bericht.pdf"' in text
    assert "Freigabe für den Schulbericht" in text


def test_report_with_four_answers_is_withheld_without_the_count(
    app: FastAPI, store: OperationalStore
) -> None:
    round_id = _round(store, "5a", 4)
    with logged_in(app, _teacher(store)) as client:
        page = client.get(_url(round_id))
        pdf = client.get(_url(round_id) + "/bericht.pdf")
    assert page.status_code == 200
    withheld = re.search(r'<section class="umfrage-zurueckgehalten".*?</section>', page.text, re.S)
    assert withheld is not None
    assert "Der Bericht wird erst ab 5 Antworten angezeigt" in withheld.group(0)
    assert "4" not in withheld.group(0)
    assert "Antworten</strong>" not in page.text
    assert pdf.status_code == 404 and "erst ab 5 Antworten" in pdf.text


def test_open_round_has_no_report_yet(app: FastAPI, store: OperationalStore) -> None:
    round_id = _round(store, "5a", 8, close=False)
    with logged_in(app, _teacher(store)) as client:
        page = client.get(_url(round_id))
        pdf = client.get(_url(round_id) + "/bericht.pdf")
    assert "Runde jetzt beenden" in page.text
    assert "Antworten</strong>" not in page.text
    assert pdf.status_code == 404


def _principal(store: OperationalStore, school: str = SCHOOL) -> str:
    return make_user(store, f"leitung.{school}", [(Role.SCHULLEITUNG, ScopeType.SCHULE, school)])


def test_school_report_uses_released_rounds_only(app: FastAPI, store: OperationalStore) -> None:
    _round(store, "5a", 12, release=True, seed=2)
    _round(store, "6a", 12, jahrgang=6, release=True, seed=3)
    _round(store, "6b", 30, jahrgang=6, release=False, seed=4)  # not released: not counted
    url = f"/intern/umfragen/schulen/{SCHOOL}"
    with logged_in(app, _principal(store)) as client:
        page = client.get(url)
        assert page.status_code == 200
        assert "<strong>24 Antworten</strong> aus 2 Klassen" in page.text
        assert "Mehr Sport" not in page.text  # never open answers
        for klasse in ("5a", "6a", "6b"):
            assert f"Klasse {klasse}" not in page.text
        assert client.get(url + "?fragebogen=gibt-es-nicht").status_code == 404
        # Another school: refused by the policy.
        assert client.get(f"/intern/umfragen/schulen/{OTHER_SCHOOL}").status_code == 403


def test_school_report_with_one_released_class_says_why_it_is_withheld(
    app: FastAPI, store: OperationalStore
) -> None:
    _round(store, "5a", 20, release=True)
    with logged_in(app, _principal(store)) as client:
        page = client.get(f"/intern/umfragen/schulen/{SCHOOL}")
        pdf = client.get(f"/intern/umfragen/schulen/{SCHOOL}/bericht.pdf")
    assert "Kein Bericht" in page.text
    assert "mindestens 2 Klassen" in page.text
    assert "20" not in re.sub(r"<[^>]+>", "", page.text.split("Kein Bericht")[1])
    assert pdf.status_code == 404


def test_land_report_aggregates_across_schools(app: FastAPI, store: OperationalStore) -> None:
    _round(store, "5a", 12, release=True, seed=5)
    _round(store, "7c", 12, schulnummer=OTHER_SCHOOL, jahrgang=7, release=True, seed=6)
    land = make_user(store, "land.user", [(Role.LAND, ScopeType.LAND, "09")])
    with logged_in(app, land) as client:
        overview = client.get("/intern/umfragen")
        assert 'href="/intern/umfragen/land"' in overview.text
        page = client.get("/intern/umfragen/land")
        assert client.get(f"/intern/umfragen/schulen/{SCHOOL}").status_code == 403
        link = re.search(r'href="(/intern/umfragen/land/bericht\.pdf[^"]*)"', page.text)
        assert link is not None
        pdf = client.get(link.group(1).replace("&amp;", "&"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert SCHOOL not in _pdf_text(pdf.content)
    assert page.status_code == 200
    assert "<strong>24 Antworten</strong> aus 2 Schulen" in page.text
    assert SCHOOL not in page.text and OTHER_SCHOOL not in page.text
    assert "Jahrgang 5" in page.text and "Insgesamt" in page.text


def _pdf_text(content: bytes) -> str:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(content)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def test_class_and_school_pdfs(app: FastAPI, store: OperationalStore) -> None:
    round_id = _round(store, "5a", 12, release=True, seed=7)
    _round(store, "6a", 12, jahrgang=6, release=True, seed=8)
    with logged_in(app, _teacher(store)) as client:
        pdf = client.get(_url(round_id) + "/bericht.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "no-store"
    assert "attachment" in pdf.headers["content-disposition"]
    text = _pdf_text(pdf.content)
    assert "Wohlbefinden in der Schule" in text and "5a" in text
    with logged_in(app, _principal(store)) as client:
        page = client.get(f"/intern/umfragen/schulen/{SCHOOL}")
        link = re.search(r'href="(/intern/umfragen/schulen/\d+/bericht\.pdf[^"]*)"', page.text)
        assert link is not None
        school_pdf = client.get(link.group(1).replace("&amp;", "&"))
    assert school_pdf.status_code == 200
    school_text = _pdf_text(school_pdf.content)
    assert "Wohlbefinden in der Schule" in school_text
    assert "5a" not in school_text and "6a" not in school_text
