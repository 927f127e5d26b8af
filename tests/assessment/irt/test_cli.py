"""``bimo scale fit`` / ``bimo scale pv``: file contract and German errors without traceback."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from bimo.assessment.irt import read_items
from bimo.assessment.irt.simulate import draw_items, simulate_responses
from bimo.cli import app
from bimo.core.errors import BimoError

runner = CliRunner()


def _write_responses(path: Path, n: int = 800, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    sim = draw_items(rng, 6)
    theta = rng.normal(size=n)
    scores = simulate_responses(rng, sim, theta)
    frame = pl.DataFrame(
        {"id": [f"p{i}" for i in range(n)]}
        | {f"i{j + 1}": scores[:, j].astype(np.int64) for j in range(6)}
        | {"w": np.ones(n), "schule": np.where(np.arange(n) % 2 == 0, "A", "B")}
    )
    frame = frame.with_columns(
        pl.when(pl.arange(0, n) % 4 == 0).then(None).otherwise(pl.col("i6")).alias("i6")
    )
    frame.write_csv(path)
    return theta


def test_fit_writes_items_persons_and_json(tmp_path: Path) -> None:
    responses = tmp_path / "resp.csv"
    _write_responses(responses)
    out, persons = tmp_path / "items.csv", tmp_path / "persons.csv"
    result = runner.invoke(
        app,
        ["scale", "fit", str(responses), "--model", "2pl", "--out", str(out),
         "--persons", str(persons), "--weights", "w", "--group", "schule", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    for key in ("loglik", "aic", "bic", "iterations", "converged", "seconds", "se_method"):
        assert key in summary
    assert set(summary["latent_mean"]) == {"A", "B"}
    items = pl.read_csv(out)
    assert items.columns == [
        "item", "model", "a", "d1", "b", "se_a", "se_d1", "infit", "outfit",
    ]  # fmt: skip
    assert items.height == 6 and items["se_a"].is_not_null().all()
    np.testing.assert_allclose(items["b"], -items["d1"] / items["a"], rtol=1e-5)
    people = pl.read_csv(persons)
    assert people.columns == ["id", "wle", "wle_se", "eap", "eap_sd", "group"]
    assert people.height == 800
    back = read_items(out)
    assert back.names == [f"i{j + 1}" for j in range(6)] and back.kinds == ["gpcm"] * 6


def test_rasch_and_pv_roundtrip(tmp_path: Path) -> None:
    responses = tmp_path / "resp.csv"
    theta = _write_responses(responses, n=1000, seed=3)
    out = tmp_path / "items.csv"
    result = runner.invoke(
        app, ["scale", "fit", str(responses), "--model", "rasch", "--out", str(out), "--json",
              "--weights", "w", "--group", "schule"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    items = pl.read_csv(out)
    assert (items["a"] == 1.0).all() and items["se_a"].is_null().all()
    assert set(items["model"]) == {"rasch"}
    background = tmp_path / "bg.csv"
    rng = np.random.default_rng(0)
    pl.DataFrame(
        {"id": [f"p{i}" for i in range(1000)], "ses": theta + rng.normal(0, 1, 1000),
         "sprache": np.where(np.arange(1000) % 3 == 0, "de", "andere")}
    ).write_csv(background)  # fmt: skip
    pv_out = tmp_path / "pv.csv"
    result = runner.invoke(
        app,
        ["scale", "pv", str(responses), "--items", str(out), "--background", str(background),
         "--out", str(pv_out), "--n", "5", "--seed", "7", "--weights", "w", "--group", "schule"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    pv = pl.read_csv(pv_out)
    assert pv.columns == ["id", "pv1", "pv2", "pv3", "pv4", "pv5", "eap", "eap_sd"]
    assert np.corrcoef(pv["pv1"].to_numpy(), theta)[0, 1] > 0.5


BAD_CASES = [
    ("id,i1,i2\np1,1,0\np2,1.5,1\np3,0,1\n", ["Zeile 2", "Spalte i1", "1.5"]),
    ("id,i1,i2\np1,1,x\np2,0,1\n", ["Zeile 1", "Spalte i2"]),
    ("id,i1,i2\np1,1,\np2,0,\np3,1,\n", ["Spalte i2", "keine einzige Antwort"]),
    ("id,i1,i2\np1,1,1\np2,0,1\np3,1,1\n", ["Spalte i2", "derselben Kategorie"]),
    ("id,i1,i2\np1,1,0\np2,,\np3,0,1\n", ["Zeile 2", "kein einziges Item"]),
    ("id,i1,i2\np1,1,-1\np2,0,1\n", ["Zeile 1", "Spalte i2"]),
]


@pytest.mark.parametrize(("content", "expected"), BAD_CASES)
def test_bad_input_gives_german_message(tmp_path: Path, content: str, expected: list[str]) -> None:
    path = tmp_path / "antworten.csv"
    path.write_text(content)
    result = runner.invoke(
        app, ["scale", "fit", str(path), "--model", "2pl", "--out", str(tmp_path / "o.csv")]
    )
    assert isinstance(result.exception, BimoError)
    message = str(result.exception)
    assert "antworten.csv" in message
    for part in expected:
        assert part in message, message


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "kaputt.csv"
    path.write_bytes(b"\x00\xff\xfe\x00binary")
    result = runner.invoke(
        app, ["scale", "fit", str(path), "--model", "rasch", "--out", str(tmp_path / "o.csv")]
    )
    assert isinstance(result.exception, BimoError)
    missing = runner.invoke(
        app, ["scale", "fit", str(tmp_path / "fehlt.csv"), "--model", "rasch", "--out", "o.csv"]
    )
    assert isinstance(missing.exception, BimoError) and "fehlt.csv" in str(missing.exception)


def test_pv_input_errors(tmp_path: Path) -> None:
    responses = tmp_path / "resp.csv"
    _write_responses(responses, n=400, seed=5)
    items = tmp_path / "items.csv"
    fitted = runner.invoke(
        app, ["scale", "fit", str(responses), "--model", "2pl", "--out", str(items), "--weights",
              "w", "--group", "schule"]
    )  # fmt: skip
    assert fitted.exit_code == 0, fitted.output
    frame = pl.read_csv(responses).drop("w", "schule")
    reordered = frame.select(["id", *reversed(frame.columns[1:])])
    bad = reordered.with_columns(
        pl.when(pl.col("id") == "p3").then(5).otherwise(pl.col("i2")).alias("i2")
    )
    bad_path = tmp_path / "neu.csv"
    bad.write_csv(bad_path)
    background = tmp_path / "bg.csv"
    pl.DataFrame({"id": [f"p{i}" for i in range(400)], "x": np.arange(400.0)}).write_csv(background)
    args = ["scale", "pv", str(bad_path), "--items", str(items), "--background", str(background),
            "--out", str(tmp_path / "pv.csv")]  # fmt: skip
    result = runner.invoke(app, args)
    assert isinstance(result.exception, BimoError)
    assert "Zeile 4" in str(result.exception) and "Spalte i2" in str(result.exception)
    reordered.write_csv(bad_path)  # valid values, columns in another order: accepted
    assert runner.invoke(app, args).exit_code == 0
    pl.DataFrame({"id": [f"p{i}" for i in range(10)], "x": np.arange(10.0)}).write_csv(background)
    result = runner.invoke(app, args)
    assert isinstance(result.exception, BimoError) and "bg.csv" in str(result.exception)
