"""Helpers shared by the survey pages: instruments, grade bands, number formatting."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, HTTPException, Path

from bimo.accounts.policy import Principal
from bimo.surveys.instrument import GradeBand, Instrument, load_instruments
from bimo.web.deps import current_principal

__all__ = [
    "PrincipalDep",
    "RoundId",
    "band_for",
    "change_text",
    "decimal",
    "grade_of_class",
    "instrument",
    "instruments",
    "report_helpers",
    "score_range",
]

PrincipalDep = Annotated[Principal, Depends(current_principal)]
# A round number as the database can hold it (anything else is refused before any lookup).
RoundId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@lru_cache(maxsize=1)
def instruments() -> dict[str, Instrument]:
    """The shipped questionnaires (read once per process: they are package data)."""
    return load_instruments()


def instrument(instrument_id: str) -> Instrument:
    found = instruments().get(instrument_id)
    if found is None:
        raise HTTPException(status_code=404, detail="Diesen Fragebogen gibt es nicht.")
    return found


def band_for(inst: Instrument, jahrgang: int) -> GradeBand:
    """The wording for a class: primary wording up to Jahrgang 6, otherwise the older one;
    a questionnaire written for one band only uses that band."""
    wanted: GradeBand = "3-6" if jahrgang <= 6 else "7-13"
    return wanted if wanted in inst.jahrgangsbaender else inst.jahrgangsbaender[0]


_LEADING_DIGITS = re.compile(r"\s*(\d{1,2})")


def grade_of_class(klasse: str) -> int | None:
    """The Jahrgang a class name starts with ("5a" → 5, "10 b" → 10), else None ("Q1")."""
    match = _LEADING_DIGITS.match(klasse)
    if match is None:
        return None
    value = int(match.group(1))
    return value if 1 <= value <= 13 else None


def decimal(value: float | None, digits: int = 2) -> str:
    """German decimal comma; an en dash for a missing value."""
    if value is None:
        return "–"
    text = f"{value:.{digits}f}"
    if text.startswith("-") and not any(ch in "123456789" for ch in text):
        text = text[1:]  # "-0.00": a rounded zero has no sign
    return text.replace(".", ",").replace("-", "−")


def score_range(label: str) -> str:
    """A distribution label of the domain ("2.5–3.5") with German decimal commas."""
    return label.replace(".", ",")


def change_text(lower: float, upper: float) -> str:
    """Plain words for a change interval (no significance jargon for teachers)."""
    if lower > 0:
        return "höher als in der vorigen Runde (das Intervall liegt ganz über null)"
    if upper < 0:
        return "niedriger als in der vorigen Runde (das Intervall liegt ganz unter null)"
    return "kein eindeutiger Unterschied zur vorigen Runde (das Intervall enthält die Null)"


def report_helpers() -> dict[str, object]:
    """Formatting functions the report templates use."""
    return {"dez": decimal, "bereich": score_range, "veraenderung": change_text}
