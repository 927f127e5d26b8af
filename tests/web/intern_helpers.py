"""Users and objects for the tests of the internal area (picked from the Musterland data)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
from fastapi import FastAPI

from bimo.accounts import service
from bimo.accounts.roles import Role, ScopeType
from bimo.core.operational import OperationalStore
from bimo.testing.webdata import WebDataset
from tests.web.conftest import PASSWORD
from tests.web.helpers import login
from tests.web.testclient import TestClient


def make_user(store: OperationalStore, name: str, grants: list[tuple[Role, ScopeType, str]]) -> str:
    with store.session() as db:
        service.create_user(db, name, name.title(), PASSWORD, actor="test")
        for role, scope, scope_id in grants:
            service.grant_role(db, name, role, scope, scope_id, actor="test")
    return name


@contextmanager
def logged_in(app: FastAPI, name: str) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        assert login(client, name, PASSWORD).status_code == 303
        yield client


def class_sizes(web_data: WebDataset) -> dict[tuple[str, str], int]:
    """Tested students per (school, class) in the latest wave of each class."""
    con = duckdb.connect(str(web_data.duckdb_path), read_only=True)
    try:
        rows = con.execute(
            "SELECT schulnummer, klasse, count(DISTINCT pseudonym) FROM assessment_results "
            "WHERE pv_nr = 1 GROUP BY ALL"
        ).fetchall()
    finally:
        con.close()
    return {(str(s), str(k)): int(n) for s, k, n in rows}


def school_with_class(web_data: WebDataset) -> tuple[str, str]:
    """A school with a tested class of at least 10 students."""
    return max(class_sizes(web_data).items(), key=lambda kv: kv[1])[0]
