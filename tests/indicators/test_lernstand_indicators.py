"""D20–D22: Kompetenzstufen shares from plausible values, with standard errors.

Hand-made cases check the point estimate, the cluster (school) sampling variance, its
student-level fallback and the between-PV part of Rubin's rules, all computed by hand. A
simulation checks the SE against the delete-one-school jackknife of
``bimo.assessment.standards`` on the same data and that ±1.96 SE covers the true share.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from bimo.assessment.standards import group_statistics, load_level_model
from bimo.core.store import AnalyticStore
from bimo.indicators import compute, load_catalog
from bimo.indicators.context import IndicatorContext
from bimo.indicators.functions.lernstand import kompetenzstufen_anteil, level_bounds
from tests.indicators.builder_d import GS1, GS2, K1, K2, LAND, REGIONS, Data, pick

YEAR = 2023
BELOW, MIDDLE, HIGH = 350.0, 500.0, 650.0  # level I, level III, level V


def test_level_bounds_come_from_the_level_model() -> None:
    assert level_bounds("primar_deutsch_lesen", "unter_mindeststandard") == (None, 390.0)
    assert level_bounds("primar_deutsch_lesen", "regelstandard_erreicht") == (465.0, None)
    assert level_bounds("primar_deutsch_lesen", "optimalstandard") == (615.0, None)
    with pytest.raises(ValueError, match="unbekannter Anteil"):
        level_bounds("primar_deutsch_lesen", "mittelwert")


@pytest.fixture
def constant_pvs(tmp_path: Path) -> AnalyticStore:
    """Every PV of a student lies in the same level, so every PV gives the same share."""
    d = Data()
    # GS1 (Kreis 1): girls 2 × level I, 3 × level III; boys 3 × level III, 2 × level V.
    # GS2 (Kreis 2): boys 5 × level I, 5 × level III.
    groups = [
        (GS1, "w", BELOW, 2),
        (GS1, "w", MIDDLE, 3),
        (GS1, "m", MIDDLE, 3),
        (GS1, "m", HIGH, 2),
        (GS2, "m", BELOW, 5),
        (GS2, "m", MIDDLE, 5),
    ]
    for school, sex, value, count in groups:
        for pid in d.add(school, YEAR, 4, count, geschlecht=sex):
            d.result(pid, school, [value] * 5)
    # A class of 3 in a third year: too few to publish.
    for pid in d.add(GS1, YEAR + 1, 4, 3):
        d.result(pid, GS1, [BELOW] * 5, year=YEAR + 1)
    return d.store(tmp_path / "pv.duckdb")


def test_shares_and_cluster_se_by_hand(constant_pvs: AnalyticStore) -> None:
    df = compute(constant_pvs, load_catalog(), ids=["D20", "D21", "D22"])
    # Land, below the minimum: GS1 2 of 10, GS2 5 of 10 -> p = 7/20 = 35 %.
    # Schools as clusters, z_c = (Y_c − p·W_c)/W: (2 − 3.5)/20 and (5 − 3.5)/20;
    # U = G/(G − 1)·Σ z_c² = 2 · 2 · 0.075²; every PV equal, so no between-PV variance.
    row = pick(df, "D20", "LAND", LAND, jahr=YEAR)
    assert row["wert"] == pytest.approx(35.0)
    assert row["se"] == pytest.approx(100 * math.sqrt(2 * 2 * 0.075**2))
    assert (row["nenner"], row["zaehler"], row["flag"]) == (20, None, "")
    # Kreis 1 has one school: students are the units, U = p(1 − p)/(n − 1) with equal weights.
    row = pick(df, "D20", "KREIS", K1, jahr=YEAR)
    assert row["wert"] == pytest.approx(20.0)
    assert row["se"] == pytest.approx(100 * math.sqrt(0.2 * 0.8 / 9))
    assert pick(df, "D20", "KREIS", K2, jahr=YEAR)["wert"] == pytest.approx(50.0)
    # At or above the Regelstandard: GS1 8 of 10, GS2 5 of 10; Optimalstandard: GS1 2 of 10.
    assert pick(df, "D21", "KREIS", K1, jahr=YEAR)["wert"] == pytest.approx(80.0)
    assert pick(df, "D21", "LAND", LAND, jahr=YEAR)["wert"] == pytest.approx(65.0)
    assert pick(df, "D22", "LAND", LAND, jahr=YEAR)["wert"] == pytest.approx(10.0)
    assert pick(df, "D22", "KREISTYP", "KT-LKV", jahr=YEAR)["wert"] == pytest.approx(0.0)
    # Girls (all at GS1, one cluster): 2 of 5 below the minimum, SE √(0.4 · 0.6 / 4).
    row = pick(df, "D20", "LAND", LAND, jahr=YEAR, merkmal="geschlecht", auspraegung="w")
    assert row["wert"] == pytest.approx(40.0)
    assert row["se"] == pytest.approx(100 * math.sqrt(0.4 * 0.6 / 4))
    assert row["auspraegung_label"] == "weiblich"
    # Girls: 3 of 5 at the Regelstandard; boys: 2 of 15 (GS1 2, GS2 none) at the Optimalstandard.
    row = pick(df, "D21", "LAND", LAND, jahr=YEAR, merkmal="geschlecht", auspraegung="w")
    assert row["wert"] == pytest.approx(60.0)
    row = pick(df, "D22", "LAND", LAND, jahr=YEAR, merkmal="geschlecht", auspraegung="m")
    assert row["wert"] == pytest.approx(100 * 2 / 15)
    # School level (internal): one class, so the student-level fallback as well.
    row = pick(df, "D20", "SCHULE", GS2, jahr=YEAR)
    assert (row["wert"], row["intern"]) == (pytest.approx(50.0), True)
    assert row["se"] == pytest.approx(100 * math.sqrt(0.25 / 9))
    # Only 3 tested in the next year: nothing but the flag "/" is published.
    small = pick(df, "D20", "LAND", LAND, jahr=YEAR + 1)
    assert small["flag"] == "/"
    assert (small["wert"], small["se"], small["nenner"]) == (None, None, None)


def test_between_pv_variance_by_hand(tmp_path: Path) -> None:
    d = Data()
    # One school, 10 students, M = 3 PVs: 5, 3 and 4 students below 390 -> p_m = .5, .3, .4.
    below_in = [(0, 1, 2, 3, 4), (0, 1, 2), (0, 1, 2, 3)]
    for i, pid in enumerate(d.add(GS2, YEAR, 4, 10)):
        d.result(pid, GS2, [BELOW if i in below_in[m] else MIDDLE for m in range(3)])
    with d.store(tmp_path / "b.duckdb") as store:
        ctx = IndicatorContext(store)
        out = ctx.execute(
            kompetenzstufen_anteil(
                ctx,
                "KREIS",
                None,
                stufenmodell="primar_deutsch_lesen",
                anteil="unter_mindeststandard",
            )
        )
    p = [0.5, 0.3, 0.4]
    p_bar = sum(p) / 3
    between = sum((x - p_bar) ** 2 for x in p) / 2  # 0.01
    within = sum(x * (1 - x) / 9 for x in p) / 3  # one school: students as units
    se = math.sqrt(within + (1 + 1 / 3) * between)
    row = out.row(0, named=True)
    assert (row["ags"], row["auspraegung"], row["nenner"]) == (K2, "Insgesamt", 10)
    assert row["wert"] == pytest.approx(100 * p_bar)
    assert row["se"] == pytest.approx(100 * se)
    assert between == pytest.approx(0.01)


def _simulated_store(
    path: Path, replications: int, schools: int, students: int, seed: int
) -> tuple[AnalyticStore, dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """``replications`` independent samples (one per year) of ``schools`` × ``students``.

    θ = 480 + school effect (SD 40) + student (SD 90); the test observes θ with error SD 40,
    and the PVs are drawn from the posterior under the marginal prior N(480, 40² + 90²), so
    their marginal distribution is that of θ. The true share below 390 is
    Φ((390 − 480)/√(40² + 90²)).
    """
    rng = np.random.default_rng(seed)
    tau2, err2, m = 40.0**2 + 90.0**2, 40.0**2, 5
    post_var = 1.0 / (1.0 / tau2 + 1.0 / err2)
    shrink = tau2 / (tau2 + err2)
    school_ids = [f"5{i:05d}" for i in range(schools)]
    rows: list[dict[str, object]] = []
    arrays: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for r in range(replications):
        year = 2000 + r
        u = rng.normal(0, 40, schools)
        theta = 480 + np.repeat(u, students) + rng.normal(0, 90, schools * students)
        x = theta + rng.normal(0, 40, theta.size)
        mean = 480 + shrink * (x - 480)
        pvs = mean[:, None] + rng.normal(0, math.sqrt(post_var), (theta.size, m))
        weights = rng.uniform(0.5, 1.5, theta.size)
        cluster = np.repeat(np.arange(schools), students)
        arrays[year] = (pvs, weights, cluster)
        for i in range(theta.size):
            for j in range(m):
                rows.append(
                    {
                        "erhebung": f"SIM-{year}",
                        "schuljahr": year,
                        "jahrgangsstufe": 4,
                        "kompetenzbereich": "DEUTSCH_LESEN",
                        "stufenmodell": "primar_deutsch_lesen",
                        "pseudonym": f"{r:08x}{i:056x}",
                        "schulnummer": school_ids[cluster[i]],
                        "klasse": "4a",
                        "gewicht": float(weights[i]),
                        "pv_nr": j + 1,
                        "wert": float(pvs[i, j]),
                    }
                )
    store = AnalyticStore(path)
    schools_df = pl.DataFrame(
        {
            "schulnummer": school_ids,
            "name": [f"Schule {s}" for s in school_ids],
            "schulform": ["GS"] * schools,
            "traeger": ["OEFF"] * schools,
            "gemeinde_ags": ["01001000" if i % 2 else "01002001" for i in range(schools)],
            "kreis_ags": [K1 if i % 2 else K2 for i in range(schools)],
            "ganztag_form": ["KEIN"] * schools,
        }
    )
    tables = {
        "regions": pl.DataFrame(REGIONS),
        "schools": schools_df,
        "assessment_results": pl.DataFrame(rows),
    }
    with store.transaction() as con:
        for name, frame in tables.items():
            con.register("_t", frame.to_arrow())
            con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _t")
            con.unregister("_t")
    return store, arrays


def test_se_matches_jackknife_and_covers_the_truth(tmp_path: Path) -> None:
    replications, schools = 60, 30
    store, arrays = _simulated_store(tmp_path / "sim.duckdb", replications, schools, 20, seed=7)
    with store:
        ctx = IndicatorContext(store)
        out = ctx.execute(
            kompetenzstufen_anteil(
                ctx,
                "LAND",
                None,
                stufenmodell="primar_deutsch_lesen",
                anteil="unter_mindeststandard",
            )
        ).sort("jahr")
    assert out.height == replications
    model = load_level_model("primar_deutsch_lesen")
    ratios = []
    for row in out.iter_rows(named=True):
        pvs, weights, cluster = arrays[row["jahr"]]
        point, se = group_statistics(pvs, weights, cluster, model, "jk1")
        # statistic order: the 5 level shares, then below_minimum.
        assert row["wert"] == pytest.approx(point[5], abs=1e-9)
        ratios.append(row["se"] / se[5])
    # Linearisation is the first-order approximation of the delete-one-school jackknife; they
    # differ by terms in (W_c/W)², i.e. O(1/G²) per school for 30 schools of equal size (the
    # weights vary only within schools). Measured: ratios 0.9986–1.0004, so 2 % per sample
    # and 0.5 % on average leave room for other seeds without hiding a wrong formula (a
    # missing G/(G − 1) alone would be 1.7 %, a missing between-PV term far more).
    assert max(abs(r - 1) for r in ratios) < 0.02
    assert abs(float(np.mean(ratios)) - 1) < 0.005
    truth = 100 * 0.5 * math.erfc(-((390 - 480) / math.sqrt(40.0**2 + 90.0**2)) / math.sqrt(2))
    covered = float(np.mean(np.abs(out["wert"].to_numpy() - truth) <= 1.96 * out["se"].to_numpy()))
    # Nominal 95 %; with 60 replications the binomial SD is about 2.8 points (measured: 96.7 %).
    assert 0.85 <= covered <= 1.0
