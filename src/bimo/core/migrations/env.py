"""Alembic environment: runs the migrations on the connection BiMo hands over.

:func:`bimo.core.operational.upgrade_to_head` passes an open connection in
``config.attributes["connection"]``; the plain ``alembic`` command line (with
``sqlalchemy.url`` set) works too, as does offline SQL generation.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bimo.core.operational import create_operational_engine, load_models

config = context.config
target_metadata = load_models()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
elif (given := config.attributes.get("connection")) is not None:
    _run(given)
else:
    engine = create_operational_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()
