"""Automatic scoring from QTI response declarations, and coder agreement (Cohen's kappa).

Responses are plain Python values: ``str`` for single cardinality, a sequence of ``str`` for
multiple/ordered; pairs are written ``"A B"`` as in QTI. ``None`` or an empty value is "not
answered" (QTI NULL), which scores 0 under both templates, as the templates specify.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from bimo.core.errors import BimoError

from .qti import QtiItem, ResponseDeclaration

Response = str | Sequence[str] | None


class ScoringError(BimoError):
    """A response cannot be scored (open item, wrong shape)."""


@dataclass(frozen=True)
class Score:
    points: float
    max_points: float


def _norm(value: str, base_type: str) -> str:
    # Leading/trailing blanks are an input artefact, never part of an answer.
    value = value.strip()
    if base_type == "pair":  # unordered pair: "B A" equals "A B"
        return " ".join(sorted(value.split()))
    if base_type == "directedPair":
        return " ".join(value.split())
    return value


def _equal(a: str, b: str, base_type: str, case_sensitive: bool = True) -> bool:
    if base_type in ("integer", "float"):
        try:
            return math.isclose(float(a), float(b), rel_tol=0.0, abs_tol=1e-12)
        except ValueError:
            return False
    a, b = _norm(a, base_type), _norm(b, base_type)
    return a == b if case_sensitive else a.casefold() == b.casefold()


def _values(decl: ResponseDeclaration, response: Response) -> list[str] | None:
    if response is None:
        return None
    if isinstance(response, str):
        if decl.cardinality != "single":
            raise ScoringError(
                f"Antwort auf {decl.identifier} muss eine Liste sein ({decl.cardinality})."
            )
        return None if response.strip() == "" else [response]
    if decl.cardinality == "single":
        raise ScoringError(f"Antwort auf {decl.identifier} muss ein einzelner Wert sein.")
    values = [v for v in response if v.strip() != ""]
    return values or None


def match_correct(decl: ResponseDeclaration, response: Response) -> bool:
    values = _values(decl, response)
    if values is None:
        return False
    bt = decl.base_type
    if decl.cardinality == "single":
        return _equal(values[0], decl.correct[0], bt)
    if decl.cardinality == "ordered":
        return len(values) == len(decl.correct) and all(
            _equal(a, b, bt) for a, b in zip(values, decl.correct, strict=True)
        )
    given = {_norm(v, bt) for v in values}
    return len(given) == len(values) and given == {_norm(v, bt) for v in decl.correct}


def map_response(decl: ResponseDeclaration, response: Response) -> float:
    mapping = decl.mapping
    if mapping is None:
        raise ScoringError(f"responseDeclaration {decl.identifier} hat kein mapping.")
    values = _values(decl, response)
    if values is None:
        return 0.0
    # QTI: each distinct value is mapped once; unmapped values get the default.
    distinct: list[str] = []
    for v in values:
        if not any(_equal(v, d, decl.base_type) for d in distinct):
            distinct.append(v)
    total = 0.0
    for v in distinct:
        hit = next(
            (e for e in mapping.entries if _equal(v, e.key, decl.base_type, e.case_sensitive)),
            None,
        )
        total += hit.value if hit is not None else mapping.default
    if mapping.lower_bound is not None:
        total = max(total, mapping.lower_bound)
    if mapping.upper_bound is not None:
        total = min(total, mapping.upper_bound)
    return total


def score_item(item: QtiItem, responses: Mapping[str, Response]) -> Score:
    """Score the responses (by response identifier) with the item's processing template."""
    if item.processing is None:
        raise ScoringError(
            f"Aufgabe {item.identifier} hat keine automatische Auswertung (offene Antwort): "
            "sie wird kodiert."
        )
    decl = item.declaration("RESPONSE")
    response = responses.get("RESPONSE")
    if item.processing == "match_correct":
        points = 1.0 if match_correct(decl, response) else 0.0
    else:
        points = map_response(decl, response)
    return Score(points=points, max_points=item.max_points)


@dataclass(frozen=True)
class Kappa:
    kappa: float
    se: float
    ci_low: float
    ci_high: float
    observed_agreement: float
    expected_agreement: float
    n: int


def cohen_kappa(
    first: Sequence[int],
    second: Sequence[int],
    *,
    weights: str | None = None,
    categories: Sequence[int] | None = None,
    level: float = 0.95,
) -> Kappa:
    """Cohen's kappa of two coders (``weights=None`` or ``"quadratic"``) with a Wald CI.

    The standard error is the large-sample one of Fleiss, Cohen & Everitt (1969), valid for
    weighted and unweighted kappa; it needs a few dozen double-coded answers to be reliable.
    """
    if len(first) != len(second):
        raise ScoringError("Die beiden Kodierungen haben unterschiedlich viele Antworten.")
    n = len(first)
    if n == 0:
        raise ScoringError("Keine doppelt kodierten Antworten.")
    cats = sorted(set(categories) if categories is not None else set(first) | set(second))
    index = {c: i for i, c in enumerate(cats)}
    missing = (set(first) | set(second)) - set(cats)
    if missing:
        raise ScoringError(f"Kodes außerhalb der Kategorien: {sorted(missing)}.")
    k = len(cats)
    table = np.zeros((k, k))
    for a, b in zip(first, second, strict=True):
        table[index[a], index[b]] += 1
    p = table / n
    if weights is None:
        w = np.eye(k)
    elif weights == "quadratic":
        if k < 2:
            w = np.ones((1, 1))
        else:
            pos = np.array([float(c) for c in cats])
            w = 1.0 - (pos[:, None] - pos[None, :]) ** 2 / (pos.max() - pos.min()) ** 2
    else:
        raise ScoringError(f"Unbekannte Gewichtung {weights!r} (None oder 'quadratic').")
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    po = float((w * p).sum())
    pe = float((w * np.outer(rows, cols)).sum())
    if math.isclose(pe, 1.0):
        raise ScoringError(
            "Kappa ist nicht definiert: beide Kodierer verwenden nur eine Kategorie."
        )
    kappa = (po - pe) / (1.0 - pe)
    w_row = w @ cols  # \bar w_{i.}
    w_col = rows @ w  # \bar w_{.j}
    inner = (w - (w_row[:, None] + w_col[None, :]) * (1.0 - kappa)) ** 2
    var = (float((p * inner).sum()) - (kappa - pe * (1.0 - kappa)) ** 2) / (n * (1.0 - pe) ** 2)
    se = math.sqrt(max(var, 0.0))
    z = float(norm.ppf(0.5 + level / 2.0))
    return Kappa(kappa, se, kappa - z * se, kappa + z * se, po, pe, n)
