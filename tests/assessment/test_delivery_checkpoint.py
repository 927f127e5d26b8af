"""SQLite: the answer writer never checkpoints inside its commits; a thread beside it does.

A checkpoint inside the commit held the write gate and the acknowledgements of the whole
batch for tens of milliseconds (the p99 of the answer path, docs/benchmarks.md).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker

from bimo.assessment.delivery import answer_writer
from bimo.assessment.delivery.answer_writer import submit_write
from bimo.assessment.delivery.responses import AnswerEvent, AnswerWrite, final_answers
from bimo.core.operational import create_operational_engine, upgrade_to_head
from tests.assessment.test_delivery_responses import _seed


def test_the_writer_leaves_checkpoints_to_its_checkpointer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(answer_writer, "CHECKPOINT_SECONDS", 0.02)
    monkeypatch.setattr(answer_writer, "CHECKPOINT_WAL_BYTES", 1)
    engine = create_operational_engine(f"sqlite:///{tmp_path / 'op.sqlite'}")
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    try:
        upgrade_to_head(engine)
        sessions = sessionmaker(engine, expire_on_commit=False)
        with sessions.begin() as session:
            attempt_id = _seed(session, "w")
        futures = [
            submit_write(
                engine, AnswerWrite([AnswerEvent(seq, "a@v1", seq)], attempt_id=attempt_id)
            )
            for seq in range(1, 41)
        ]
        assert [f.result(timeout=60).result.stored for f in futures] == [1] * 40
        deadline = time.monotonic() + 10
        while not any("wal_checkpoint(PASSIVE)" in s for s in statements):
            assert time.monotonic() < deadline, "kein Checkpoint neben dem Schreiber"
            time.sleep(0.02)
        assert "PRAGMA wal_autocheckpoint=0" in statements
        with sessions() as session:
            assert final_answers(session, attempt_id) == {"a@v1": 40}
    finally:
        engine.dispose()
