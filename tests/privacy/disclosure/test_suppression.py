"""Secondary suppression and LP audit: naive patterns fail, protected ones pass."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bimo.privacy import Link, Table, TableSet, audit, audit_published, protect, protect_set
from bimo.privacy.suppression import secondary_suppression, threshold_primary


def _frame(grid: list[list[int]], dims: tuple[str, str] = ("a", "b")) -> pl.DataFrame:
    rows = [(f"r{i}", f"c{j}", v) for i, line in enumerate(grid) for j, v in enumerate(line)]
    return pl.DataFrame(rows, schema=[dims[0], dims[1], "value"], orient="row")


GRID = [[1, 10, 12], [7, 8, 20], [0, 14, 3], [9, 9, 9]]


def test_margins_and_constraints() -> None:
    table = Table.from_inner(_frame(GRID), ["a", "b"])
    assert table.values[-1, -1] == sum(map(sum, GRID))
    assert table.values[0, -1] == 23
    tset = TableSet([table])
    # one constraint per line: 5 rows (4 + total) along b, 4 columns (3 + total) along a
    assert tset.matrix.shape == (5 + 4, 20)
    assert not np.any(tset.matrix @ tset.values)


def test_primary_only_fails_and_protection_passes() -> None:
    tset = TableSet([Table.from_inner(_frame(GRID), ["a", "b"])])
    primary = threshold_primary(tset, 5)
    assert primary.sum() == 2  # the 1 and the 3; the 0 is not sensitive
    naive = audit(tset, primary, 5)
    assert not naive.passed
    # the single suppressed cell in its row is recomputed exactly
    assert all(c.width == 0 for c in naive.failures)
    result = secondary_suppression(tset, primary, 5)
    report = audit(tset, result.suppressed, 5, exact=True)
    assert report.passed
    assert result.suppressed[primary].all()
    assert not result.suppressed[tset.values == 0].any()


def test_differencing_pattern_fails() -> None:
    # Suppressing the 1 and its row partner 10 still leaves both pinned by the columns.
    tset = TableSet([Table.from_inner(_frame(GRID), ["a", "b"])])
    mask = np.zeros(tset.n_vars, dtype=bool)
    mask[[tset.index[0][0, 0], tset.index[0][0, 1]]] = True
    report = audit(tset, mask, 5)
    assert not report.passed
    assert {c.lower for c in report.failures} == {1.0, 10.0}
    assert "nicht ausreichend geschützt" in report.describe()


def test_narrow_cycle_fails() -> None:
    # A 2×2 cycle around the 1 whose partners are small: width 1 + 2 < 5.
    grid = [[1, 2, 30], [2, 40, 30], [30, 30, 30]]
    tset = TableSet([Table.from_inner(_frame(grid), ["a", "b"])])
    mask = np.zeros(tset.n_vars, dtype=bool)
    idx = tset.index[0]
    mask[[idx[0, 0], idx[0, 1], idx[1, 0], idx[1, 1]]] = True
    report = audit(tset, mask, 5, exact=True)
    cell = next(c for c in report.intervals if c.var == idx[0, 0])
    assert (cell.lower, cell.upper) == (0.0, 3.0)
    assert not report.passed


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(st.integers(0, 25), min_size=2, max_size=5), min_size=2, max_size=6).filter(
        lambda g: len({len(r) for r in g}) == 1
    )
)
def test_random_tables_pass_after_protection(grid: list[list[int]]) -> None:
    tset = TableSet([Table.from_inner(_frame(grid), ["a", "b"])])
    primary = threshold_primary(tset, 5)
    result = secondary_suppression(tset, primary, 5)
    assert audit(tset, result.suppressed, 5, exact=True).passed


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000))
def test_random_3d_tables_pass(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.poisson(4.0, size=(3, 3, 2))
    rows = [(f"a{i}", f"b{j}", f"c{k}", int(values[i, j, k])) for i, j, k in np.ndindex(3, 3, 2)]
    df = pl.DataFrame(rows, schema=["a", "b", "c", "value"], orient="row")
    tset = TableSet([Table.from_inner(df, ["a", "b", "c"])])
    result = secondary_suppression(tset, threshold_primary(tset, 5), 5)
    assert audit(tset, result.suppressed, 5, exact=True).passed


def test_table_set_with_projection_shares_cells() -> None:
    rng = np.random.default_rng(3)
    values = rng.poisson(6.0, size=(4, 3, 2))
    rows = [(f"a{i}", f"b{j}", f"c{k}", int(values[i, j, k])) for i, j, k in np.ndindex(4, 3, 2)]
    df3 = pl.DataFrame(rows, schema=["a", "b", "c", "value"], orient="row")
    df2 = df3.group_by("a", "b").agg(pl.col("value").sum())
    tset = TableSet([Table.from_inner(df3, ["a", "b", "c"]), Table.from_inner(df2, ["a", "b"])])
    # the 2-D table adds no new variables: every cell is a c = Insgesamt cell of the 3-D one
    assert tset.n_vars == 5 * 4 * 3
    out = protect_set([(df3, ["a", "b", "c"]), (df2, ["a", "b"])])
    assert all(t.protection["audit"]["passed"] for t in out)
    # the same cell is suppressed in both publications
    merged = out[1].cells.join(
        out[0].cells.filter(pl.col("c") == "Insgesamt"), on=["a", "b"], suffix="_3d"
    )
    assert (merged["flag"] == merged["flag_3d"]).all()


def _school_tables() -> tuple[pl.DataFrame, pl.DataFrame, dict[str, str]]:
    rng = np.random.default_rng(11)
    mapping = {f"S{s:02d}": f"K{s % 3}" for s in range(12)}
    rows = [
        (school, cert, int(rng.poisson(3.0 if cert == "OHNE" else 12.0)))
        for school in mapping
        for cert in ("OHNE", "ESA", "MSA")
    ]
    schools = pl.DataFrame(rows, schema=["schule", "abschluss", "value"], orient="row")
    kreise = (
        schools.with_columns(pl.col("schule").replace_strict(mapping).alias("kreis"))
        .group_by("kreis", "abschluss")
        .agg(pl.col("value").sum())
    )
    return schools, kreise, mapping


def test_linked_school_and_kreis_tables() -> None:
    schools, kreise, mapping = _school_tables()
    link = Link("schule", "kreis", mapping)
    tset = TableSet(
        [
            Table.from_inner(schools, ["schule", "abschluss"]),
            Table.from_inner(kreise, ["kreis", "abschluss"]),
        ],
        [link],
    )
    assert len(tset.link_rows) == 3 * 4  # 3 Kreise × (3 certificates + Insgesamt)
    primary = threshold_primary(tset, 5)
    # Protecting the school table alone ignores the Kreis sums; jointly it must pass.
    alone = TableSet([Table.from_inner(schools, ["schule", "abschluss"])])
    alone_result = secondary_suppression(alone, threshold_primary(alone, 5), 5)
    lifted = np.zeros(tset.n_vars, dtype=bool)
    lifted[tset.index[0].ravel()] = alone_result.suppressed[alone.index[0].ravel()]
    lifted |= primary
    joint = secondary_suppression(tset, primary, 5)
    assert audit(tset, joint.suppressed, 5, exact=True).passed
    out = protect_set(
        [(schools, ["schule", "abschluss"]), (kreise, ["kreis", "abschluss"])], links=[link]
    )
    assert out[0].protection["audit"]["passed"]
    assert audit(tset, lifted, 5, exact=True).intervals  # audited jointly without error


@pytest.mark.parametrize("dims", [["a"], ["a", "b"]])
def test_audit_published_roundtrip(dims: list[str]) -> None:
    df = _frame(GRID)
    if dims == ["a"]:
        df = (
            df.group_by("a")
            .agg(pl.col("value").sum())
            .with_columns(
                pl.when(pl.col("a") == "r2").then(3).otherwise(pl.col("value")).alias("value")
            )
        )
    table = protect(df, dims)
    assert audit_published(table.cells, dims, 5).passed
    naive = table.cells.with_columns(
        pl.when(pl.col("flag") == ".")
        .then(pl.lit(None, dtype=pl.Int64))
        .otherwise(pl.col("value"))
        .alias("value")
    )
    assert audit_published(naive, dims, 5).passed


def test_audit_published_detects_naive_publication() -> None:
    full = Table.from_inner(_frame(GRID), ["a", "b"]).to_frame()
    naive = full.with_columns(
        pl.when((pl.col("value") > 0) & (pl.col("value") < 5))
        .then(pl.lit("."))
        .when(pl.col("value") == 0)
        .then(pl.lit("-"))
        .otherwise(pl.lit(""))
        .alias("flag")
    ).with_columns(
        pl.when(pl.col("flag") != "").then(None).otherwise(pl.col("value")).alias("value")
    )
    report = audit_published(naive, ["a", "b"], 5)
    assert not report.passed
    assert len(report.failures) == 2


def test_pruning_publishes_redundant_complements_safely() -> None:
    rng = np.random.default_rng(5)
    rows = [
        (f"S{s:03d}", cert, int(rng.poisson(lam)))
        for s in range(120)
        for cert, lam in (("OHNE", 1.5), ("ESA", 4.0), ("MSA", 9.0), ("AHR", 6.0))
    ]
    df = pl.DataFrame(rows, schema=["schule", "abschluss", "value"], orient="row")
    tset = TableSet([Table.from_inner(df, ["schule", "abschluss"])])
    primary = threshold_primary(tset, 5)
    greedy = secondary_suppression(tset, primary, 5, prune=False)
    pruned = secondary_suppression(tset, primary, 5, prune=True)
    assert pruned.suppressed.sum() < greedy.suppressed.sum()
    assert pruned.suppressed[primary].all()
    assert audit(tset, pruned.suppressed, 5, exact=True).passed
