"""The operational store: a SQLAlchemy database for what the platform *does*.

The analytic store (:mod:`bimo.core.store`) holds the statistical data; this store holds the
running platform's own records: for now the audit log (``audit_events``), later users, test
sessions and survey answers. SQLite in the data directory by default, PostgreSQL in production
(``BIMO_DATABASE_URL=postgresql+psycopg://…``).

The schema is owned by Alembic migrations shipped inside the package
(:mod:`bimo.core.migrations`). To add a table: declare a model on :class:`Base` here (or in a
domain module that imports :class:`Base` and is imported by :func:`load_models`), then add a
migration file in ``bimo/core/migrations/versions/``; ``bimo db check`` fails until both agree.
"""

from __future__ import annotations

import getpass
import importlib
import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Index,
    MetaData,
    String,
    create_engine,
    event,
    make_url,
    select,
    text,
)
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

from bimo.core.config import Settings, get_settings
from bimo.core.errors import BimoError, ConfigError
from bimo.core.schemas import IDENTIFYING_COLUMNS

__all__ = [
    "MODEL_MODULES",
    "AuditEvent",
    "Base",
    "OperationalDatabaseError",
    "OperationalStore",
    "alembic_config",
    "begin_write",
    "create_operational_engine",
    "current_revision",
    "describe_url",
    "head_revision",
    "list_events",
    "load_models",
    "record_event",
    "schema_differences",
    "session_factory",
    "upgrade_to_head",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# Stable constraint names, so that migrations can refer to (and SQLite batch mode can recreate)
# constraints by name on every backend.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Modules that declare further models on :class:`Base`; later issues append theirs here so that
# migrations and ``bimo db check`` see every table.
MODEL_MODULES: tuple[str, ...] = (
    "bimo.accounts.models",
    "bimo.directory.models",
    "bimo.research.models",
    "bimo.surveys.models",
    "bimo.assessment.delivery.models",
)


class OperationalDatabaseError(BimoError):
    """The operational database cannot be reached or is not at the expected schema version."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp that is always UTC.

    PostgreSQL keeps the offset (``timestamptz``); SQLite has no timestamp type and returns naive
    values, so they are stored as UTC and marked as UTC again when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Zeitstempel ohne Zeitzone sind im Betriebsbestand nicht zulässig")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every operational model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class AuditEvent(Base):
    """One entry of the audit log; ``details`` never holds personal data (:func:`record_event`)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100), index=True)
    object_type: Mapped[str] = mapped_column(String(100))
    object_id: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    def __repr__(self) -> str:
        return (
            f"AuditEvent(id={self.id}, occurred_at={self.occurred_at.isoformat()}, "
            f"action={self.action!r}, object_type={self.object_type!r}, "
            f"object_id={self.object_id!r})"
        )


def load_models() -> MetaData:
    """Import every model module and return the complete metadata."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base.metadata


# --- engines and sessions -------------------------------------------------------------------


def _sqlite_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # Python's sqlite3 module opens transactions implicitly and only before DML, so DDL would
    # commit on its own and a failing migration could leave half a schema behind. Switch the
    # driver to autocommit and let SQLAlchemy emit BEGIN itself (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # SQLite ignores foreign keys unless asked; WAL lets readers work during a write (the web
    # app and a CLI import at the same time); busy_timeout waits instead of failing on a lock.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def begin_write(db: Session) -> None:
    """Take the write lock now, as the transaction's first statement (SQLite; a no-op on
    PostgreSQL, whose row locks do this job).

    SQLite starts a transaction as a reader; one that reads first and writes later (load the
    attempt, then hand it in) fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT,
    no busy wait) if another connection committed in between — under a test wave, all the
    time. A write statement first makes the transaction a writer from the start: concurrent
    writers then wait in the busy handler instead. (Not every transaction: a read-only one
    must not block writers, and sessions nested in one request would wait for each other.)
    """
    if db.get_bind().dialect.name == "sqlite":
        db.execute(text("UPDATE alembic_version SET version_num = version_num WHERE 0"))


def create_operational_engine(
    url: str | None = None, *, settings: Settings | None = None
) -> Engine:
    """An engine for ``url`` (default: ``Settings.resolved_database_url``).

    SQLite files get their directory created and WAL mode plus foreign keys switched on.
    """
    raw = url or (settings or get_settings()).resolved_database_url
    try:
        parsed = make_url(raw)
        if parsed.get_backend_name() != "sqlite":
            return create_engine(parsed, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError):
        # The URL may hold a password: name the setting, not the value.
        raise ConfigError(
            "BIMO_DATABASE_URL ist keine nutzbare Datenbank-URL (erwartet z. B. "
            "sqlite:///pfad/bimo.sqlite oder postgresql+psycopg://benutzer@host/datenbank)."
        ) from None
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects stay readable after commit: the CLI prints events it has just written.
    return sessionmaker(engine, expire_on_commit=False)


def describe_url(engine_or_url: Engine | str) -> str:
    """The database URL with any password masked (safe for messages and logs)."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.render_as_string(hide_password=True)


