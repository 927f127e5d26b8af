"""A throwaway PostgreSQL cluster for tests (pytest plugin).

Enable with ``pytest_plugins = ["bimo.testing.postgres"]``. Fixtures:

* ``postgres_cluster`` (session): a socket-only cluster in a temporary directory, started in
  about a second (no fsync, no TCP port) and always stopped and removed at the end. With
  pytest-xdist every worker process starts its own cluster.
* ``postgres_url``: a fresh, empty database on that cluster for one test, as a SQLAlchemy URL
  ``postgresql+psycopg://postgres@/DB?host=DIR``; dropped afterwards.
* ``operational_url``: parametrised over ``sqlite`` and ``postgresql`` for tests that must pass
  on both backends of the operational store.

PostgreSQL refuses to run as root, so as root the server binaries run as the ``postgres``
account (``runuser``). Without server binaries the PostgreSQL tests are skipped locally and fail
when the ``CI`` environment variable is set (CI must not silently test less).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest
from psycopg import sql

PG_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"
# Unix socket paths are limited to 107 bytes; the socket file name adds 16.
_MAX_SOCKET_DIR = 80


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries (or no account to run them as)."""


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.parent.name))


def find_pg_bin() -> Path | None:
    """Directory with ``initdb`` and ``pg_ctl``: newest ``/usr/lib/postgresql/*/bin``, else PATH."""
    candidates = sorted(PG_ROOT.glob("*/bin/initdb"), key=_version_key)
    for initdb in reversed(candidates):
        if (initdb.parent / "pg_ctl").exists():
            return initdb.parent
    initdb_path, pg_ctl_path = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb_path and pg_ctl_path and Path(initdb_path).parent == Path(pg_ctl_path).parent:
        return Path(initdb_path).parent
    return None


def pid_alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            # Field 3 is the state; a zombie ("Z") has exited but not been reaped yet.
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PostgresCluster:
    """One socket-only PostgreSQL cluster in a temporary directory.

    ``base`` holds the socket and the log; ``base/data`` is the data directory.
    """

    def __init__(self, bin_dir: Path | None = None) -> None:
        found = bin_dir or find_pg_bin()
        if found is None:
            raise PostgresUnavailable(
                "PostgreSQL-Serverprogramme (initdb, pg_ctl) nicht gefunden: "
                "`bash scripts/install-system-deps.sh` installiert sie."
            )
        self.bin_dir = found
        self._as_root = os.geteuid() == 0
        if self._as_root:
            try:
                self._owner: pwd.struct_passwd | None = pwd.getpwnam(SUPERUSER)
            except KeyError as exc:
                raise PostgresUnavailable(
                    "PostgreSQL läuft nicht als root, und es gibt kein Konto 'postgres'."
                ) from exc
        else:
            self._owner = None
        self.base: Path | None = None
        self.pid: int | None = None
        self._names = itertools.count(1)

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        if self.base is None:
            raise RuntimeError("cluster not started")
        return self.base / "data"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", SUPERUSER, "--"] if self._as_root else []
        result = subprocess.run(
            [*prefix, *args],
            cwd=self.base,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            log = self.base / "server.log" if self.base else None
            tail = log.read_text()[-2000:] if log and log.exists() else ""
            raise RuntimeError(
                f"{Path(args[0]).name} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{tail}"
            )

    def start(self) -> None:
        tmp = tempfile.gettempdir()
        self.base = Path(
            tempfile.mkdtemp(prefix="bimo-pg-", dir=tmp if len(tmp) < _MAX_SOCKET_DIR else "/tmp")
        )
        atexit.register(self.stop)
        if self._owner is not None:
            os.chown(self.base, self._owner.pw_uid, self._owner.pw_gid)
        bin_ = self.bin_dir
        self._run(
            str(bin_ / "initdb"), "-D", str(self.data_dir), "-A", "trust", "-U", SUPERUSER,
            "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
        )  # fmt: skip
        # Throwaway data: durability off for speed; no TCP port, so parallel clusters
        # (one per xdist worker) never collide.
        options = (
            f"-k {self.base} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(bin_ / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.base / "server.log"),
            "-o", options, "-w", "-s", "start",
        )  # fmt: skip
        self.pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        """Stop the server and delete the directory (idempotent)."""
        if self.base is None:
            return
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run(
                    str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir),
                    "-m", "immediate", "-w", "-s", "stop",
                )  # fmt: skip
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None
            atexit.unregister(self.stop)

    def __enter__(self) -> PostgresCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- databases ------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of ``database`` on this cluster (psycopg 3 over the Unix socket)."""
        if self.base is None:
            raise RuntimeError("cluster not started")
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.base}"

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(host=str(self.base), user=SUPERUSER, dbname="postgres",
                               autocommit=True)  # fmt: skip

    def create_database(self, name: str | None = None) -> str:
        name = name or f"t{os.getpid()}_{next(self._names)}"
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        with self._admin() as conn:
            # FORCE: a test that forgot to dispose its engine must not block the cleanup.
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def databases(self) -> set[str]:
        with self._admin() as conn:
            rows = conn.execute("SELECT datname FROM pg_database WHERE NOT datistemplate")
            return {str(row[0]) for row in rows}


# --- pytest fixtures ------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: needs the throwaway PostgreSQL cluster")


def skip_or_fail(reason: str) -> NoReturn:
    """Skip a test that needs PostgreSQL, or fail it when running in CI."""
    if os.environ.get("CI"):
        pytest.fail(f"CI braucht PostgreSQL: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A running throwaway cluster for this test process (one per xdist worker)."""
    try:
        cluster = PostgresCluster()
    except PostgresUnavailable as exc:
        skip_or_fail(str(exc))
    with contextlib.ExitStack() as stack:
        stack.callback(cluster.stop)  # also when start() fails half-way
        cluster.start()
        yield cluster


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """A fresh, empty database for one test (dropped afterwards)."""
    name = postgres_cluster.create_database()
    try:
        yield postgres_cluster.url(name)
    finally:
        postgres_cluster.drop_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def operational_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty operational database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'operational.sqlite'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
