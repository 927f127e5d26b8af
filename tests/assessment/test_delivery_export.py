"""Export of scored responses: missing by design, not reached, unanswered, coded, invalid."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from bimo.assessment.delivery import coding as c
from bimo.assessment.delivery import sessions as s
from bimo.assessment.delivery.export import LONG_COLUMNS, export_wide
from bimo.assessment.delivery.samples import sample_items, sample_test
from bimo.assessment.delivery.tests import all_item_refs, get_test
from bimo.assessment.irt.data import read_responses
from bimo.core.operational import OperationalStore
from tests.assessment.test_delivery_coding import OPEN, T0, Wave


@pytest.fixture
def wave(operational_url: str, tmp_path: Path) -> Iterator[Wave]:
    """SQLite and PostgreSQL."""
    with OperationalStore(operational_url, migrate=True) as store:
        with store.session() as db:
            bank, _ = sample_test(db, tmp_path / "bank")
        yield Wave(store, bank)


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


SAMPLES = {f"{it.identifier}@v1": it for it in sample_items(21, prefix="M8_DEMO")}


def correct(ref: str) -> str | None:
    return SAMPLES[ref].correct


def is_open(ref: str) -> bool:
    return SAMPLES[ref].kind == "extended_text"


def test_export_scores_and_missing_values(wave: Wave, tmp_path: Path) -> None:
    session_id, codes = wave.session(14)
    full, partial, silent = codes[:3]
    a = wave.attempt(full.code)
    b = wave.attempt(partial.code)
    wave.attempt(silent.code)  # opened, never answered
    items_a = wave.items(full.booklet)
    block0 = [i.item_ref for i in items_a if i.block == 0]
    block1 = [i.item_ref for i in items_a if i.block == 1]
    block2 = [i.item_ref for i in items_a if i.block == 2]
    auto1 = [r for r in block1 if not is_open(r)]
    with wave.store.session() as db:
        answers: list[tuple[str, object]] = [
            (r, {"RESPONSE": "Ich habe gerechnet." if is_open(r) else correct(r)}) for r in block0
        ]
        # a wrong first answer, then the right one (final answer counts)
        answers += [(auto1[0], "Z"), (auto1[0], correct(auto1[0]))]
        answers += [(auto1[1], ["A", "B"])]  # wrong shape for a single-choice item: invalid
        Wave.answer(db, a, answers)
        b_block0 = [i.item_ref for i in wave.items(partial.booklet) if i.block == 0]
        Wave.answer(db, b, [(b_block0[0], correct(b_block0[0])), (b_block0[1], None)])
    wave.finish(a.id)  # a: all three blocks done
    with wave.store.session() as db:
        s.end_session(db, session_id, "lehrkraft", now=T0)  # b is still in block 0
        for ref in filter(is_open, block0):
            c.record_coding(
                db, attempt_id=a.id, item_ref=ref, pass_no=1, score=2, coder="k", bank=wave.bank
            )
        test = get_test(db, "M8-DEMO")
        result = export_wide(db, "M8-DEMO", wave.bank, tmp_path / "out" / "m8_antworten.csv")
    refs = all_item_refs(test)
    wide = read(result.wide)
    assert list(wide[0]) == ["id", *refs]
    rows = {r["id"]: r for r in wide}
    assert set(rows) == {f"A{a.id}", f"A{b.id}"}  # running codes and silent attempts are out
    assert result.without_answers == 1 and result.persons == 2 and result.items == 21
    ra, rb = rows[f"A{a.id}"], rows[f"A{b.id}"]
    in_booklet_a = {i.item_ref for i in items_a}
    for ref in refs:
        if ref not in in_booklet_a:
            assert ra[ref] == "", ref  # missing by design
    for ref in block0:
        assert ra[ref] == ("2" if is_open(ref) else "1"), ref
    assert ra[auto1[0]] == "1" and ra[auto1[1]] == "0"
    for ref in block1[2:] + block2:
        assert ra[ref] == "0", ref  # presented, unanswered → 0
    assert result.invalid == 1
    items_b = wave.items(partial.booklet)
    assert rb[items_b[0].item_ref] == ("" if is_open(items_b[0].item_ref) else "1")
    assert rb[items_b[1].item_ref] == "0"  # cleared answer
    for item in items_b[2:]:
        expected = "0" if item.block == 0 else ""  # blocks never reached: not presented
        assert rb[item.item_ref] == expected
    uncoded_b = int(is_open(items_b[0].item_ref))
    assert result.uncoded == uncoded_b
    assert result.scored == len(items_a) + sum(1 for i in items_b if i.block == 0) - uncoded_b
    assert result.not_presented == 2 * 21 - result.scored - uncoded_b
    # The reader of `bimo scale fit` takes the file as it is: empty = not administered (−1).
    data = read_responses(result.wide, strict=False)
    assert data.items == refs and data.ids == [f"A{a.id}", f"A{b.id}"]
    for j, ref in enumerate(refs):
        assert data.scores[0, j] == (int(ra[ref]) if ra[ref] else -1)
    long = read(result.long)
    assert result.long.name == "m8_positionen.csv"
    assert list(long[0]) == LONG_COLUMNS
    long_a = [r for r in long if r["id"] == f"A{a.id}"]
    assert [r["item"] for r in long_a] == [i.item_ref for i in items_a]
    assert [int(r["position"]) for r in long_a] == list(range(9))
    assert {r["testheft"] for r in long_a} == {str(full.booklet)}
    assert [r["block"] for r in long_a] == [str(i.block) for i in items_a]
    assert len([r for r in long if r["id"] == f"A{b.id}"]) == 3  # only block 0 was presented


def test_uncoded_open_answer_is_left_empty(wave: Wave, tmp_path: Path) -> None:
    _, codes = wave.session(7)
    printed = wave.with_item(codes, OPEN)[0]
    attempt = wave.attempt(printed.code)
    with wave.store.session() as db:
        Wave.answer(db, attempt, [(OPEN, "Text")])
    wave.finish(attempt.id)
    with wave.store.session() as db:
        result = export_wide(db, "M8-DEMO", wave.bank, tmp_path / "x.csv")
    (row,) = read(result.wide)
    assert row[OPEN] == "" and result.uncoded == 1
    assert result.long.name == "x_positionen.csv"
    with wave.store.session() as db:
        c.record_coding(
            db, attempt_id=attempt.id, item_ref=OPEN, pass_no=1, score=1, coder="k", bank=wave.bank
        )
        c.record_coding(
            db, attempt_id=attempt.id, item_ref=OPEN, pass_no=2, score=0, coder="j", bank=wave.bank
        )
        again = export_wide(db, "M8-DEMO", wave.bank, tmp_path / "x.csv")
    assert read(again.wide)[0][OPEN] == "1" and again.uncoded == 0  # pass 1 counts
