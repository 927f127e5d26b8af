"""Operational tables of survey rounds (declared on :class:`bimo.core.operational.Base`).

Migration ``0005`` (``r0005_surveys.py``) creates them. The layout *is* the anonymity
guarantee, so it is deliberately poor:

* ``survey_rounds`` — a teacher's round for one class. Dates only (the day it was opened, the
  last day it accepts answers, the day it was closed), never a time of day.
* ``survey_codes`` — SHA/PBKDF2 digests of the codes that are still usable. A single-use code's
  row is *deleted* in the transaction that stores its answers, so afterwards nothing remains
  that could be matched against the answer.
* ``survey_answers`` — one row per submitted questionnaire: a random id, the round and the
  answers. No code, no code id, no time, no client data, no sequence. The id is a fresh random
  value and the rows of a round are rewritten in random order on every submission
  (:mod:`bimo.surveys.rounds`), so neither the id, the SQLite storage order (the table has no
  ``rowid``) nor PostgreSQL's transaction ids (``xmin``) reveal the order of submission.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bimo.core.operational import Base
from bimo.surveys.instrument import GradeBand

__all__ = ["SurveyAnswer", "SurveyCode", "SurveyRound", "round_label"]


def round_label(day: date) -> str:
    """School year and half-year of ``day``: the 1st half runs August–January, the 2nd
    February–July (the school year starts on 1 August)."""
    start = day.year if day.month >= 8 else day.year - 1
    half = 1 if day.month >= 8 or day.month == 1 else 2
    return f"{start}/{(start + 1) % 100:02d} · {half}. Halbjahr"


class SurveyRound(Base):
    """One survey round of one class (opened by a teacher, with its own codes)."""

    __tablename__ = "survey_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[str] = mapped_column(String(64), index=True)
    instrument_version: Mapped[str] = mapped_column(String(16))
    schulnummer: Mapped[str] = mapped_column(String(16), index=True)
    klasse: Mapped[str] = mapped_column(String(32))
    jahrgang: Mapped[int] = mapped_column(Integer)
    teacher: Mapped[str] = mapped_column(String(200))
    single_use: Mapped[bool] = mapped_column(Boolean)
    n_codes: Mapped[int] = mapped_column(Integer)
    n_submitted: Mapped[int] = mapped_column(Integer, default=0)
    min_answers: Mapped[int] = mapped_column(Integer)
    opened_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    released: Mapped[bool] = mapped_column(Boolean, default=False)
    released_by: Mapped[str | None] = mapped_column(String(200))

    @property
    def label(self) -> str:
        """School year and half-year of the day the round was opened ("2026/27 · 1. Halbjahr")."""
        return round_label(self.opened_on)

    @property
    def band(self) -> GradeBand:
        """The grade band whose wording the students see."""
        return "3-6" if self.jahrgang <= 6 else "7-13"

    def __repr__(self) -> str:
        return (
            f"SurveyRound(id={self.id}, instrument={self.instrument_id!r}, "
            f"schule={self.schulnummer!r}, klasse={self.klasse!r})"
        )


class SurveyCode(Base):
    """A usable access code, stored only as a digest (``reusable``: the class code)."""

    __tablename__ = "survey_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("survey_rounds.id", ondelete="CASCADE"), index=True
    )
    reusable: Mapped[bool] = mapped_column(Boolean)

    def __repr__(self) -> str:  # never the digest
        return f"SurveyCode(round_id={self.round_id}, reusable={self.reusable})"


class SurveyAnswer(Base):
    """One submitted questionnaire: random id, round, answers — nothing else."""

    __tablename__ = "survey_answers"
    # No implicit, monotonically increasing rowid in SQLite: rows are stored in key order, and
    # the key is random.
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("survey_rounds.id", ondelete="CASCADE"), index=True
    )
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)

    def __repr__(self) -> str:  # never the answers
        return f"SurveyAnswer(round_id={self.round_id})"
