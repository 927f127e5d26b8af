from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from bimo.assessment.itembank import (
    QtiItem,
    ScoringError,
    cohen_kappa,
    read_package,
    score_item,
)


@pytest.fixture
def items(full_package: Callable[[str], Path]) -> dict[str, QtiItem]:
    out = {i.identifier: i for i in read_package(full_package("qti21"))}
    out.update({i.identifier: i for i in read_package(full_package("qti30"))})
    return out


def points(item: QtiItem, response: str | list[str] | None) -> float:
    return score_item(item, {"RESPONSE": response}).points


def test_match_correct_single_and_inline(items: dict[str, QtiItem]) -> None:
    assert points(items["M21_CHOICE"], "B") == 1.0
    assert points(items["M21_CHOICE"], "A") == 0.0
    assert points(items["M21_CHOICE"], None) == 0.0
    assert points(items["D21_INLINE"], "DER") == 1.0
    assert points(items["D30_INLINE"], "DER") == 0.0
    assert score_item(items["M30_CHOICE"], {"RESPONSE": "B"}).max_points == 1.0


def test_map_response_bounds(items: dict[str, QtiItem]) -> None:
    multi = items["M21_MULTI"]
    assert points(multi, ["P2", "P3", "P5"]) == 3.0
    assert points(multi, ["P2", "P2"]) == 1.0  # each distinct value counts once
    assert points(multi, ["P2", "N4"]) == 0.0  # 1 - 2 bounded below by 0
    assert points(multi, ["P2", "P3", "P5", "N9"]) == 1.0
    assert points(multi, []) == 0.0
    multi3 = items["M30_MULTI"]
    assert points(multi3, ["P2", "P3", "N4"]) == 1.0  # default -1 for unmapped N4
    assert points(multi3, ["P2", "P3"]) == 2.0  # upper bound 2


def test_text_entry_case_rules(items: dict[str, QtiItem]) -> None:
    text = items["D21_TEXT"]
    assert points(text, "Berlin") == 2.0
    assert points(text, "  Berlin ") == 2.0
    assert points(text, "BERLIN") == 1.0  # second entry is case-insensitive
    assert points(text, "Bonn") == 0.0
    integer = items["M30_TEXT"]
    assert points(integer, "12") == 1.0
    assert points(integer, "12.0") == 1.0
    assert points(integer, "zwölf") == 0.0


def test_ordered_and_pairs(items: dict[str, QtiItem]) -> None:
    assert points(items["M21_ORDER"], ["Z1", "Z2", "Z3"]) == 1.0
    assert points(items["M21_ORDER"], ["Z2", "Z1", "Z3"]) == 0.0
    assert points(items["M21_ORDER"], ["Z1", "Z2"]) == 0.0
    match = items["D21_MATCH"]  # directedPair + mapping
    assert points(match, ["HUND TIER", "ROSE PFLANZE"]) == 2.0
    assert points(match, ["TIER HUND"]) == 0.0  # directed: reversed pair is unmapped
    assert points(match, ["HUND PFLANZE"]) == 0.0  # -1 bounded at 0
    pair = items["D30_MATCH"]  # unordered pair
    assert points(pair, ["Y X"]) == 1.0


def test_open_and_malformed_responses(items: dict[str, QtiItem]) -> None:
    with pytest.raises(ScoringError, match="D21_ESSAY hat keine automatische Auswertung"):
        score_item(items["D21_ESSAY"], {"RESPONSE": "Text"})
    with pytest.raises(ScoringError, match="muss eine Liste sein"):
        score_item(items["M21_MULTI"], {"RESPONSE": "P2"})
    with pytest.raises(ScoringError, match="einzelner Wert"):
        score_item(items["M21_CHOICE"], {"RESPONSE": ["B"]})


def test_kappa_unweighted_by_hand() -> None:
    # 2x2 table [[20, 5], [10, 15]], n = 50: po = 0.7, pe = 0.5*0.6 + 0.5*0.4 = 0.5
    a = [1] * 25 + [0] * 25
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    k = cohen_kappa(a, b)
    assert k.observed_agreement == pytest.approx(0.7)
    assert k.expected_agreement == pytest.approx(0.5)
    assert k.kappa == pytest.approx(0.4)
    assert k.ci_low < 0.4 < k.ci_high
    assert k.n == 50


def test_kappa_perfect_and_weighted() -> None:
    codes = [0, 1, 2, 2, 1, 0, 2, 1]
    assert cohen_kappa(codes, codes).kappa == pytest.approx(1.0)
    assert cohen_kappa(codes, codes).se == pytest.approx(0.0)
    rng = np.random.default_rng(7)
    first = rng.integers(0, 4, 400)
    second = np.clip(first + rng.integers(-1, 2, 400), 0, 3)
    qw = cohen_kappa(first.tolist(), second.tolist(), weights="quadratic")
    uw = cohen_kappa(first.tolist(), second.tolist())
    # Near-misses are partly credited under quadratic weights.
    assert qw.kappa > uw.kappa
    # Quadratic kappa equals 1 - sum((a-b)^2) / expected sum over independent pairs.
    num = float(((first - second) ** 2).sum())
    den = float(((first[:, None] - second[None, :]) ** 2).sum()) / len(first)
    assert qw.kappa == pytest.approx(1.0 - num / den)
    # The Wald interval covers and is narrower with more data.
    small = cohen_kappa(first[:50].tolist(), second[:50].tolist(), weights="quadratic")
    assert qw.ci_high - qw.ci_low < small.ci_high - small.ci_low


def test_kappa_errors() -> None:
    with pytest.raises(ScoringError, match="unterschiedlich viele"):
        cohen_kappa([1, 2], [1])
    with pytest.raises(ScoringError, match="nur eine Kategorie"):
        cohen_kappa([1, 1], [1, 1])
    with pytest.raises(ScoringError, match="Gewichtung"):
        cohen_kappa([0, 1], [1, 0], weights="linear")
