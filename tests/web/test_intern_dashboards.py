"""Each role sees exactly its scope on the internal dashboards."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI

from bimo.accounts.roles import Role, ScopeType
from bimo.core.operational import OperationalStore
from bimo.testing.webdata import WebDataset
from bimo.web.intern.common import suppress_cells
from tests.web.intern_helpers import class_sizes, logged_in, make_user, school_with_class
from tests.web.testclient import TestClient


def _other_school(web_data: WebDataset, school: str) -> str:
    return next(s for s in web_data.schools if s != school)


def test_anonymous_is_sent_to_login(data_client: TestClient, web_data: WebDataset) -> None:
    school, klasse = school_with_class(web_data)
    for path in (
        "/intern",
        "/intern/indikatoren/D21",
        "/intern/schulen",
        f"/intern/schulen/{school}",
        f"/intern/schulen/{school}/klassen/{klasse}",
        "/intern/forschung",
        "/admin/benutzer",
        "/admin/protokoll",
    ):
        response = data_client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/anmelden?weiter=")


def test_schulleitung_sees_own_school_and_classes_only(
    data_app: FastAPI, store: OperationalStore, web_data: WebDataset
) -> None:
    school, klasse = school_with_class(web_data)
    other = _other_school(web_data, school)
    make_user(store, "leitung.a", [(Role.SCHULLEITUNG, ScopeType.SCHULE, school)])
    with logged_in(data_app, "leitung.a") as client:
        listing = client.get("/intern/schulen")
        assert listing.status_code == 200
        assert set(re.findall(r"/intern/schulen/(\d{6})", listing.text)) == {school}
        page = client.get(f"/intern/schulen/{school}")
        assert page.status_code == 200
        assert "Indikatoren der Schule" in page.text and "<td>" in page.text
        assert f"/intern/schulen/{school}/klassen/{klasse}" in page.text
        assert client.get(f"/intern/schulen/{other}").status_code == 403
        assert client.get(f"/intern/schulen/{school}/klassen/{klasse}").status_code == 200
        assert client.get(f"/intern/schulen/{other}/klassen/{klasse}").status_code == 403
        assert client.get("/admin/benutzer").status_code == 403
        assert client.get("/admin/protokoll").status_code == 403
        assert client.get("/intern/forschung").status_code == 403
        # Internal rows: the own school's, never another school's.
        rows = client.get("/intern/indikatoren/D21").text
        assert f"<td>{school}</td>" in rows
        assert f"<td>{other}</td>" not in rows


def test_lehrkraft_sees_only_own_class(
    data_app: FastAPI, store: OperationalStore, web_data: WebDataset
) -> None:
    school, klasse = school_with_class(web_data)
    make_user(store, "lehrer.b", [(Role.LEHRKRAFT, ScopeType.KLASSE, f"{school}/{klasse}")])
    with logged_in(data_app, "lehrer.b") as client:
        start = client.get("/intern")
        assert f"/intern/schulen/{school}/klassen/{klasse}" in start.text
        page = client.get(f"/intern/schulen/{school}/klassen/{klasse}")
        assert page.status_code == 200
        assert "Kompetenzstufe" in page.text
        assert client.get(f"/intern/schulen/{school}/klassen/x{klasse}").status_code == 403
        assert client.get(f"/intern/schulen/{school}").status_code == 403
        other = _other_school(web_data, school)
        assert client.get(f"/intern/schulen/{other}/klassen/{klasse}").status_code == 403
        assert "<td>SCHULE</td>" not in client.get("/intern/indikatoren/D21").text


def test_admin_has_no_data_access(
    data_app: FastAPI, store: OperationalStore, web_data: WebDataset
) -> None:
    school, klasse = school_with_class(web_data)
    make_user(store, "admin.c", [(Role.ADMIN, ScopeType.GLOBAL, "")])
    with logged_in(data_app, "admin.c") as client:
        start = client.get("/intern")
        assert "/admin/benutzer" in start.text and '/intern/schulen"' not in start.text
        assert client.get(f"/intern/schulen/{school}").status_code == 403
        assert client.get(f"/intern/schulen/{school}/klassen/{klasse}").status_code == 403
        assert re.findall(r"/intern/schulen/\d", client.get("/intern/schulen").text) == []
        table = client.get("/intern/indikatoren/D21").text
        # Only the published rows everybody sees: no internal (school-level) row.
        assert "<td>SCHULE</td>" not in table and "<td>intern</td>" not in table
        assert "<td>GEMEINDE</td>" in table


def test_kreis_staff_sees_its_kreis_levels(
    data_app: FastAPI, store: OperationalStore, web_data: WebDataset
) -> None:
    kreis = web_data.kreis_ags[0]
    make_user(store, "kreis.d", [(Role.KREIS, ScopeType.KREIS, kreis)])
    with logged_in(data_app, "kreis.d") as client:
        schools = set(re.findall(r"/intern/schulen/(\d{6})", client.get("/intern/schulen").text))
        assert schools
        table = client.get("/intern/indikatoren/D21").text
        shown = set(re.findall(r"<td>SCHULE</td><td>(\d{6})</td>", table))
        assert shown and shown <= schools
        assert client.get("/intern/indikatoren/Z99").status_code == 404
        outside = next(s for s in web_data.schools if s not in schools)
        assert client.get(f"/intern/schulen/{outside}").status_code == 403


def test_class_results_respect_min_tested_and_min_cell(
    data_app: FastAPI, store: OperationalStore, web_data: WebDataset
) -> None:
    sizes = class_sizes(web_data)
    small = [key for key, n in sizes.items() if n < 10]
    if not small:
        pytest.skip("keine Klasse mit weniger als 10 Getesteten im Testbestand")
    school, klasse = small[0]
    make_user(store, "leitung.e", [(Role.SCHULLEITUNG, ScopeType.SCHULE, school)])
    with logged_in(data_app, "leitung.e") as client:
        page = client.get(f"/intern/schulen/{school}/klassen/{klasse}")
        assert "Ergebnis nicht ausgewiesen" in page.text


def testsuppress_cellsion_hides_small_cells_and_a_complement() -> None:
    assert suppress_cells([0.0, 12.0, 3.0, 8.0], 5) == [False, False, True, True]
    assert suppress_cells([2.0, 12.0, 3.0, 8.0], 5) == [True, False, True, False]
    assert suppress_cells([0.0, 12.0, 6.0, 8.0], 5) == [False, False, False, False]
