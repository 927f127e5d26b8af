"""Export of scored responses: the wide file ``bimo scale fit`` reads, and a long file.

**Wide** (``…_antworten.csv``): column ``id`` (``A<attempt id>``), then one column per item
of the test in test order (named by the pinned reference ``item@vN``); a cell is the item
score (integer ≥ 0) or empty. Rows are the submitted attempts with at least one answer.

* an item of a block the attempt never reached, or of a cluster not in its booklet, is empty:
  *missing by design* (not presented), which IRT calibration ignores;
* a presented item without an answer (or with a cleared answer) scores 0;
* automatically scored items use :func:`~bimo.assessment.itembank.score_item` on the final
  answer (highest sequence number);
* open answers use the pass-1 code; an open answer not yet coded is left empty and counted
  in :attr:`ExportResult.uncoded` (export again after coding).

**Long** (``…_positionen.csv``): one row per presented item: attempt, session, booklet, block
(cluster position), cluster, position in the booklet, whether it was answered and the score —
the data for position-effect analyses. Neither file names a student.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bimo.assessment.itembank import ItemBank, ScoringError

from .answers import ItemCache, final_answers_of, is_empty, score_answer
from .errors import DeliveryError
from .models import Attempt, AttemptStatus, Coding, TestSession
from .tests import all_item_refs, booklet_items, get_test

__all__ = ["LONG_COLUMNS", "ExportResult", "export_wide", "long_path_for"]

LONG_COLUMNS = [
    "id",
    "sitzung",
    "testheft",
    "block",
    "cluster",
    "position",
    "item",
    "beantwortet",
    "score",
]


@dataclass(frozen=True)
class ExportResult:
    wide: Path
    long: Path
    persons: int  # rows of the wide file
    items: int
    scored: int  # cells with a score
    not_presented: int  # empty cells: missing by design or not reached
    uncoded: int  # open answers without a pass-1 code (left empty)
    invalid: int  # answers whose shape does not fit the item (scored 0)
    without_answers: int  # submitted attempts without any answer (left out)
    items_without_scores: list[str] = field(default_factory=list)


def long_path_for(wide: Path) -> Path:
    stem = wide.stem.removesuffix("_antworten")
    return wide.with_name(f"{stem}_positionen.csv")


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(tmp, path)  # readers never see a half-written file


def _points(points: float, ref: str) -> int:
    if not math.isclose(points, round(points)):
        raise DeliveryError(
            f"Aufgabe {ref} vergibt {points} Punkte; für die IRT-Skalierung müssen Punkte "
            "ganzzahlig sein (Kategorien 0 … m)."
        )
    return round(points)


def export_wide(db: Session, test_key: str, bank: ItemBank, out: Path) -> ExportResult:
    """Write the wide file to ``out`` and the long file beside it (see module doc)."""
    test = get_test(db, test_key)
    refs = all_item_refs(test)
    column = {ref: j for j, ref in enumerate(refs)}
    cache = ItemCache(bank)
    attempts = list(
        db.scalars(
            select(Attempt)
            .join(TestSession, TestSession.id == Attempt.session_id)
            .where(TestSession.test_id == test.id, Attempt.status == AttemptStatus.ABGEGEBEN.value)
            .order_by(Attempt.id)
        )
    )
    answers = final_answers_of(db, [a.id for a in attempts])
    codes: dict[tuple[int, str], int] = {}
    ids = [a.id for a in attempts]
    for start in range(0, len(ids), 500):
        for coding in db.scalars(
            select(Coding).where(
                Coding.attempt_id.in_(ids[start : start + 500]), Coding.pass_no == 1
            )
        ):
            codes[(coding.attempt_id, coding.item_id)] = coding.score
    wide_rows: list[list[Any]] = []
    long_rows: list[list[Any]] = []
    scored = uncoded = invalid = without = 0
    has_score = [False] * len(refs)
    for attempt in attempts:
        given = answers[attempt.id]
        if not given:
            without += 1
            continue
        row: list[Any] = [""] * len(refs)
        person = f"A{attempt.id}"
        for item in booklet_items(test, attempt.booklet):
            if item.block > attempt.block:
                continue  # not reached: missing, like a cluster outside the booklet
            ref = item.item_ref
            value = given.get(ref)
            answered = value is not None and not is_empty(value)
            score: int | None
            if not answered:
                score = 0
            elif cache.is_open(ref):
                score = codes.get((attempt.id, ref))
                uncoded += score is None
            else:
                try:
                    score = _points(score_answer(cache.get(ref), value).points, ref)
                except ScoringError:
                    score, invalid = 0, invalid + 1
            if score is not None:
                row[column[ref]] = score
                has_score[column[ref]] = True
                scored += 1
            long_rows.append(
                [
                    person,
                    attempt.session_id,
                    attempt.booklet,
                    item.block,
                    item.cluster,
                    item.position,
                    ref,
                    int(answered),
                    "" if score is None else score,
                ]
            )
        wide_rows.append([person, *row])
    _write_csv(out, ["id", *refs], wide_rows)
    long = long_path_for(out)
    _write_csv(
        long,
        [
            "id",
            "sitzung",
            "testheft",
            "block",
            "cluster",
            "position",
            "item",
            "beantwortet",
            "score",
        ],
        long_rows,
    )
    return ExportResult(
        wide=out,
        long=long,
        persons=len(wide_rows),
        items=len(refs),
        scored=scored,
        not_presented=len(wide_rows) * len(refs) - scored - uncoded,
        uncoded=uncoded,
        invalid=invalid,
        without_answers=without,
        items_without_scores=[ref for ref, ok in zip(refs, has_score, strict=True) if not ok],
    )
