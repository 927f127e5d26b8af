"""Operational store: migrations, audit log and ``bimo db`` on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from bimo.cli import app
from bimo.core.config import get_settings
from bimo.core.errors import ConfigError
from bimo.core.operational import (
    OperationalDatabaseError,
    OperationalStore,
    alembic_config,
    create_operational_engine,
    current_revision,
    describe_url,
    head_revision,
    list_events,
    record_event,
    schema_differences,
    upgrade_to_head,
)
from bimo.testing import postgres as pg
from bimo.testing.postgres import PostgresCluster, PostgresUnavailable, pid_alive, skip_or_fail

runner = CliRunner()
AUDIT_COLUMNS = {"id", "occurred_at", "actor", "action", "object_type", "object_id", "details"}


def test_migrations_reach_head_and_match_models(operational_url: str) -> None:
    assert current_revision(operational_url) is None
    assert upgrade_to_head(operational_url) == head_revision()
    engine = create_operational_engine(operational_url)
    try:
        inspector = inspect(engine)
        assert "audit_events" in inspector.get_table_names()
        columns = {c["name"]: c for c in inspector.get_columns("audit_events")}
        assert set(columns) == AUDIT_COLUMNS
        assert columns["object_id"]["nullable"] and not columns["details"]["nullable"]
        assert schema_differences(engine) == []
        # Idempotent: a second upgrade is a no-op.
        assert upgrade_to_head(engine) == head_revision()
    finally:
        engine.dispose()


def test_schema_difference_is_detected(operational_url: str) -> None:
    upgrade_to_head(operational_url)
    engine = create_operational_engine(operational_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_audit_events_action"))
        kinds = [diff[0] for diff in schema_differences(engine)]
        assert kinds == ["add_index"]
    finally:
        engine.dispose()


def test_audit_events_round_trip(operational_url: str) -> None:
    base = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    one_hour_later_cet = (base + timedelta(hours=1)).astimezone(timezone(timedelta(hours=1)))
    with OperationalStore(operational_url, migrate=True) as store:
        record_event(
            "ingest.import", "student_years", "lieferung_2025.csv",
            details={"zeilen": 1200, "abgelehnt": 3, "spalten": ["schuljahr", "schulform"]},
            actor="tester", occurred_at=base, db=store,
        )  # fmt: skip
        record_event("privacy.pseudonymise", "lieferung", details={"datensaetze": 1200},
                     actor="tester", occurred_at=one_hour_later_cet, db=store)  # fmt: skip
        record_event("export.open_data", "indicators", db=store)

        events = list_events(db=store)
        assert [e.action for e in events] == [
            "ingest.import", "privacy.pseudonymise", "export.open_data"
        ]  # fmt: skip
        first = events[0]
        assert first.occurred_at == base and first.occurred_at.utcoffset() == timedelta(0)
        assert first.details == {
            "zeilen": 1200, "abgelehnt": 3, "spalten": ["schuljahr", "schulform"]
        }  # fmt: skip
        assert first.actor == "tester" and first.object_id == "lieferung_2025.csv"
        # A timestamp given in CET is stored and returned as the same instant in UTC.
        assert events[1].occurred_at == base + timedelta(hours=1)
        assert events[1].occurred_at.utcoffset() == timedelta(0)
        assert events[2].details == {} and events[2].actor  # default actor: the OS account

        assert [e.action for e in list_events(action="ingest.import", db=store)] == [
            "ingest.import"
        ]
        assert len(list_events(object_type="lieferung", db=store)) == 1
        assert len(list_events(object_id="lieferung_2025.csv", db=store)) == 1
        since = [e.action for e in list_events(since=base + timedelta(minutes=1), db=store)]
        assert since == ["privacy.pseudonymise", "export.open_data"]
        # limit keeps the newest events, oldest first.
        assert [e.action for e in list_events(limit=2, db=store)] == [
            "privacy.pseudonymise", "export.open_data"
        ]  # fmt: skip


def test_event_joins_caller_transaction(tmp_path: Path) -> None:
    with OperationalStore(f"sqlite:///{tmp_path / 'op.sqlite'}") as store:
        with pytest.raises(RuntimeError), store.session() as session:
            record_event("ingest.import", "schools", db=session)
            raise RuntimeError("Import abgebrochen")
        assert list_events(db=store) == []
        with store.session() as session:
            record_event("ingest.import", "schools", db=session)
        assert len(list_events(db=store)) == 1


@pytest.mark.parametrize(
    "details",
    [
        {"vorname": "Erika"},
        {"zeilen": 3, "fehler": [{"geburtsdatum": "2010-01-01"}]},
        {"pseudonym": "x"},
        {"beispiel": "a" * 64},
        {"beispiel": "Datensatz " + "0123456789abcdef" * 4 + " doppelt"},
        {"zeitpunkt": datetime(2026, 1, 1, tzinfo=UTC)},
    ],
)
def test_personal_data_is_refused(tmp_path: Path, details: dict[str, object]) -> None:
    with OperationalStore(f"sqlite:///{tmp_path / 'op.sqlite'}") as store:
        with pytest.raises(ValueError):
            record_event("ingest.import", "student_years", details=details, db=store)
        with pytest.raises(ValueError):
            record_event("Import!", "student_years", db=store)
        assert list_events(db=store) == []


def test_default_store_uses_settings_and_migrates_sqlite() -> None:
    event = record_event("ingest.import", "regions", details={"zeilen": 17})
    assert event.id is not None
    settings = get_settings()
    assert (settings.data_dir / "bimo.sqlite").exists()
    assert [e.details for e in list_events()] == [{"zeilen": 17}]
    # WAL mode and foreign keys on every connection.
    engine = create_operational_engine()
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_store_requires_explicit_upgrade(postgres_url: str) -> None:
    with pytest.raises(OperationalDatabaseError, match="bimo db upgrade"):
        OperationalStore(postgres_url)
    upgrade_to_head(postgres_url)
    with OperationalStore(postgres_url) as store:
        assert list_events(db=store) == []


def test_unreachable_database_gives_german_error(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://bimo:geheim@/bimo?host={tmp_path}"
    with pytest.raises(OperationalDatabaseError, match="nicht erreichbar") as info:
        upgrade_to_head(url)
    assert "geheim" not in str(info.value)
    assert "***" in describe_url(url)


@pytest.mark.parametrize(
    "url", ["kein-url", "postgresql+gibtsnicht://bimo:geheim@/bimo", "mysql+nope://x:geheim@h/d"]
)
def test_unusable_database_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="BIMO_DATABASE_URL") as info:
        create_operational_engine(url)
    assert "geheim" not in str(info.value)


def test_cli_upgrade_current_check(operational_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIMO_DATABASE_URL", operational_url)
    get_settings.cache_clear()
    head = head_revision()

    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 0, result.output
    assert "Stand: leer" in result.output and "veraltet" in result.output

    result = runner.invoke(app, ["db", "check", "--konfiguriert"])
    assert result.exit_code == 1 and "bimo db upgrade" in result.output

    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"von Stand leer auf {head} gebracht" in result.output
    assert current_revision(operational_url) == head

    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0 and f"bereits auf Stand {head}" in result.output

    result = runner.invoke(app, ["db", "current"])
    assert f"Stand: {head}" in result.output and "aktuell" in result.output

    for args in (["db", "check"], ["db", "check", "--konfiguriert"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "stimmen überein" in result.output


def test_postgres_cluster_cleans_up() -> None:
    try:
        cluster = PostgresCluster()
    except PostgresUnavailable as exc:  # the fixtures' rule: skip locally, fail in CI
        skip_or_fail(str(exc))
    with cluster:
        base, pid = cluster.base, cluster.pid
        assert base is not None and pid is not None
        name = cluster.create_database()
        assert name in cluster.databases()
        assert pid_alive(pid) and (base / ".s.PGSQL.5432").exists()
    assert not base.exists()
    assert not pid_alive(pid)
    assert cluster.base is None
    cluster.stop()  # idempotent


def test_find_pg_bin_prefers_newest_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for version in ("9.6", "15", "16"):
        bin_dir = tmp_path / version / "bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / "initdb").touch()
        (bin_dir / "pg_ctl").touch()
    (tmp_path / "17" / "bin").mkdir(parents=True)  # client-only install: no initdb
    monkeypatch.setattr(pg, "PG_ROOT", tmp_path)
    assert pg.find_pg_bin() == tmp_path / "16" / "bin"


def test_missing_binaries_skip_locally_and_fail_in_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pg, "PG_ROOT", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert pg.find_pg_bin() is None
    with pytest.raises(PostgresUnavailable, match="install-system-deps"):
        PostgresCluster()
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        skip_or_fail("keine Server-Programme")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI braucht PostgreSQL"):
        skip_or_fail("keine Server-Programme")


def test_alembic_command_line_paths(tmp_path: Path) -> None:
    """env.py also serves the plain ``alembic`` tooling: URL-only and offline SQL."""
    engine = create_operational_engine(f"sqlite:///{tmp_path / 'op.sqlite'}")
    try:
        buffer = io.StringIO()
        offline = alembic_config(engine)
        offline.output_buffer = buffer
        command.upgrade(offline, "head", sql=True)
        assert "CREATE TABLE audit_events" in buffer.getvalue()
        assert current_revision(engine) is None  # offline mode touched nothing

        command.upgrade(alembic_config(engine), "head")  # no connection handed over
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_ddl_is_transactional(operational_url: str) -> None:
    """A failing migration leaves nothing behind, on SQLite as well as on PostgreSQL."""
    engine = create_operational_engine(operational_url)
    try:
        with pytest.raises(RuntimeError), engine.begin() as conn:
            conn.execute(text("CREATE TABLE half_done (id INTEGER PRIMARY KEY)"))
            raise RuntimeError("Migration bricht ab")
        assert "half_done" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_begin_write_makes_read_then_write_transactions_safe(tmp_path: Path) -> None:
    from sqlalchemy import text as sql
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from bimo.core.operational import begin_write

    with OperationalStore(f"sqlite:///{tmp_path / 'b.sqlite'}") as store:
        with store.engine.begin() as conn:
            conn.execute(sql("CREATE TABLE zaehler (n INTEGER)"))
            conn.execute(sql("INSERT INTO zaehler VALUES (0)"))

        def bump(db: Session) -> None:
            db.execute(sql("UPDATE zaehler SET n = n + 1"))

        # Without it: A reads, B commits a write, A's write fails at once (no busy wait).
        with Session(store.engine) as a, Session(store.engine) as b:
            a.execute(sql("SELECT n FROM zaehler")).scalar()
            bump(b)
            b.commit()
            with pytest.raises(OperationalError, match="locked"):
                bump(a)
                a.commit()
        # With it: A is a writer from the start; B is the one that has to wait.
        with Session(store.engine) as a, Session(store.engine) as b:
            begin_write(a)
            a.execute(sql("SELECT n FROM zaehler")).scalar()
            b.execute(sql("PRAGMA busy_timeout=50"))
            with pytest.raises(OperationalError, match="locked"):
                bump(b)
            b.rollback()
            bump(a)
            a.commit()
        with Session(store.engine) as check:
            assert check.execute(sql("SELECT n FROM zaehler")).scalar() == 2
