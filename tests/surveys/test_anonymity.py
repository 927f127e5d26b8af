"""Proofs that stored answers cannot be linked to a code, a client or a time finer than the
round — by inspecting every column of every survey table after real submissions, on SQLite
and PostgreSQL."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import DateTime, Engine, Time, text

from bimo.core.operational import OperationalStore, load_models
from bimo.surveys.rounds import (
    code_digest,
    normalize_code,
    open_round,
    shipped_instruments,
    submit_answers,
)

DAY = date(2026, 9, 14)
CLOSES = DAY + timedelta(days=10)
SURVEY_TABLES = {"survey_rounds", "survey_codes", "survey_answers"}
IP = re.compile(r"\b\d{1,3}(\.\d{1,3}){3}\b|[0-9a-f]{1,4}(:[0-9a-f]{0,4}){3,}", re.IGNORECASE)
CLIENT = re.compile(r"mozilla|chrome|safari|iphone|android|user.?agent", re.IGNORECASE)


@pytest.fixture
def store(operational_url: str) -> Iterator[OperationalStore]:
    with OperationalStore(operational_url, migrate=True) as s:
        yield s


def _sheets(n: int, seed: int = 0) -> list[dict[str, int | str | None]]:
    inst = shipped_instruments()["wohlbefinden"]
    out: list[dict[str, int | str | None]] = []
    for i in range(n):
        sheet: dict[str, int | str | None] = {
            iid: 1 + (i * 7 + j * 3 + seed) % 4 for j, iid in enumerate(inst.item_ids)
        }
        sheet["wb_offen"] = f"Antwort Nummer {i}"
        out.append(sheet)
    return out


def _run(
    store: OperationalStore, order: list[int], sheets: list[dict[str, Any]]
) -> tuple[list[str], list[str], list[set[str]]]:
    """Open a single-use round (two codes stay unused) and a class-code round; the ``i``-th
    student submits sheet ``order[i]`` on both, on different days. Returns the used codes, the
    unused codes and the answer ids of the round written, after each submission."""
    with store.session() as db:
        single = open_round(
            db,
            instrument_id="wohlbefinden",
            schulnummer="100001",
            klasse="8a",
            jahrgang=8,
            teacher="lehrkraft1",
            single_use=True,
            n_codes=len(order) + 2,
            closes_on=CLOSES,
            on=DAY,
        )
        klasse = open_round(
            db,
            instrument_id="wohlbefinden",
            schulnummer="100001",
            klasse="8b",
            jahrgang=8,
            teacher="lehrkraft2",
            single_use=False,
            n_codes=len(order),
            closes_on=CLOSES,
            on=DAY,
        )
    ids: list[set[str]] = []  # ids of the round just written, after each submission
    sql = "SELECT id FROM survey_answers WHERE round_id = :r"
    ids_round = {c: single.round.id for c in single.codes} | {klasse.codes[0]: klasse.round.id}
    for code, which in zip(single.codes, order, strict=False):
        for c in (code, klasse.codes[0]):
            with store.session() as db:
                submit_answers(db, c, sheets[which], on=DAY + timedelta(days=1 + which % 3))
            with store.engine.connect() as conn:
                ids.append({r[0] for r in conn.execute(text(sql), {"r": ids_round[c]})})
    used = [*single.codes[: len(order)], klasse.codes[0]]
    return used, single.codes[len(order) :], ids


def _dump(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every survey table and the audit log, every column."""
    names = sorted(SURVEY_TABLES | {"audit_events"})
    with engine.connect() as conn:
        return {
            name: [dict(row._mapping) for row in conn.execute(text(f"SELECT * FROM {name}"))]
            for name in names
        }


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)
    else:
        yield str(value)


def test_survey_tables_have_no_linking_columns() -> None:
    metadata = load_models()
    assert {c.name for c in metadata.tables["survey_answers"].columns} == {
        "id",
        "round_id",
        "answers",
    }
    for name in SURVEY_TABLES:
        for column in metadata.tables[name].columns:
            # Dates only: a time of day would order or pin down submissions.
            assert not isinstance(column.type, DateTime | Time), (name, column.name)
            assert column.autoincrement is not True or name == "survey_rounds"
            assert not re.search(
                r"(^|_)(ip|addr|agent|client|time|zeit|at|seq|order)($|_)", column.name
            ), (name, column.name)
    answers = metadata.tables["survey_answers"]
    assert answers.c.id.autoincrement is not True
    assert answers.dialect_options["sqlite"]["with_rowid"] is False


