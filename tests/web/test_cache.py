"""The response cache: hits and misses, invalidation by the data snapshot, what is never stored."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from bimo.core.config import Settings
from bimo.core.operational import OperationalStore
from bimo.testing.webdata import WebDataset
from bimo.web.app import create_app
from bimo.web.cache import ResponseCache, ResponseCacheMiddleware
from bimo.web.data import snapshot_generation
from bimo.web.logs import SECURITY_HEADERS, FrameMiddleware
from bimo.web.settings import WebSettings
from tests.web.conftest import PASSWORD, SECRET
from tests.web.helpers import login
from tests.web.testclient import TestClient

PAGE = "/indikatoren/D01"
API = "/api/v1/indikatoren/D01/werte?ebene=KREIS"


def cache_of(app: Starlette) -> ResponseCache:
    node = app.middleware_stack
    while node is not None:
        if isinstance(node, ResponseCacheMiddleware):
            return node.cache
        node = getattr(node, "app", None)
    raise AssertionError("kein ResponseCacheMiddleware im Stapel")


def warm(client: TestClient, app: Starlette) -> ResponseCache:
    """Load the snapshot (the first request of a process is never stored), then start empty."""
    assert client.get("/").status_code == 200
    cache = cache_of(app)
    cache.clear()
    cache.hits = cache.misses = 0
    return cache


# --- on the real app, with the Musterland data -------------------------------------------------


def test_second_anonymous_request_is_a_hit_with_identical_answer(
    data_client: TestClient, data_app: FastAPI
) -> None:
    cache = warm(data_client, data_app)
    first = data_client.get(PAGE)
    assert first.status_code == 200
    assert cache.hits == 0 and len(cache) == 1
    second = data_client.get(PAGE)
    assert cache.hits == 1
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["content-type"] == first.headers["content-type"]
    api_first, api_second = data_client.get(API), data_client.get(API)
    assert api_second.json() == api_first.json() and api_first.json()
    assert cache.hits == 2
    # Another query string is another page.
    other = data_client.get(PAGE, params={"merkmal": "geschlecht"})
    assert other.status_code == 200 and other.content != first.content
    assert cache.hits == 2 and len(cache) == 3


def test_cached_answers_keep_fresh_security_headers(
    data_client: TestClient, data_app: FastAPI
) -> None:
    warm(data_client, data_app)
    first, second = data_client.get(PAGE), data_client.get(PAGE)
    for response in (first, second):
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value
        assert "set-cookie" not in response.headers
        assert response.headers["cache-control"] == "no-cache"
        assert "Cookie" in response.headers["vary"]
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


def test_if_none_match_gives_304(data_client: TestClient, data_app: FastAPI) -> None:
    warm(data_client, data_app)
    etag = data_client.get(PAGE).headers["etag"]
    not_modified = data_client.get(PAGE, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    assert (
        not_modified.headers["content-security-policy"]
        == SECURITY_HEADERS["Content-Security-Policy"]
    )
    changed = data_client.get(PAGE, headers={"If-None-Match": '"anders"'})
    assert changed.status_code == 200 and changed.content


def test_htmx_partial_and_full_page_are_separate_entries(
    data_client: TestClient, data_app: FastAPI
) -> None:
    cache = warm(data_client, data_app)
    full = data_client.get(PAGE)
    partial = data_client.get(PAGE, headers={"HX-Request": "true"})
    assert "<html" in full.text and "<html" not in partial.text
    assert "<html" not in data_client.get(PAGE, headers={"HX-Request": "true"}).text
    assert "<html" in data_client.get(PAGE).text
    assert cache.hits == 2 and len(cache) == 2


def test_logged_in_users_never_get_or_leave_cached_pages(
    data_client: TestClient, data_app: FastAPI
) -> None:
    cache = warm(data_client, data_app)
    anonymous = data_client.get(PAGE)
    stored = len(cache)
    assert "Abmelden" not in anonymous.text
    login(data_client, "erika.k", PASSWORD)
    hits = cache.hits
    personal = data_client.get(PAGE)
    assert "Abmelden (Erika Mustermann)" in personal.text
    assert "etag" not in personal.headers
    assert personal.headers["cache-control"] == "no-store"
    assert cache.hits == hits and len(cache) == stored
    # Not stored either: a visitor without the cookie still gets the anonymous page.
    data_client.cookies.clear()
    again = data_client.get(PAGE)
    assert "Abmelden" not in again.text and again.content == anonymous.content


def test_routes_outside_the_list_are_not_cached(data_client: TestClient, data_app: FastAPI) -> None:
    cache = warm(data_client, data_app)
    for _ in range(2):
        assert data_client.get("/angebote").status_code == 200
        assert data_client.get("/downloads").status_code == 200
        assert data_client.get("/indikatoren/GIBTESNICHT").status_code == 404
    assert len(cache) == 0 and cache.hits == 0
    # The login form creates a CSRF token, so a session cookie: such an answer is never kept.
    assert data_client.get("/anmelden").headers.get("set-cookie")
    assert len(cache) == 0


@pytest.fixture
def own_data(web_data: WebDataset, tmp_path: Path) -> Path:
    """A writable copy of the Musterland data directory."""
    target = tmp_path / "daten"
    target.mkdir()
    shutil.copy(web_data.duckdb_path, target / "bimo.duckdb")
    (target / "bimo.duckdb").chmod(0o644)  # the shared dataset is read-only
    return target


@pytest.fixture
def own_client(own_data: Path, store: OperationalStore) -> Iterator[tuple[TestClient, FastAPI]]:
    app = create_app(
        WebSettings(secret_key=SECRET), core_settings=Settings(data_dir=own_data), store=store
    )
    with TestClient(app, follow_redirects=False) as client:
        yield client, app


def _change_regions(path: Path) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute("UPDATE regions SET name = 'Neuland' WHERE ebene = 'LAND'")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    # Some file systems keep the mtime within one tick: make the change visible for sure.
    later = time.time_ns() + 10**9
    os.utime(path, ns=(later, later))


def test_changed_data_invalidates_the_cache(
    own_client: tuple[TestClient, FastAPI], own_data: Path
) -> None:
    client, app = own_client
    cache = warm(client, app)
    url = "/api/v1/regionen?ebene=LAND"
    before = client.get(url)
    assert client.get(url).json() == before.json() and "Neuland" not in before.text
    assert cache.hits == 1 and len(cache) == 1
    _change_regions(own_data / "bimo.duckdb")
    # The first request after the change reloads the snapshot; every answer is the new one.
    answers = [client.get(url) for _ in range(3)]
    assert all(a.json()[0]["name"] == "Neuland" for a in answers)
    assert answers[-1].headers["etag"] != before.headers["etag"]
    # The new snapshot is cached in turn, and the old entry is gone.
    assert cache.hits == 2 and len(cache) == 1


def test_worker_start_loads_the_snapshot(own_data: Path, store: OperationalStore) -> None:
    path = own_data / "bimo.duckdb"
    assert snapshot_generation(path) is None  # a file no app has read yet
    app = create_app(
        WebSettings(secret_key=SECRET), core_settings=Settings(data_dir=own_data), store=store
    )
    with TestClient(app) as client:
        assert snapshot_generation(path) is not None  # before the first request
        first = client.get(API)
        assert "etag" in first.headers  # already stored: the first request was no reload
        client.get(API)
        assert cache_of(app).hits == 1


def test_setting_turns_the_cache_off(
    own_data: Path, store: OperationalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIMO_WEB_RESPONSE_CACHE", "0")
    app = create_app(
        WebSettings(secret_key=SECRET), core_settings=Settings(data_dir=own_data), store=store
    )
    with TestClient(app) as client:
        client.get(PAGE)
        response = client.get(PAGE)
        assert response.status_code == 200 and "etag" not in response.headers
        with pytest.raises(AssertionError):
            cache_of(app)


# --- the middleware on its own, around a small app ---------------------------------------------


def _toy_app(calls: list[str], generation: list[int | None], max_bytes: int = 10_000) -> Starlette:
    def page(request: Request) -> Response:
        calls.append("page")
        return PlainTextResponse(f"Seite {len(calls)}")

    def with_cookie(request: Request) -> Response:
        calls.append("cookie")
        response = PlainTextResponse("mit Keks")
        response.set_cookie("merkliste", "x")
        return response

    def no_store(request: Request) -> Response:
        calls.append("no_store")
        return PlainTextResponse("privat", headers={"Cache-Control": "no-store"})

    def missing(request: Request) -> Response:
        calls.append("missing")
        return PlainTextResponse("fehlt", status_code=404)

    def big(request: Request) -> Response:
        calls.append("big")
        return StreamingResponse(iter([b"a" * 1500] * 2), media_type="text/plain")

    def unlisted(request: Request) -> Response:
        calls.append("unlisted")
        return PlainTextResponse("nicht gelistet")

    app = Starlette(
        routes=[
            Route("/", page, name="startseite"),
            Route("/keks", with_cookie, name="impressum"),
            Route("/privat", no_store, name="datenschutz"),
            Route("/fehlt", missing, name="indikator"),
            Route("/gross", big, name="indikator_daten"),
            Route("/frei", unlisted, name="downloads"),
        ]
    )
    app.add_middleware(
        ResponseCacheMiddleware, generation=lambda: generation[0], max_bytes=max_bytes
    )
    app.add_middleware(FrameMiddleware)
    return app


def test_middleware_stores_only_plain_200_answers() -> None:
    calls: list[str] = []
    app = _toy_app(calls, [1])
    with TestClient(app) as client:
        for path in ("/keks", "/privat", "/fehlt", "/frei"):
            first, second = client.get(path), client.get(path)
            client.cookies.clear()
            assert first.text == second.text
        assert calls == ["cookie"] * 2 + ["no_store"] * 2 + ["missing"] * 2 + ["unlisted"] * 2
        assert len(cache_of(app)) == 0
        assert client.get("/").text == client.get("/").text == "Seite 9"
        assert len(cache_of(app)) == 1


def test_middleware_streams_big_answers_without_keeping_them() -> None:
    calls: list[str] = []
    app = _toy_app(calls, [1], max_bytes=8_000)  # entries up to 1,000 bytes
    with TestClient(app) as client:
        for _ in range(2):
            response = client.get("/gross")
            assert response.content == b"a" * 3000
        assert calls == ["big", "big"] and len(cache_of(app)) == 0


def test_middleware_bypasses_sessions_authorization_and_unknown_snapshots() -> None:
    calls: list[str] = []
    generation: list[int | None] = [1]
    app = _toy_app(calls, generation)
    with TestClient(app) as client:
        client.get("/")
        client.get("/", headers={"Cookie": "bimo_sitzung=abc"})
        client.get("/", headers={"Cookie": "__Host-bimo_sitzung=abc"})
        client.get("/", headers={"Authorization": "Bearer x"})
        assert client.post("/").status_code == 405
        assert len(calls) == 4
        assert cache_of(app).hits == 0
        client.get("/")
        assert len(calls) == 4 and cache_of(app).hits == 1
        generation[0] = None  # the file changed, no route has loaded it yet
        client.get("/")
        client.get("/")
        assert len(calls) == 6
        generation[0] = 2
        assert client.get("/").text == "Seite 7"
        assert client.get("/").text == "Seite 7" and len(calls) == 7


def test_lru_bound_evicts_the_least_recently_used() -> None:
    app = Starlette(
        routes=[Route("/{n}", lambda r: PlainTextResponse("x" * 400), name="api_region")]
    )
    app.add_middleware(ResponseCacheMiddleware, generation=lambda: 1, max_bytes=8 * 700)
    with TestClient(app) as client:
        for n in range(20):
            client.get(f"/{n}")
        cache = cache_of(app)
        assert 0 < len(cache) < 20 and cache.bytes <= cache.max_bytes
        client.get("/19")
        assert cache.hits == 1
        client.get("/0")
        assert cache.hits == 1
