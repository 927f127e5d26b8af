"""npm packages for tests (OIDC provider, axe-core), installed once into a cache directory.

Installed from the npm registry at test time, never vendored; concurrent pytest-xdist workers
share one installation through an exclusive file lock. Without npm the test is skipped
locally and fails in CI (``CI`` set), where every tool must be present.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import NoReturn

import pytest

__all__ = ["npm_package", "skip_or_fail"]


def skip_or_fail(reason: str) -> NoReturn:
    """Skip when a tool is missing locally; in CI that is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"CI braucht dieses Werkzeug: {reason}", pytrace=False)
    pytest.skip(reason)


def npm_package(name: str, version: str) -> Path:
    """The cache directory whose ``node_modules/<name>`` holds ``name@version``."""
    cache = Path(tempfile.gettempdir()) / f"bimo-test-{name}-{version}"
    marker = cache / "node_modules" / name / "package.json"
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w", encoding="ascii") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return cache
        npm = shutil.which("npm")
        if npm is None:
            skip_or_fail(f"npm fehlt: der Test braucht {name} aus npm")
        (cache / "package.json").write_text('{"private": true}\n', encoding="utf-8")
        result = subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(cache),
                f"{name}@{version}",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0 or not marker.exists():
            skip_or_fail(f"npm install {name} fehlgeschlagen: {result.stderr[-500:]}")
        return cache
