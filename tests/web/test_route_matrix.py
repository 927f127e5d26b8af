"""Authorisation matrix: every route of ``create_app()`` × every role, in and out of scope.

Every ``(method, path)`` of the app must have a row in :data:`MATRIX`; a route added without
one fails :func:`test_every_route_is_classified`, so nothing reaches production unreviewed.
Each role logs in once and walks the whole table (one test per role keeps the run short).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi import FastAPI

from bimo.accounts import service
from bimo.accounts.hierarchy import load_hierarchy
from bimo.accounts.roles import Role, ScopeType
from bimo.core.operational import OperationalStore
from bimo.testing.webdata import WebDataset
from tests.web.testclient import TestClient

from .conftest import PASSWORD
from .helpers import csrf_from, login
from .matrix_rules import (
    ADMINS,
    ANONYMOUS,
    CLASS_VIEWERS,
    EDITORS,
    EVERYONE,
    KLASSE,
    LOGGED_IN,
    RESEARCHERS,
    ROLES,
    SCHOOL_VIEWERS,
    SCOPED,
    Rule,
)
from .matrix_testen import ROWS as TEST_ROWS
from .matrix_umfragen import ROWS as SURVEY_ROWS
from .routes import route_keys

MATRIX: dict[tuple[str, str], Rule] = {
    ("MOUNT", "/static"): Rule("/static/css/bimo.css", EVERYONE),
    ("GET", "/health"): Rule("/health", EVERYONE),
    ("GET", "/ready"): Rule("/ready", EVERYONE),
    ("GET", "/"): Rule("/", EVERYONE),
    ("GET", "/impressum"): Rule("/impressum", EVERYONE),
    ("GET", "/datenschutz"): Rule("/datenschutz", EVERYONE),
    ("GET", "/barrierefreiheit"): Rule("/barrierefreiheit", EVERYONE),
    ("GET", "/anmelden"): Rule("/anmelden", EVERYONE, redirect_ok=True),
    ("POST", "/anmelden"): Rule("/anmelden", EVERYONE, unsafe=True),
    ("POST", "/abmelden"): Rule("/abmelden", EVERYONE, unsafe=True),
    ("GET", "/mein-bereich"): Rule("/mein-bereich", LOGGED_IN),
    ("GET", "/indikatoren"): Rule("/indikatoren", EVERYONE),
    ("GET", "/indikatoren/{indicator_id}"): Rule("/indikatoren/{indicator}", EVERYONE),
    ("GET", "/indikatoren/{indicator_id}/daten.{fmt_name}"): Rule(
        "/indikatoren/{indicator}/daten.csv", EVERYONE
    ),
    ("GET", "/vergleich"): Rule("/vergleich", EVERYONE),
    ("GET", "/downloads"): Rule("/downloads", EVERYONE),
    ("GET", "/downloads/{path:path}"): Rule("/downloads/{download}", EVERYONE),
    ("GET", "/angebote"): Rule("/angebote", EVERYONE),
    ("GET", "/rueckmeldung"): Rule("/rueckmeldung", EVERYONE),
    ("POST", "/rueckmeldung"): Rule("/rueckmeldung", EVERYONE, unsafe=True),
    ("GET", "/angebote/{offer_id}"): Rule("/angebote/1", EVERYONE, absent_ok=True),
    ("GET", "/akteure/{actor_id}"): Rule("/akteure/1", EVERYONE, absent_ok=True),
    ("GET", "/redaktion/rueckmeldungen"): Rule("/redaktion/rueckmeldungen", EDITORS),
    ("GET", "/redaktion/angebote/neu"): Rule("/redaktion/angebote/neu", EDITORS),
    ("POST", "/redaktion/angebote/neu"): Rule("/redaktion/angebote/neu", EDITORS, unsafe=True),
    ("GET", "/redaktion/angebote/{offer_id}/bearbeiten"): Rule(
        "/redaktion/angebote/1/bearbeiten", EDITORS, absent_ok=True
    ),
    ("POST", "/redaktion/angebote/{offer_id}/bearbeiten"): Rule(
        "/redaktion/angebote/1/bearbeiten", EDITORS, unsafe=True
    ),
    ("GET", "/redaktion/angebote/{offer_id}/loeschen"): Rule(
        "/redaktion/angebote/1/loeschen", EDITORS, absent_ok=True
    ),
    ("POST", "/redaktion/angebote/{offer_id}/loeschen"): Rule(
        "/redaktion/angebote/1/loeschen", EDITORS, unsafe=True
    ),
    # /intern shows each role its own overview; the pages below it are scoped.
    ("GET", "/intern"): Rule("/intern", LOGGED_IN),
    ("GET", "/intern/indikatoren/{indikator}"): Rule("/intern/indikatoren/{indicator}", LOGGED_IN),
    ("GET", "/intern/schulen"): Rule("/intern/schulen", LOGGED_IN),
    ("GET", "/intern/schulen/{schulnummer}"): Rule(
        "/intern/schulen/{school}", SCHOOL_VIEWERS, scoped=True
    ),
    ("GET", "/intern/schulen/{schulnummer}/klassen/{klasse}"): Rule(
        "/intern/schulen/{school}/klassen/{klasse}", CLASS_VIEWERS, scoped=True
    ),
    ("GET", "/intern/forschung"): Rule("/intern/forschung", RESEARCHERS),
    ("POST", "/intern/forschung"): Rule("/intern/forschung", RESEARCHERS, unsafe=True),
    ("GET", "/admin/benutzer"): Rule("/admin/benutzer", ADMINS),
    ("POST", "/admin/benutzer"): Rule("/admin/benutzer", ADMINS, unsafe=True),
    ("GET", "/admin/protokoll"): Rule("/admin/protokoll", ADMINS),
    ("GET", "/api/v1/indikatoren"): Rule("/api/v1/indikatoren", EVERYONE, api=True),
    ("GET", "/api/v1/indikatoren/{indicator_id}"): Rule(
        "/api/v1/indikatoren/{indicator}", EVERYONE, api=True
    ),
    # Public values for everybody; internal rows only as the policy allows (checked below).
    ("GET", "/api/v1/indikatoren/{indicator_id}/werte"): Rule(
        "/api/v1/indikatoren/{indicator}/werte", EVERYONE, api=True
    ),
    ("GET", "/api/v1/regionen"): Rule("/api/v1/regionen", EVERYONE, api=True),
    ("GET", "/api/v1/regionen/{ags}"): Rule("/api/v1/regionen/{kreis}", EVERYONE, api=True),
    ("GET", "/api/v1/ziele"): Rule("/api/v1/ziele", EVERYONE, api=True),
    ("GET", "/api/v1/angebote"): Rule("/api/v1/angebote", EVERYONE, api=True),
    ("GET", "/api/v1/angebote/{offer_id}"): Rule(
        "/api/v1/angebote/1", EVERYONE, api=True, absent_ok=True
    ),
    ("GET", "/api/v1/akteure"): Rule("/api/v1/akteure", EVERYONE, api=True),
    ("GET", "/api/v1/akteure/{actor_id}"): Rule(
        "/api/v1/akteure/1", EVERYONE, api=True, absent_ok=True
    ),
    ("POST", "/api/v1/angebote"): Rule("/api/v1/angebote", EDITORS, api=True, unsafe=True),
    ("PUT", "/api/v1/angebote/{offer_id}"): Rule(
        "/api/v1/angebote/1", EDITORS, api=True, unsafe=True
    ),
    ("DELETE", "/api/v1/angebote/{offer_id}"): Rule(
        "/api/v1/angebote/1", EDITORS, api=True, unsafe=True
    ),
    ("GET", "/api/docs"): Rule("/api/docs", EVERYONE),
    ("GET", "/api/openapi.json"): Rule("/api/openapi.json", EVERYONE, api=True),
    **SURVEY_ROWS,
    **TEST_ROWS,
}


@dataclass(frozen=True)
class Objects:
    values: dict[str, str]
    outside: dict[str, str]
    outside_names: tuple[str, ...]  # names of out-of-scope objects: must never be shown


@pytest.fixture(scope="module")
def objects(web_data: WebDataset) -> Objects:
    hierarchy = load_hierarchy(web_data.duckdb_path)
    school = web_data.schools[0]
    kreis = hierarchy.school_location[school][0]
    other = next(s for s in web_data.schools if hierarchy.school_location[s][0] != kreis)
    other_kreis = hierarchy.school_location[other][0]
    downloads = sorted(p for p in web_data.publication_dir.rglob("*") if p.is_file())
    download = downloads[0].relative_to(web_data.publication_dir).as_posix() if downloads else ""
    values = {
        "school": school,
        "kreis": kreis,
        "land": web_data.land_ags,
        "klasse": KLASSE,
        "indicator": "A01",
        "download": download,
    }
    outside = {**values, "school": other, "kreis": other_kreis}
    names = tuple(hierarchy.names[key] for key in (other, other_kreis) if key in hierarchy.names)
    return Objects(values, outside, names)


def _grant(role: str, objects: Objects) -> tuple[ScopeType, str]:
    v = objects.values
    return {
        "land": (ScopeType.LAND, v["land"]),
        "kreis": (ScopeType.KREIS, v["kreis"]),
        "schulaufsicht": (ScopeType.SCHULE, v["school"]),
        "schulleitung": (ScopeType.SCHULE, v["school"]),
        "lehrkraft": (ScopeType.KLASSE, f"{v['school']}/{KLASSE}"),
    }.get(role, (ScopeType.GLOBAL, ""))


def _login_as(client: TestClient, store: OperationalStore, role: str, objects: Objects) -> None:
    if role == ANONYMOUS:
        return
    name = f"matrix.{role}"
    scope_type, scope_id = _grant(role, objects)
    with store.session() as db:
        service.create_user(db, name, f"Matrix {role}", PASSWORD, actor="admin")
        service.grant_role(db, name, Role(role), scope_type, scope_id)
    assert login(client, name, PASSWORD).status_code == 303


def _refusal_ok(role: str, rule: Rule, status: int, location: str) -> bool:
    if rule.cookie_credential:
        return status == 401
    if role == ANONYMOUS:
        if rule.api:
            return status == 401
        # 403: a write the policy refuses before looking at the (missing) session.
        return (status == 303 and location.startswith("/anmelden")) or status in (401, 403)
    return status in (403, 404)


def _check(
    client: TestClient, role: str, method: str, rule: Rule, url: str, csrf: str
) -> str | None:
    """The violation for one request, or None."""
    headers = {"X-CSRF-Token": csrf} if rule.unsafe and csrf else {}
    response = client.request(method, url, headers=headers)
    status, location = response.status_code, response.headers.get("location", "")
    if role in rule.allowed:
        if rule.unsafe:
            return None  # permitted writes are the owner's tests (they change state)
        if status == 200 or (rule.absent_ok and status == 404):
            return None
        if rule.redirect_ok and status == 303 and role != ANONYMOUS:
            return None
        return f"{method} {url}: {role} erwartet 200, bekam {status}"
    # 422: the form did not validate, so nothing was executed (the matrix sends no body).
    if _refusal_ok(role, rule, status, location) or (rule.unsafe and status == 422):
        return None
    return f"{method} {url}: {role} sollte abgewiesen werden, bekam {status} {location}"


def test_every_route_is_classified(data_app: FastAPI) -> None:
    keys = route_keys(data_app)
    missing = sorted(keys - MATRIX.keys())
    assert not missing, f"Routen ohne Zeile in der Berechtigungsmatrix: {missing}"
    # Rows for routes that no longer exist would hide a renamed route.
    stale = sorted(MATRIX.keys() - keys)
    assert not stale, f"Matrix-Zeilen ohne Route: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_no_access_beyond_the_role(
    data_app: FastAPI, store: OperationalStore, objects: Objects, role: str
) -> None:
    keys = route_keys(data_app)
    violations: list[str] = []
    with TestClient(data_app, follow_redirects=False) as client:
        _login_as(client, store, role, objects)
        csrf = csrf_from(client.get("/mein-bereich" if role != ANONYMOUS else "/anmelden"))
        for (method, _path), rule in sorted(MATRIX.items()):
            if (method, _path) not in keys:
                continue
            http_method = "GET" if method == "MOUNT" else method
            if rule.unsafe and role in rule.allowed:
                continue  # see Rule.unsafe
            url = rule.url.format(**objects.values)
            if (problem := _check(client, role, http_method, rule, url, csrf)) is not None:
                violations.append(problem)
            if rule.scoped and role in SCOPED:
                outside = rule.url.format(**objects.outside)
                response = client.request(http_method, outside)
                if response.status_code not in (403, 404):
                    violations.append(
                        f"{outside}: {role} außerhalb des Bereichs bekam {response.status_code}"
                    )
                leaked = [
                    n for n in objects.outside_names if re.search(re.escape(n), response.text)
                ]
                if leaked:
                    violations.append(f"{outside}: {role} sieht fremde Namen {leaked}")
    assert not violations, "\n".join(violations)


@pytest.mark.parametrize("role", ROLES)
def test_values_api_shows_school_rows_only_in_scope(
    data_app: FastAPI, store: OperationalStore, objects: Objects, web_data: WebDataset, role: str
) -> None:
    """School-level values are internal: the API returns them only for schools in scope."""
    hierarchy = load_hierarchy(web_data.duckdb_path)
    school, kreis = objects.values["school"], objects.values["kreis"]
    expected: set[str] = {
        "land": set(hierarchy.school_location),
        "kreis": {s for s, (k, _g) in hierarchy.school_location.items() if k == kreis},
        "schulaufsicht": {school},
        "schulleitung": {school},
    }.get(role, set())
    with TestClient(data_app, follow_redirects=False) as client:
        _login_as(client, store, role, objects)
        response = client.get("/api/v1/indikatoren/B01/werte", params={"ebene": "SCHULE"})
    assert response.status_code == 200
    seen = {row["ags"] for row in response.json()}
    assert seen <= expected, f"{role} sieht Schulwerte außerhalb des Bereichs: {seen - expected}"
    if expected:
        assert seen, f"{role} sieht keine Schulwerte, obwohl berechtigt"
