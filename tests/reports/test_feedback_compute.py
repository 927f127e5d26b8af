"""Numbers of the school feedback report against hand computations on a tiny Erhebung."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from bimo.assessment.standards import fair_comparison
from bimo.core.errors import BimoError
from bimo.core.store import AnalyticStore
from bimo.reports.feedback import (
    FeedbackConfig,
    FeedbackDataError,
    SchoolFeedback,
    SyntheticErhebung,
    load_erhebung,
    prepare_erhebung,
    resolve_min_group,
    school_feedback,
    suppressed_classes,
    write_synthetic_erhebung,
)

ERHEBUNG = "LS4-2024"
# PVs (M = 2) of class 4a of school A; class 4b has the same values + 100 points.
A4A_PV1 = [350, 380, 400, 420, 450, 470, 500, 550, 600, 650]
A4A_PV2 = [360, 395, 405, 430, 460, 480, 520, 545, 620, 640]
SMALL_CLASS_PV = [777.0, 778.0, 779.0]  # school B, class 4b: 3 students, mean 778


def _pseudonym(i: int) -> str:
    return hashlib.sha256(f"h7-test-{i}".encode()).hexdigest()


def _students() -> list[dict[str, object]]:
    """(schulnummer, klasse, pv1, pv2) per student of the hand-made Erhebung."""
    rows: list[dict[str, object]] = []

    def add(school: str, klasse: str, pv1: float, pv2: float) -> None:
        rows.append({"schulnummer": school, "klasse": klasse, "pv1": pv1, "pv2": pv2})

    for p1, p2 in zip(A4A_PV1, A4A_PV2, strict=True):
        add("170001", "4a", p1, p2)
    for p1, p2 in zip(A4A_PV1, A4A_PV2, strict=True):
        add("170001", "4b", p1 + 100, p2 + 100)
    for i in range(11):
        add("170002", "4a", 400 + 10 * i, 405 + 10 * i)
    for v in SMALL_CLASS_PV:
        add("170002", "4b", v, v)
    for i in range(12):
        add("170003", "4a", 300 + 25 * i, 310 + 25 * i)
    return rows


# Correct answers of item I1 per school (in student order), points of I2 (max 2).
I1_CORRECT = {"170001": 19, "170002": 7, "170003": 3}
I2_POINTS = {"170001": 30, "170002": 14, "170003": 12}


def _fill(store: AnalyticStore) -> pl.DataFrame:
    students = pl.DataFrame(_students()).with_row_index("i")
    students = students.with_columns(
        pl.col("i").map_elements(_pseudonym, return_dtype=pl.String).alias("pseudonym")
    )
    con = store.raw
    con.execute(
        "INSERT INTO regions VALUES ('17', 'Musterland', 'LAND', NULL, NULL), "
        "('17001', 'Kreis Nord', 'KREIS', '17', 'LKV'), "
        "('17002', 'Kreis Süd', 'KREIS', '17', 'KFS')"
    )
    for nr, kreis in (("170001", "17001"), ("170002", "17001"), ("170003", "17002")):
        con.execute(
            "INSERT INTO schools VALUES (?, ?, 'GS', 'OEFF', ?, ?, 'OFFEN')",
            [nr, f"Schule {nr[-1]}", f"{kreis}001", kreis],
        )
    responses = []
    seen: dict[str, int] = {}
    for r in students.iter_rows(named=True):
        i = int(r["i"])
        school = str(r["schulnummer"])
        k = seen.get(school, 0)
        seen[school] = k + 1
        con.execute(
            "INSERT INTO student_years (pseudonym, schuljahr, schulnummer, schulform, "
            "jahrgangsstufe, klasse, geburtsjahr, geburtsmonat, geschlecht, foerderschwerpunkt, "
            "ndh, ganztag) VALUES (?, 2024, ?, 'GS', 4, ?, 2014, 5, ?, ?, ?, false)",
            [
                r["pseudonym"],
                school,
                r["klasse"],
                "w" if i % 2 else "m",
                "LE" if i % 7 == 0 else None,
                i % 3 == 0,
            ],
        )
        for m, col in ((1, "pv1"), (2, "pv2")):
            con.execute(
                "INSERT INTO assessment_results VALUES (?, 2024, 4, 'DEUTSCH_LESEN', "
                "'primar_deutsch_lesen', ?, ?, ?, 1.0, ?, ?)",
                [ERHEBUNG, r["pseudonym"], school, r["klasse"], m, r[col]],
            )
        # I1: the first I1_CORRECT[school] students of the school are right.
        responses.append(
            (r["pseudonym"], school, r["klasse"], "I1", int(k < I1_CORRECT[school]), 1)
        )
        # I2 (max 2): points handed out 2, 2, … from the first student until the sum is reached.
        points = min(2, max(0, I2_POINTS[school] - 2 * k))
        responses.append((r["pseudonym"], school, r["klasse"], "I2", points, 2))
        # I3: only every other student of a school works on it (other test booklet).
        if k % 2 == 0:
            responses.append((r["pseudonym"], school, r["klasse"], "I3", 1, 1))
    for p, school, klasse, item, pts, mx in responses:
        con.execute(
            "INSERT INTO assessment_responses VALUES (?, ?, ?, ?, ?, ?, ?)",
            [ERHEBUNG, p, school, klasse, item, pts, mx],
        )
    return students


@pytest.fixture
def store(tmp_path: Path) -> AnalyticStore:
    s = AnalyticStore(tmp_path / "hand.duckdb")
    _fill(s)
    return s


@pytest.fixture
def feedback_a(store: AnalyticStore) -> SchoolFeedback:
    ref = prepare_erhebung(load_erhebung(store, ERHEBUNG), FeedbackConfig(min_group=10))
    return school_feedback(ref, "170001")


def _rubin_share(counts: list[int], n: int) -> tuple[float, float]:
    """Hand formula: mean share over PVs, SE² = mean p(1−p)/n + (1 + 1/M)·var_between."""
    p = np.array(counts) / n
    m = len(counts)
    u = float(np.mean(100**2 * p * (1 - p) / n))
    b = float(np.var(100 * p, ddof=1))
    return float(100 * p.mean()), (u + (1 + 1 / m) * b) ** 0.5


def test_class_level_shares_and_mean_match_hand_computation(feedback_a: SchoolFeedback) -> None:
    klasse = {c.key: c for c in feedback_a.classes}["4a"]
    assert not klasse.suppressed and klasse.n == 10
    shares = {s.code: s.share for s in klasse.shares}
    # PV1: I 350 380 | II 400 420 450 | III 470 500 | IV 550 600 | V 650 → 2, 3, 2, 2, 1
    # PV2: I 360 | II 395 405 430 460 | III 480 520 | IV 545 | V 620 640 → 1, 4, 2, 1, 2
    expected = {"I": (2, 1), "II": (3, 4), "III": (2, 2), "IV": (2, 1), "V": (1, 2)}
    for code, counts in expected.items():
        value, se = _rubin_share(list(counts), 10)
        assert shares[code].value == pytest.approx(value)
        assert shares[code].se == pytest.approx(se)
    assert shares["I"].value == pytest.approx(15.0)
    assert shares["I"].se == pytest.approx(200**0.5)  # U = 125, B = 50, T = 125 + 1.5·50
    assert klasse.mean is not None and klasse.mean.value == pytest.approx((477 + 485.5) / 2)
    # Mean SE: U = mean_m s²_m/n (population SD), B between the two PV means.
    s2 = [np.var(A4A_PV1), np.var(A4A_PV2)]
    t = float(np.mean(s2) / 10 + 1.5 * np.var([477, 485.5], ddof=1))
    assert klasse.mean.se == pytest.approx(t**0.5)
    assert klasse.below_minimum is not None
    assert klasse.below_minimum.value == pytest.approx(15.0)
    assert klasse.at_or_above_regular is not None
    assert klasse.at_or_above_regular.value == pytest.approx(50.0)


def test_school_mean_and_land_reference(feedback_a: SchoolFeedback) -> None:
    assert feedback_a.school.n == 20
    assert feedback_a.school.mean is not None
    assert feedback_a.school.mean.value == pytest.approx((477 + 485.5) / 2 + 50)
    rows = _students()
    pv = np.array([[r["pv1"], r["pv2"]] for r in rows], dtype=float)
    schools = np.array([r["schulnummer"] for r in rows])
    land = feedback_a.land
    assert land.n == len(rows)
    assert land.mean is not None and land.mean.value == pytest.approx(pv.mean())
    # JK1 over the 3 schools: the replicate mean drops a school (reweighting the others by a
    # common factor does not change a mean); var = (G−1)/G Σ (t_(c) − t)², then Rubin.
    u = []
    for m in range(2):
        full = pv[:, m].mean()
        reps = [pv[schools != s, m].mean() for s in np.unique(schools)]
        u.append(2 / 3 * sum((r - full) ** 2 for r in reps))
    total = np.mean(u) + 1.5 * np.var(pv.mean(axis=0), ddof=1)
    assert land.mean.se == pytest.approx(total**0.5)
    kreis = feedback_a.kreis
    assert kreis is not None and kreis.n == 34 and kreis.label == "Kreis Nord"
    assert feedback_a.school.vs_land is not None
    se = (feedback_a.school.mean.se**2 + land.mean.se**2) ** 0.5  # type: ignore[operator]
    assert feedback_a.school.vs_land.se == pytest.approx(se)
    assert feedback_a.school.vs_land.difference == pytest.approx(
        feedback_a.school.mean.value - land.mean.value
    )


def test_small_class_and_its_complement_are_suppressed(store: AnalyticStore) -> None:
    ref = prepare_erhebung(load_erhebung(store, ERHEBUNG), FeedbackConfig(min_group=10))
    fb = school_feedback(ref, "170002")
    assert not fb.school.suppressed and fb.school.n == 14
    by_key = {c.key: c for c in fb.classes}
    assert by_key["4b"].suppressed and "weniger als 10" in by_key["4b"].note
    # 4a alone would reveal 4b (school − 4a), so it is hidden as well.
    assert by_key["4a"].suppressed and "zurückrechnen" in by_key["4a"].note
    for c in fb.classes:
        assert c.n is None and c.mean is None and c.shares == ()
    for it in fb.items:
        assert all(v.p is None and v.hidden for v in it.classes.values())


def test_suppressed_classes_rules() -> None:
    assert suppressed_classes({"4a": 12, "4b": 12, "4c": 4}, 10, True) == {"4a", "4c"}
    assert suppressed_classes({"4a": 12, "4b": 11}, 10, True) == set()
    assert suppressed_classes({"4a": 9}, 10, False) == {"4a"}
    assert suppressed_classes({"4a": 12, "4b": 12, "4c": 12}, 10, True, forced=["4b"]) == {"4b"}
    assert suppressed_classes({"4a": 30, "4b": 3, "4c": 4, "4d": 5}, 10, True) == {"4b", "4c", "4d"}


def test_whole_school_below_minimum_gets_no_numbers(store: AnalyticStore) -> None:
    ref = prepare_erhebung(load_erhebung(store, ERHEBUNG), FeedbackConfig(min_group=15))
    fb = school_feedback(ref, "170003")  # 12 tested students
    assert fb.school.suppressed and fb.school.mean is None and fb.school.n is None
    assert fb.fair.suppressed and fb.fair.observed is None
    assert all(it.school.p is None for it in fb.items)


def test_item_p_values_match_hand_computation(feedback_a: SchoolFeedback) -> None:
    items = {it.item: it for it in feedback_a.items}
    i1 = items["I1"]
    assert i1.land_p == pytest.approx(100 * 29 / 46)
    assert i1.school.p == pytest.approx(95.0) and i1.school.n == 20
    assert i1.classes["4a"].p == pytest.approx(100.0)  # students 0–9 all right
    assert i1.classes["4b"].p == pytest.approx(90.0)  # students 10–18 right, 19 wrong
    # Notable: 31.96 ≥ 10 points and > 2·100·√(p(1−p)/20) = 21.6.
    assert i1.school.notable == "hoeher"
    assert i1.school.difference == pytest.approx(95.0 - 100 * 29 / 46)
    i2 = items["I2"]
    assert i2.max_punkte == 2
    assert i2.land_p == pytest.approx(100 * (30 + 14 + 12) / (2 * 46))
    assert i2.school.p == pytest.approx(75.0)
    # 75 − 60.9 = 14.1 points, but 2·SE₀ with the Land variance of the score share is larger.
    se0 = 100 * (_land_var_i2() / 20) ** 0.5
    assert 2 * se0 > 14.1 and i2.school.notable == ""
    i3 = items["I3"]
    assert i3.school.n == 10 and i3.school.p == pytest.approx(100.0)
    assert i3.classes["4a"].hidden and i3.classes["4b"].hidden  # 5 each, below 10
    # Sorted from the easiest to the hardest item in the Land.
    assert [it.item for it in feedback_a.items] == ["I3", "I1", "I2"]


def _land_var_i2() -> float:
    shares = []
    for school, total in I2_POINTS.items():
        n = sum(1 for r in _students() if r["schulnummer"] == school)
        shares += [min(2, max(0, total - 2 * k)) / 2 for k in range(n)]
    return float(np.var(shares))


def test_fair_comparison_not_estimable_with_three_schools_is_explained(
    feedback_a: SchoolFeedback,
) -> None:
    # 3 schools cannot carry an intercept plus 3 composition shares: the model is singular.
    assert feedback_a.fair.suppressed
    assert "nicht berechnet werden" in feedback_a.fair.note


def test_fair_comparison_equals_standards_module(tmp_path: Path) -> None:
    store = AnalyticStore(tmp_path / "synth.duckdb")
    numbers = write_synthetic_erhebung(store, SyntheticErhebung())
    ref = prepare_erhebung(load_erhebung(store, ERHEBUNG), FeedbackConfig(min_group=10))
    # Same inputs built independently from the store with SQL.
    frame = store.raw.sql(
        """
        SELECT r.pseudonym, r.schulnummer, r.pv_nr, r.wert,
               CAST(y.geschlecht = 'w' AS DOUBLE) AS w, CAST(y.ndh AS DOUBLE) AS ndh,
               CAST(y.foerderschwerpunkt IS NOT NULL AS DOUBLE) AS sen
        FROM assessment_results r JOIN student_years y
          ON y.pseudonym = r.pseudonym AND y.schuljahr = r.schuljahr
        ORDER BY r.schulnummer, r.pseudonym, r.pv_nr
        """
    ).pl()
    wide = frame.pivot(on="pv_nr", index=["pseudonym", "schulnummer", "w", "ndh", "sen"])
    scores = wide.select([str(m) for m in range(1, 6)]).to_numpy()
    x = wide.select("w", "ndh", "sen").to_numpy()
    rows = fair_comparison(
        scores, x, x, wide["schulnummer"].to_list(), level=0.90, min_cell=10, between_schools=True
    )
    expected = {r.school: r for r in rows}
    checked = 0
    for number in numbers:
        fb = school_feedback(ref, number)
        row = expected[number]
        if row.suppressed:
            assert fb.fair.suppressed
            continue
        checked += 1
        assert fb.fair.observed == pytest.approx(row.observed)
        assert fb.fair.expected == pytest.approx(row.expected)
        assert fb.fair.lower == pytest.approx(row.lower)
        assert fb.fair.upper == pytest.approx(row.upper)
        assert fb.fair.se == pytest.approx(row.se)
        assert fb.fair.classification == row.classification
    assert checked >= 5


def test_min_group_never_below_min_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_min_group(None) == 10
    assert resolve_min_group(6) == 6
    with pytest.raises(BimoError, match="nicht unterschreiten"):
        resolve_min_group(3)


def test_unknown_erhebung_and_school_give_german_errors(store: AnalyticStore) -> None:
    with pytest.raises(FeedbackDataError, match="Vorhanden: LS4-2024"):
        load_erhebung(store, "LS3-2030")
    store.raw.execute(
        "INSERT INTO schools VALUES ('170009', 'Schule 9', 'GS', 'OEFF', '17001001', "
        "'17001', 'OFFEN')"
    )
    ref = prepare_erhebung(load_erhebung(store, ERHEBUNG), FeedbackConfig())
    with pytest.raises(FeedbackDataError, match="nicht in der Tabelle schools"):
        school_feedback(ref, "999999")
    with pytest.raises(FeedbackDataError, match="nicht teilgenommen"):
        school_feedback(ref, "170009")


def test_missing_plausible_value_is_reported(store: AnalyticStore) -> None:
    store.raw.execute("DELETE FROM assessment_results WHERE pv_nr = 2 AND wert = 360")
    with pytest.raises(FeedbackDataError, match="nicht alle getesteten Personen"):
        load_erhebung(store, ERHEBUNG)
