"""Load benchmark of the test player's write path: 2,000 students on ``bimo serve --workers 2``.

For SQLite (the default operational database in the data directory) and for PostgreSQL (a
throwaway, *durable* cluster: :mod:`bench.testdelivery_pg`):

1. a test (8 clusters × 12 items, Youden rotation into 8 booklets of 2 blocks) and 80 class
   sessions × 25 printed codes are created with the domain functions
   (:func:`~bimo.assessment.delivery.sessions.create_session`, ``open_session``);
2. ``bimo serve --workers 2`` starts on loopback, exactly as in production (access log on);
3. 2,000 simulated students (:mod:`bench.testdelivery_client`, one asyncio task each) enter
   their code within the ramp time, load ``/test/api/stand`` and then send answer changes like
   ``player.js`` (queue first, send the queue, drop what is acknowledged, retry the rest);
4. phases: *realistic* (each student changes an answer every 15 s on average: 133 changes/s)
   and *capacity* steps of 250 … 2,000 changes/s (open loop: arrivals do not wait for the
   server; a slow server shows as queueing delay and as bigger batches);
5. afterwards every change a client made is compared with the database: each acknowledged
   change must be stored exactly once with its value (lost/duplicated = 0), and
   :func:`~bimo.assessment.delivery.responses.final_answers` must equal the last value the
   student gave per item.

Measured per phase: acknowledged answer writes/s, requests/s, latency from the answer change to
its acknowledgement (p50/p95/p99: includes queueing in the player) and per request, errors;
CPU seconds of server, database and load generator. Goal (issue #7): ≥ 1,000 acknowledged
writes/s with p99 < 100 ms on 2 cores. The load generator runs on the same cores.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.testdelivery_client import Crowd
from bench.testdelivery_pg import BenchPostgres
from bimo.assessment.delivery.codes import hash_secret, normalise_code
from bimo.assessment.delivery.design import rotation_design
from bimo.assessment.delivery.models import AccessCode, Attempt, TestDefinition, TestResponse
from bimo.assessment.delivery.responses import canonical_value, final_answers
from bimo.assessment.delivery.sessions import create_session, open_session
from bimo.assessment.delivery.tests import booklet_items
from bimo.core.operational import OperationalStore

GOAL_WRITES_PER_S = 1000
GOAL_P99_MS = 100.0
CLASS_SIZE = 25
N_CLUSTERS, ITEMS_PER_CLUSTER, POSITIONS = 8, 12, 2
TEST_KEY = "M8-LAST"
GC_DEFAULT = gc.get_threshold()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _prepare(url: str, n_students: int) -> list[tuple[str, list[str]]]:
    """Test, sessions and codes; returns (printed code, items of block 0) per student."""
    clusters = [
        [f"M8_c{c:02d}_i{i:02d}@v1" for i in range(ITEMS_PER_CLUSTER)] for c in range(N_CLUSTERS)
    ]
    students: list[tuple[str, list[str]]] = []
    with OperationalStore(url, migrate=True) as store, store.session() as db:
        # The item bank is not needed on the write path: the definition is inserted directly
        # (create_test would check every item against a bank).
        test = TestDefinition(
            key=TEST_KEY, title="Mathematik 8 (Last)", domain="Mathematik", grade=8,
            clusters=json.dumps(clusters),
            design=json.dumps(rotation_design(N_CLUSTERS, POSITIONS)),
            block_minutes=60, created_by="bench",
        )  # fmt: skip
        db.add(test)
        db.flush()
        for k in range((n_students + CLASS_SIZE - 1) // CLASS_SIZE):
            n = min(CLASS_SIZE, n_students - k * CLASS_SIZE)
            created = create_session(
                db, test_key=TEST_KEY, schulnummer=f"{100001 + k // 3}",
                klasse=f"8{'abc'[k % 3]}", n_codes=n, actor="bench",
            )  # fmt: skip
            open_session(db, created.session.id, "bench")
            for printed in created.codes:
                block0 = [i.item_ref for i in booklet_items(test, printed.booklet) if i.block == 0]
                students.append((printed.code, block0))
    return students


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 240  # slow on a busy 2-core machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Server beendet (Code {process.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"Server antwortet nicht:\n{log.read_text()[-3000:]}")


def _cpu(pids: list[int]) -> float:
    """CPU seconds of the processes and all their children (workers, database backends)."""
    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for proc in [root, *root.children(recursive=True)]:
                times = proc.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            continue
    return total


def _pct(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50_ms": float("nan"), "p95_ms": float("nan"), "p99_ms": float("nan")}
    p50, p95, p99 = np.percentile(np.asarray(values), [50, 95, 99])
    return {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "p99_ms": round(p99, 1)}


def _phase(
    crowd: Crowd, name: str, offered: float, start: float, end: float, cpu: dict[str, float]
) -> dict[str, Any]:
    seconds = end - start
    acks = [ms for t, ms in crowd.stats.ack_log if start <= t < end]
    requests = [(ms, status) for t, ms, status in crowd.stats.request_log if start <= t < end]
    ok = [ms for ms, status in requests if status == 200]
    server_cpu = cpu.get("server", 0.0) + cpu.get("postgresql", 0.0)
    return {
        "phase": name,
        "offered_writes_per_s": round(offered, 1),
        "seconds": round(seconds, 1),
        "acked_writes_per_s": round(len(acks) / seconds, 1),
        "requests_per_s": round(len(requests) / seconds, 1),
        "events_per_request": round(len(acks) / max(1, len(ok)), 2),
        "failed_requests": sum(1 for _ms, status in requests if status != 200),
        "ack_latency": _pct(acks),
        "request_latency": _pct(ok),
        "cpu_s": {key: round(value, 1) for key, value in cpu.items()},
        # CPU cost of the server side (web workers + database) per acknowledged write and per
        # request: robust against other load on the machine, unlike the rates above.
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, len(requests)), 2),
        "server_cpu_ms_per_write": round(1000 * server_cpu / max(1, len(acks)), 2),
        "load_avg_1min": round(os.getloadavg()[0], 1),
    }


def _verify(url: str, crowd: Crowd) -> dict[str, int]:
    """Compare what every client made with what the database holds."""
    sent = stored = lost = duplicated = wrong_final = unacked = 0
    with OperationalStore(url, migrate=False) as store, Session(store.engine) as db:
        attempts = {
            code_hash: attempt_id
            for code_hash, attempt_id in db.execute(
                select(AccessCode.code_hash, Attempt.id).join(
                    Attempt, Attempt.code_id == AccessCode.id
                )
            )
        }
        for student in crowd.students:
            attempt_id = attempts.get(hash_secret(normalise_code(student.code)))
            unacked += len(student.pending)
            if attempt_id is None:
                lost += len(student.sent)
                continue
            rows = db.execute(
                select(TestResponse.seq, TestResponse.item_id, TestResponse.value).where(
                    TestResponse.attempt_id == attempt_id
                )
            ).all()
            seen: dict[int, tuple[str, str]] = {}
            for seq, item, value in rows:
                if seq in seen:
                    duplicated += 1
                seen[seq] = (item, value)
            expected = {
                seq: (item, canonical_value(value)) for seq, (item, value) in student.sent.items()
            }
            sent += len(expected)
            stored += len(rows)
            acked = {seq for seq in expected if seq <= student.acked}
            lost += sum(1 for seq in acked if seen.get(seq) != expected[seq])
            duplicated += sum(1 for seq in seen if seq not in expected)
            last: dict[str, Any] = {}
            for seq in sorted(acked):
                last[student.sent[seq][0]] = student.sent[seq][1]
            if final_answers(db, attempt_id) != last:
                wrong_final += 1
    return {
        "answers_sent": sent,
        "rows_stored": stored,
        "lost": lost,
        "duplicated": duplicated,
        "unacknowledged_at_end": unacked,
        "attempts_with_wrong_final_answers": wrong_final,
    }


async def _drive(
    crowd: Crowd, plan: list[tuple[str, float, float]], ramp: float, cpu_pids: dict[str, list[int]]
) -> dict[str, Any]:
    def cpu_now() -> dict[str, float]:
        values = {name: _cpu(pids) for name, pids in cpu_pids.items()}
        values["lastgenerator"] = time.process_time()
        return values

    before = cpu_now()
    login_s = await crowd.login_all(ramp)
    after = cpu_now()
    ready = sum(1 for s in crowd.students if s.ready)
    phases: list[dict[str, Any]] = []
    for name, rate, seconds in plan:
        before = cpu_now()
        start, end = await crowd.generate(rate, seconds)
        after = cpu_now()
        cpu = {key: after[key] - before[key] for key in after}
        phases.append(_phase(crowd, name, rate, start, end, cpu))
    drained = await crowd.drain(timeout=120)
    return {
        "students_logged_in": ready,
        "login_s": round(login_s, 1),
        "login_latency": _pct(crowd.stats.login_ms),
        "phases": phases,
        "drained": drained,
        "errors": dict(crowd.stats.errors),
        "reconnects": sum(s.conn.connects for s in crowd.students) - ready,
    }


def _run_backend(backend: str, quick: bool) -> dict[str, Any]:
    n = 200 if quick else 2000
    ramp = 3.0 if quick else 20.0
    realistic = ("realistisch (1 Änderung je 15 s)", n / 15, 8.0 if quick else 60.0)
    steps = [200.0, 500.0] if quick else [250.0, 500.0, 1000.0, 1500.0, 2000.0]
    if os.environ.get("BIMO_BENCH_STEPS"):  # e.g. "1000" while tuning: only these steps
        steps = [float(x) for x in os.environ["BIMO_BENCH_STEPS"].split(",")]
    plan = [realistic, *((f"Kapazität {int(r)}/s", r, 5.0 if quick else 15.0) for r in steps)]
    with tempfile.TemporaryDirectory(prefix="bimo-bench-tests-") as tmp:
        data_dir = Path(tmp) / "daten"
        pg: AbstractContextManager[BenchPostgres | None] = (
            BenchPostgres() if backend == "postgresql" else nullcontext()
        )
        with pg as cluster:
            url = cluster.url if cluster else f"sqlite:///{data_dir / 'bimo.sqlite'}"
            started = time.perf_counter()
            students = _prepare(url, n)
            prepare_s = time.perf_counter() - started
            port = _free_port()
            env = {**os.environ, "BIMO_DATA_DIR": str(data_dir), "BIMO_DATABASE_URL": url}
            log_path = Path(tmp) / "server.log"
            with log_path.open("wb") as log:
                server = subprocess.Popen(
                    [str(Path(sys.executable).with_name("bimo")), "serve", "--host", "127.0.0.1",
                     "--port", str(port), "--workers", "2"],
                    env=env, stdout=log, stderr=subprocess.STDOUT,
                )  # fmt: skip
                try:
                    _wait_ready(f"http://127.0.0.1:{port}", server, log_path)
                    pids = {"server": [server.pid]}
                    if cluster:
                        pids["postgresql"] = cluster.server_pids()
                    crowd = Crowd("127.0.0.1", port, students)
                    # The load generator's own collector pauses would show up as server
                    # latency: the same settings as the server's workers.
                    gc.collect()
                    gc.freeze()
                    gc.set_threshold(20_000, 20, 100)
                    try:
                        driven = asyncio.run(_drive(crowd, plan, ramp, pids))
                    finally:
                        gc.unfreeze()
                        gc.set_threshold(*GC_DEFAULT)
                finally:
                    server.terminate()
                    server.wait(timeout=60)
            verified = _verify(url, crowd)
    return {"students": n, "prepare_s": round(prepare_s, 1), **driven, "check": verified}


def _meets_goal(result: dict[str, Any]) -> bool:
    for phase in result["phases"]:
        if (
            phase["offered_writes_per_s"] >= GOAL_WRITES_PER_S
            and phase["acked_writes_per_s"] >= 0.97 * GOAL_WRITES_PER_S
            and phase["ack_latency"]["p99_ms"] < GOAL_P99_MS
        ):
            return True
    return False


def run(quick: bool) -> dict[str, Any]:
    backends = os.environ.get("BIMO_BENCH_BACKENDS", "sqlite,postgresql").split(",")
    out: dict[str, Any] = {
        "goal": {"acked_writes_per_s": GOAL_WRITES_PER_S, "p99_ms": GOAL_P99_MS},
        "workers": 2,
    }
    for backend in backends:
        print(f"-- {backend}", flush=True)
        result = _run_backend(backend, quick)
        check = result["check"]
        result["zero_loss"] = check["lost"] == 0 and check["duplicated"] == 0
        result["meets_goal"] = _meets_goal(result)
        # The two halves of the goal separately: throughput alone (any phase), latency alone.
        result["reaches_goal_throughput"] = any(
            p["acked_writes_per_s"] >= GOAL_WRITES_PER_S for p in result["phases"]
        )
        result["best_p99_ms"] = min(p["ack_latency"]["p99_ms"] for p in result["phases"])
        out[backend] = result
    return out
