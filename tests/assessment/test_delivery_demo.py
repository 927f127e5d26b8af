"""A simulated wave through the delivery service, scaled with the real ``bimo scale fit``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bimo.assessment.delivery import models as m
from bimo.assessment.delivery.demo import (
    DemoClass,
    DemoWaveConfig,
    musterland_classes,
    run_demo_wave,
)
from bimo.assessment.delivery.design import design_balance
from bimo.assessment.delivery.errors import DeliveryError
from bimo.assessment.delivery.tests import booklet_design, get_test
from bimo.cli import app
from bimo.core.operational import OperationalStore
from bimo.core.store import AnalyticStore

runner = CliRunner()


@pytest.mark.slow
def test_demo_wave_export_is_fitted_by_scale_fit(tmp_path: Path) -> None:
    classes = [DemoClass(f"10{i:04d}", "8a", 26) for i in range(6)]
    config = DemoWaveConfig(items_per_cluster=3, open_every=7, seed=3)
    seen: list[tuple[int, int]] = []
    with OperationalStore(f"sqlite:///{tmp_path / 'op.sqlite'}") as store:
        result = run_demo_wave(
            store, tmp_path / "bank", tmp_path / "out", classes, config,
            progress=lambda done, total: seen.append((done, total)),
        )  # fmt: skip
        with store.session() as db:
            stored = db.scalar(select(func.count()).select_from(m.TestResponse))
            distinct = db.scalar(
                select(func.count()).select_from(
                    select(m.TestResponse.attempt_id, m.TestResponse.seq).distinct().subquery()
                )
            )
            assert design_balance(booklet_design(get_test(db, "M8-DEMO"))).balanced
    assert seen[-1] == (156, 156)
    # Every answer change stored exactly once; re-sent batches were recognised.
    assert result.stored == result.answer_events == stored == distinct
    assert result.duplicates > 0
    assert result.attempts == result.export.persons == 156
    assert result.coded > 0 and 0 < result.double_coded < result.coded
    assert result.export.uncoded == 0 and result.export.invalid == 0
    kappas = [a.kappa for a in result.agreement if a.kappa is not None]
    assert kappas and all(0.4 < k <= 1.0 for k in kappas)  # coders agree 88 % by construction
    summary = result.summary()
    assert summary["testdurchgaenge"] == 156 and summary["kappa_median"] is not None

    items, persons = tmp_path / "items.csv", tmp_path / "personen.csv"
    fit = runner.invoke(
        app,
        ["scale", "fit", str(result.export.wide), "--model", "pcm", "--out", str(items),
         "--persons", str(persons), "--json"],
    )  # fmt: skip
    assert fit.exit_code == 0, fit.output
    fitted = pl.read_csv(items)
    assert fitted.height == 21 and fitted["item"].to_list()[0] == "M8_DEMO_001@v1"
    estimates = pl.read_csv(persons).join(pl.read_csv(result.truth), on="id")
    assert estimates.height == 156
    r = float(np.corrcoef(estimates["eap"], estimates["theta"])[0, 1])
    assert r > 0.5, r  # nine items per student: a noisy but clearly valid measurement


def test_musterland_classes_picks_the_largest_classes_of_the_grade(tmp_path: Path) -> None:
    groups = [  # (schuljahr, schulnummer, jahrgangsstufe, klasse, students)
        (2026, "100001", 8, "8a", 35),
        (2026, "100002", 8, "8b", 6),
        (2026, "100002", 8, "8c", 4),  # fewer than five: no test session
        (2026, "100003", 9, "9a", 25),  # other grade
        (2025, "100004", 8, "8z", 28),  # earlier school year
    ]
    with AnalyticStore(tmp_path / "a.duckdb") as store:
        with pytest.raises(DeliveryError, match="keine Klassen der Jahrgangsstufe 8"):
            musterland_classes(store)
        n = 0
        for year, school, grade, klasse, students in groups:
            for _ in range(students):
                n += 1
                store.raw.execute(
                    "INSERT INTO student_years (pseudonym, schuljahr, schulnummer, schulform, "
                    "jahrgangsstufe, klasse, geburtsjahr, geburtsmonat, geschlecht, ndh, ganztag)"
                    " VALUES (?, ?, ?, 'GYM', ?, ?, 2012, 3, 'w', false, false)",
                    [f"{n:064x}", year, school, grade, klasse],
                )
        classes = musterland_classes(store, n_classes=5)
    assert classes == [DemoClass("100001", "8a", 30), DemoClass("100002", "8b", 6)]
