"""An app on a fresh SQLite operational store with a few users; cheap Argon2 parameters."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from bimo.accounts import service
from bimo.accounts.config import get_account_settings
from bimo.accounts.roles import Role, ScopeType
from bimo.core.config import Settings, get_settings
from bimo.core.operational import OperationalStore
from bimo.testing.webdata import WebDataset, shared_web_dataset
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


@pytest.fixture(scope="session")
def web_data(tmp_path_factory: pytest.TempPathFactory) -> WebDataset:
    """A small Musterland with indicators, Lernstand, report and Open Data (read-only!).

    Built once per test run; pytest-xdist workers share it through a file lock.
    ``BIMO_TEST_WEBDATA=DIR`` reuses a dataset built before (development only; CI builds anew).
    """
    prebuilt = os.environ.get("BIMO_TEST_WEBDATA")
    if prebuilt:
        return WebDataset.load(Path(prebuilt))
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return shared_web_dataset(root / "bimo-webdata")


@pytest.fixture
def data_app(store: OperationalStore, web_data: WebDataset) -> FastAPI:
    """The app on the shared Musterland data (analytic store read-only) and a fresh op. store."""
    core = Settings(data_dir=web_data.data_dir)
    return create_app(
        WebSettings(secret_key=SECRET, publication_dir=web_data.publication_dir),
        core_settings=core,
        store=store,
    )


@pytest.fixture
def data_client(data_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(data_app, follow_redirects=False) as c:
        yield c
