"""The reported alpha and omega recover the generating model: simulated rounds from the latent
model go through the real service (open, submit, close, release) into the reports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import numpy as np
import pytest

from bimo.core.operational import OperationalStore
from bimo.surveys import model_for, population_alpha, population_omega, simulate_round
from bimo.surveys.reporting import (
    ClassReport,
    LandReport,
    class_report,
    land_report,
    sheets_from_matrix,
)
from bimo.surveys.rounds import (
    close_round,
    open_round,
    release_round,
    shipped_instruments,
    submit_answers,
)

DAY = date(2026, 9, 14)


@pytest.fixture
def store() -> Iterator[OperationalStore]:
    with OperationalStore("sqlite://", migrate=True) as s:
        yield s


@pytest.mark.slow
def test_reported_reliability_matches_the_generating_model(store: OperationalStore) -> None:
    inst = shipped_instruments()["unterrichtsqualitaet"]
    model = model_for(inst, seed=3, careless_share=0.0)
    sim = simulate_round(model, n_schools=5, classes_per_school=4, students_per_class=30, seed=9)
    round_ids = []
    for k in np.unique(sim.klass):
        with store.session() as db:
            opened = open_round(
                db,
                instrument_id=inst.id,
                schulnummer=f"{100000 + int(sim.school[sim.klass == k][0])}",
                klasse=f"7{'abcd'[k % 4]}",
                jahrgang=7 + int(k % 2),
                teacher=f"lk{k}",
                single_use=False,
                n_codes=30,
                closes_on=DAY + timedelta(days=7),
                on=DAY,
            )
        for sheet in sheets_from_matrix(inst, sim.responses[sim.klass == k]):
            with store.session() as db:
                submit_answers(db, opened.codes[0], dict(sheet), on=DAY)
        with store.session() as db:
            close_round(db, opened.round.id, f"lk{k}", on=DAY)
            release_round(db, opened.round.id, f"lk{k}")
        round_ids.append(opened.round.id)

    with store.session() as db:
        land = land_report(db, inst.id)
        classes = [class_report(db, rid) for rid in round_ids]
    assert isinstance(land, LandReport) and land.n == 600
    for scale, truth in zip(land.scales, model.scales, strict=True):
        assert scale.alpha is not None and scale.omega is not None
        # n = 600: the standard error of alpha is about 0.01.
        assert scale.alpha == pytest.approx(population_alpha(truth), abs=0.035)
        assert scale.omega == pytest.approx(population_omega(truth), abs=0.035)
    # Per class (n = 30) the Feldt interval covers the true alpha in most cases.
    covered = total = 0
    for report in classes:
        assert isinstance(report, ClassReport)
        for scale, truth in zip(report.scales, model.scales, strict=True):
            assert scale.alpha_ci is not None
            total += 1
            covered += scale.alpha_ci[0] <= population_alpha(truth) <= scale.alpha_ci[1]
    assert covered / total >= 0.85
