"""The test player in a real browser against a real ``bimo serve``: nothing entered is lost.

Each scenario ends by reading the stored answers from the database (``final_answers``) and
comparing them with exactly what the student entered. The server runs in its own subprocess on
a temporary data directory (SQLite store, item bank with the hand-made items of
``tests/web/test_testen_items.py``) so that it can be killed with SIGKILL and started again.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect
from sqlalchemy import select

from bimo.accounts import service
from bimo.accounts.config import get_account_settings
from bimo.accounts.roles import Role, ScopeType
from bimo.assessment.delivery.codes import hash_secret, normalise_code
from bimo.assessment.delivery.models import AccessCode, Attempt
from bimo.assessment.delivery.responses import AnswerEvent, final_answers, record_answers
from bimo.assessment.delivery.sessions import (
    attempt_items,
    create_session,
    next_block,
    open_attempt,
    open_session,
)
from bimo.assessment.delivery.tests import create_test
from bimo.core.operational import OperationalStore
from bimo.testing.npm import skip_or_fail
from tests.browser.conftest import CHEAP_ARGON2, CHROMIUM, PASSWORD, SECRET
from tests.browser.helpers import axe_violations, describe_violations, screenshot
from tests.web.test_testen_items import ANSWERS, CLUSTERS, build_bank

SCHOOL, KLASSE = "100001", "8a"
TEACHER = "lena.lehrkraft"
LAND = "lars.land"
TEST_KEY = "M8-BROWSER"
N_CODES = 12
# Selectors, not JS predicates: the app's CSP forbids the eval Playwright's
# wait_for_function would need.
READY = '#spieler[data-bereit="ja"]'
SYNCED = '#spieler[data-bereit="ja"][data-sync="gespeichert"][data-ausstehend="0"]'
OFFLINE = '#spieler[data-sync="offline"]'


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class BimoServer:
    """``bimo serve`` (one worker) on a temp data directory; can be SIGKILLed and restarted."""

    data_dir: Path
    port: int
    codes: list[str]
    session_id: int
    process: subprocess.Popen[bytes] | None = None
    used: set[str] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'bimo.sqlite'}"

    def start(self) -> None:
        env = {
            **os.environ,
            **CHEAP_ARGON2,
            "BIMO_DATA_DIR": str(self.data_dir),
            "BIMO_WEB_SECRET_KEY": SECRET,
        }
        env.pop("BIMO_DATABASE_URL", None)
        log = (self.data_dir / "server.log").open("ab")
        bimo = Path(sys.executable).with_name("bimo")
        self.process = subprocess.Popen(
            [str(bimo), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"bimo serve beendet mit Code {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                # /health, not /ready: this data directory has no analytic store (not needed here).
                with urllib.request.urlopen(self.url("/health"), timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"bimo serve ist nach 90 s nicht bereit:\n{self.log_tail()}")

    def log_tail(self) -> str:
        path = self.data_dir / "server.log"
        return path.read_text(encoding="utf-8", errors="replace")[-3000:] if path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, open requests die mid-flight."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def take_code(self) -> str:
        code = next(c for c in self.codes if c not in self.used)
        self.used.add(code)
        return code

    def answers_of(self, code: str) -> dict[str, Any]:
        """The final stored answers of the attempt opened with ``code``, from the database."""
        with OperationalStore(self.db_url) as store, store.session() as db:
            attempt_id = db.scalar(
                select(Attempt.id)
                .join(AccessCode, AccessCode.id == Attempt.code_id)
                .where(AccessCode.code_hash == hash_secret(normalise_code(code)))
            )
            assert attempt_id is not None, "kein Testdurchgang zu diesem Code"
            return final_answers(db, attempt_id)


def _prepare(data_dir: Path) -> tuple[list[str], int]:
    bank = build_bank(data_dir)  # <data_dir>/aufgabenbank: where the server looks
    with pytest.MonkeyPatch.context() as patch:
        for name, value in CHEAP_ARGON2.items():
            patch.setenv(name, value)
        get_account_settings.cache_clear()
        url = f"sqlite:///{data_dir / 'bimo.sqlite'}"
        with OperationalStore(url) as store, store.session() as db:
            service.create_user(db, TEACHER, "Lena Lehrkraft", PASSWORD, actor="test")
            service.grant_role(db, TEACHER, Role.LEHRKRAFT, ScopeType.KLASSE, f"{SCHOOL}/{KLASSE}")
            service.create_user(db, LAND, "Lars Land", PASSWORD, actor="test")
            service.grant_role(db, LAND, Role.LAND, ScopeType.LAND, "09")
            create_test(
                db,
                key=TEST_KEY,
                title="Mathematik 8 (Browser)",
                domain="Mathematik",
                grade=8,
                clusters=CLUSTERS,
                positions=2,
                block_minutes=30,
                bank=bank,
                actor="test",
            )
            created = create_session(
                db,
                test_key=TEST_KEY,
                schulnummer=SCHOOL,
                klasse=KLASSE,
                n_codes=N_CODES,
                actor="test",
            )
            open_session(db, created.session.id, "test")
            return [c.code for c in created.codes], created.session.id


@pytest.fixture(scope="module")
def bimo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BimoServer]:
    if not CHROMIUM.exists():
        skip_or_fail("chromium fehlt (/usr/bin/chromium): die Browser-Tests brauchen es")
    data_dir = tmp_path_factory.mktemp("spieler") / "daten"
    codes, session_id = _prepare(data_dir)
    get_account_settings.cache_clear()
    server = BimoServer(data_dir, _free_port(), codes, session_id)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    _diagnostics(ctx)
    yield ctx
    ctx.close()


def _diagnostics(ctx: BrowserContext) -> None:
    """Script errors and console output of the pages end up in the failure report."""
    ctx.on("console", lambda msg: print(f"[Konsole {msg.type}] {msg.text}"))
    ctx.on("weberror", lambda err: print(f"[Skriptfehler] {err.error}"))


# --- driving the player ----------------------------------------------------------------------


def enter_code(page: Page, server: BimoServer, code: str) -> None:
    page.goto(server.url("/test"))
    page.get_by_label("Zugangscode").fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Test beginnen").click()


def wait_ready(page: Page) -> None:
    page.wait_for_selector(READY, state="attached")


def wait_synced(page: Page, timeout: float = 60_000) -> None:
    page.wait_for_selector(SYNCED, state="attached", timeout=timeout)


def block_refs(page: Page) -> list[str]:
    refs: list[str] = page.eval_on_selector_all(
        "section.aufgabe", "els => els.map(e => e.dataset.item)"
    )
    return refs


def show(page: Page, ref: str) -> None:
    index = block_refs(page).index(ref)
    page.locator(f'.aufgaben-nav a[data-ziel="{index}"]').click()
    expect(page.locator(f'section[data-item="{ref}"]')).to_be_visible()


def answer(page: Page, ref: str) -> None:
    """Enter the answer of ``ANSWERS[ref]``, with a correction on the way where possible."""
    show(page, ref)
    sec = page.locator(f'section[data-item="{ref}"]')
    item = ref.split("@")[0]
    if item == "T8_WAHL":
        sec.get_by_label("14", exact=True).check()
        sec.get_by_label("21", exact=True).check()
    elif item == "T8_MEHR":
        for label in ("2/4", "3/5", "4/8"):
            sec.get_by_label(label, exact=True).check()
        sec.get_by_label("3/5", exact=True).uncheck()
    elif item == "T8_LUECKE":
        sec.get_by_label("Lücke 1").fill("61")
        sec.get_by_label("Lücke 1").fill("16")
    elif item == "T8_BEGRUENDEN":
        box = sec.get_by_label("Begründe, warum jede gerade Zahl durch 2 teilbar ist.")
        box.fill("Weil")
        box.fill(ANSWERS[ref]["RESPONSE"])
    elif item == "T8_DREIECK":
        sec.get_by_label("Lücke 1").select_option("RW")
        sec.get_by_label("Lücke 1").select_option("GS")
    elif item == "T8_ORDNEN":
        sec.get_by_role("button", name="0,25 nach oben").click()
        sec.get_by_role("button", name="0,75 nach oben").click()
    elif item == "T8_ZUORDNEN":
        sec.get_by_label("Würfel").select_option("E4")
        sec.get_by_label("Würfel").select_option("E8")
        sec.get_by_label("Tetraeder").select_option("E4")
    else:  # pragma: no cover - a new item without a driver
        raise AssertionError(f"keine Eingabe für {ref}")


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element is focused (keyboard only, no clicks)."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{selector} ist mit der Tabulatortaste nicht erreichbar")


def answer_by_keyboard(page: Page, ref: str) -> None:
    """The same answers as :func:`answer`, entered with the keyboard only."""
    sec = f'section[data-item="{ref}"]'
    item = ref.split("@")[0]
    key = page.keyboard
    if item == "T8_WAHL":
        tab_to(page, f"{sec} input[value='A']")
        key.press("Space")
        key.press("ArrowDown")  # moves to and selects "21"
    elif item == "T8_MEHR":
        for value in ("A", "C"):
            tab_to(page, f"{sec} input[value='{value}']")
            key.press("Space")
    elif item == "T8_LUECKE":
        tab_to(page, f"{sec} input[type='text']")
        key.type("16")
    elif item == "T8_BEGRUENDEN":
        tab_to(page, f"{sec} textarea")
        key.type(ANSWERS[ref]["RESPONSE"])
    elif item == "T8_DREIECK":
        tab_to(page, f"{sec} select")
        key.press("ArrowDown")  # first real option: gleichseitig
    elif item == "T8_ORDNEN":
        tab_to(page, f"{sec} li[data-wert='K'] button[data-schieben='hoch']")
        key.press("Enter")
        tab_to(page, f"{sec} li[data-wert='M'] button[data-schieben='hoch']")
        key.press("Enter")
    elif item == "T8_ZUORDNEN":
        tab_to(page, f"{sec} select[data-quelle='WUERFEL']")
        key.press("ArrowDown")
        key.press("ArrowDown")  # 8 Ecken
        tab_to(page, f"{sec} select[data-quelle='TETRA']")
        key.press("ArrowDown")  # 4 Ecken
    else:  # pragma: no cover
        raise AssertionError(f"keine Eingabe für {ref}")


def expected(refs: list[str]) -> dict[str, Any]:
    return {ref: ANSWERS[ref] for ref in refs}


def _remaining(page: Page) -> int:
    """Seconds left as the player shows them."""
    minutes, seconds = (page.locator("#restzeit").text_content() or "").split(":")
    return int(minutes) * 60 + int(seconds)


def pending(page: Page) -> int:
    return int(page.eval_on_selector("#spieler", "el => el.dataset.ausstehend"))


# --- scenarios -------------------------------------------------------------------------------


def test_whole_booklet_by_keyboard_with_network_cut(
    context: BrowserContext, bimo_server: BimoServer, screenshot_dir: Path
) -> None:
    page = context.new_page()
    code = bimo_server.take_code()
    enter_code(page, bimo_server, code)
    wait_ready(page)
    entered: list[str] = []
    for block in range(2):
        refs = block_refs(page)
        half = len(refs) // 2
        for n, ref in enumerate(refs):
            if block == 0 and n == half:
                # The network goes away in the middle of the first block.
                wait_synced(page)
                context.set_offline(True)
                expect(page.locator("#sync-status")).to_have_text(
                    "Offline – Antworten sicher gespeichert. Sie werden gesendet, sobald die "
                    "Verbindung wieder da ist."
                )
            if n > 0:
                tab_to(page, "#vor")
                page.keyboard.press("Enter")
                focused = page.evaluate("document.activeElement.id")
                assert focused == page.locator(f'section[data-item="{ref}"] h2').get_attribute("id")
            answer_by_keyboard(page, ref)
            entered.append(ref)
        if block == 0:
            page.wait_for_selector(OFFLINE, state="attached")
            assert pending(page) > 0
            screenshot(page, screenshot_dir, "test-spieler-offline")
            offline_refs = refs[half:]
            stored = bimo_server.answers_of(code)
            assert not set(offline_refs) & set(stored), "offline eingegeben, trotzdem gesendet?"
            context.set_offline(False)
            wait_synced(page)
            assert bimo_server.answers_of(code) == expected(entered)
            tab_to(page, "#abschluss button[type='submit']")
            with page.expect_navigation():
                page.keyboard.press("Enter")
            wait_ready(page)
            expect(page.get_by_role("heading", level=1)).to_have_text("Teil 2 von 2")
    wait_synced(page)
    screenshot(page, screenshot_dir, "test-spieler")
    tab_to(page, "#abschluss button[type='submit']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Test abgegeben")
    assert len(entered) == len(ANSWERS)
    assert bimo_server.answers_of(code) == expected(entered)


def test_hand_in_right_after_fast_typing_loses_nothing(
    context: BrowserContext, bimo_server: BimoServer
) -> None:
    """Keystrokes still on their way into the local queue are sent before the hand-in.

    Regression: the player counted only queued changes, so "saved" showed (and the hand-in
    went ahead) while the last keystrokes of a fast typist were still being written locally;
    the server then kept "Weil jede gerade Z".
    """
    page = context.new_page()
    code = bimo_server.take_code()
    enter_code(page, bimo_server, code)
    wait_ready(page)
    entered: list[str] = []
    for block in range(2):
        refs = block_refs(page)
        # Everything but the open answer first, the open answer last and typed fast.
        for ref in sorted(refs, key=lambda r: r.startswith("T8_BEGRUENDEN")):
            if ref.startswith("T8_BEGRUENDEN"):
                show(page, ref)
                page.locator(f'section[data-item="{ref}"] textarea').focus()
                page.keyboard.type(ANSWERS[ref]["RESPONSE"], delay=5)
            else:
                answer(page, ref)
            entered.append(ref)
        # No waiting for "saved": hand in at once.
        with page.expect_navigation(timeout=30_000):
            page.locator("#abschluss button[type='submit']").click()
        if block == 0:
            wait_ready(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Test abgegeben")
    assert bimo_server.answers_of(code) == expected(entered)


def _chromium_pids(profile: Path) -> list[int]:
    """PIDs of the Chromium processes started with this (unique) profile directory."""
    marker = f"--user-data-dir={profile}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # ended meanwhile
        if marker in cmdline:
            found.append(int(entry.name))
    return found


def _kill_all(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in pids):
        time.sleep(0.1)


def _persistent(playwright: Playwright, profile: Path) -> BrowserContext:
    ctx = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        args=["--no-sandbox"],
        locale="de-DE",
        viewport={"width": 1280, "height": 900},
    )
    ctx.set_default_timeout(15_000)
    return ctx


def _unlock_as_proctor(browser: Browser, server: BimoServer) -> None:
    """The teacher unlocks the attempt in the proctor view (keyboard not needed here)."""
    ctx = browser.new_context(locale="de-DE")
    try:
        page = ctx.new_page()
        login(page, server, TEACHER)
        page.goto(server.url(f"/intern/tests/sitzungen/{server.session_id}"))
        button = page.get_by_role("button", name="Freigeben")
        expect(button).to_have_count(1)
        with page.expect_navigation():
            button.click()
        expect(page.get_by_role("status")).to_contain_text("Zugang ist freigegeben")
    finally:
        ctx.close()


@pytest.mark.slow  # two browser starts and a SIGKILL (about 30 s on 2 cores)
def test_browser_killed_and_restarted(
    playwright_instance: Playwright,
    browser: Browser,
    bimo_server: BimoServer,
    tmp_path: Path,
) -> None:
    profile = tmp_path / "profil"
    code = bimo_server.take_code()
    ctx = _persistent(playwright_instance, profile)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    enter_code(page, bimo_server, code)
    wait_ready(page)
    refs = block_refs(page)
    online, offline = refs[:2], refs[2:]
    for ref in online:
        answer(page, ref)
    wait_synced(page)
    ctx.set_offline(True)
    for ref in offline:
        answer(page, ref)
    # Everything offline entered is in the durable queue (not yet on the server) ...
    page.wait_for_selector(
        '#spieler[data-sync="offline"]:not([data-ausstehend="0"])', state="attached"
    )
    assert bimo_server.answers_of(code) == expected(online)
    # ... when the browser dies without any chance to clean up.
    victims = _chromium_pids(profile)
    assert victims, "Chromium-Prozess des Profils nicht gefunden"
    _kill_all(victims)

    ctx = _persistent(playwright_instance, profile)
    try:
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        enter_code(page, bimo_server, code)
        if page.url.endswith("/test"):
            # The device cookie had not reached the disk before the kill: to the server this
            # is another device, so the proctor unlocks and the code is entered again.
            expect(page.get_by_role("alert")).to_contain_text("Testleitung freigeben")
            print("Geräte-Cookie war nicht auf der Platte: Freigabe durch die Testleitung")
            _unlock_as_proctor(browser, bimo_server)
            enter_code(page, bimo_server, code)
        wait_ready(page)
        wait_synced(page)
        assert bimo_server.answers_of(code) == expected(refs)
        # The restored page shows every answer again.
        show(page, refs[0])
        assert block_refs(page) == refs
        for ref in refs:
            state = page.locator(f'section[data-item="{ref}"]').evaluate(
                "s => Array.from(s.querySelectorAll('input,select,textarea'))"
                ".map(c => c.type === 'radio' || c.type === 'checkbox' ? c.checked : c.value)"
                ".concat(s.querySelector('[data-beantwortet=\"ja\"]') ? [true] : [])"
            )
            assert any(v not in (False, "") for v in state), f"{ref} nicht wiederhergestellt"
    finally:
        ctx.close()


@pytest.mark.slow  # a server restart and the player's retry backoff (about 30 s on 2 cores)
def test_server_killed_and_restarted(
    context: BrowserContext, bimo_server: BimoServer, screenshot_dir: Path
) -> None:
    page = context.new_page()
    code = bimo_server.take_code()
    enter_code(page, bimo_server, code)
    wait_ready(page)
    refs = block_refs(page)
    for ref in refs[:2]:
        answer(page, ref)
    wait_synced(page)
    before = _remaining(page)
    bimo_server.kill()
    try:
        for ref in refs[2:]:
            answer(page, ref)
        page.wait_for_selector('#spieler[data-sync="fehler"]', state="attached")
        expect(page.locator("#sync-status")).to_contain_text("Antworten sicher auf diesem Gerät")
        screenshot(page, screenshot_dir, "test-spieler-server-weg")
    finally:
        bimo_server.start()
    wait_synced(page)
    assert bimo_server.answers_of(code) == expected(refs)
    # Reloading after the restart restores the answers from the server.
    page.reload()
    wait_ready(page)
    # The clock is the server's: a reload gives the block no time back.
    assert 0 < _remaining(page) < before
    show(page, refs[0])
    assert page.locator("#sync-status").text_content() != ""
    assert bimo_server.answers_of(code) == expected(refs)


def test_time_up_moves_on_to_the_next_block(
    context: BrowserContext, bimo_server: BimoServer
) -> None:
    page = context.new_page()
    code = bimo_server.take_code()
    enter_code(page, bimo_server, code)
    wait_ready(page)
    first = block_refs(page)
    answer(page, first[0])
    wait_synced(page)
    # Only 8 seconds of the block left (as if the student had worked for 29:52 minutes).
    with OperationalStore(bimo_server.db_url) as store, store.session() as db:
        attempt = db.scalars(
            select(Attempt)
            .join(AccessCode, AccessCode.id == Attempt.code_id)
            .where(AccessCode.code_hash == hash_secret(normalise_code(code)))
        ).one()
        attempt.block_started_at = attempt.block_started_at - timedelta(minutes=29, seconds=52)
    page.reload()
    wait_ready(page)
    answer(page, first[1])
    # The player hands everything over and the server opens the next block by itself.
    expect(page.get_by_role("heading", level=1)).to_have_text("Teil 2 von 2", timeout=30_000)
    wait_ready(page)
    assert block_refs(page) != first
    assert bimo_server.answers_of(code) == expected(first[:2])


# --- accessibility ---------------------------------------------------------------------------


def login(page: Page, server: BimoServer, user: str) -> None:
    page.goto(server.url("/anmelden"))
    page.get_by_label("Anmeldename").fill(user)
    page.get_by_label("Passwort").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()


def _axe(page: Page, axe_script: Path, screenshot_dir: Path, name: str) -> None:
    page.wait_for_load_state("networkidle")
    screenshot(page, screenshot_dir, name)
    violations = axe_violations(page, axe_script)
    assert not violations, f"{name}:\n{describe_violations(violations)}"


@pytest.fixture
def axe_context(browser: Browser) -> Iterator[BrowserContext]:
    # CSP bypassed only so that the injected axe script may run.
    ctx = browser.new_context(
        locale="de-DE", viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def test_axe_student_pages(
    axe_context: BrowserContext, bimo_server: BimoServer, axe_script: Path, screenshot_dir: Path
) -> None:
    page = axe_context.new_page()
    page.goto(bimo_server.url("/test"))
    _axe(page, axe_script, screenshot_dir, "test-code")
    page.get_by_label("Zugangscode").fill("ABCDE-FGHJ0")
    with page.expect_navigation():
        page.get_by_role("button", name="Test beginnen").click()
    _axe(page, axe_script, screenshot_dir, "test-code-fehler")
    enter_code(page, bimo_server, bimo_server.take_code())
    wait_ready(page)
    for ref in block_refs(page)[:2]:
        answer(page, ref)
    wait_synced(page)
    _axe(page, axe_script, screenshot_dir, "test-spieler-aufgabe")
    # Every item of the block passes, not only the one on screen.
    for ref in block_refs(page):
        show(page, ref)
        violations = axe_violations(page, axe_script)
        assert not violations, f"{ref}:\n{describe_violations(violations)}"


def test_player_at_200_percent_zoom(
    context: BrowserContext, bimo_server: BimoServer, screenshot_dir: Path
) -> None:
    page = context.new_page()
    # 200 % zoom of a 1280 px window: 640 CSS pixels wide.
    page.set_viewport_size({"width": 640, "height": 900})
    enter_code(page, bimo_server, bimo_server.take_code())
    wait_ready(page)
    for ref in block_refs(page):
        show(page, ref)
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{ref}: waagrechtes Scrollen bei 200 % ({width})"
    screenshot(page, screenshot_dir, "test-spieler-200-prozent")


def test_axe_proctor_pages(
    axe_context: BrowserContext, bimo_server: BimoServer, axe_script: Path, screenshot_dir: Path
) -> None:
    page = axe_context.new_page()
    login(page, bimo_server, TEACHER)
    page.goto(bimo_server.url("/intern/tests"))
    _axe(page, axe_script, screenshot_dir, "test-aufsicht")
    page.get_by_label("Anzahl der Zugangscodes").fill("3")
    with page.expect_navigation():
        page.get_by_role("button", name="Sitzung anlegen und Codes erzeugen").click()
    expect(page.locator("td.code")).to_have_count(3)
    _axe(page, axe_script, screenshot_dir, "test-codes")
    page.goto(bimo_server.url(f"/intern/tests/sitzungen/{bimo_server.session_id}"))
    expect(page.get_by_role("table")).to_be_visible()
    _axe(page, axe_script, screenshot_dir, "test-sitzung")


def test_axe_land_administration(
    axe_context: BrowserContext, bimo_server: BimoServer, axe_script: Path, screenshot_dir: Path
) -> None:
    page = axe_context.new_page()
    login(page, bimo_server, LAND)
    page.goto(bimo_server.url("/intern/tests/verwaltung"))
    expect(page.get_by_role("cell", name=TEST_KEY)).to_be_visible()
    _axe(page, axe_script, screenshot_dir, "test-verwaltung")


def _submitted_attempt_with_open_answer(server: BimoServer) -> None:
    """A handed-in attempt with all answers, written through the domain API block by block
    (what the player does, without a browser: this test is about the coding pages)."""
    code = server.take_code()
    with OperationalStore(server.db_url) as store, store.session() as db:
        attempt = open_attempt(db, code, "geraet-kodiertest-" + "x" * 20).attempt
        items = attempt_items(db, attempt)
        seq = 0
        for block in sorted({b.block for b in items}):
            events = []
            for b in items:
                if b.block == block:
                    seq += 1
                    events.append(AnswerEvent(seq, b.item_ref, ANSWERS[b.item_ref]))
            assert record_answers(db, attempt, events).acked_seq == seq
            next_block(db, attempt)  # after the last block: handed in
        assert attempt.status == "abgegeben"


def test_axe_coding_pages(
    axe_context: BrowserContext, bimo_server: BimoServer, axe_script: Path, screenshot_dir: Path
) -> None:
    _submitted_attempt_with_open_answer(bimo_server)
    page = axe_context.new_page()
    login(page, bimo_server, TEACHER)
    page.goto(bimo_server.url("/intern/tests/kodierung"))
    _axe(page, axe_script, screenshot_dir, "test-kodierung")
    page.get_by_role("link", name=re.compile(r"1\. Durchgang: [1-9]")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kodierung, 1. Durchgang")
    expect(page.locator(".kodier-antwort")).to_contain_text("gerade Zahl")
    _axe(page, axe_script, screenshot_dir, "test-kodieren")
    # Keyboard only: into the radio group, choose "1 – teilweise gelöst", submit.
    tab_to(page, "#kode-0")
    page.keyboard.press("ArrowDown")
    assert page.locator("#kode-1").is_checked()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_be_visible()
