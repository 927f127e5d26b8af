"""axe-core (WCAG 2.1 A/AA) on every page type, and keyboard-only use."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from bimo.testing.webdata import WEB_INDICATORS
from tests.browser.conftest import (
    ADMIN,
    EDITOR,
    PASSWORD,
    PRINCIPAL,
    Server,
    anonymous_axe_page,
    logged_in_axe_page,
)
from tests.browser.helpers import axe_violations, describe_violations, goto, screenshot

INDICATOR = WEB_INDICATORS[0]

# (screenshot name, login or None, path, expected status); "{own}"/"{other}" are the
# Schulleitung's own school and another one.
PAGES: list[tuple[str, str | None, str, int]] = [
    ("start", None, "/", 200),
    ("anmelden", None, "/anmelden", 200),
    ("impressum", None, "/impressum", 200),
    ("datenschutz", None, "/datenschutz", 200),
    ("barrierefreiheit", None, "/barrierefreiheit", 200),
    ("nicht-gefunden", None, "/gibt-es-nicht", 404),
    ("indikatoren", None, "/indikatoren", 200),
    ("indikator", None, f"/indikatoren/{INDICATOR}", 200),
    ("vergleich", None, "/vergleich", 200),
    ("downloads", None, "/downloads", 200),
    ("angebote", None, "/angebote", 200),
    ("rueckmeldung", None, "/rueckmeldung", 200),
    ("api-docs", None, "/api/docs", 200),
    ("mein-bereich", PRINCIPAL, "/mein-bereich", 200),
    ("intern", PRINCIPAL, "/intern", 200),
    ("intern-schulen", PRINCIPAL, "/intern/schulen", 200),
    ("intern-schule", PRINCIPAL, "/intern/schulen/{own}", 200),
    ("zugriff-verweigert", PRINCIPAL, "/intern/schulen/{other}", 403),
    ("redaktion-angebote", EDITOR, "/angebote", 200),
    ("admin-benutzer", ADMIN, "/admin/benutzer", 200),
    ("admin-protokoll", ADMIN, "/admin/protokoll", 200),
]


@pytest.mark.parametrize(
    ("name", "user", "path", "status"), PAGES, ids=[entry[0] for entry in PAGES]
)
def test_axe(
    browser: Browser,
    sessions: dict[str, Any],
    server: Server,
    axe_script: Path,
    screenshot_dir: Path,
    name: str,
    user: str | None,
    path: str,
    status: int,
) -> None:
    pages = (
        logged_in_axe_page(browser, server, sessions, user)
        if user is not None
        else anonymous_axe_page(browser)
    )
    page = next(pages)
    try:
        url = path.format(own=server.own_school, other=server.other_school)
        goto(page, server, url, status=status)
        page.wait_for_load_state("networkidle")
        screenshot(page, screenshot_dir, name)
        violations = axe_violations(page, axe_script)
    finally:
        pages.close()
    assert not violations, f"axe: {len(violations)} Verstöße auf {url}:\n" + describe_violations(
        violations
    )


def _focused(page: Page) -> dict[str, str]:
    result: dict[str, str] = page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {
                tag: el.tagName.toLowerCase(), id: el.id || "", text: el.textContent.trim(),
                href: el.getAttribute("href") || "",
                nav: el.closest("nav") ? (el.closest("nav").getAttribute("aria-label") || "") : "",
                outlineStyle: style.outlineStyle, outlineWidth: style.outlineWidth,
            };
        }"""
    )
    return result


def test_skip_link(page: Page, server: Server) -> None:
    goto(page, server, "/")
    page.keyboard.press("Tab")
    focused = _focused(page)
    assert focused["text"] == "Zum Inhalt springen", focused
    assert page.locator(".skip-link").is_visible()  # off-screen until it has the focus
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'inhalt'")
    assert page.url.endswith("#inhalt")


def _tab_to(page: Page, element_id: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _focused(page)["id"] == element_id:
            return
    pytest.fail(f"#{element_id} ist mit Tab nicht erreichbar")


def test_login_with_keyboard_only(page: Page, server: Server) -> None:
    goto(page, server, "/anmelden")
    _tab_to(page, "login")
    page.keyboard.type(PRINCIPAL)
    page.keyboard.press("Tab")
    assert _focused(page)["id"] == "passwort"
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=re.compile("^Abmelden"))).to_be_visible()


def test_nav_links_reachable_with_visible_focus(page: Page, server: Server) -> None:
    goto(page, server, "/")
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    expected = set(nav.get_by_role("link").all_inner_texts())
    assert "Indikatoren" in expected
    reached: dict[str, dict[str, str]] = {}
    for _ in range(len(expected) + 10):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if focused["nav"] == "Hauptnavigation" and focused["tag"] == "a":
            reached[focused["text"]] = focused
    assert set(reached) == expected
    invisible = {
        text: (info["outlineStyle"], info["outlineWidth"])
        for text, info in reached.items()
        if info["outlineStyle"] == "none" or info["outlineWidth"] in ("0px", "")
    }
    assert not invisible, f"Links ohne sichtbaren Fokusrahmen: {invisible}"
