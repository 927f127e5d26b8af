"""Cache of complete responses to anonymous visitors, per snapshot of the analytic store.

The public portal pages and API reads depend only on the URL and the data snapshot
(:func:`bimo.web.data.portal_data`); rendering them costs milliseconds of Polars and Jinja
work, serving a stored copy costs microseconds. A pure ASGI middleware between
:class:`~bimo.web.logs.FrameMiddleware` (so every answer, also a cached one, gets fresh
security headers, a request id and an access-log line) and
:class:`~bimo.web.session.SessionMiddleware` (a hit skips cookie parsing, routing and the
route itself).

What is never cached: requests with a session cookie or an ``Authorization`` header, methods
other than GET, routes not listed in :data:`CACHEABLE_ROUTES` (the directory reads the
operational store, the downloads page the publication directory), responses other than 200,
responses that set a cookie (an anonymous page that created a CSRF token) or that say
``no-store``/``private``, and responses to a request whose principal turned out to be
logged in. Entries are keyed by the snapshot's generation, so a changed DuckDB file makes
every old entry unreachable; the whole cache is emptied when the generation changes.

At worker start-up (ASGI lifespan) the middleware also loads the snapshot (``warm``), so the
first visitors of a fresh worker neither wait for it nor miss the cache.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bimo.accounts.policy import Principal
from bimo.web.session import COOKIE_NAME

__all__ = ["CACHEABLE_ROUTES", "CachedResponse", "ResponseCache", "ResponseCacheMiddleware"]

# Routes whose anonymous answer is a function of (URL, HX-Request, data snapshot) only.
CACHEABLE_ROUTES: frozenset[str] = frozenset(
    {
        "startseite",
        "indikatoren",
        "indikator",
        "indikator_daten",
        "vergleich",
        "impressum",
        "datenschutz",
        "barrierefreiheit",
        "api_indikatoren",
        "api_indikator",
        "api_indikator_werte",
        "api_regionen",
        "api_region",
        "api_ziele",
    }
)
# Both cookie names (plain and __Host-) contain this; any such cookie means "maybe a user".
_SESSION_MARK = COOKIE_NAME.encode("ascii")
_PRINCIPAL_KEY = "bimo.principal"
_LOG = logging.getLogger("bimo.web")
# Request headers a cacheable route reads (htmx asks for one block of the page).
_VARYING = (b"hx-request",)
_VARY_VALUE = b"Cookie, HX-Request"
# Never stored: an entry may only differ from the answer the route would give by nothing.
_NOT_STORED = (b"set-cookie",)

# What a 304 repeats of the full answer (RFC 9110 15.4.5).
_REVALIDATION_HEADERS = (b"etag", b"vary", b"cache-control")

Key = tuple[int, bytes, bytes, bytes, bytes, tuple[bytes, ...]]


@dataclass(frozen=True, slots=True)
class CachedResponse:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    etag: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 64


class ResponseCache:
    """An LRU map bounded by total bytes; one per process and app (not thread-safe: it is
    only touched from the event loop)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        # One entry may take an eighth: a few big downloads cannot evict all pages.
        self.max_entry_bytes = max(1, max_bytes // 8)
        self.generation: int | None = None
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Key, CachedResponse] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def use_generation(self, generation: int) -> None:
        """Forget everything when the data snapshot changed."""
        if generation != self.generation:
            self.clear()
            self.generation = generation

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0

    def get(self, key: Key) -> CachedResponse | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: Key, entry: CachedResponse) -> None:
        if key[0] != self.generation or entry.size > self.max_entry_bytes:
            return  # computed on a snapshot replaced meanwhile, or too big
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old.size
        self._entries[key] = entry
        self.bytes += entry.size
        while self.bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.bytes -= evicted.size


def _anonymous_get(scope: Scope) -> bool:
    if scope["method"] != "GET":
        return False
    for name, value in scope["headers"]:
        if name == b"authorization" or (name == b"cookie" and _SESSION_MARK in value):
            return False
    return True


def _key(scope: Scope, generation: int) -> Key:
    headers = dict(scope["headers"])
    return (
        generation,
        scope.get("scheme", "http").encode("ascii"),
        headers.get(b"host", b""),
        (scope.get("root_path", "") + scope["path"]).encode(),
        scope.get("query_string", b""),
        tuple(headers.get(name, b"") for name in _VARYING),
    )


