"""The students' login with a school account ("Mit Schulkonto anmelden") in a real browser.

Chromium against a real ``bimo serve`` (the data directory of ``test_player.py``) and the real
node ``oidc-provider`` of ``tests/web/oidc``. What only a browser shows: after the provider's
redirect back, the player's ``SameSite=Strict`` cookies are withheld, so BiMo answers the
callback with a page of its own that moves on to ``/test/spielen`` by meta refresh
(:mod:`bimo.web.testen.anmeldung`). The test never navigates to the player itself.

Two *sites*: the browser opens BiMo as ``http://localhost:<port>`` while the provider runs on
``http://127.0.0.1:<port>``. Cookies do not care about ports, and SameSite compares scheme and
host only — with both on 127.0.0.1 the redirect back would be same-site, the Strict cookies
would be sent anyway, and the test would prove nothing about the meta refresh. The first
scenario checks that the callback really arrives without them; a control shows that the player
itself, opened by a navigation started on the provider's site, would get no Strict cookie.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect
from sqlalchemy import select

from bimo.accounts.config import get_account_settings
from bimo.assessment.delivery.identity import subject_hash
from bimo.assessment.delivery.models import AccessCode, Attempt
from bimo.assessment.delivery.responses import final_answers
from bimo.core.operational import OperationalStore, list_events
from bimo.testing.postgres import skip_or_fail
from tests.browser.conftest import CHROMIUM
from tests.browser.helpers import screenshot
from tests.browser.test_player import (
    KLASSE,
    SCHOOL,
    BimoServer,
    _axe,
    _diagnostics,
    _free_port,
    _prepare,
    answer,
    block_refs,
    expected,
    show,
    wait_ready,
    wait_synced,
)
from tests.web.oidc.conftest import RunningProvider, start_provider

DISPLAY_NAME = "VIDIS (Test)"
STUDENT = "schueler-a"
CLASSMATE = "schueler-b"
NO_CLASS = "ohne-klasse"
OTHER = "schueler-c"
# The class of the session _prepare opens; one account names no class.
CLAIMS: dict[str, dict[str, object]] = {
    STUDENT: {"schulnummer": SCHOOL, "klasse": KLASSE},
    CLASSMATE: {"schulnummer": int(SCHOOL), "klasse": KLASSE.upper()},  # "8A", a number
    NO_CLASS: {"schulnummer": SCHOOL},
    OTHER: {"schulnummer": SCHOOL, "klasse": KLASSE},
}
PLAYER = "/test/spielen"
CALLBACK = "/test/anmelden/rueckruf"


@dataclass
class SchulkontoServer(BimoServer):
    """``bimo serve`` with the student login switched on; opened by the browser as localhost."""

    provider: RunningProvider | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        # BimoServer.start passes os.environ on to the server process.
        with pytest.MonkeyPatch.context() as patch:
            for name, value in self.extra_env.items():
                patch.setenv(name, value)
            super().start()

    def site_url(self, path: str) -> str:
        """The address the browser uses: another site than the provider's 127.0.0.1."""
        return f"http://localhost:{self.port}{path}"

    def attempt_of(self, subject: str) -> tuple[int, dict[str, Any]]:
        """The attempt bound to the school account ``subject`` and its stored answers."""
        assert self.provider is not None
        with OperationalStore(self.db_url) as store, store.session() as db:
            ids = db.scalars(
                select(Attempt.id)
                .join(AccessCode, AccessCode.id == Attempt.code_id)
                .where(AccessCode.oidc_subject_hash == subject_hash(self.provider.issuer, subject))
            ).all()
            assert len(ids) == 1, f"{subject}: {len(ids)} Testdurchgänge"
            return ids[0], final_answers(db, ids[0])


@pytest.fixture(scope="module")
def schulkonto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SchulkontoServer]:
    if not CHROMIUM.exists():
        skip_or_fail("chromium fehlt (/usr/bin/chromium): die Browser-Tests brauchen es")
    port = _free_port()
    redirect_uri = f"http://localhost:{port}{CALLBACK}"
    with start_provider([redirect_uri], CLAIMS) as provider:
        data_dir = tmp_path_factory.mktemp("schulkonto") / "daten"
        codes, session_id = _prepare(data_dir)
        get_account_settings.cache_clear()
        env = {
            "BIMO_OIDC_ISSUER": provider.issuer,
            "BIMO_OIDC_CLIENT_ID": provider.client_id,
            "BIMO_OIDC_CLIENT_SECRET": provider.client_secret,
            "BIMO_OIDC_DISPLAY_NAME": DISPLAY_NAME,
            "BIMO_OIDC_STUDENTS": "1",
            "BIMO_OIDC_CLAIM_SCHULE": "schulnummer",
            "BIMO_OIDC_CLAIM_KLASSE": "klasse",
        }
        bimo = SchulkontoServer(data_dir, port, codes, session_id, provider=provider, extra_env=env)
        bimo.start()
        try:
            yield bimo
        finally:
            bimo.stop()


