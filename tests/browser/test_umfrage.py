"""Survey walk in a real browser: a teacher opens a round, 20 students answer on phone-sized
screens (360×740), the teacher reads the report, releases it; the Schulleitung and the Land
read their aggregates; a round with 4 answers says why its report is withheld. axe-core on
every survey page type, keyboard-only answering, screenshots for the lead."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from bimo.accounts import service
from bimo.accounts.config import get_account_settings
from bimo.accounts.roles import Role, ScopeType
from bimo.core.operational import OperationalStore
from bimo.surveys.instrument import load_instruments
from bimo.surveys.reporting import sheets_from_matrix
from bimo.surveys.rounds import close_round, open_round, release_round, submit_answers, today
from bimo.surveys.simulate import model_for, simulate_round
from tests.browser.conftest import CHEAP_ARGON2, PRINCIPAL, Server
from tests.browser.helpers import axe_violations, describe_violations, login, screenshot

TEACHER = "tina.lehrkraft"
LAND_USER = "lars.land"
KLASSE = "5a"
PHONE: ViewportSize = {"width": 360, "height": 740}
# WeasyPrint's first PDF loads fonts; on 2 shared cores that can take a while.
PDF_TIMEOUT_MS = 120_000
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
INSTRUMENT = load_instruments()["wohlbefinden"]
REVERSED = {it.id for s in INSTRUMENT.skalen for it in s.items if it.umgepolt}


@pytest.fixture(scope="module")
def survey_users(server: Server) -> Iterator[None]:
    """A teacher of class 5a of the Schulleitung's school and a Land user (created in the
    running server's SQLite store; logins are checked against it on every request)."""
    url = f"sqlite:///{server.data.data_dir / 'bimo.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in CHEAP_ARGON2.items():
            patch.setenv(name, value)
        get_account_settings.cache_clear()
        with OperationalStore(url) as store, store.session() as db:
            service.create_user(db, TEACHER, "Tina Lehrkraft", "korrekt pferd batterie", actor="t")
            service.grant_role(
                db, TEACHER, Role.LEHRKRAFT, ScopeType.KLASSE, f"{server.own_school}/{KLASSE}"
            )
            service.create_user(db, LAND_USER, "Lars Land", "korrekt pferd batterie", actor="t")
            service.grant_role(db, LAND_USER, Role.LAND, ScopeType.LAND, server.data.land_ags)
    get_account_settings.cache_clear()
    # Released rounds of another class of the school and of another school (through the
    # service, as teachers would): with the walk's round the school report has two classes
    # and the Land report two schools.
    with OperationalStore(url) as store:
        _released_round(store, server.own_school, "6a", 6, seed=61)
        _released_round(store, server.other_school, "7b", 7, seed=71)
    yield


def _released_round(
    store: OperationalStore, schulnummer: str, klasse: str, jahrgang: int, seed: int
) -> None:
    responses = simulate_round(
        model_for(INSTRUMENT, seed=seed),
        n_schools=1,
        classes_per_school=1,
        students_per_class=15,
        seed=seed,
    ).responses
    with store.session() as db:
        opened = open_round(
            db,
            instrument_id=INSTRUMENT.id,
            schulnummer=schulnummer,
            klasse=klasse,
            jahrgang=jahrgang,
            teacher=f"kollegium.{klasse}",
            single_use=False,
            n_codes=15,
            closes_on=today() + timedelta(days=7),
        )
        round_id, code = opened.round.id, opened.codes[0]
    for sheet in sheets_from_matrix(INSTRUMENT, responses):
        with store.session() as db:
            submit_answers(db, code, dict(sheet))
    with store.session() as db:
        close_round(db, round_id, f"kollegium.{klasse}")
        release_round(db, round_id, f"kollegium.{klasse}")


def _context(browser: Browser, *, phone: bool = False, axe: bool = True) -> BrowserContext:
    # CSP bypassed only where the injected axe script must run; the other students use the
    # app's real Content-Security-Policy (and must not trigger a violation).
    context = browser.new_context(
        locale="de-DE",
        viewport=PHONE if phone else DESKTOP,
        is_mobile=phone,
        has_touch=phone,
        bypass_csp=axe,
    )
    context.set_default_timeout(15_000)
    return context


