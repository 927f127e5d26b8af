"""Cheap Argon2 parameters for tests (the production defaults cost 64 MiB per hash)."""

from __future__ import annotations

import pytest

from bimo.accounts.config import get_account_settings


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIMO_ACCOUNTS_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("BIMO_ACCOUNTS_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("BIMO_ACCOUNTS_ARGON2_PARALLELISM", "1")
    get_account_settings.cache_clear()
