"""GRM calibration per scale recovers the simulator's loadings and thresholds."""

from __future__ import annotations

import numpy as np
import pytest

from bimo.surveys import model_for, simulate_round
from bimo.surveys.grm import calibrate_scale
from bimo.surveys.reliability import ReliabilityError
from bimo.surveys.rounds import shipped_instruments


@pytest.mark.parametrize(
    ("instrument_id", "scale_id"),
    [("unterrichtsqualitaet", "klassenfuehrung"), ("stundenfeedback", "stunde_ziel")],
)
def test_grm_recovers_the_generating_model(instrument_id: str, scale_id: str) -> None:
    inst = shipped_instruments()[instrument_id]
    model = model_for(inst, seed=2, careless_share=0.0)
    sim = simulate_round(model, n_schools=20, classes_per_school=5, students_per_class=30, seed=4)
    calibration = calibrate_scale(inst, sim.responses, scale_id)
    truth = model.scales[[s.id for s in inst.skalen].index(scale_id)]
    assert calibration.converged and calibration.n == 3000
    loadings = np.array([it.loading for it in calibration.items])
    np.testing.assert_allclose(loadings, truth.loadings, atol=0.07)
    # Thresholds go through the logistic ≈ normal-ogive approximation (D = 1.702), which is
    # least exact in the tails (the lowest thresholds lie near −1.7).
    thresholds = np.array([it.thresholds for it in calibration.items])
    np.testing.assert_allclose(thresholds, truth.thresholds, atol=0.2)
    assert np.corrcoef(thresholds.ravel(), truth.thresholds.ravel())[0, 1] > 0.95
    # Reverse-coded items were turned round first: every slope is positive.
    assert all(it.slope > 0 for it in calibration.items)
    if truth.categories > 2:  # a 2-item 2PL has no usable standard errors
        assert all(it.slope_se is not None and it.slope_se < 0.2 for it in calibration.items)
    for it in calibration.items:
        assert list(it.intercepts) == sorted(it.intercepts, reverse=True)


def test_grm_needs_enough_sheets() -> None:
    inst = shipped_instruments()["wohlbefinden"]
    sim = simulate_round(model_for(inst), n_schools=1, classes_per_school=1, students_per_class=50)
    with pytest.raises(ReliabilityError, match="mindestens 100"):
        calibrate_scale(inst, sim.responses, "wohlbefinden")