def _axe(page: Page, axe_script: Path) -> None:
    violations = axe_violations(page, axe_script)
    assert not violations, f"axe auf {page.url}:\n" + describe_violations(violations)


def _fits_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url}: Seite ist {width}px breit (Querscrollen)"


def _open_round(
    page: Page, server: Server, n_codes: int, shots: Path | None, axe_script: Path | None
) -> list[str]:
    page.goto(server.url("/intern/umfragen"))
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(f"Klasse {KLASSE}")).click()
    page.get_by_label("Fragebogen", exact=True).select_option(label=INSTRUMENT.titel)
    page.get_by_role("radio", name=re.compile("^Einzelcodes")).check()
    page.get_by_label(re.compile("^Zahl der Schülerinnen")).fill(str(n_codes))
    if shots is not None and axe_script is not None:
        screenshot(page, shots, "umfrage-lehrkraft-klasse")
        _axe(page, axe_script)
    with page.expect_navigation():
        page.get_by_role("button", name="Runde öffnen und Codes anzeigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Codes für die Klasse {KLASSE}")
    codes = page.locator(".code").all_inner_texts()
    assert len(codes) == n_codes
    return codes


def _answer_by_touch(page: Page, rng: random.Random, trait: float) -> None:
    for fieldset in page.locator("fieldset.frage").all():
        options = fieldset.locator("label.option")
        count = options.count()
        item = fieldset.locator("input").first.get_attribute("name")
        # A latent trait shifts the answers (reverse-coded items the other way round):
        # realistic spread and reliable scales.
        level = 1 - trait if item in REVERSED else trait
        value = min(count, max(1, round(level * (count - 1) + 1 + rng.gauss(0, 0.6))))
        options.nth(value - 1).tap()
    textareas = page.locator("textarea")
    if textareas.count() and rng.random() < 0.5:
        textareas.first.fill("Mehr Pausen draußen.")


def _tab_to(page: Page, selector: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} ist mit Tab nicht erreichbar")


def _answer_by_keyboard(page: Page) -> None:
    """Keyboard only: Tab to each radio group, Space checks the first option, the arrow key
    moves the choice; Tab on to the submit button, Enter sends."""
    _tab_to(page, "fieldset.frage input")
    groups = page.locator("fieldset.frage").count()
    for index in range(groups):
        if index:
            page.keyboard.press("Tab")
        page.keyboard.press("Space")
        page.keyboard.press("ArrowDown")  # second option
    assert page.locator("fieldset.frage input:checked").count() == groups
    assert page.locator("fieldset.frage input[value='2']:checked").count() == groups
    _tab_to(page, "button[type=submit]")
    # The focus is visible on every control we passed (CSS outline on :focus-within).
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def _student(
    browser: Browser,
    server: Server,
    code: str,
    *,
    rng: random.Random,
    axe_script: Path | None = None,
    shots: Path | None = None,
    keyboard: bool = False,
) -> None:
    context = _context(browser, phone=True, axe=axe_script is not None)
    try:
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(server.url("/umfrage"))
        _fits_phone(page)
        if axe_script is not None and shots is not None:
            screenshot(page, shots, "umfrage-code-handy")
            _axe(page, axe_script)
            # A mistyped code: the page says why, the field is marked, still accessible.
            page.get_by_label("Dein Code").fill("ABCDE-23456")
            with page.expect_navigation():
                page.get_by_role("button", name="Weiter zur Umfrage").click()
            expect(page.get_by_role("alert")).to_contain_text("Diesen Code gibt es nicht")
            _fits_phone(page)
            screenshot(page, shots, "umfrage-code-fehler-handy")
            _axe(page, axe_script)
        if keyboard:
            _tab_to(page, "#code")
            page.keyboard.type(code)
            with page.expect_navigation():
                page.keyboard.press("Enter")
        else:
            page.get_by_label("Dein Code").fill(code)
            with page.expect_navigation():
                page.get_by_role("button", name="Weiter zur Umfrage").click()
        assert page.url.removeprefix(server.base_url) == "/umfrage"  # the code is not in the URL
        _fits_phone(page)
        if axe_script is not None and shots is not None:
            screenshot(page, shots, "umfrage-fragebogen-handy")
            _axe(page, axe_script)
        if keyboard:
            _answer_by_keyboard(page)
            with page.expect_navigation():
                page.keyboard.press("Enter")
        else:
            _answer_by_touch(page, rng, rng.betavariate(4, 2))
            with page.expect_navigation():
                page.get_by_role("button", name="Antworten abschicken").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Danke!")
        assert not [m for m in console if "Content Security Policy" in m], console
        _fits_phone(page)
        if axe_script is not None and shots is not None:
            screenshot(page, shots, "umfrage-danke-handy")
            _axe(page, axe_script)
    finally:
        context.close()