@contextmanager
def _engine(engine_or_url: Engine | str) -> Iterator[Engine]:
    if isinstance(engine_or_url, Engine):
        yield engine_or_url
        return
    engine = create_operational_engine(engine_or_url)
    try:
        yield engine
    finally:
        engine.dispose()


# --- migrations ---------------------------------------------------------------------------


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic configuration pointing at the migrations inside the installed package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError("no Alembic migrations found")
    return head


def _connection_error(engine: Engine, exc: OperationalError) -> OperationalDatabaseError:
    return OperationalDatabaseError(
        f"Die operative Datenbank {describe_url(engine)} ist nicht erreichbar oder nutzbar: "
        f"{str(exc.orig).strip().splitlines()[0] if exc.orig else exc}"
    )


def upgrade_to_head(engine_or_url: Engine | str, revision: str = "head") -> str | None:
    """Apply all migrations up to ``revision`` (default: the newest); returns the new revision."""
    with _engine(engine_or_url) as engine:
        config = alembic_config(engine)
        try:
            with engine.begin() as connection:
                # env.py runs the migrations on this connection, in this transaction.
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
        except OperationalError as exc:
            raise _connection_error(engine, exc) from exc
        return current_revision(engine)


def current_revision(engine_or_url: Engine | str) -> str | None:
    """The migration revision the database is at (``None``: no migrations applied)."""
    with _engine(engine_or_url) as engine:
        try:
            with engine.connect() as connection:
                return MigrationContext.configure(connection).get_current_revision()
        except OperationalError as exc:
            raise _connection_error(engine, exc) from exc


def schema_differences(engine_or_url: Engine | str) -> list[Any]:
    """Differences between the models and the database schema (empty: they agree).

    Run this on a database at head to check that the migrations produce what the models
    declare; the items are Alembic's autogenerate diff tuples.
    """
    metadata = load_models()
    with _engine(engine_or_url) as engine, engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": False}
        )
        diffs: list[Any] = compare_metadata(context, metadata)
        return diffs


# --- the store ----------------------------------------------------------------------------


