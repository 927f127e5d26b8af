"""``bimo serve --workers 2`` on a PostgreSQL operational store: login and session across
worker processes (sessions live in the database, not in a worker's memory)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bimo.accounts import service
from bimo.accounts.roles import Role, ScopeType
from bimo.core.operational import OperationalStore, list_events, upgrade_to_head

from .conftest import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_health(url: str, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 120
    last = "keine Antwort"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            response = httpx.get(f"{url}/health", timeout=2)
            if response.status_code == 200:
                return
            last = f"Status {response.status_code}"
        except httpx.TransportError as exc:
            last = type(exc).__name__
        time.sleep(0.3)
    tail = log.read_text(encoding="utf-8")[-3000:] if log.exists() else ""
    raise AssertionError(
        f"Server antwortet nicht (Rückgabecode {process.poll()}, zuletzt {last}); "
        f"Protokoll:\n{tail}"
    )


def test_two_workers_share_sessions_in_postgresql(postgres_url: str, tmp_path: Path) -> None:
    upgrade_to_head(postgres_url)  # what `bimo db upgrade` does before the first start
    with OperationalStore(postgres_url) as store, store.session() as db:
        service.create_user(db, "paula.p", "Paula Prüfer", PASSWORD, actor="admin")
        service.grant_role(db, "paula.p", Role.REDAKTION, ScopeType.GLOBAL)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "BIMO_DATA_DIR": str(tmp_path / "daten"),
        "BIMO_DATABASE_URL": postgres_url,
    }
    log = (tmp_path / "server.log").open("w", encoding="utf-8")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("bimo")),
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_health(url, process, tmp_path / "server.log")
        with httpx.Client(base_url=url, timeout=10) as client:
            form = client.get("/anmelden")
            match = _CSRF.search(form.text)
            assert match
            data = {"login": "paula.p", "passwort": PASSWORD, "csrf_token": match.group(1)}
            assert client.post("/anmelden", data=data).status_code == 303
            # New connections are spread over both workers; every one must know the session.
            pages = []
            for _ in range(12):
                with httpx.Client(base_url=url, timeout=10, cookies=client.cookies) as fresh:
                    pages.append(fresh.get("/mein-bereich"))
            assert all(p.status_code == 200 and "Paula Prüfer" in p.text for p in pages)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    with OperationalStore(postgres_url) as store, store.session() as db:
        # The login was recorded in PostgreSQL (the audit log is the store's, not a file's).
        assert list_events(action="auth.login", db=db)
