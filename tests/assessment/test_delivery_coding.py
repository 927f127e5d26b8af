"""Coding open answers: queue, two blind passes by different coders, Cohen's kappa."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from bimo.assessment.delivery import coding as c
from bimo.assessment.delivery import models as m
from bimo.assessment.delivery import sessions as s
from bimo.assessment.delivery.errors import DeliveryError
from bimo.assessment.delivery.samples import sample_test
from bimo.assessment.delivery.tests import BookletItem, booklet_items, get_test
from bimo.assessment.itembank import ItemBank, cohen_kappa
from bimo.core.operational import OperationalStore

T0 = datetime(2027, 5, 4, 8, 0, tzinfo=UTC)
OPEN = "M8_DEMO_006@v1"  # the third item of cluster 1 is an open answer
OPEN_2 = "M8_DEMO_012@v1"  # cluster 3


class Wave:
    """A store with the sample test (7 × 3 Youden square; items 6, 12, 18 open) and a helper
    to write answers directly, independent of the HTTP write path."""

    def __init__(self, store: OperationalStore, bank: ItemBank) -> None:
        self.store, self.bank = store, bank

    def session(self, n_codes: int) -> tuple[int, list[s.PrintedCode]]:
        with self.store.session() as db:
            created = s.create_session(
                db,
                test_key="M8-DEMO",
                schulnummer="123456",
                klasse="8a",
                n_codes=n_codes,
                actor="lehrkraft",
                now=T0,
            )
            s.open_session(db, created.session.id, "lehrkraft", now=T0)
            return created.session.id, created.codes

    def attempt(self, code: str) -> m.Attempt:
        with self.store.session() as db:
            return s.open_attempt(db, code, f"geraet-{code}", now=T0).attempt

    @staticmethod
    def answer(db: Session, attempt: m.Attempt, answers: list[tuple[str, object]]) -> None:
        test = s.attempt_test(db, attempt)
        blocks = {i.item_ref: i.block for i in booklet_items(test, attempt.booklet)}
        seq = attempt.last_seq
        for ref, value in answers:
            seq += 1
            db.add(
                m.TestResponse(
                    attempt_id=attempt.id,
                    seq=seq,
                    item_id=ref,
                    value=json.dumps(value),
                    block=blocks[ref],
                    received_at=T0 + timedelta(seconds=seq),
                )
            )
        fresh = db.get(m.Attempt, attempt.id)
        assert fresh is not None
        fresh.last_seq = seq
        db.flush()

    def finish(self, attempt_id: int, *, blocks_done: int = 3) -> None:
        with self.store.session() as db:
            attempt = db.get(m.Attempt, attempt_id)
            assert attempt is not None
            for block in range(blocks_done):
                s.next_block(db, attempt, now=T0 + timedelta(minutes=5), expected_block=block)
            s.submit_attempt(db, attempt, now=T0 + timedelta(minutes=6))

    def with_item(self, codes: list[s.PrintedCode], ref: str) -> list[s.PrintedCode]:
        """The codes whose booklet presents ``ref``."""
        return [p for p in codes if ref in {i.item_ref for i in self.items(p.booklet)}]

    def items(self, booklet: int) -> list[BookletItem]:
        with self.store.session() as db:
            return booklet_items(get_test(db, "M8-DEMO"), booklet)


@pytest.fixture
def wave(tmp_path: Path) -> Iterator[Wave]:
    with OperationalStore(f"sqlite:///{tmp_path / 'op.sqlite'}") as store:
        with store.session() as db:
            bank, _ = sample_test(db, tmp_path / "bank")
        yield Wave(store, bank)


@pytest.fixture
def any_wave(operational_url: str, tmp_path: Path) -> Iterator[Wave]:
    """The same on SQLite and on PostgreSQL."""
    with OperationalStore(operational_url, migrate=True) as store:
        with store.session() as db:
            bank, _ = sample_test(db, tmp_path / "bank")
        yield Wave(store, bank)


def _coded_pairs(wave: Wave, n: int, pairs: list[tuple[int, int]]) -> None:
    """``n`` submitted attempts answering OPEN, coded (pass 1, pass 2) as given."""
    _, codes = wave.session(7 * n)
    chosen = wave.with_item(codes, OPEN)[: len(pairs)]
    assert len(chosen) == len(pairs)
    for printed, (first, second) in zip(chosen, pairs, strict=True):
        attempt = wave.attempt(printed.code)
        with wave.store.session() as db:
            Wave.answer(db, attempt, [(OPEN, {"RESPONSE": f"Antwort {printed.label}"})])
        wave.finish(attempt.id)
        with wave.store.session() as db:
            c.record_coding(
                db, attempt_id=attempt.id, item_ref=OPEN, pass_no=1, score=first,
                coder="k1", bank=wave.bank,
            )  # fmt: skip
            c.record_coding(
                db, attempt_id=attempt.id, item_ref=OPEN, pass_no=2, score=second,
                coder="k2", bank=wave.bank,
            )  # fmt: skip


def test_queue_has_open_answers_of_submitted_attempts(wave: Wave) -> None:
    _, codes = wave.session(14)
    with_open = wave.with_item(codes, OPEN)
    done, running, empty = (wave.attempt(p.code) for p in with_open[:3])
    with wave.store.session() as db:
        Wave.answer(db, done, [(OPEN, {"RESPONSE": "erst"}), (OPEN, {"RESPONSE": "Weil 6·7=42"})])
        Wave.answer(db, running, [(OPEN, "läuft noch")])
        Wave.answer(db, empty, [(OPEN, {"RESPONSE": "  "})])
    wave.finish(done.id)
    wave.finish(empty.id)
    with wave.store.session() as db:
        assert c.open_item_refs(db, "M8-DEMO", wave.bank) == [OPEN, OPEN_2, "M8_DEMO_018@v1"]
        queue = c.coding_queue(db, "M8-DEMO", wave.bank, pass_no=1, coder="k1")
    assert [(t.attempt_id, t.item_ref, t.answer) for t in queue] == [
        (done.id, OPEN, "Weil 6·7=42")  # the final answer; empty and running ones are not coded
    ]
    assert queue[0].label.startswith("Platz ")
    # Blind coding: a task carries no code of the other pass.
    assert {f.name for f in fields(c.CodingTask)} == {
        "attempt_id", "session_id", "item_ref", "answer", "pass_no", "label"
    }  # fmt: skip


def test_two_passes_by_different_coders(any_wave: Wave) -> None:
    wave = any_wave
    _, codes = wave.session(7)
    printed = wave.with_item(codes, OPEN)[0]
    attempt = wave.attempt(printed.code)
    with wave.store.session() as db:
        Wave.answer(db, attempt, [(OPEN, "Antwort")])
    wave.finish(attempt.id)

    def code(pass_no: int, score: int, coder: str) -> m.Coding:
        with wave.store.session() as db:
            return c.record_coding(
                db, attempt_id=attempt.id, item_ref=OPEN, pass_no=pass_no, score=score,
                coder=coder, bank=wave.bank,
            )  # fmt: skip

    def queue(pass_no: int, coder: str) -> int:
        with wave.store.session() as db:
            return len(c.coding_queue(db, "M8-DEMO", wave.bank, pass_no=pass_no, coder=coder))

    with pytest.raises(DeliveryError, match="setzt eine Erstkodierung voraus"):
        code(2, 1, "k2")
    assert queue(2, "k2") == 0
    code(1, 1, "k1")
    assert queue(1, "k1") == 0 and queue(1, "k2") == 0
    assert queue(2, "k1") == 0 and queue(2, "k2") == 1  # nobody second-codes their own
    with pytest.raises(DeliveryError, match="verschiedenen Personen"):
        code(2, 1, "k1")
    with pytest.raises(DeliveryError, match="bereits von einer anderen Person"):
        code(1, 0, "k2")
    assert code(1, 2, "k1").score == 2  # a coder corrects their own code
    code(2, 0, "k2")
    assert queue(2, "k3") == 0
    with wave.store.session() as db:
        status = {st.item_ref: st for st in c.coding_status(db, "M8-DEMO", wave.bank)}
    assert (status[OPEN].answers, status[OPEN].pass1, status[OPEN].pass2) == (1, 1, 1)
    assert status[OPEN_2].answers == 0


def test_record_coding_refuses_what_cannot_be_coded(wave: Wave) -> None:
    _, codes = wave.session(7)
    printed = wave.with_item(codes, OPEN)[0]
    attempt = wave.attempt(printed.code)
    not_in_booklet = next(
        r for r in ("M8_DEMO_006@v1", "M8_DEMO_012@v1", "M8_DEMO_018@v1")
        if r not in {p.item_ref for p in wave.items(printed.booklet)}
    )  # fmt: skip
    auto = next(p.item_ref for p in wave.items(printed.booklet) if p.item_ref != OPEN)

    def code(**kw: object) -> None:
        args: dict[str, object] = {
            "attempt_id": attempt.id, "item_ref": OPEN, "pass_no": 1, "score": 1,
            "coder": "k1", "bank": wave.bank,
        } | kw  # fmt: skip
        with wave.store.session() as db:
            c.record_coding(db, **args)  # type: ignore[arg-type]

    with pytest.raises(DeliveryError, match="nur abgegebene"):
        code()
    with wave.store.session() as db:
        Wave.answer(db, attempt, [(OPEN, "x")])
    wave.finish(attempt.id)
    cases: list[tuple[dict[str, object], str]] = [
        ({"score": 3}, "0 bis 2"),
        ({"score": -1}, "0 bis 2"),
        ({"score": True}, "0 bis 2"),
        ({"pass_no": 3}, "Kodierdurchgang 3"),
        ({"attempt_id": 9999}, "keinen Testdurchgang"),
        ({"item_ref": not_in_booklet}, "gehört nicht zum Testheft"),
        ({"item_ref": auto}, "automatisch bewertet"),
    ]
    for kw, message in cases:
        with pytest.raises(DeliveryError, match=message):
            code(**kw)
    with pytest.raises(DeliveryError, match="keine offene Aufgabe"), wave.store.session() as db:
        c.coding_queue(db, "M8-DEMO", wave.bank, pass_no=1, coder="k", item_ref=auto)


def test_agreement_is_cohens_kappa(any_wave: Wave) -> None:
    wave = any_wave
    pairs = [(0, 0), (1, 1), (2, 2), (2, 1), (0, 0), (1, 1), (2, 2), (1, 0), (2, 2), (0, 1),
             (1, 1), (2, 2)]  # fmt: skip
    _coded_pairs(wave, 12, pairs)
    with wave.store.session() as db:
        result = c.agreement(db, "M8-DEMO")
        weighted = c.agreement(db, "M8-DEMO", weights="quadratic")
    assert [r.item_ref for r in result] == [OPEN]
    expected = cohen_kappa([a for a, _ in pairs], [b for _, b in pairs], categories=[0, 1, 2])
    row = result[0]
    assert row.n == 12 and row.kappa == pytest.approx(expected.kappa)
    assert row.observed_agreement == pytest.approx(9 / 12)
    assert (row.ci_low, row.ci_high) == pytest.approx((expected.ci_low, expected.ci_high))
    w = cohen_kappa([a for a, _ in pairs], [b for _, b in pairs], weights="quadratic",
                    categories=[0, 1, 2])  # fmt: skip
    assert weighted[0].kappa == pytest.approx(w.kappa)


def test_agreement_needs_enough_varied_double_codings(wave: Wave) -> None:
    _coded_pairs(wave, 3, [(1, 1), (2, 1), (0, 0)])
    with wave.store.session() as db:
        (row,) = c.agreement(db, "M8-DEMO")
    assert row.kappa is None and row.n == 3 and "zu wenige" in row.note
    assert row.observed_agreement == pytest.approx(2 / 3)
