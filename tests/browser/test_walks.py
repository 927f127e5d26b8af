"""Walks through the site as a visitor, an editor (Redaktion) and a Schulleitung."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.conftest import EDITOR, PRINCIPAL, Server
from tests.browser.helpers import follow_nav, goto, is_scaffold, login, screenshot

CHART = (
    "main :is(figure, [class*='chart'], [class*='diagramm'], [id*='chart'], [id*='diagramm'])"
    " :is(svg, canvas)"
)


def fill_required(form: Locator, **values: str) -> None:
    """Fill the form's fields: ``values`` by label, every other empty required field generically."""
    for label, value in values.items():
        form.get_by_label(re.compile(label, re.IGNORECASE)).first.fill(value)
    fields = form.locator("input[required], textarea[required], select[required]")
    for index in range(fields.count()):
        field = fields.nth(index)
        if not field.is_visible():
            continue
        tag = field.evaluate("el => el.tagName.toLowerCase()")
        kind = (field.get_attribute("type") or "text").lower()
        if tag == "select":
            options = field.locator("option").evaluate_all(
                "os => os.map(o => o.value).filter(v => v !== '')"
            )
            field.select_option(options[0])
        elif kind in ("checkbox", "radio"):
            field.check()
        elif field.input_value() == "":
            sample = {
                "email": "test@example.org",
                "url": "https://example.org",
                "number": "1",
                "date": "2026-01-01",
                "tel": "0123 456789",
            }
            field.fill(sample.get(kind, "Browser-Test"))


def submit(page: Page, form: Locator) -> None:
    with page.expect_navigation():
        form.locator("button[type=submit], button:not([type]), input[type=submit]").last.click()


def search_for(page: Page, text: str) -> None:
    """Type into the directory search; the results update (htmx) and the URL records the query."""
    box = page.get_by_role("searchbox").first
    box.fill(text)
    box.press("Enter")
    encoded = re.escape(quote(text, safe="")).replace("%20", "(?:%20|\\+)")
    page.wait_for_url(re.compile(r"[?&]text=" + encoded))
    page.wait_for_load_state("networkidle")


def test_visitor_walk(page: Page, server: Server, screenshot_dir: Path) -> None:
    goto(page, server, "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    follow_nav(page, "Indikatoren")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    links = page.locator("main a[href^='/indikatoren/']")
    expect(links.first).to_be_visible()
    with page.expect_navigation():
        links.first.click()
    assert re.search(r"/indikatoren/[A-Z]\d\d", page.url), page.url
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.reload()
    try:
        page.locator(CHART).first.wait_for(state="visible")
    except PlaywrightTimeoutError:
        pytest.fail(f"Kein Diagramm (svg/canvas) auf {page.url}; Konsole: {errors}")
    expect(page.locator("main table").first).to_be_visible()
    screenshot(page, screenshot_dir, "rundgang-indikator")

    follow_nav(page, "Regionen vergleichen")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    follow_nav(page, "Berichte und Daten")
    expect(page.locator("main a[href^='/downloads/']").first).to_be_visible()

    follow_nav(page, "Bildungsangebote")
    search_for(page, "Lesen")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    with page.expect_navigation() as info:
        page.get_by_role("link", name="Rückmeldung geben").click()
    if is_scaffold(info.value, page):
        pytest.skip("/rueckmeldung ist noch Gerüst ('in Arbeit')")
    form = page.locator("main form").first
    fill_required(form)
    textareas = form.locator("textarea")
    if textareas.count():
        textareas.first.fill("Die Seite zu den Indikatoren ist sehr hilfreich.")
    submit(page, form)
    expect(page.locator("main")).to_contain_text(re.compile("Danke|Vielen Dank", re.IGNORECASE))


def test_editor_walk(page: Page, server: Server, screenshot_dir: Path) -> None:
    login(page, server, EDITOR)
    goto(page, server, "/angebote")
    gemeinden = page.locator("select[name=gemeinde] option").evaluate_all(
        "os => os.map(o => o.value).filter(v => v !== '')"
    )
    new = page.get_by_role("link", name=re.compile("neu|anlegen", re.I))
    if new.count() == 0:
        pytest.skip("/angebote bietet (noch) keinen Link zum Anlegen eines Angebots")
    with page.expect_navigation():
        new.first.click()
    title = f"Browser-Test-Angebot {time.time_ns()}"
    form = page.locator("main form").first
    fill_required(form, **{"^Titel": title, "^Gemeindeschlüssel": gemeinden[0]})
    screenshot(page, screenshot_dir, "redaktion-angebot-formular")
    submit(page, form)
    expect(page.locator("main")).to_contain_text(title)

    page.goto(server.url("/angebote"))
    search_for(page, title)
    found = page.locator("main").get_by_role("link", name=title)
    expect(found).to_be_visible()
    with page.expect_navigation():
        found.click()

    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("bearbeiten", re.I)).first.click()
    changed = title + " geändert"
    form = page.locator("main form").first
    form.get_by_label(re.compile("^Titel", re.I)).first.fill(changed)
    submit(page, form)
    expect(page.locator("main")).to_contain_text(changed)

    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("löschen", re.I)).first.click()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("löschen", re.I)).first.click()
    page.goto(server.url("/angebote"))
    search_for(page, changed)
    expect(page.locator("main").get_by_role("link", name=changed)).to_have_count(0)


def test_schulleitung_walk(page: Page, server: Server, screenshot_dir: Path) -> None:
    login(page, server, PRINCIPAL)
    goto(page, server, "/mein-bereich")
    expect(page.locator("main")).to_contain_text(server.own_school)
    goto(page, server, "/intern")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    goto(page, server, f"/intern/schulen/{server.own_school}")
    expect(page.locator("main")).to_contain_text(server.own_school)
    goto(page, server, f"/intern/schulen/{server.other_school}", status=403)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Zugriff verweigert"))
    screenshot(page, screenshot_dir, "schulleitung-fremde-schule-403")
