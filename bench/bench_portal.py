"""Load benchmark of the public portal: ``bimo serve --workers 2`` under locust.

Data: a copy of the shared web test dataset (``BIMO_BENCH_WEBDATA``, default
``/tmp/bimo-webdata-shared``; built with :mod:`bimo.testing.webdata` when absent). The server
runs as a subprocess on loopback, exactly as ``bimo serve`` starts it; locust runs headless
as a second subprocess (``bench/locustfile_portal.py``: start page, indicator page, values
API) with 200 users (spawn rate 50/s) for 30 s (quick: 20 users, 10 s).

Measured per endpoint: requests, failures, requests/s, p50/p95/p99 in ms. Goal: p95 < 200 ms.
Load generator and server share the machine's cores, so the figures are a lower bound.
"""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

DATA_ENV = "BIMO_BENCH_WEBDATA"
DEFAULT_DATA = Path("/tmp/bimo-webdata-shared")
GOAL_P95_MS = 200.0
BENCH_DIR = Path(__file__).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _dataset(target: Path) -> Path:
    source = Path(os.environ.get(DATA_ENV, str(DEFAULT_DATA)))
    if not (source / "webdata.json").exists():
        from bimo.testing.webdata import shared_web_dataset

        source = shared_web_dataset(target.parent / "webdata-build").data_dir
    # A copy: the server's secret key file and the operational store are written there.
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.sqlite-shm", "*.sqlite-wal"))
    return target


def _wait_ready(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 240  # slow on a busy 2-core machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Server beendet (Code {process.returncode})")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError("Server antwortet nicht")


def _read_stats(path: Path) -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, float]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 1),
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
                "p99_ms": float(row["99%"]),
            }
    return rows


def run(quick: bool) -> dict[str, Any]:
    users, rate, seconds = (20, 10, 10) if quick else (200, 50, 30)
    with tempfile.TemporaryDirectory(prefix="bimo-bench-portal-") as tmp:
        data_dir = _dataset(Path(tmp) / "daten")
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "BIMO_DATA_DIR": str(data_dir),
            "BIMO_WEB_PUBLICATION_DIR": str(data_dir / "veroeffentlichung"),
        }
        log = (Path(tmp) / "server.log").open("w", encoding="utf-8")
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("bimo")), "serve", "--host", "127.0.0.1",
             "--port", str(port), "--workers", "2"],
            env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            _wait_ready(url, server)
            prefix = Path(tmp) / "locust"
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "locust", "-f", str(BENCH_DIR / "locustfile_portal.py"),
                 "--headless", "-u", str(users), "-r", str(rate), "-t", f"{seconds}s",
                 "--host", url, "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
                check=False, capture_output=True, text=True, timeout=seconds + 120,
            )  # fmt: skip
            wall = time.perf_counter() - started
            stats = _read_stats(prefix.with_name("locust_stats.csv"))
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
    endpoints = {name: row for name, row in stats.items() if name != "Aggregated"}
    total = stats.get("Aggregated", {})
    worst_p95 = max((row["p95_ms"] for row in endpoints.values()), default=float("nan"))
    return {
        "users": users,
        "spawn_rate": rate,
        "duration_s": seconds,
        "wall_s": round(wall, 1),
        "workers": 2,
        "endpoints": endpoints,
        "total": total,
        "goal_p95_ms": GOAL_P95_MS,
        "meets_goal": worst_p95 < GOAL_P95_MS,
    }
