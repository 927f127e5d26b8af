"""Simulated students for the test delivery benchmark: one asyncio task per student.

A minimal HTTP/1.1 client over asyncio streams (keep-alive, cookies, Content-Length bodies)
instead of httpx or locust: 2,000 students at up to 2,000 answer changes per second must not
eat the CPU the server needs (client and server share the same two cores), and its per-request
cost is a few ten microseconds.

Each student behaves like ``player.js``: it enters its printed code (``GET /test`` for the
CSRF token, ``POST /test``), loads ``/test/api/stand``, and then every answer change goes into
its local queue first; a sender sends the whole queue (at most 200 changes, oldest first) to
``/test/api/antworten`` and drops what is acknowledged (``seq ≤ bestaetigt_bis``); a failed
request (connection lost, 409, 503) is retried with backoff, so nothing is ever dropped
unacknowledged. Answer changes arrive as an open-loop Poisson process over all students
(:meth:`Crowd.generate`): when the server is slow, changes pile up in the queues — as in a
real classroom — instead of the load generator slowing down with the server.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

_CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')
MAX_BATCH = 200
# A request without an answer after this long is sent again on a new connection (as the
# player's fetch would time out); safe because every request of the player is idempotent.
REQUEST_TIMEOUT = 30.0


class HttpError(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One keep-alive connection; reconnects (once per request) when the server closed it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.connects = 0

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.connects += 1

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> Response:
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        data = (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        for attempt in (0, 1):
            if self.writer is None:
                await self._open()
            assert self.reader is not None and self.writer is not None
            try:
                self.writer.write(data)
                return await asyncio.wait_for(self._read(), REQUEST_TIMEOUT)
            except (ConnectionError, asyncio.IncompleteReadError, OSError, TimeoutError):
                # An idle keep-alive connection the server closed meanwhile: reconnect and
                # send again (every request of the player is idempotent).
                self.close()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    async def _read(self) -> Response:
        assert self.reader is not None
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        cookies: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key] = rest.split(";", 1)[0]
            headers[name] = value
        if headers.get("transfer-encoding", "").lower() == "chunked":
            raise HttpError("chunked responses are not expected from this API")
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Response(status, headers, cookies, body)


@dataclass
class Stats:
    """Everything measured, with timestamps so that phases can be cut out afterwards."""

    request_log: list[tuple[float, float, int]] = field(default_factory=list)  # end, ms, status
    ack_log: list[tuple[float, float]] = field(default_factory=list)  # ack time, latency ms
    login_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


@dataclass
class Event:
    seq: int
    item: str
    value: Any
    created: float


class Student:
    def __init__(self, crowd: Crowd, code: str, items: list[str]) -> None:
        self.crowd, self.code, self.items = crowd, code, items
        self.conn = Connection(crowd.host, crowd.port)
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.next_seq = 1
        self.pending: list[Event] = []
        self.sent: dict[int, tuple[str, Any]] = {}  # every change made: seq → (item, value)
        self.acked = 0
        self.wake = asyncio.Event()
        self.ready = False
        self.failed: str | None = None

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {"Cookie": cookie, **(extra or {})} if cookie else dict(extra or {})

    async def _call(
        self, method: str, path: str, body: bytes = b"", extra: dict[str, str] | None = None
    ) -> Response:
        response = await self.conn.request(method, path, self._headers(extra), body)
        self.cookies.update(response.cookies)
        return response

    async def login(self) -> None:
        start = time.perf_counter()
        page = await self._call("GET", "/test")
        match = _CSRF.search(page.body)
        if page.status != 200 or match is None:
            raise HttpError(f"GET /test: {page.status}")
        self.csrf = match.group(1).decode()
        form = urllib.parse.urlencode({"code": self.code, "csrf_token": self.csrf}).encode()
        entered = await self._call(
            "POST", "/test", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if entered.status != 303 or "bimo_test" not in self.cookies:
            raise HttpError(f"POST /test: {entered.status} {entered.body[:200]!r}")
        state = await self._call("GET", "/test/api/stand", extra={"Accept": "application/json"})
        if state.status != 200:
            raise HttpError(f"GET /test/api/stand: {state.status}")
        self.next_seq = int(state.json()["letzte_seq"]) + 1
        self.crowd.stats.login_ms.append((time.perf_counter() - start) * 1000)
        self.ready = True

    def answer(self, now: float) -> None:
        """One answer change: into the local queue first, as the player does."""
        rng = self.crowd.rng
        item = rng.choice(self.items)
        kind = rng.random()
        value: Any
        if kind < 0.5:
            value = f"choice_{rng.randint(1, 4)}"
        elif kind < 0.7:
            value = sorted(rng.sample(["A", "B", "C", "D", "E"], rng.randint(1, 3)))
        elif kind < 0.9:
            value = str(rng.randint(0, 999))
        else:
            value = "Weil die Fläche " + "sehr " * rng.randint(0, 20) + "groß ist."
        event = Event(self.next_seq, item, value, now)
        self.next_seq += 1
        self.sent[event.seq] = (item, value)
        self.pending.append(event)
        self.wake.set()

    async def sender(self) -> None:
        backoff = 0.2
        while True:
            if not self.pending:
                if self.crowd.stopping:
                    return
                self.wake.clear()
                await self.wake.wait()
                continue
            batch = self.pending[:MAX_BATCH]
            body = json.dumps(
                {"events": [{"seq": e.seq, "item": e.item, "value": e.value} for e in batch]}
            ).encode()
            start = time.perf_counter()
            try:
                response = await self._call(
                    "POST", "/test/api/antworten", body,
                    {"Content-Type": "application/json", "Accept": "application/json",
                     "X-CSRF-Token": self.csrf},
                )  # fmt: skip
                status = response.status
            except (ConnectionError, asyncio.IncompleteReadError, OSError, HttpError) as exc:
                status = 0
                self.crowd.stats.errors[f"Verbindung: {type(exc).__name__}"] += 1
            end = time.perf_counter()
            self.crowd.stats.request_log.append((end, (end - start) * 1000, status))
            if status == 200:
                acked = int(response.json()["bestaetigt_bis"])
                keep = [e for e in self.pending if e.seq > acked]
                for e in self.pending:
                    if e.seq <= acked:
                        self.crowd.stats.ack_log.append((end, (end - e.created) * 1000))
                self.pending, self.acked, backoff = keep, max(self.acked, acked), 0.2
                continue
            if status:
                self.crowd.stats.errors[f"HTTP {status}"] += 1
            if status in (401, 403):
                self.failed = f"HTTP {status}"
                return
            await asyncio.sleep(backoff * (0.5 + self.crowd.rng.random()))
            backoff = min(backoff * 2, 3.0)


class Crowd:
    """All students, the answer generator and the phases."""

    def __init__(
        self, host: str, port: int, students: list[tuple[str, list[str]]], seed: int = 7
    ) -> None:
        self.host, self.port = host, port
        self.rng = random.Random(seed)
        self.stats = Stats()
        self.students = [Student(self, code, items) for code, items in students]
        self.stopping = False
        self.senders: list[asyncio.Task[None]] = []

    async def login_all(self, ramp_seconds: float) -> float:
        """Every student enters the code, spread over ``ramp_seconds`` (classes start together)."""
        start = time.perf_counter()

        async def one(student: Student, delay: float) -> None:
            await asyncio.sleep(delay)
            for attempt in range(5):
                try:
                    await student.login()
                    return
                except (ConnectionError, OSError, HttpError, asyncio.IncompleteReadError) as exc:
                    self.stats.errors[f"Anmeldung: {type(exc).__name__}"] += 1
                    student.conn.close()
                    await asyncio.sleep(0.5 * (attempt + 1))
            student.failed = "Anmeldung"

        n = len(self.students)
        await asyncio.gather(*(one(s, ramp_seconds * i / n) for i, s in enumerate(self.students)))
        self.senders = [asyncio.create_task(s.sender()) for s in self.students if s.ready]
        return time.perf_counter() - start

    async def generate(self, rate: float, seconds: float) -> tuple[float, float]:
        """Answer changes as a Poisson process of ``rate`` per second over all students."""
        active = [s for s in self.students if s.ready and s.failed is None]
        tick = 0.01
        start = time.perf_counter()
        next_tick = start
        while (now := time.perf_counter()) < start + seconds:
            for _ in range(_poisson(self.rng, rate * tick)):
                self.rng.choice(active).answer(now)
            next_tick += tick
            await asyncio.sleep(max(0.0, next_tick - time.perf_counter()))
        return start, time.perf_counter()

    async def drain(self, timeout: float) -> bool:
        """Stop generating and wait until every queue is acknowledged."""
        self.stopping = True
        for student in self.students:
            student.wake.set()
        _done, pending = await asyncio.wait(self.senders, timeout=timeout)
        for task in pending:
            task.cancel()
        for student in self.students:
            student.conn.close()
        return not pending

    def unacked(self) -> int:
        return sum(len(s.pending) for s in self.students)


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for the small means of one 10 ms tick.
    limit, k, p = pow(2.718281828459045, -mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k
