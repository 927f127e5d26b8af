"""Load benchmark of the public portal: ``bimo serve --workers 2`` under locust.

Data: a copy of the shared web test dataset (``BIMO_BENCH_WEBDATA``, default
``/tmp/bimo-webdata-shared``; built with :mod:`bimo.testing.webdata` when absent). The server
runs as a subprocess on loopback, exactly as ``bimo serve`` starts it; locust runs headless
as a second subprocess (``bench/locustfile_portal.py``: start page, indicator page, values
API) with 200 users (spawn rate 50/s) for 30 s (quick: 20 users, 10 s). Two rounds on the
same data: with the response cache for anonymous visitors (``bimo.web.cache``, the default)
and without it (``BIMO_WEB_RESPONSE_CACHE=0``), a fresh server each.

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
# Which code paths to measure, in this order (default both; e.g. "mit_cache" alone).
VARIANTS_ENV = "BIMO_BENCH_PORTAL_VARIANTS"
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


def _server_cpu_s(pid: int) -> float:
    """User + system CPU seconds of the server process and its workers so far."""
    import psutil  # bench-only dependency

    total = 0.0
    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


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


def _load_test(
    data_dir: Path, tmp: Path, label: str, cache: bool, users: int, rate: int, seconds: int
) -> dict[str, Any]:
    """One server (``bimo serve --workers 2``) and one locust run against it."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "BIMO_DATA_DIR": str(data_dir),
        "BIMO_WEB_PUBLICATION_DIR": str(data_dir / "veroeffentlichung"),
        "BIMO_WEB_RESPONSE_CACHE": "1" if cache else "0",
    }
    log = (tmp / f"server-{label}.log").open("w", encoding="utf-8")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("bimo")), "serve", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "2"],
        env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        _wait_ready(url, server)
        load_before = os.getloadavg()[0]
        prefix = tmp / f"locust-{label}"
        cpu_before = _server_cpu_s(server.pid)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(BENCH_DIR / "locustfile_portal.py"),
             "--headless", "-u", str(users), "-r", str(rate), "-t", f"{seconds}s",
             "--host", url, "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
            check=False, capture_output=True, text=True, timeout=seconds + 120,
        )  # fmt: skip
        wall = time.perf_counter() - started
        server_cpu = _server_cpu_s(server.pid) - cpu_before
        stats = _read_stats(prefix.with_name(f"locust-{label}_stats.csv"))
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    endpoints = {name: row for name, row in stats.items() if name != "Aggregated"}
    worst_p95 = max((row["p95_ms"] for row in endpoints.values()), default=float("nan"))
    served = int(stats.get("Aggregated", {}).get("requests", 0))
    return {
        "response_cache": cache,
        "load_avg_1min_before": round(load_before, 2),
        "wall_s": round(wall, 1),
        # CPU time of the server processes per request: unlike latency, barely affected by
        # other jobs on the machine (includes uvicorn's HTTP handling and the access log).
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_ms_per_request": round(1000 * server_cpu / served, 2) if served else None,
        "endpoints": endpoints,
        "total": stats.get("Aggregated", {}),
        "worst_p95_ms": worst_p95,
        "meets_goal": worst_p95 < GOAL_P95_MS,
    }


def run(quick: bool) -> dict[str, Any]:
    """Both code paths on the same data and machine: with the response cache (the default)
    and without (``BIMO_WEB_RESPONSE_CACHE=0``, what every request cost before)."""
    users, rate, seconds = (20, 10, 10) if quick else (200, 50, 30)
    variants = os.environ.get(VARIANTS_ENV, "mit_cache,ohne_cache").split(",")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bimo-bench-portal-") as tmp:
        data_dir = _dataset(Path(tmp) / "daten")
        for label in variants:
            cache = {"mit_cache": True, "ohne_cache": False}[label]
            results[label] = _load_test(data_dir, Path(tmp), label, cache, users, rate, seconds)
    return {
        "users": users,
        "spawn_rate": rate,
        "duration_s": seconds,
        "workers": 2,
        "goal_p95_ms": GOAL_P95_MS,
        "variants": results,
        "meets_goal": bool(results.get("mit_cache", {}).get("meets_goal", False)),
    }
