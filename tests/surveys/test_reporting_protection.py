"""No published breakdown can be differenced to fewer than the minimum: every derivable
combination of published cells is enumerated and checked (≥ minimum answers, ≥ 2 units)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bimo.core.operational import OperationalStore
from bimo.privacy import audit_published
from bimo.surveys import model_for, simulate_round
from bimo.surveys.protection import Group, protect_groups
from bimo.surveys.reporting import (
    LandReport,
    ScaleBreakdown,
    SchoolReport,
    land_report,
    school_report,
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
INST = shipped_instruments()["wohlbefinden"]


def derivable_subsets(k: int, shown: Sequence[int]) -> list[tuple[int, ...]]:
    """Every non-empty set of inner cells whose sum follows from the published numbers: the
    shown cells and the total (means are published with their counts, so sums of scores obey
    the same linear algebra as counts)."""
    known = [np.eye(k)[i] for i in shown] + [np.ones(k)]
    base = np.array(known)
    rank = np.linalg.matrix_rank(base)
    out = []
    for size in range(1, k + 1):
        for subset in itertools.combinations(range(k), size):
            v = np.zeros(k)
            v[list(subset)] = 1
            if np.linalg.matrix_rank(np.vstack([base, v])) == rank:
                out.append(subset)
    return out


def check_pattern(groups: Sequence[Group], shown: dict[str, bool], minimum: int) -> None:
    keys = [g.key for g in groups]
    shown_idx = [i for i, k in enumerate(keys) if shown[k]]
    for subset in derivable_subsets(len(groups), shown_idx):
        n = sum(groups[i].n for i in subset)
        units = frozenset().union(*(groups[i].units for i in subset))
        assert n >= minimum, (subset, n)
        assert len(units) >= 2, (subset, units)
    hidden = [k for k in keys if not shown[k]]
    assert len(hidden) != 1
    # The LP audit of bimo.privacy on the published counts agrees.
    published = pl.DataFrame(
        {
            "gruppe": [*keys, "Insgesamt"],
            "value": [g.n if shown[g.key] else None for g in groups] + [sum(g.n for g in groups)],
            "flag": ["" if shown[k] else "." for k in keys] + [""],
        },
        schema={"gruppe": pl.String, "value": pl.Int64, "flag": pl.String},
    )
    assert audit_published(published, ["gruppe"], minimum).passed


group_lists = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=40),
        st.sets(st.sampled_from("abcdefgh"), min_size=1, max_size=3),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(group_lists, st.sampled_from([5, 7]))
def test_no_derivable_cell_below_the_minimum(raw: list[tuple[int, set[str]]], minimum: int) -> None:
    groups = [Group(f"{i:02d}", n, frozenset(u)) for i, (n, u) in enumerate(raw)]
    total_units = frozenset().union(*(g.units for g in groups))
    if sum(g.n for g in groups) < minimum or len(total_units) < 2:
        return  # the report is withheld as a whole; nothing to protect
    pattern = protect_groups(groups, minimum, 2)
    check_pattern(groups, pattern.shown, minimum)


def test_protection_publishes_what_is_safe() -> None:
    groups = [
        Group("05", 40, frozenset("ab")),
        Group("06", 30, frozenset("cd")),
        Group("07", 25, frozenset("ef")),
    ]
    assert protect_groups(groups, 5, 2).shown == {"05": True, "06": True, "07": True}
    # One class alone in Jahrgang 8: it and one complement are suppressed.
    pattern = protect_groups([*groups, Group("08", 22, frozenset("g"))], 5, 2)
    assert pattern.shown["08"] is False and len(pattern.suppressed) == 2
    check_pattern([*groups, Group("08", 22, frozenset("g"))], pattern.shown, 5)


# --- through the service: a school with classes of many sizes --------------------------------


@pytest.fixture
def store() -> Iterator[OperationalStore]:
    with OperationalStore("sqlite://", migrate=True) as s:
        yield s


def _round(
    store: OperationalStore, schule: str, klasse: str, jahrgang: int, n: int, seed: int
) -> None:
    responses = simulate_round(
        model_for(INST), n_schools=1, classes_per_school=1, students_per_class=n, seed=seed
    ).responses
    with store.session() as db:
        opened = open_round(
            db,
            instrument_id=INST.id,
            schulnummer=schule,
            klasse=klasse,
            jahrgang=jahrgang,
            teacher=f"lk-{schule}-{klasse}",
            single_use=False,
            n_codes=max(n, 5),
            closes_on=DAY + timedelta(days=7),
            on=DAY,
        )
    for sheet in sheets_from_matrix(INST, responses):
        with store.session() as db:
            submit_answers(db, opened.codes[0], dict(sheet), on=DAY)
    with store.session() as db:
        close_round(db, opened.round.id, "lk", on=DAY)
        release_round(db, opened.round.id, "lk")


CLASSES = [  # (Jahrgang, class, answers)
    (5, "5a", 20),
    (5, "5b", 18),
    (6, "6a", 22),
    (7, "7a", 6),
    (7, "7b", 5),
    (8, "8a", 9),
    (9, "9a", 25),
    (9, "9b", 3),  # below the minimum: never pooled
]


def _check_breakdown(scale: ScaleBreakdown, truth: dict[int, tuple[int, frozenset[str]]]) -> None:
    assert scale.withheld is None
    jahrgaenge = sorted(truth)
    groups = [Group(f"{jg:02d}", truth[jg][0], truth[jg][1]) for jg in jahrgaenge]
    cells = {c.label: c for c in scale.cells}
    shown = {f"{jg:02d}": cells[f"Jahrgang {jg}"].n is not None for jg in jahrgaenge}
    for jg in jahrgaenge:
        cell = cells[f"Jahrgang {jg}"]
        if cell.n is not None:  # what is shown is true
            assert cell.n == truth[jg][0] and cell.mean is not None
        else:
            assert cell.mean is None and cell.flag == "."
    assert cells["Insgesamt"].n == sum(n for n, _ in truth.values())
    check_pattern(groups, shown, 5)


def test_school_breakdown_cannot_be_differenced(store: OperationalStore) -> None:
    for seed, (jahrgang, klasse, n) in enumerate(CLASSES):
        _round(store, "100001", klasse, jahrgang, n, seed)
    with store.session() as db:
        report = school_report(db, "100001", INST.id)
    assert isinstance(report, SchoolReport)
    truth = {
        jg: (
            sum(n for j, _, n in CLASSES if j == jg and n >= 5),
            frozenset(k for j, k, n in CLASSES if j == jg and n >= 5),
        )
        for jg in sorted({j for j, _, _ in CLASSES})
    }
    truth = {jg: v for jg, v in truth.items() if v[0]}
    assert report.n == sum(n for n, _ in truth.values())
    for scale in report.scales:
        _check_breakdown(scale, truth)
    # Jahrgang 6 and 8 are single classes: never shown.
    cells = {c.label: c for c in report.scales[0].cells}
    assert cells["Jahrgang 6"].n is None and cells["Jahrgang 8"].n is None


def test_land_breakdown_cannot_be_differenced(store: OperationalStore) -> None:
    layout = [("100001", 7, 20), ("200002", 7, 22), ("300003", 8, 19), ("100001", 8, 6)]
    for seed, (schule, jahrgang, n) in enumerate(layout):
        _round(store, schule, f"{jahrgang}x", jahrgang, n, 100 + seed)
    with store.session() as db:
        report = land_report(db, INST.id)
    assert isinstance(report, LandReport)
    truth = {
        7: (42, frozenset({"100001", "200002"})),
        8: (25, frozenset({"300003", "100001"})),
    }
    for scale in report.scales:
        _check_breakdown(scale, truth)


def test_reports_over_time_differ_only_by_whole_rounds(store: OperationalStore) -> None:
    """A later release changes the aggregate by one whole round, which itself has at least
    the minimum number of answers (rounds below it are never pooled)."""
    for seed, (jahrgang, klasse, n) in enumerate(CLASSES[:3]):
        _round(store, "100001", klasse, jahrgang, n, seed)
    with store.session() as db:
        before = school_report(db, "100001", INST.id)
    _round(store, "100001", "9b", 9, 3, 50)  # too small: the report does not change
    with store.session() as db:
        same = school_report(db, "100001", INST.id)
    _round(store, "100001", "9a", 9, 6, 51)
    with store.session() as db:
        after = school_report(db, "100001", INST.id)
    assert isinstance(before, SchoolReport) and isinstance(after, SchoolReport)
    assert same == before
    assert after.n - before.n == 6
