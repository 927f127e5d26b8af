"""Browser tests: Playwright (Debian chromium) against a real uvicorn server on loopback.

The server runs in a subprocess on a temp copy of the ``web_data`` Musterland with its own
SQLite operational store and users created before start. axe-core comes from the npm
registry, installed once into a cache directory under the temp dir (like the OIDC test).
Without chromium, node or npm the tests are skipped locally and fail in CI (``CI`` set).
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from bimo.accounts import service
from bimo.accounts.config import get_account_settings
from bimo.accounts.roles import Role, ScopeType
from bimo.core.operational import OperationalStore
from bimo.testing.npm import npm_package, skip_or_fail
from bimo.testing.webdata import WebDataset, shared_web_dataset

CHROMIUM = Path("/usr/bin/chromium")
AXE_VERSION = "4.10.3"
PASSWORD = "korrekt pferd batterie"
SECRET = "browser-test-geheimnis-" + "x" * 40
CHEAP_ARGON2 = {
    "BIMO_ACCOUNTS_ARGON2_TIME_COST": "1",
    "BIMO_ACCOUNTS_ARGON2_MEMORY_KIB": "1024",
    "BIMO_ACCOUNTS_ARGON2_PARALLELISM": "1",
}
# Logins of the users the walks use.
EDITOR = "rita.redaktion"
PRINCIPAL = "sven.schulleitung"
ADMIN = "anna.admin"
SCAFFOLD_TEXT = "in Arbeit"


@dataclass(frozen=True)
class Server:
    base_url: str
    data: WebDataset

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def own_school(self) -> str:
        return self.data.schools[0]

    @property
    def other_school(self) -> str:
        return self.data.schools[1]


def _web_data(tmp_path_factory: pytest.TempPathFactory) -> WebDataset:
    prebuilt = os.environ.get("BIMO_TEST_WEBDATA")
    if prebuilt:
        return WebDataset.load(Path(prebuilt))
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return shared_web_dataset(root / "bimo-webdata")


def _writable_copy(source: Path, target: Path) -> Path:
    # The shared dataset is read-only; the server writes its SQLite store and secret file.
    shutil.copytree(source, target)
    for path in [target, *target.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return target


def _create_users(data_dir: Path, own_school: str) -> None:
    url = f"sqlite:///{data_dir / 'bimo.sqlite'}"
    with OperationalStore(url) as store, store.session() as db:
        service.create_user(db, EDITOR, "Rita Redaktion", PASSWORD, actor="test")
        service.grant_role(db, EDITOR, Role.REDAKTION, ScopeType.GLOBAL, actor="test")
        service.create_user(db, PRINCIPAL, "Sven Schulleitung", PASSWORD, actor="test")
        service.grant_role(
            db, PRINCIPAL, Role.SCHULLEITUNG, ScopeType.SCHULE, own_school, actor="test"
        )
        service.create_user(db, ADMIN, "Anna Admin", PASSWORD, actor="test")
        service.grant_role(db, ADMIN, Role.ADMIN, ScopeType.GLOBAL, actor="test")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn beendet mit Code {process.returncode}")
        try:
            with urllib.request.urlopen(base_url + "/ready", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"uvicorn ist nach {timeout:.0f} s nicht bereit")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = _web_data(tmp_path_factory)
    data_dir = _writable_copy(data.data_dir, tmp_path_factory.mktemp("browser") / "daten")
    copied = WebDataset.load(data_dir)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in CHEAP_ARGON2.items():
            patch.setenv(name, value)
        get_account_settings.cache_clear()
        _create_users(data_dir, copied.schools[0])
    get_account_settings.cache_clear()
    port = _free_port()
    env = {
        **os.environ,
        **CHEAP_ARGON2,
        "BIMO_DATA_DIR": str(data_dir),
        "BIMO_WEB_SECRET_KEY": SECRET,
        "BIMO_WEB_PUBLICATION_DIR": str(copied.publication_dir),
    }
    env.pop("BIMO_DATABASE_URL", None)
    log = (data_dir / "uvicorn.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bimo.web.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        try:
            _wait_ready(base_url, process, timeout=60)
        except RuntimeError as exc:
            log.flush()
            tail = (data_dir / "uvicorn.log").read_text(encoding="utf-8", errors="replace")
            raise RuntimeError(f"{exc}\n{tail[-3000:]}") from None
        yield Server(base_url, copied)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        skip_or_fail("chromium fehlt (/usr/bin/chromium): die Browser-Tests brauchen es")
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), args=["--no-sandbox"]
    )
    yield browser
    browser.close()


def _page(browser: Browser, *, bypass_csp: bool, storage_state: Any = None) -> Iterator[Page]:
    context = browser.new_context(
        locale="de-DE",
        viewport={"width": 1280, "height": 900},
        bypass_csp=bypass_csp,
        storage_state=storage_state,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context under the app's real Content-Security-Policy."""
    yield from _page(browser, bypass_csp=False)


def anonymous_axe_page(browser: Browser) -> Generator[Page, None, None]:
    """A fresh context where the CSP is bypassed, so the injected axe script may run."""
    yield from _page(browser, bypass_csp=True)


@pytest.fixture(scope="session")
def sessions(browser: Browser, server: Server) -> dict[str, Any]:
    """Cookies of logged-in users by login, filled on first use (one login per user and run)."""
    return {}


def logged_in_axe_page(
    browser: Browser, server: Server, sessions: dict[str, Any], user: str
) -> Generator[Page, None, None]:
    """Like ``anonymous_axe_page``, logged in as ``user`` (the login form is tested elsewhere)."""
    if user not in sessions:
        from tests.browser.helpers import login  # helpers import this module

        context = browser.new_context(locale="de-DE")
        try:
            login(context.new_page(), server, user)
            sessions[user] = context.storage_state()
        finally:
            context.close()
    yield from _page(browser, bypass_csp=True, storage_state=sessions[user])


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("BIMO_SCREENSHOT_DIR")
    path = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nBildschirmfotos: {path}")
    _SCREENSHOT_DIRS.append(path)
    return path


_SCREENSHOT_DIRS: list[Path] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for path in _SCREENSHOT_DIRS:
        files = sorted(p.name for p in path.glob("*.png"))
        terminalreporter.write_line(f"Bildschirmfotos ({len(files)}) in {path}")


def _axe_dir() -> Path:
    script = npm_package("axe-core", AXE_VERSION) / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        skip_or_fail(f"axe-core {AXE_VERSION} enthält kein axe.min.js")
    return script


@pytest.fixture(scope="session")
def axe_script() -> Path:
    return _axe_dir()
