"""Rounding, cell key method, published format and the ``bimo privacy`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from bimo.cli import app
from bimo.core.errors import BimoError
from bimo.privacy import PerturbationTable, ProtectionConfig, Table, protect, round_to_base
from bimo.privacy.perturb import label_cell_keys, record_cell_keys


def test_round_to_base() -> None:
    assert round_to_base(np.arange(9)).tolist() == [0, 0, 0, 5, 5, 5, 5, 5, 10]


def test_perturbation_table_properties() -> None:
    ptable = PerturbationTable.build(min_cell=5, max_deviation=2, variance=1.0)
    keys = np.linspace(0, 1, 2001, endpoint=False)
    for n in range(0, 30):
        out = ptable.perturb(np.full(len(keys), n), keys)
        if n == 0:
            assert (out == 0).all()
        elif n < 5:
            assert set(out.tolist()) == {0, 5}
            assert abs(out.mean() - n) < 0.01  # unbiased
        else:
            assert out.min() >= 5 and np.abs(out - n).max() <= 2
        if n >= 7:
            assert abs(out.mean() - n) < 0.01  # symmetric away from the threshold


def test_cell_keys_consistent_between_records_and_tables() -> None:
    rng = np.random.default_rng(0)
    records = pl.DataFrame(
        {
            "a": rng.choice(["x", "y"], 200),
            "b": rng.choice(["p", "q", "r"], 200),
            "record_key": rng.random(200),
        }
    )
    counts = records.group_by("a", "b").len("value")
    t2 = Table.from_inner(counts, ["a", "b"])
    t1 = Table.from_inner(counts.group_by("a").agg(pl.col("value").sum()), ["a"])
    k2 = record_cell_keys(records, t2)
    k1 = record_cell_keys(records, t1)
    # the margin "a = x" of the 2-D table is the same record set as cell x of the 1-D table
    np.testing.assert_allclose(k2[:, -1], k1)
    keys = label_cell_keys(t2, b"secret")
    assert ((keys >= 0) & (keys < 1)).all()
    assert not np.allclose(keys, label_cell_keys(t2, b"other"))


def test_protect_cellkey_needs_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BIMO_CELLKEY_SECRET", raising=False)
    df = pl.DataFrame({"a": ["x", "y"], "value": [3, 40]})
    with pytest.raises(Exception, match="BIMO_CELLKEY_SECRET"):
        protect(df, ["a"], ProtectionConfig(method="cellkey"))
    out = protect(df, ["a"], ProtectionConfig(method="cellkey", cellkey_secret=b"k"))
    assert out.cells.filter(pl.col("a") == "x")["value"].item() in (0, 5)


def test_min_cell_floor() -> None:
    with pytest.raises(Exception, match="nicht unterschreiten"):
        protect(pl.DataFrame({"a": ["x"], "value": [3]}), ["a"], ProtectionConfig(min_cell=3))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


INNER = "schule,abschluss,value\nA,ESA,3\nA,MSA,12\nB,ESA,9\nB,MSA,8\nC,ESA,10\nC,MSA,0\n"


def test_cli_protect_and_audit(tmp_path: Path) -> None:
    runner = CliRunner()
    src = _write(tmp_path / "in.csv", INNER)
    out = tmp_path / "out.csv"
    res = runner.invoke(
        app, ["privacy", "protect", str(src), "--dims", "schule,abschluss", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    published = pl.read_csv(out, infer_schema=False)
    assert published.height == 12
    assert set(published["flag"].fill_null("")) <= {"", ".", "-"}
    assert published.filter(pl.col("flag") == "-")["value"].is_null().all()
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["protection"]["audit"]["passed"] is True
    assert out.with_suffix(".parquet").is_file()
    res = runner.invoke(app, ["privacy", "audit", str(out), "--dims", "schule,abschluss"])
    assert res.exit_code == 0, res.output
    # Un-suppress one secondary cell: the audit must now fail with a German message.
    leaked = published.with_columns(
        pl.when(
            (pl.col("flag") == ".") & (pl.col("schule") == "A") & (pl.col("abschluss") == "MSA")
        )
        .then(pl.lit("12"))
        .otherwise(pl.col("value"))
        .alias("value"),
    ).with_columns(
        pl.when(pl.col("value") == "12").then(pl.lit("")).otherwise(pl.col("flag")).alias("flag")
    )
    leaked.write_csv(tmp_path / "leak.csv")
    res = runner.invoke(
        app, ["privacy", "audit", str(tmp_path / "leak.csv"), "--dims", "schule,abschluss"]
    )
    assert res.exit_code == 1
    assert "nicht ausreichend geschützt" in res.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("schule,abschluss,value\nA,ESA,x\n", "Zeile 1, Spalte value"),
        ("schule,abschluss,value\nA,ESA,-2\n", "negative Anzahl"),
        ("schule,value\nA,2\n", "Spalte abschluss"),
        ("schule,abschluss,value\nA,ESA,2\nA,ESA,3\n", "mehrfach"),
        ("schule,abschluss,value\nA,ESA,2\nA,Insgesamt,3\n", "Randsummen"),
    ],
)
def test_cli_bad_input(tmp_path: Path, text: str, message: str) -> None:
    src = _write(tmp_path / "bad.csv", text)
    res = CliRunner().invoke(
        app,
        [
            "privacy",
            "protect",
            str(src),
            "--dims",
            "schule,abschluss",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    # bimo's main turns a BimoError into "Fehler: …" and exit code 2 (no traceback)
    assert isinstance(res.exception, BimoError)
    assert message in str(res.exception)
    assert "bad.csv" in str(res.exception)


@pytest.mark.parametrize("method", ["round5", "cellkey"])
def test_cli_perturbing_methods(
    tmp_path: Path, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIMO_CELLKEY_SECRET", "test-secret")
    src = _write(tmp_path / "in.csv", INNER)
    out = tmp_path / "out.csv"
    res = CliRunner().invoke(
        app,
        [
            "privacy",
            "protect",
            str(src),
            "--dims",
            "schule,abschluss",
            "--out",
            str(out),
            "--method",
            method,
        ],
    )
    assert res.exit_code == 0, res.output
    values = pl.read_csv(out)["value"].to_list()
    assert not any(0 < v < 5 for v in values)
    if method == "round5":
        assert all(v % 5 == 0 for v in values)


def test_dominance_rule_marks_cells_and_margins() -> None:
    from bimo.privacy import TableSet
    from bimo.privacy.suppression import dominance_primary

    contributions = pl.DataFrame(
        {
            "a": ["x", "x", "x", "y", "y", "y"],
            "contributor": ["big", "s1", "s2", "t1", "t2", "t3"],
            "value": [90, 5, 5, 30, 30, 40],
        }
    )
    cells = contributions.group_by("a").agg(pl.col("value").sum())
    tset = TableSet([Table.from_inner(cells, ["a"])])
    sensitive = dominance_primary(tset, contributions, n=1, k=0.85)
    flagged = {tset.keys[i][0] for i in np.flatnonzero(sensitive)}
    # x: 90 of 100 > 85 %; y: 40 of 100; total: 90 of 200
    assert flagged == {"x"}
    out = protect(cells, ["a"], ProtectionConfig(dominance=(1, 0.85)), contributions=contributions)
    assert out.cells.filter(pl.col("a") == "x")["flag"].item() == "."
    assert out.protection["primary_suppressions"] == 1
    # a 1-D table needs a partner: y (the total stays published)
    assert out.cells.filter(pl.col("a") == "y")["flag"].item() == "."


def test_flag_rates_marks_unreliable_rates() -> None:
    from bimo.privacy import flag_rates

    df = pl.DataFrame({"kreis": ["A", "B"], "quote": [0.5, 0.25], "n": [4, 40]})
    out = flag_rates(df, "quote", "n")
    assert out["flag"].to_list() == ["/", ""]
    assert out["quote"].to_list() == [None, 0.25]
