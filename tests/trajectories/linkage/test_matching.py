"""Probabilistic matching (Splink) on hand-made and simulated trajectories."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from bimo.core.errors import InputFileError
from bimo.core.store import AnalyticStore
from bimo.trajectories import linkage_cli
from bimo.trajectories.matching import COMPARISONS, evaluate, match_records

from .conftest import frame, load, pseudonym, record
from .simulate import load_store, simulate


def _closed(store: AnalyticStore) -> Path:
    store.close()
    return store.path


def _unlinked(rows: list[dict[str, object]]) -> pl.DataFrame:
    df = frame(rows)
    return df.with_columns(pl.Series("record_id", [f"R{i}" for i in range(df.height)])).select(
        "record_id", *df.columns
    )


def _two_similar_trajectories() -> list[dict[str, object]]:
    rows = []
    for label, school, month in (("anna", "100001", 5), ("berta", "100002", 5)):
        rows += [
            record(label, 2019, 4, schulnummer=school, geburtsmonat=month),
            record(label, 2021, 6, schulnummer=school, geburtsmonat=month, klasse="6b"),
        ]
    # A third, similar trajectory that has its 2020 record: never a candidate for 2020.
    rows += [record("clara", y, y - 2015, schulnummer="100002") for y in (2019, 2020, 2021)]
    return rows


def test_expected_record_is_matched(store: AnalyticStore) -> None:
    load(store, _two_similar_trajectories())
    unlinked = _unlinked(
        [
            record("x", 2020, 5, schulnummer="100002", klasse="5b", pseudonym=None),
            record("x", 2020, 5, schulnummer="100001", klasse="5a", pseudonym="KAPUTT"),
        ]
    )
    result = match_records(_closed(store), unlinked, threshold=0.5)
    by_id = {r["record_id"]: r for r in result.table.iter_rows(named=True)}
    assert by_id["R0"]["pseudonym"] == pseudonym("berta")
    assert by_id["R1"]["pseudonym"] == pseudonym("anna")
    assert result.kandidaten == 2  # anna and berta for 2020; clara has a 2020 record


def test_match_weight_is_prior_plus_contributions(store: AnalyticStore) -> None:
    load(store, _two_similar_trajectories())
    result = match_records(
        _closed(store), _unlinked([record("x", 2020, 5, schulnummer="100002", pseudonym=None)])
    )
    row = result.table.row(0, named=True)
    prior = 1 / 2  # two candidates in 2020
    contributions = sum(row[f"mw_{c.name}"] for c in COMPARISONS)
    assert row["match_weight"] == pytest.approx(math.log2(prior / (1 - prior)) + contributions)
    assert row["match_probability"] == pytest.approx(
        2 ** row["match_weight"] / (1 + 2 ** row["match_weight"])
    )
    assert row["abstand_zweitbester"] > 0


def test_records_with_valid_pseudonym_are_not_matched(store: AnalyticStore) -> None:
    load(store, _two_similar_trajectories())
    rows = [record("valid", 2020, 5), record("x", 2020, 5, pseudonym=None)]
    result = match_records(_closed(store), _unlinked(rows))
    assert result.table["record_id"].to_list() == ["R1"]


def test_bad_unlinked_input_gives_german_errors(store: AnalyticStore) -> None:
    path = _closed(store)
    rows = _unlinked([record("x", 2020, 5, pseudonym=None)] * 3)
    duplicated = rows.with_columns(pl.Series("record_id", ["A", "B", "A"]))
    with pytest.raises(InputFileError, match=r"Zeile 1, Spalte record_id"):
        match_records(path, duplicated)
    # Untypable values do not crash: the record just finds no candidate.
    garbled = rows.with_columns(pl.col("schuljahr").cast(pl.String).replace("2020", "zwanzig"))
    result = match_records(path, garbled)
    assert result.table["pseudonym"].is_null().all()
    assert not result.table["ueber_schwelle"].any()


def test_missing_columns_are_reported(store: AnalyticStore) -> None:
    with pytest.raises(InputFileError, match="geburtsjahr"):
        match_records(_closed(store), pl.DataFrame({"record_id": ["1"], "schuljahr": [2020]}))


@pytest.mark.slow
def test_precision_and_recall_on_simulated_data(store: AnalyticStore) -> None:
    sim = simulate(1500, seed=11)
    load_store(store, sim)
    result = match_records(_closed(store), sim.unlinked, threshold=0.9)
    ev = evaluate(result.table, sim.truth, sim.store_rows["pseudonym"].unique(), 0.9)
    assert ev.records == sim.unlinked.height
    assert ev.precision >= 0.9
    assert ev.recall >= 0.75
    # People without any trajectory in the store are (almost) never accepted.
    strangers = sim.truth.filter(
        ~pl.col("true_pseudonym").is_in(sim.store_rows["pseudonym"].implode())
    )["record_id"]
    wrongly = result.table.filter(pl.col("record_id").is_in(strangers.implode()))
    assert wrongly["ueber_schwelle"].sum() <= 0.2 * strangers.len()


def test_cli_match_with_truth(store: AnalyticStore, tmp_path: Path) -> None:
    sim = simulate(300, seed=3)
    load_store(store, sim)
    path = store.path
    store.close()
    unlinked = tmp_path / "student_years_unlinked.parquet"
    sim.unlinked.write_parquet(unlinked)
    truth = tmp_path / "linkage_truth.parquet"
    sim.truth.write_parquet(truth)
    app = typer.Typer()
    linkage_cli.add_commands(app)
    out = tmp_path / "matches.csv"
    result = CliRunner().invoke(
        app,
        [
            "match",
            str(unlinked),
            "--store",
            str(path),
            "--out",
            str(out),
            "--truth",
            str(truth),
            "--threshold",
            "0.8",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Präzision" in result.stdout
    matches = pl.read_csv(out)
    assert matches.height == sim.unlinked.height
    assert {
        "record_id",
        "pseudonym",
        "match_weight",
        "match_probability",
        "mw_geburt",
        "ueber_schwelle",
    } <= set(matches.columns)
