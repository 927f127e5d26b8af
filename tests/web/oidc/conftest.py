"""A real OpenID provider (npm ``oidc-provider``, run with node) for the end-to-end test.

The npm package is installed once into a cache directory under the temp dir (from the npm
registry) when it is not there yet. Without node/npm the test is skipped locally and fails in
CI (``CI`` set), like the PostgreSQL tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bimo.testing.npm import npm_package
from bimo.testing.postgres import skip_or_fail

OIDC_PROVIDER_VERSION = "9.13.3"
SCRIPT = Path(__file__).with_name("provider.mjs")
CLIENT_ID = "bimo-test"
CLIENT_SECRET = "test-client-secret-0123456789abcdef"
REDIRECT_URI = "http://testserver/anmelden/oidc/rueckruf"
# The student login of the test player (tests/web/oidc/test_oidc_student_login.py).
STUDENT_REDIRECT_URI = "http://testserver/test/anmelden/rueckruf"
# Claims of the students' school accounts, by subject (the staff subjects have none).
STUDENT_CLAIMS: dict[str, dict[str, object]] = {
    "schueler-1": {"schulnummer": "100001", "klasse": "7b"},
    "schueler-2": {"schulnummer": 100001, "klasse": "7 B"},  # a number, another spelling
    "schueler-3": {"schulnummer": "100001", "klasse": "7b"},
    "ohne-klasse": {"schulnummer": "100001"},
}


@dataclass(frozen=True)
class RunningProvider:
    issuer: str
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET


def _modules_dir() -> Path:
    return npm_package("oidc-provider", OIDC_PROVIDER_VERSION)


@contextmanager
def start_provider(
    redirect_uris: Sequence[str], claims: Mapping[str, Mapping[str, object]]
) -> Iterator[RunningProvider]:
    """Run ``provider.mjs`` with these redirect URIs (at least one) and claims by subject.

    Also used by the browser test of the student login (``tests/browser/test_schulkonto.py``),
    whose redirect URI names the port of a real server."""
    node = shutil.which("node")
    if node is None:
        skip_or_fail("node fehlt: der OIDC-Test braucht node 20")
    modules = _modules_dir()
    first, *extra = redirect_uris
    env = {
        **os.environ,
        "OIDC_MODULES": str(modules),
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URI": first,
        "OIDC_EXTRA_REDIRECT_URIS": " ".join(extra),
        "OIDC_EXTRA_CLAIMS": json.dumps({sub: dict(c) for sub, c in claims.items()}),
    }
    process = subprocess.Popen(
        [node, str(SCRIPT)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        lines: list[str] = []
        reader = threading.Thread(
            target=lambda: lines.append(process.stdout.readline() if process.stdout else "")
        )
        reader.start()
        reader.join(timeout=60)
        if not lines or not lines[0].startswith("READY "):
            process.kill()
            _out, err = process.communicate(timeout=10)
            raise RuntimeError(f"OIDC-Provider startet nicht: {err[-2000:]}")
        yield RunningProvider(issuer=lines[0].split()[1])
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


@pytest.fixture(scope="module")
def oidc_provider() -> Iterator[RunningProvider]:
    with start_provider([REDIRECT_URI, STUDENT_REDIRECT_URI], STUDENT_CLAIMS) as provider:
        yield provider