def _close(page: Page, shots: Path | None = None, axe_script: Path | None = None) -> None:
    with page.expect_navigation():
        page.get_by_role("link", name="Zur Runde").click()
    if shots is not None and axe_script is not None:
        screenshot(page, shots, "umfrage-runde-offen")
        _axe(page, axe_script)
    with page.expect_navigation():
        page.get_by_role("button", name="Runde jetzt beenden").click()
    expect(page.get_by_role("status").or_(page.locator(".intern-meldung"))).to_contain_text(
        "Die Runde ist geschlossen."
    )


@pytest.mark.slow  # 20 browser contexts, one per student (about 2 minutes on 2 cores)
def test_survey_round_on_phones(
    browser: Browser,
    server: Server,
    survey_users: None,
    axe_script: Path,
    screenshot_dir: Path,
) -> None:
    rng = random.Random(8)
    teacher = _context(browser)
    try:
        page = teacher.new_page()
        login(page, server, TEACHER)
        page.goto(server.url("/intern/umfragen"))
        _axe(page, axe_script)
        screenshot(page, screenshot_dir, "umfrage-lehrkraft-start")
        codes = _open_round(page, server, 20, screenshot_dir, axe_script)
        screenshot(page, screenshot_dir, "umfrage-codebogen")
        _axe(page, axe_script)
        for index, code in enumerate(codes):
            _student(
                browser,
                server,
                code,
                rng=rng,
                axe_script=axe_script if index == 0 else None,
                shots=screenshot_dir if index == 0 else None,
                keyboard=index == 1,
            )
        _close(page, screenshot_dir, axe_script)
        expect(page.get_by_text(re.compile(r"20 Antworten"))).to_be_visible()
        screenshot(page, screenshot_dir, "umfrage-klassenbericht")
        _axe(page, axe_script)
        pdf = page.request.get(page.url.split("?")[0] + "/bericht.pdf", timeout=PDF_TIMEOUT_MS)
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        assert pdf.body().startswith(b"%PDF")
        page.get_by_role("checkbox", name=re.compile("^Ich habe die Erläuterung gelesen")).check()
        with page.expect_navigation():
            page.get_by_role("button", name="Für den Schulbericht freigeben").click()
        expect(page.locator(".intern-meldung")).to_contain_text("freigegeben")
    finally:
        teacher.close()
    for user, path, name in (
        (PRINCIPAL, f"/intern/umfragen/schulen/{server.own_school}", "umfrage-schulbericht"),
        (LAND_USER, "/intern/umfragen/land", "umfrage-land"),
    ):
        context = _context(browser)
        try:
            page = context.new_page()
            login(page, server, user)
            page.goto(server.url(path))
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            screenshot(page, screenshot_dir, name)
            _axe(page, axe_script)
        finally:
            context.close()


def test_round_with_four_answers_is_withheld(
    browser: Browser,
    server: Server,
    survey_users: None,
    axe_script: Path,
    screenshot_dir: Path,
) -> None:
    rng = random.Random(4)
    teacher = _context(browser)
    try:
        page = teacher.new_page()
        login(page, server, TEACHER)
        codes = _open_round(page, server, 6, None, None)
        for code in codes[:4]:
            _student(browser, server, code, rng=rng)
        _close(page)
        withheld = page.locator(".umfrage-zurueckgehalten")
        expect(withheld).to_contain_text("erst ab 5 Antworten")
        expect(withheld).not_to_contain_text("4")  # never the count below the minimum
        screenshot(page, screenshot_dir, "umfrage-zurueckgehalten")
        _axe(page, axe_script)
        pdf = page.request.get(page.url.split("?")[0] + "/bericht.pdf", timeout=PDF_TIMEOUT_MS)
        assert pdf.status == 404
    finally:
        teacher.close()
