"""Coding open answers: two independent passes and coder agreement (Cohen's kappa).

Open answers (items without automatic scoring: extended text, text entry without a correct
response) of *submitted* attempts are coded by people with a code 0 … :data:`MAX_CODE`
(0 = nicht gelöst, 1 = teilweise, 2 = vollständig gelöst). Pass 1 codes every answer; pass 2 is
the independent second coding of answers a *different* coder coded in pass 1, used to
measure agreement. Coders are blind: a task never shows the other pass's code, and nobody
codes the same answer twice. An empty answer needs no coding (it scores 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bimo.assessment.itembank import ItemBank, ScoringError, cohen_kappa

from .answers import ItemCache, answer_text, final_answers_of, is_empty
from .errors import DeliveryError
from .models import AccessCode, Attempt, AttemptStatus, Coding, TestDefinition, TestSession
from .tests import all_item_refs, booklet_items, get_test

__all__ = [
    "MAX_CODE",
    "CodingStatus",
    "CodingTask",
    "ItemAgreement",
    "agreement",
    "coding_queue",
    "coding_status",
    "open_item_refs",
    "record_coding",
]

MAX_CODE = 2
MIN_KAPPA_N = 10  # below this many double codings kappa is reported as not estimable


@dataclass(frozen=True)
class CodingTask:
    """One open answer to code (``label`` is the printed seat label, never a name)."""

    attempt_id: int
    session_id: int
    item_ref: str
    answer: str
    pass_no: int
    label: str


@dataclass(frozen=True)
class ItemAgreement:
    """Agreement of pass 1 and pass 2 on one item; ``kappa`` is ``None`` when not estimable
    (fewer than :data:`MIN_KAPPA_N` double codings, or both coders used a single code)."""

    item_ref: str
    n: int
    kappa: float | None
    ci_low: float | None
    ci_high: float | None
    observed_agreement: float | None
    note: str = ""


@dataclass(frozen=True)
class CodingStatus:
    item_ref: str
    answers: int  # non-empty final answers of submitted attempts
    pass1: int
    pass2: int


def open_item_refs(db: Session, test_key: str, bank: ItemBank) -> list[str]:
    """The test's items that are coded by people, in test order."""
    cache = ItemCache(bank)
    return [ref for ref in all_item_refs(get_test(db, test_key)) if cache.is_open(ref)]


def _submitted(db: Session, test_id: int, session_id: int | None) -> list[tuple[Attempt, str]]:
    query = (
        select(Attempt, AccessCode.label)
        .join(TestSession, TestSession.id == Attempt.session_id)
        .join(AccessCode, AccessCode.id == Attempt.code_id)
        .where(TestSession.test_id == test_id, Attempt.status == AttemptStatus.ABGEGEBEN.value)
        .order_by(Attempt.id)
    )
    if session_id is not None:
        query = query.where(Attempt.session_id == session_id)
    return [(a, label) for a, label in db.execute(query).all()]


def _open_answers(
    db: Session, test_key: str, bank: ItemBank, session_id: int | None, item_ref: str | None
) -> list[tuple[Attempt, str, str, str]]:
    """(attempt, label, item_ref, answer text) of every non-empty open answer."""
    test = get_test(db, test_key)
    open_refs = set(open_item_refs(db, test_key, bank))
    if item_ref is not None:
        if item_ref not in open_refs:
            raise DeliveryError(
                f"Aufgabe {item_ref} ist keine offene Aufgabe des Tests {test_key}."
            )
        open_refs = {item_ref}
    attempts = _submitted(db, test.id, session_id)
    answers = final_answers_of(db, [a.id for a, _ in attempts], open_refs)
    out = []
    for attempt, label in attempts:
        for booklet_item in booklet_items(test, attempt.booklet):
            ref = booklet_item.item_ref
            if ref not in open_refs:
                continue
            value = answers[attempt.id].get(ref)
            if value is None or is_empty(value):
                continue
            out.append((attempt, label, ref, answer_text(value)))
    return out


def _codings(db: Session, attempt_ids: list[int]) -> dict[tuple[int, str, int], Coding]:
    out: dict[tuple[int, str, int], Coding] = {}
    for start in range(0, len(attempt_ids), 500):
        chunk = attempt_ids[start : start + 500]
        for coding in db.scalars(select(Coding).where(Coding.attempt_id.in_(chunk))):
            out[(coding.attempt_id, coding.item_id, coding.pass_no)] = coding
    return out


def coding_queue(
    db: Session,
    test_key: str,
    bank: ItemBank,
    *,
    pass_no: int,
    coder: str,
    session_id: int | None = None,
    item_ref: str | None = None,
    limit: int | None = None,
) -> list[CodingTask]:
    """Open answers still to code by ``coder`` in ``pass_no``, item by item (coding one item
    across students at a time keeps a coder's standard steady)."""
    _check_pass(pass_no)
    answers = _open_answers(db, test_key, bank, session_id, item_ref)
    codings = _codings(db, sorted({a.id for a, *_ in answers}))
    tasks = []
    for attempt, label, ref, text in answers:
        if (attempt.id, ref, pass_no) in codings:
            continue
        if pass_no == 2:
            first = codings.get((attempt.id, ref, 1))
            if first is None or first.coder == coder:
                continue
        tasks.append(CodingTask(attempt.id, attempt.session_id, ref, text, pass_no, label))
    tasks.sort(key=lambda t: (t.item_ref, t.attempt_id))
    return tasks[:limit] if limit is not None else tasks