class OperationalStore:
    """Engine + sessions of the operational database.

    Opening the default SQLite database applies pending migrations automatically (a local
    installation needs no admin step); any other database must be migrated explicitly with
    ``bimo db upgrade``, so a production schema never changes as a side effect of a command.
    """

    def __init__(
        self, engine_or_url: Engine | str | None = None, *, migrate: bool | None = None
    ) -> None:
        if isinstance(engine_or_url, Engine):
            self.engine = engine_or_url
        else:
            self.engine = create_operational_engine(engine_or_url)
        self._sessions = session_factory(self.engine)
        if migrate is None:
            migrate = self.engine.dialect.name == "sqlite"
        if migrate:
            upgrade_to_head(self.engine)
        else:
            self.require_head()

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> OperationalStore:
        return cls((settings or get_settings()).resolved_database_url)

    def require_head(self) -> None:
        current, head = current_revision(self.engine), head_revision()
        if current != head:
            raise OperationalDatabaseError(
                f"Die operative Datenbank {describe_url(self.engine)} ist auf Stand "
                f"{current or 'leer'}, erwartet wird {head}. Bitte zuerst `bimo db upgrade` "
                "ausführen."
            )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any exception."""
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> OperationalStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- audit log ----------------------------------------------------------------------------

_ACTION = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
# A pseudonym (or any other 256-bit hex digest) identifies a person across years.
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
_FORBIDDEN_KEYS = IDENTIFYING_COLUMNS | {"pseudonym", "pseudonym_key", "key", "schluessel"}


def _check_details(value: Any, path: str = "details") -> None:
    """Refuse anything that looks like personal data or key material in ``details``."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{path}: Schlüssel müssen Zeichenketten sein")
            if key.lower() in _FORBIDDEN_KEYS:
                raise ValueError(
                    f"{path}.{key}: personenbezogene Angaben gehören nicht ins Protokoll"
                )
            _check_details(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_details(item, f"{path}[{index}]")
    elif isinstance(value, str):
        if _HEX_DIGEST.search(value):
            raise ValueError(f"{path}: Pseudonyme oder Schlüssel gehören nicht ins Protokoll")
    elif not (value is None or isinstance(value, bool | int | float)):
        raise ValueError(f"{path}: {type(value).__name__} ist kein JSON-Wert")


def default_actor() -> str:
    """Who acts when no user is logged in: the operating-system account running ``bimo``."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unbekannt"


@contextmanager
def _session_for(db: Session | OperationalStore | None) -> Iterator[Session]:
    if isinstance(db, Session):
        yield db
        return
    store = db if db is not None else OperationalStore.from_settings()
    try:
        with store.session() as session:
            yield session
    finally:
        if db is None:
            store.close()


def record_event(
    action: str,
    object_type: str,
    object_id: str | None = None,
    *,
    details: Mapping[str, Any] | None = None,
    actor: str | None = None,
    occurred_at: datetime | None = None,
    db: Session | OperationalStore | None = None,
) -> AuditEvent:
    """Write one audit event.

    ``action`` is a dotted lower-case name (``ingest.import``, ``privacy.pseudonymise``);
    ``object_type``/``object_id`` name what was acted on (a table, a file name, an export).
    ``details`` holds counts and parameters only: keys naming identifying columns, pseudonyms
    and 64-hex strings are refused with :class:`ValueError`.

    With a :class:`Session` the event joins the caller's transaction (flushed, not committed);
    with a store or ``None`` (the configured database) it is committed at once.
    """
    if not _ACTION.fullmatch(action):
        raise ValueError(f"Ungültiger Aktionsname {action!r} (erwartet z. B. 'ingest.import')")
    try:
        payload = json.loads(json.dumps(dict(details or {})))  # a plain, detached JSON copy
    except (TypeError, ValueError) as exc:
        raise ValueError(f"details sind nicht als JSON darstellbar: {exc}") from exc
    _check_details(payload)
    if object_id is not None:
        _check_details(object_id, "object_id")
    event_ = AuditEvent(
        occurred_at=occurred_at or utcnow(),
        actor=actor or default_actor(),
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=payload,
    )
    with _session_for(db) as session:
        session.add(event_)
        session.flush()
    return event_


def list_events(
    *,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
    db: Session | OperationalStore | None = None,
) -> list[AuditEvent]:
    """Audit events in the order they happened, optionally filtered (``since`` is inclusive).

    With ``limit`` the *newest* ``limit`` events are returned (still oldest first).
    """
    query = select(AuditEvent)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if object_type is not None:
        query = query.where(AuditEvent.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEvent.object_id == object_id)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    query = query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    if limit is not None:
        query = query.limit(limit)
    with _session_for(db) as session:
        events = list(session.scalars(query))
    events.reverse()
    return events
