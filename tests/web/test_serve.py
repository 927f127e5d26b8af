"""``bimo serve`` on a fresh Typer app: arguments to uvicorn, and a real server answering."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner

from bimo.web import cli as web_cli

app = typer.Typer()
web_cli.register(app)
app.command("version")(lambda: None)  # a second command keeps "serve" a subcommand
runner = CliRunner()


def test_serve_passes_factory_workers_and_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: calls.append((a, k)))
    monkeypatch.setenv("BIMO_WEB_TRUSTED_PROXIES", "10.0.0.5")
    result = runner.invoke(app, ["serve", "--port", "8123", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/" in result.output
    ((args, kwargs),) = calls
    assert args == ("bimo.web.app:create_served_app",)
    assert kwargs["factory"] is True and kwargs["workers"] == 3 and kwargs["port"] == 8123
    assert kwargs["host"] == "127.0.0.1" and kwargs["proxy_headers"] is True
    assert kwargs["forwarded_allow_ips"] == "10.0.0.5" and kwargs["server_header"] is False
    assert "bimo.web.zugriff" in kwargs["log_config"]["loggers"]


def test_serve_help_is_german() -> None:
    text = runner.invoke(app, ["serve", "--help"]).output
    assert "Weboberfläche starten" in text and "Arbeitsprozesse" in text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_real_server_with_two_workers(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "BIMO_DATA_DIR": str(tmp_path / "daten")}
    code = (
        "import typer; from bimo.web.cli import register; a = typer.Typer(); register(a); "
        "a.command('x')(lambda: None); a()"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        response = None
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        assert response is not None, "Server antwortet nicht"
        assert response.status_code == 200 and response.json() == {"status": "ok"}
        assert "server" not in response.headers
        assert "default-src 'self'" in response.headers["content-security-policy"]
        page = httpx.get(f"http://127.0.0.1:{port}/anmelden?token=geheim", timeout=5)
        assert page.status_code == 200 and "Anmeldename" in page.text
    finally:
        process.terminate()
        out, _err = process.communicate(timeout=30)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert any('"pfad": "/anmelden"' in line for line in lines)
    assert "geheim" not in out


@pytest.mark.parametrize(
    ("setting", "expected"), [(None, "20000 20 100 True"), ("0", "700 10 10 False")]
)
def test_served_app_tunes_the_collector(tmp_path: Path, setting: str | None, expected: str) -> None:
    """Each worker freezes what lives as long as the process and collects less often
    (in a subprocess: the settings are process-wide)."""
    env = {**os.environ, "BIMO_DATA_DIR": str(tmp_path / "daten")}
    env.pop("BIMO_WEB_GC_THRESHOLD", None)
    if setting is not None:
        env["BIMO_WEB_GC_THRESHOLD"] = setting
    code = (
        "import gc; from bimo.web.app import create_served_app; create_served_app(); "
        "print(*gc.get_threshold(), gc.get_freeze_count() > 0)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[-2] == expected
