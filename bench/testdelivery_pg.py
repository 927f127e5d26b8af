"""A throwaway PostgreSQL cluster for the test delivery benchmark (no pytest).

Unlike the test fixture (:mod:`bimo.testing.postgres`, which switches durability off for
speed), this cluster keeps PostgreSQL's durable defaults — ``fsync`` and
``synchronous_commit`` on — because an acknowledged answer must survive a crash: the benchmark
measures the write path as it would run in production. It listens on a Unix socket only and
is removed afterwards. As root the server binaries run as the ``postgres`` account.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

SUPERUSER = "postgres"


def find_pg_bin() -> Path | None:
    """Newest ``/usr/lib/postgresql/*/bin`` with ``initdb`` and ``pg_ctl``, else ``PATH``.

    (:func:`bimo.testing.postgres.find_pg_bin` does the same, but that module is a pytest
    plugin and imports pytest; the benchmark must run without it.)
    """
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found and (found[-1].parent / "initdb").exists():
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


class BenchPostgres:
    """``with BenchPostgres() as pg: pg.url`` — a durable socket-only cluster with one database."""

    def __init__(self) -> None:
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL-Serverprogramme (initdb, pg_ctl) nicht gefunden.")
        self.bin_dir = bin_dir
        self.owner = pwd.getpwnam(SUPERUSER) if os.geteuid() == 0 else None
        self.base = Path(tempfile.mkdtemp(prefix="bimo-bench-pg-", dir="/tmp"))
        self.url = f"postgresql+psycopg://{SUPERUSER}@/bimo?host={self.base}"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", SUPERUSER, "--"] if self.owner else []
        result = subprocess.run(
            [*prefix, *args], cwd=self.base, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name}: {result.stdout}{result.stderr}")

    def __enter__(self) -> BenchPostgres:
        if self.owner is not None:
            os.chown(self.base, self.owner.pw_uid, self.owner.pw_gid)
        data = self.base / "data"
        self._run(
            str(self.bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", SUPERUSER,
            "-E", "UTF8", "--locale=C", "--no-instructions",
        )  # fmt: skip
        options = f"-k {self.base} -c listen_addresses='' -c max_connections=200"
        self._run(
            str(self.bin_dir / "pg_ctl"), "-D", str(data), "-l", str(self.base / "server.log"),
            "-o", options, "-w", "-s", "start",
        )  # fmt: skip
        with psycopg.connect(
            host=str(self.base), user=SUPERUSER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute("CREATE DATABASE bimo")
        return self

    def server_pids(self) -> list[int]:
        """The postmaster and its backends (for CPU accounting)."""
        pid_file = self.base / "data" / "postmaster.pid"
        return [int(pid_file.read_text().split()[0])] if pid_file.exists() else []

    def __exit__(self, *exc: object) -> None:
        try:
            if (self.base / "data" / "postmaster.pid").exists():
                self._run(
                    str(self.bin_dir / "pg_ctl"), "-D", str(self.base / "data"),
                    "-m", "fast", "-w", "-s", "stop",
                )  # fmt: skip
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
