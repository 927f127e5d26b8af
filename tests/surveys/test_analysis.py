from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bimo.surveys import (
    InstrumentError,
    change_between_rounds,
    item_distribution,
    mean_ci,
    parse_instrument,
    recode,
    scale_scores,
    score_distribution,
)
from tests.surveys.test_instruments import MINIMAL

INST = parse_instrument(MINIMAL, "mini.yaml")


def test_recode_turns_reverse_items_round() -> None:
    raw = np.array([[1, 1], [4, 4], [2, np.nan]])
    rec = recode(INST, raw)
    assert rec[:, 0].tolist() == [1, 4, 2]
    assert rec[:2, 1].tolist() == [4, 1]
    assert np.isnan(rec[2, 1])


def test_scale_scores_need_minimum_answered_items() -> None:
    raw = np.array([[4, 1], [3, np.nan], [np.nan, np.nan]])
    scores = scale_scores(INST, raw, "a")
    assert scores[0] == 4.0
    assert np.isnan(scores[1])  # only one of the required two items answered
    assert np.isnan(scores[2])


def test_invalid_codes_and_shapes_are_rejected_in_german() -> None:
    with pytest.raises(InstrumentError, match=r"Antwort 5 in Zeile 2, Item a2 .* 1–4"):
        recode(INST, np.array([[1, 1], [1, 5]]))
    with pytest.raises(InstrumentError, match="3 Spalten"):
        recode(INST, np.ones((2, 3)))


def test_mean_ci_matches_t_interval() -> None:
    v = np.array([2.0, 3.0, 3.5, 4.0, np.nan, 2.5])
    ci = mean_ci(v)
    clean = v[~np.isnan(v)]
    lo, hi = stats.t.interval(0.95, 4, loc=clean.mean(), scale=stats.sem(clean))
    assert ci.n == 5
    assert [ci.lower, ci.upper] == pytest.approx([lo, hi])
    with pytest.raises(InstrumentError, match="mindestens 2"):
        mean_ci(np.array([1.0]))


def test_change_between_rounds_is_welch() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(2.8, 0.5, 40), rng.normal(3.1, 0.7, 55)
    ch = change_between_rounds(a, b)
    ref = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert ch.difference == pytest.approx(b.mean() - a.mean())
    assert [ch.lower, ch.upper] == pytest.approx([ref.low, ref.high])


def test_distributions() -> None:
    assert item_distribution(np.array([1, 1, 3, np.nan, 4]), 4) == {1: 2, 2: 0, 3: 1, 4: 1}
    dist = score_distribution(np.array([1.0, 1.4, 2.6, 4.0, np.nan]), 4)
    assert dist == {"0.5–1.5": 2, "1.5–2.5": 0, "2.5–3.5": 1, "3.5–4.5": 1}