def _check_pass(pass_no: int) -> None:
    if pass_no not in (1, 2):
        raise DeliveryError(f"Kodierdurchgang {pass_no} gibt es nicht (1 oder 2).")


def record_coding(
    db: Session,
    *,
    attempt_id: int,
    item_ref: str,
    pass_no: int,
    score: int,
    coder: str,
    bank: ItemBank | ItemCache,
) -> Coding:
    """Store a code. A coder may correct their own code; pass 2 needs a pass-1 code by
    someone else, and nobody codes both passes of one answer. (Pass an :class:`ItemCache`
    instead of the bank when coding many answers.)"""
    _check_pass(pass_no)
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= MAX_CODE:
        raise DeliveryError(f"Ein Kode ist eine ganze Zahl von 0 bis {MAX_CODE}.")
    attempt = db.get(Attempt, attempt_id)
    if attempt is None:
        raise DeliveryError(f"Es gibt keinen Testdurchgang Nr. {attempt_id}.")
    if attempt.status != AttemptStatus.ABGEGEBEN.value:
        raise DeliveryError("Kodiert werden nur abgegebene Tests.")
    session = db.get(TestSession, attempt.session_id)
    assert session is not None  # foreign key
    test = db.get(TestDefinition, session.test_id)
    assert test is not None  # foreign key
    if item_ref not in {i.item_ref for i in booklet_items(test, attempt.booklet)}:
        raise DeliveryError(f"Aufgabe {item_ref} gehört nicht zum Testheft dieses Durchgangs.")
    cache = bank if isinstance(bank, ItemCache) else ItemCache(bank)
    if not cache.is_open(item_ref):
        raise DeliveryError(f"Aufgabe {item_ref} wird automatisch bewertet, nicht kodiert.")
    value = final_answers_of(db, [attempt_id], [item_ref])[attempt_id].get(item_ref)
    if value is None or is_empty(value):
        raise DeliveryError(
            f"Zu Aufgabe {item_ref} gibt es keine Antwort; sie wird ohne Kodierung mit 0 bewertet."
        )
    existing = {
        c.pass_no: c
        for c in db.scalars(
            select(Coding).where(Coding.attempt_id == attempt_id, Coding.item_id == item_ref)
        )
    }
    other = existing.get(3 - pass_no)
    if pass_no == 2 and other is None:
        raise DeliveryError("Die Zweitkodierung setzt eine Erstkodierung voraus.")
    if other is not None and other.coder == coder:
        raise DeliveryError(
            "Erst- und Zweitkodierung derselben Antwort müssen von verschiedenen Personen stammen."
        )
    mine = existing.get(pass_no)
    if mine is not None:
        if mine.coder != coder:
            raise DeliveryError(
                f"Diese Antwort ist im {pass_no}. Durchgang bereits von einer anderen Person "
                "kodiert."
            )
        mine.score = score
        db.flush()
        return mine
    coding = Coding(
        attempt_id=attempt_id, item_id=item_ref, pass_no=pass_no, score=score, coder=coder
    )
    db.add(coding)
    db.flush()
    return coding


def coding_status(db: Session, test_key: str, bank: ItemBank) -> list[CodingStatus]:
    """Per open item: answers to code, and how many are coded in pass 1 and pass 2."""
    answers = _open_answers(db, test_key, bank, None, None)
    codings = _codings(db, sorted({a.id for a, *_ in answers}))
    counts: dict[str, list[int]] = {ref: [0, 0, 0] for ref in open_item_refs(db, test_key, bank)}
    for attempt, _label, ref, _text in answers:
        row = counts[ref]
        row[0] += 1
        row[1] += (attempt.id, ref, 1) in codings
        row[2] += (attempt.id, ref, 2) in codings
    return [CodingStatus(ref, *row) for ref, row in counts.items()]


def agreement(db: Session, test_key: str, *, weights: str | None = None) -> list[ItemAgreement]:
    """Cohen's kappa (optionally ``weights="quadratic"``) of pass 1 vs. pass 2 per item."""
    test = get_test(db, test_key)
    rows = db.execute(
        select(Coding.attempt_id, Coding.item_id, Coding.pass_no, Coding.score)
        .join(Attempt, Attempt.id == Coding.attempt_id)
        .join(TestSession, TestSession.id == Attempt.session_id)
        .where(TestSession.test_id == test.id)
    ).all()
    by_item: dict[str, dict[int, dict[int, int]]] = {}
    for attempt_id, item, pass_no, score in rows:
        by_item.setdefault(item, {}).setdefault(attempt_id, {})[pass_no] = score
    out = []
    for item in sorted(by_item):
        pairs = [(c[1], c[2]) for c in by_item[item].values() if 1 in c and 2 in c]
        n = len(pairs)
        if n < MIN_KAPPA_N:
            note = f"zu wenige Doppelkodierungen (mindestens {MIN_KAPPA_N})"
            observed = sum(a == b for a, b in pairs) / n if n else None
            out.append(ItemAgreement(item, n, None, None, None, observed, note))
            continue
        first, second = [a for a, _ in pairs], [b for _, b in pairs]
        try:
            k = cohen_kappa(first, second, weights=weights, categories=list(range(MAX_CODE + 1)))
        except ScoringError as exc:
            observed = sum(a == b for a, b in pairs) / n
            out.append(ItemAgreement(item, n, None, None, None, observed, str(exc)))
            continue
        out.append(
            ItemAgreement(
                item,
                n,
                k.kappa,
                None if math.isnan(k.ci_low) else k.ci_low,
                None if math.isnan(k.ci_high) else k.ci_high,
                k.observed_agreement,
            )
        )
    return out
