"""An app on a fresh SQLite operational store with a few users; cheap Argon2 parameters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from bimo.accounts import service
from bimo.accounts.config import get_account_settings
from bimo.accounts.roles import Role, ScopeType
from bimo.core.config import get_settings
from bimo.core.operational import OperationalStore
from bimo.web import WebSettings, create_app
from tests.web.testclient import TestClient

PASSWORD = "korrekt pferd batterie"
SECRET = "test-geheimnis-" + "x" * 40


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIMO_ACCOUNTS_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("BIMO_ACCOUNTS_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("BIMO_ACCOUNTS_ARGON2_PARALLELISM", "1")
    get_account_settings.cache_clear()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[OperationalStore]:
    with OperationalStore(f"sqlite:///{tmp_path / 'op.sqlite'}") as s:
        with s.session() as session:
            service.create_user(session, "erika.k", "Erika Mustermann", PASSWORD, actor="admin")
            service.grant_role(session, "erika.k", Role.SCHULLEITUNG, ScopeType.SCHULE, "100001")
            service.grant_role(session, "erika.k", Role.REDAKTION, ScopeType.GLOBAL)
        yield s


@pytest.fixture
def app(store: OperationalStore) -> FastAPI:
    return create_app(WebSettings(secret_key=SECRET), store=store)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c


@pytest.fixture
def https_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        yield c


def duckdb_path() -> Path:
    return get_settings().resolved_duckdb_path
