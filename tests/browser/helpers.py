"""Navigation, login, axe and screenshot helpers shared by the browser tests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Response

from tests.browser.conftest import PASSWORD, SCAFFOLD_TEXT, Server

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def is_scaffold(response: Response | None, page: Page) -> bool:
    """The area's owner has not replaced the "in Arbeit" placeholder route yet."""
    if response is None:
        return False
    if response.headers.get("content-type", "").startswith("text/plain"):
        text: str = page.evaluate("document.body.innerText")
        return text.strip() == SCAFFOLD_TEXT
    return False


def goto(page: Page, server: Server, path: str, *, status: int = 200) -> Response:
    """Open ``path``; skip the test while the page is still scaffolding."""
    response = page.goto(server.url(path))
    if is_scaffold(response, page):
        pytest.skip(f"{path} ist noch Gerüst ('{SCAFFOLD_TEXT}')")
    assert response is not None
    assert response.status == status, f"{path}: HTTP {response.status}, erwartet {status}"
    return response


def follow_nav(page: Page, name: str) -> None:
    """Click a link of the main navigation; skip while its target is scaffolding."""
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    with page.expect_navigation() as info:
        nav.get_by_role("link", name=name, exact=True).click()
    if is_scaffold(info.value, page):
        pytest.skip(f"'{name}' ({page.url}) ist noch Gerüst ('{SCAFFOLD_TEXT}')")
    assert info.value is not None and info.value.ok, (
        f"{name}: HTTP {info.value and info.value.status}"
    )


def login(page: Page, server: Server, user: str) -> None:
    page.goto(server.url("/anmelden"))
    page.get_by_label("Anmeldename").fill(user)
    page.get_by_label("Passwort").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()
    assert page.get_by_role("button", name=re.compile("^Abmelden")).is_visible()


def screenshot(page: Page, directory: Path, name: str) -> Path:
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Page, axe_script: Path) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(axe_script))
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            lines.append(
                f"    {json.dumps(node['target'])}: {node['failureSummary'].splitlines()[-1]}"
            )
    return "\n".join(lines)