def _matches(if_none_match: bytes | None, etag: bytes) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(b",")]
    return b"*" in tags or any(t.removeprefix(b"W/") == etag for t in tags)


def _storable(scope: Scope, message: Message) -> bool:
    if message["status"] != 200 or scope.get("bimo.private"):
        return False
    route = scope.get("route")
    if getattr(route, "name", None) not in CACHEABLE_ROUTES:
        return False
    principal = scope.get(_PRINCIPAL_KEY)
    if isinstance(principal, Principal) and principal.authenticated:
        return False
    for name, value in message.get("headers", ()):
        lowered = name.lower()
        if lowered in _NOT_STORED:
            return False
        if lowered == b"cache-control" and (b"no-store" in value or b"private" in value):
            return False
    return True


class ResponseCacheMiddleware:
    """Serves stored answers to anonymous GETs and stores the cacheable ones (see module)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        generation: Callable[[], int | None],
        max_bytes: int,
        warm: Callable[[], object] | None = None,
    ) -> None:
        self.app = app
        self.generation = generation
        self.warm = warm
        self.cache = ResponseCache(max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" and self.warm is not None:
            await self.app(scope, self._warming(receive), send)
            return
        if scope["type"] != "http" or not _anonymous_get(scope):
            await self.app(scope, receive, send)
            return
        generation = self.generation()
        if generation is None:  # snapshot not loaded yet or the file changed: let a route load
            await self.app(scope, receive, send)
            return
        self.cache.use_generation(generation)
        key = _key(scope, generation)
        entry = self.cache.get(key)
        if entry is not None:
            await self._replay(scope, entry, send)
            return
        await self.app(scope, receive, self._recording(scope, key, send))

    def _warming(self, receive: Receive) -> Receive:
        """Load the data snapshot at worker start-up, before the worker takes requests:
        otherwise the first visitors of a fresh worker wait for it (seconds under load)."""
        warm = self.warm

        async def receive_and_warm() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup" and warm is not None:
                try:
                    await anyio.to_thread.run_sync(warm)
                except Exception as exc:  # a broken start must not stop the worker: the
                    # first request tries again and reports it
                    _LOG.warning("Datenstand beim Start nicht geladen: %s", type(exc).__name__)
            return message

        return receive_and_warm

    async def _replay(self, scope: Scope, entry: CachedResponse, send: Send) -> None:
        if_none_match = dict(scope["headers"]).get(b"if-none-match")
        if _matches(if_none_match, entry.etag):
            headers = [(k, v) for k, v in entry.headers if k in _REVALIDATION_HEADERS]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send(
            {"type": "http.response.start", "status": entry.status, "headers": list(entry.headers)}
        )
        await send({"type": "http.response.body", "body": entry.body})

    def _recording(self, scope: Scope, key: Key, send: Send) -> Send:
        """A ``send`` that holds back a storable answer until its body is complete."""
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        passing = False

        async def record(message: Message) -> None:
            nonlocal start, size, passing
            if passing:
                await send(message)
                return
            if message["type"] == "http.response.start":
                if _storable(scope, message):
                    start = message
                    return
                passing = True
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body: bytes = message.get("body", b"")
            chunks.append(body)
            size += len(body)
            if size > self.cache.max_entry_bytes:
                # Too big to keep: hand over what was held back and stream the rest.
                passing = True
                await send(start)
                await send(
                    {"type": "http.response.body", "body": b"".join(chunks), "more_body": True}
                )
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b""})
                return
            if message.get("more_body", False):
                return
            await self._finish(start, b"".join(chunks), key, send)

        return record

    async def _finish(self, start: Message, body: bytes, key: Key, send: Send) -> None:
        etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode("ascii") + b'"'
        headers = [
            (name, value)
            for name, value in start.get("headers", [])
            if name.lower() not in (b"etag", b"vary")
        ]
        headers += [(b"etag", etag), (b"vary", _VARY_VALUE)]
        if not any(name.lower() == b"cache-control" for name, _ in headers):
            # Stored by browsers, but revalidated (If-None-Match → 304) before every use.
            headers.append((b"cache-control", b"no-cache"))
        self.cache.put(key, CachedResponse(start["status"], tuple(headers), body, etag))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
