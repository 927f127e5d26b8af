"""Data access and building blocks shared by the survey reports: which rounds count, answer
sheets as matrices, protected distributions, reliability that tolerates tiny samples."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from bimo.core.config import ABSOLUTE_MIN_CELL, get_settings
from bimo.privacy.protect import ProtectionConfig, protect
from bimo.surveys.analysis import scale_scores, score_distribution
from bimo.surveys.instrument import Instrument, Scale
from bimo.surveys.models import SurveyAnswer, SurveyRound
from bimo.surveys.reliability import (
    Matrix,
    ReliabilityError,
    alpha_ci_feldt,
    complete_rows,
    cronbach_alpha,
    mcdonald_omega,
)
from bimo.surveys.report_types import DistributionCell, Withheld
from bimo.surveys.rounds import SurveyError, today

__all__ = [
    "effective_minimum",
    "finished",
    "pool",
    "protected_distribution",
    "reliability",
    "response_matrix",
    "rounds_where",
    "sheets_from_matrix",
    "too_few",
    "valid_scores",
]


def effective_minimum(round_minimum: int = ABSOLUTE_MIN_CELL, requested: int | None = None) -> int:
    """The minimum number of answers: configured floor, the round's own, the caller's."""
    floor = max(get_settings().min_cell, ABSOLUTE_MIN_CELL)
    if requested is not None and requested < floor:
        raise SurveyError(
            f"Die Mindestzahl an Antworten kann erhöht, aber nicht unter {floor} gesenkt werden."
        )
    return max(floor, round_minimum, requested or 0)


def too_few(minimum: int) -> Withheld:
    return Withheld(
        f"Der Bericht wird erst ab {minimum} Antworten angezeigt, damit niemand erkannt "
        "werden kann."
    )


def finished(survey_round: SurveyRound, on: date | None = None) -> bool:
    """Ended: closed by the teacher or past its last day."""
    return survey_round.closed_on is not None or (on or today()) > survey_round.closes_on


def response_matrix(
    instrument: Instrument, sheets: Sequence[dict[str, object]]
) -> tuple[Matrix, dict[str, list[str]]]:
    """Answer sheets → response matrix (NaN for missing) and open answers per question."""
    ids = instrument.item_ids
    matrix = np.full((len(sheets), len(ids)), np.nan)
    texts: dict[str, list[str]] = {q.id: [] for q in instrument.offene_fragen}
    for row, sheet in enumerate(sheets):
        for col, iid in enumerate(ids):
            value = sheet.get(iid)
            if isinstance(value, int) and not isinstance(value, bool):
                matrix[row, col] = value
        for qid, answers in texts.items():
            text = sheet.get(qid)
            if isinstance(text, str) and text:
                answers.append(text)
    return matrix, texts


def sheets_from_matrix(instrument: Instrument, responses: Matrix) -> list[dict[str, int | None]]:
    """Rows of a response matrix → answer sheets for :func:`bimo.surveys.rounds.submit_answers`
    (the inverse of :func:`response_matrix`; used by the demo and the tests)."""
    ids = instrument.item_ids
    return [
        {iid: None if np.isnan(v) else int(v) for iid, v in zip(ids, row, strict=True)}
        for row in np.asarray(responses, dtype=np.float64)
    ]


def protected_distribution(scores: Matrix, scale: Scale, minimum: int) -> list[DistributionCell]:
    counts = score_distribution(scores, scale.categories)
    frame = pl.DataFrame(
        {"bereich": list(counts), "value": list(counts.values())},
        schema={"bereich": pl.String, "value": pl.Int64},
    )
    table = protect(frame, ["bereich"], ProtectionConfig(min_cell=minimum)).cells
    order = {label: i for i, label in enumerate([*counts, "Insgesamt"])}
    rows = sorted(table.iter_rows(named=True), key=lambda r: order[r["bereich"]])
    return [
        DistributionCell(
            r["bereich"], None if r["flag"] == "." else int(r["value"] or 0), r["flag"] or ""
        )
        for r in rows
    ]


def reliability(
    block: Matrix,
) -> tuple[float | None, tuple[float, float] | None, float | None]:
    try:
        alpha = cronbach_alpha(block)
    except ReliabilityError:
        return None, None, None
    n_complete = complete_rows(block).shape[0]
    ci = alpha_ci_feldt(alpha, n_complete, block.shape[1])
    try:
        omega: float | None = mcdonald_omega(block)
    except ReliabilityError:
        omega = None
    return alpha, ci, omega


def valid_scores(
    instrument: Instrument, sheets: Sequence[dict[str, object]], scale_id: str
) -> Matrix:
    matrix, _ = response_matrix(instrument, sheets)
    scores = scale_scores(instrument, matrix, scale_id)
    return scores[~np.isnan(scores)]


def rounds_where(db: Session, **filters: object) -> list[SurveyRound]:
    query = select(SurveyRound)
    for name, value in filters.items():
        query = query.where(getattr(SurveyRound, name) == value)
    return list(db.scalars(query.order_by(SurveyRound.id)))


def _answers_by_round(db: Session, round_ids: Sequence[int]) -> dict[int, list[dict[str, object]]]:
    out: dict[int, list[dict[str, object]]] = {rid: [] for rid in round_ids}
    if not round_ids:
        return out
    query = select(SurveyAnswer.round_id, SurveyAnswer.answers).where(
        SurveyAnswer.round_id.in_(round_ids)
    )
    for rid, sheet in db.execute(query):
        out[rid].append(sheet)
    return out


def pool(
    db: Session, instrument_id: str, minimum: int, on: date | None, **filters: object
) -> tuple[list[SurveyRound], dict[int, list[dict[str, object]]]]:
    """Released, ended rounds that reach the minimum; the newest per class and half-year."""
    candidates = [
        r
        for r in rounds_where(db, instrument_id=instrument_id, released=True, **filters)
        if finished(r, on)
    ]
    answers = _answers_by_round(db, [r.id for r in candidates])
    newest: dict[tuple[str, str, str], SurveyRound] = {}
    for r in candidates:
        if len(answers[r.id]) < max(minimum, r.min_answers):
            continue
        key = (r.schulnummer, r.klasse, r.label)
        if key not in newest or (r.opened_on, r.id) > (newest[key].opened_on, newest[key].id):
            newest[key] = r
    chosen = sorted(newest.values(), key=lambda r: r.id)
    return chosen, {r.id: answers[r.id] for r in chosen}