@pytest.fixture
def devices(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Fresh browser contexts, each like another device; closed after the test."""
    made: list[BrowserContext] = []

    def new_device(*, bypass_csp: bool = False) -> BrowserContext:
        ctx = browser.new_context(
            locale="de-DE", viewport={"width": 1280, "height": 900}, bypass_csp=bypass_csp
        )
        ctx.set_default_timeout(15_000)
        _diagnostics(ctx)
        made.append(ctx)
        return ctx

    yield new_device
    for ctx in made:
        ctx.close()


@contextmanager
def diagnosed(page: Page, server: SchulkontoServer) -> Iterator[None]:
    """On failure: the page's address and content and the server log in the report."""
    try:
        yield
    except Exception:
        try:
            content = page.content()[:3000]
        except Exception as exc:  # the page may be navigating
            content = f"(kein Inhalt: {exc})"
        print(f"Seite: {page.url}\n{content}\nServer:\n{server.log_tail()}")
        raise


def log_in(page: Page, server: SchulkontoServer, subject: str) -> None:
    """From the code page through the provider's login form; the browser does the rest."""
    with diagnosed(page, server):
        page.goto(server.site_url("/test"))
        page.get_by_role("link", name=f"Mit {DISPLAY_NAME} anmelden").click()
        page.locator('input[name="login"]').fill(subject)  # waits for the provider's page
        assert server.provider is not None and page.url.startswith(server.provider.issuer)
        # Consent is granted by the provider's interaction page without a form (provider.mjs).
        page.get_by_role("button", name="Login").click()


def land_in_player(page: Page, server: SchulkontoServer) -> None:
    """Wait until the meta refresh of "Du bist angemeldet" has opened the player."""
    with diagnosed(page, server):
        page.wait_for_url(server.site_url(PLAYER), timeout=30_000)
        wait_ready(page)
        expect(page.get_by_role("heading", level=1)).to_have_text("Teil 1 von 2")


def cookie_names(request: Request) -> set[str]:
    header = request.all_headers().get("cookie", "")
    return {part.split("=", 1)[0].strip() for part in header.split(";") if "=" in part}


def shown_answer(page: Page, ref: str) -> list[Any]:
    """What the controls of item ``ref`` show (checked states and values)."""
    state: list[Any] = page.locator(f'section[data-item="{ref}"]').evaluate(
        "s => Array.from(s.querySelectorAll('input,select,textarea'))"
        ".map(c => c.type === 'radio' || c.type === 'checkbox' ? c.checked : c.value)"
        ".concat(s.querySelector('[data-beantwortet=\"ja\"]') ? [true] : [])"
    )
    return state


def test_login_moves_on_by_itself_and_resumes_on_another_device(
    devices: Callable[..., BrowserContext],
    schulkonto_server: SchulkontoServer,
    screenshot_dir: Path,
) -> None:
    server = schulkonto_server
    page = devices().new_page()
    requests: list[Request] = []
    committed: list[str] = []  # the documents of the tab, in order
    page.on("request", lambda request: requests.append(request))
    page.on(
        "framenavigated",
        lambda frame: committed.append(frame.url) if frame == page.main_frame else None,
    )
    log_in(page, server, STUDENT)
    land_in_player(page, server)

    callback = next(r for r in requests if r.url.startswith(server.site_url(CALLBACK)))
    # The setting this test is about: the provider's redirect back is cross-site, so the
    # Strict device cookie (set by /test/anmelden) stays home, the Lax session cookie comes.
    sent = cookie_names(callback)
    assert "bimo_sitzung" in sent and "bimo_geraet" not in sent, sent
    landing = callback.response()
    assert landing is not None and landing.status == 200
    # The landing page was shown (its content: the axe test below), then the player.
    assert committed[-2:] == [callback.url, server.site_url(PLAYER)], committed
    # The player was opened by a navigation of its own (the meta refresh), not a redirect,
    # and it carried the new Strict cookies.
    (player,) = [r for r in requests if r.url == server.site_url(PLAYER)]
    assert player.is_navigation_request() and player.redirected_from is None
    assert {"bimo_test", "bimo_geraet"} <= cookie_names(player)

    ref = block_refs(page)[0]
    answer(page, ref)
    wait_synced(page)
    screenshot(page, screenshot_dir, "test-schulkonto-spieler")
    attempt_id, stored = server.attempt_of(STUDENT)
    assert stored == expected([ref])

    # Another device, the same school account: the same attempt, no proctor needed.
    tablet = devices().new_page()
    log_in(tablet, server, STUDENT)
    land_in_player(tablet, server)
    assert block_refs(tablet)[0] == ref
    show(tablet, ref)
    assert any(v not in (False, "") for v in shown_answer(tablet, ref)), "Antwort fehlt"
    assert server.attempt_of(STUDENT) == (attempt_id, expected([ref]))
    with OperationalStore(server.db_url) as store:
        changes = list_events(action="tests.attempt_device_change", db=store)
    assert [e.details["durchgang"] for e in changes] == [attempt_id]
    # The first device is logged out of the attempt.
    again = page.goto(server.site_url(PLAYER))
    assert again is not None and again.status == 403


def test_login_page_passes_axe_and_its_link_leads_on(
    devices: Callable[..., BrowserContext],
    schulkonto_server: SchulkontoServer,
    axe_script: Path,
    screenshot_dir: Path,
) -> None:
    server = schulkonto_server
    # CSP bypassed only so that the injected axe script may run. The meta refresh is stopped
    # (an aborted navigation keeps the page) to look at "Du bist angemeldet" and its link.
    page = devices(bypass_csp=True).new_page()
    page.route(f"**{PLAYER}", lambda route: route.abort("aborted"))
    with page.expect_event(
        "requestfailed", lambda r: r.url == server.site_url(PLAYER), timeout=30_000
    ):
        log_in(page, server, CLASSMATE)
    expect(page).to_have_url(re.compile(re.escape(server.site_url(CALLBACK)) + r"\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Du bist angemeldet")
    _axe(page, axe_script, screenshot_dir, "test-schulkonto-angemeldet")
    page.unroute(f"**{PLAYER}")
    with page.expect_navigation():
        page.get_by_role("link", name="Weiter zum Test").click()
    land_in_player(page, server)
    server.attempt_of(CLASSMATE)  # "8A" and a numeric Schulnummer: the same class


def test_account_without_class_reads_why_on_the_code_page(
    devices: Callable[..., BrowserContext], schulkonto_server: SchulkontoServer
) -> None:
    server = schulkonto_server
    page = devices().new_page()
    with page.expect_response(lambda r: r.url.startswith(server.site_url(CALLBACK))) as info:
        log_in(page, server, NO_CLASS)
    assert info.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text(
        "Dein Schulkonto nennt keine Schule und Klasse."
    )
    expect(page.get_by_role("alert")).to_contain_text("Bitte gib den Zugangscode ein")
    expect(page.get_by_label("Zugangscode")).to_be_visible()
    with OperationalStore(server.db_url) as store:
        refused = list_events(action="tests.account_refused", db=store)
    assert [e.details["grund"] for e in refused] == ["ohne_schule_klasse"]


def test_without_the_meta_refresh_the_player_would_stay_locked(
    devices: Callable[..., BrowserContext], schulkonto_server: SchulkontoServer
) -> None:
    """The control: a navigation started on the provider's site — like the callback, or a
    redirect answering it — reaches the player without its Strict cookies."""
    server = schulkonto_server
    assert server.provider is not None
    page = devices().new_page()
    log_in(page, server, OTHER)
    land_in_player(page, server)
    for start, status in [
        (server.provider.issuer + "/.well-known/openid-configuration", 403),
        # Started from a page of BiMo's own (as the meta refresh is), the same request works.
        (server.site_url("/health"), 200),
    ]:
        page.goto(start)
        with page.expect_navigation(url=server.site_url(PLAYER)) as info:
            page.evaluate("url => { location.href = url }", server.site_url(PLAYER))
        response = info.value
        assert response is not None and response.status == status, start
        strict = {"bimo_test", "bimo_geraet"} & cookie_names(response.request)
        assert bool(strict) is (status == 200), (start, strict)
