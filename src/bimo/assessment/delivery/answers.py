"""Reading stored answers: final answer per item, response values, items from the bank.

The player stores an answer as JSON. Two shapes are accepted: an object mapping QTI response
identifiers to values (``{"RESPONSE": "B"}``, what a form with several interactions yields),
or a bare value, taken as the answer to ``RESPONSE``. Values are strings or lists of strings;
numbers are read as their text. ``null``, ``""`` and ``[]`` mean *not answered*.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bimo.assessment.itembank import ItemBank, ItemBankError, QtiItem, Score, score_item

from .errors import DeliveryError
from .models import TestResponse
from .tests import parse_item_ref

__all__ = [
    "ItemCache",
    "Response",
    "answer_text",
    "final_answers_of",
    "is_empty",
    "response_mapping",
    "score_answer",
]

Response = str | Sequence[str] | None


def final_answers_of(
    db: Session, attempt_ids: Iterable[int], items: Iterable[str] | None = None
) -> dict[int, dict[str, Any]]:
    """Final answer (highest seq) per item for many attempts at once, JSON-decoded; only of
    ``items`` when given (the coding view reads just the open items)."""
    ids = list(attempt_ids)
    only = None if items is None else sorted(set(items))
    out: dict[int, dict[str, Any]] = {a: {} for a in ids}
    for start in range(0, len(ids), 500):  # keep the IN list within every backend's limits
        chunk = ids[start : start + 500]
        query = (
            select(TestResponse.attempt_id, TestResponse.item_id, TestResponse.value)
            .where(TestResponse.attempt_id.in_(chunk))
            .order_by(TestResponse.attempt_id, TestResponse.seq)
        )
        if only is not None:
            query = query.where(TestResponse.item_id.in_(only))
        rows = db.execute(query)
        for attempt_id, item_id, value in rows:
            out[attempt_id][item_id] = json.loads(value)
    return out


def _one(value: Any) -> Response:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    raise DeliveryError(f"Antwortwert {value!r} ist weder Text noch Liste.")


def response_mapping(value: Any) -> dict[str, Response]:
    """The stored answer as ``{response identifier: value}`` for :func:`score_item`."""
    if isinstance(value, dict):
        return {str(k): _one(v) for k, v in value.items()}
    return {"RESPONSE": _one(value)}


def is_empty(value: Any) -> bool:
    """``True`` if the answer says nothing (not answered or cleared again)."""
    for response in response_mapping(value).values():
        if isinstance(response, str) and response.strip():
            return False
        if isinstance(response, list) and any(v.strip() for v in response):
            return False
    return True


def answer_text(value: Any) -> str:
    """The answer as text for a coder (an open answer is a single string)."""
    parts = []
    for response in response_mapping(value).values():
        if isinstance(response, str):
            parts.append(response)
        elif response is not None:
            parts.append(", ".join(response))
    return "\n".join(p for p in parts if p)


class ItemCache:
    """Parsed QTI items of the bank by reference (each file read once)."""

    def __init__(self, bank: ItemBank) -> None:
        self.bank = bank
        self._items: dict[str, QtiItem] = {}

    def get(self, ref: str) -> QtiItem:
        item = self._items.get(ref)
        if item is None:
            item_id, version = parse_item_ref(ref)
            try:
                item = self.bank.get(item_id, version).load()
            except ItemBankError as exc:
                raise DeliveryError(f"Aufgabe {ref}: {exc}") from None
            self._items[ref] = item
        return item

    def is_open(self, ref: str) -> bool:
        """Open answers have no automatic scoring: they are coded by people."""
        return self.get(ref).processing is None

    def max_points(self, ref: str) -> int:
        return round(self.get(ref).max_points)


def score_answer(item: QtiItem, value: Any) -> Score:
    """Automatic score of a stored answer (raises ScoringError for open items)."""
    return score_item(item, response_mapping(value))