def test_no_stored_answer_can_be_linked_to_code_client_or_time(store: OperationalStore) -> None:
    sheets = _sheets(7)
    used, unused, _ = _run(store, list(range(7)), sheets)
    class_digest = code_digest(used[-1])
    consumed = {code_digest(c) for c in used[:-1]}
    clear = {normalize_code(c) for c in [*used, *unused]} | set(used) | set(unused)
    dump = _dump(store.engine)

    # 1. No clear code anywhere; no digest of a consumed single-use code anywhere (audit log
    #    included). What is left in survey_codes: the unused codes and the class code, which
    #    the whole class shares.
    for table, rows in dump.items():
        for row in rows:
            for value in _strings(row):
                assert not any(c in value for c in clear), table
                assert not any(d in value for d in consumed), table
    assert {r["code_hash"] for r in dump["survey_codes"]} == {class_digest} | {
        code_digest(c) for c in unused
    }

    # 2. An answer row is a random id, the round and the answers — nothing else.
    answer_rows = dump["survey_answers"]
    assert len(answer_rows) == 14
    for row in answer_rows:
        assert set(row) == {"id", "round_id", "answers"}
        assert re.fullmatch(r"[0-9a-f]{32}", row["id"])
        assert set(_answers(row)) <= set(sheets[0])
    assert len({r["id"] for r in answer_rows}) == 14

    # 3. No time finer than the round, no client data: the only dates in the survey tables
    #    are the round's opening and closing day; the days of the submissions appear nowhere.
    submission_days = {(DAY + timedelta(days=d)).isoformat() for d in (1, 2, 3)}
    for table in SURVEY_TABLES:
        for row in dump[table]:
            for column, value in row.items():
                for s in _strings(value):
                    assert not CLIENT.search(s), (table, column)
                    assert not any(d in s for d in submission_days), (table, column)
                    if column not in {"answers", "id", "code_hash"}:
                        assert not IP.search(s), (table, column)
    for row in dump["survey_rounds"]:
        assert {_day(row["opened_on"]), _day(row["closes_on"])} == {DAY, CLOSES}
        assert row["closed_on"] is None

    # 4. Submissions leave no trace in the audit log (it has timestamps).
    assert sorted(e["action"] for e in dump["audit_events"]) == ["survey.open", "survey.open"]


def test_answer_ids_are_fresh_after_every_submission(store: OperationalStore) -> None:
    _, _, ids = _run(store, list(range(5)), _sheets(5))
    # Every submission rewrites the round's rows with new random ids: no id survives, so a
    # row cannot be followed from one look at the database to the next.
    for before, after in itertools.pairwise(ids[0::2]):  # the single-use round
        assert len(after) == len(before) + 1
        assert not before & after
    for before, after in itertools.pairwise(ids[1::2]):  # the class-code round
        assert not before & after


def test_storage_order_and_transaction_ids_reveal_nothing(store: OperationalStore) -> None:
    _run(store, list(range(6)), _sheets(6))
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "sqlite":
            # No implicit rowid (which would count up in submission order).
            with pytest.raises(Exception, match="rowid"):
                conn.execute(text("SELECT rowid FROM survey_answers"))
            # A full scan returns the rows in storage order, which is the random key's order.
            scan = conn.execute(text("SELECT id, answers FROM survey_answers NOT INDEXED"))
            keys = [r[0] for r in scan]
            assert len(keys) == 12 and keys == sorted(keys)
        else:
            # PostgreSQL stamps each row with the writing transaction: all rows of a round
            # carry the same one (the last submission's), so xmin orders nothing.
            rows = conn.execute(
                text("SELECT round_id, count(DISTINCT xmin::text) FROM survey_answers GROUP BY 1")
            )
            assert {int(r[1]) for r in rows} == {1}


def test_stored_state_does_not_depend_on_who_answered_what(
    store: OperationalStore,
) -> None:
    """Two runs in which the codes hand in the same sheets in different assignments leave the
    same database (up to the random answer ids and the codes themselves): nothing stored can
    tell which code gave which answer."""
    sheets = _sheets(6, seed=1)
    states = []
    for order in ([0, 1, 2, 3, 4, 5], [5, 3, 1, 0, 4, 2]):
        _run(store, order, sheets)
        states.append(_normalised(_dump(store.engine)))
        with store.session() as db:
            for table in ("survey_answers", "survey_codes", "survey_rounds", "audit_events"):
                db.execute(text(f"DELETE FROM {table}"))
    assert states[0] == states[1]


def _normalised(dump: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    rounds = sorted(dump["survey_rounds"], key=lambda r: r["id"])
    ordinal = {r["id"]: i for i, r in enumerate(rounds)}
    return {
        "rounds": [{k: str(v) for k, v in r.items() if k != "id"} for r in rounds],
        "answers": Counter(
            (ordinal[r["round_id"]], repr(sorted(_answers(r).items())))
            for r in dump["survey_answers"]
        ),
        "codes": Counter((ordinal[r["round_id"]], r["reusable"]) for r in dump["survey_codes"]),
        "audit": sorted(
            (e["action"], e["actor"], e["object_type"], str(e["details"]))
            for e in dump["audit_events"]
        ),
    }


def _answers(row: dict[str, Any]) -> dict[str, Any]:
    value = row["answers"]
    parsed: dict[str, Any] = value if isinstance(value, dict) else json.loads(value)
    return parsed


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
