"""``bimo scale link|standards|dif|fair`` via CliRunner: results and German errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bimo.cli import app

runner = CliRunner()


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def item_files(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(1)
    a = rng.uniform(0.8, 1.8, 12)
    b = rng.normal(0, 1, 12)
    header = ["item", "model", "a", "d1", "b", "se_a", "se_d1"]
    ref_rows: list[list[object]] = []
    new_rows: list[list[object]] = []
    for j in range(12):
        ref_rows.append([f"i{j}", "2pl", a[j], -a[j] * b[j], b[j], 0.05, 0.04])
        # θ_ref = 1.1·θ_new + 0.3; item i4 drifts by one logit.
        a_new = a[j] * 1.1
        d_new = -a[j] * b[j] + a[j] * 0.3 - (a_new if j == 4 else 0.0)
        new_rows.append([f"i{j}", "2pl", a_new, d_new, -d_new / a_new, 0.05, 0.04])
    new_rows.append(["neu", "2pl", 1.0, 0.2, -0.2, 0.05, 0.04])
    ref = _write(tmp_path / "ref.csv", header, ref_rows)
    new = _write(tmp_path / "new.csv", header, new_rows)
    return ref, new


def test_link_command_writes_items_and_json(item_files: tuple[Path, Path], tmp_path: Path) -> None:
    ref, new = item_files
    out = tmp_path / "linked.csv"
    result = runner.invoke(
        app,
        [
            "scale",
            "link",
            str(new),
            "--reference",
            str(ref),
            "--out",
            str(out),
            "--json",
            "--method",
            "stocking-lord",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["A"] == pytest.approx(1.1, abs=1e-4)
    assert summary["B"] == pytest.approx(0.3, abs=1e-4)
    assert [r["item"] for r in summary["removed_anchors"]] == ["i4"]
    rows = {r["item"]: r for r in _read(out)}
    assert set(rows) == {f"i{j}" for j in range(12)} | {"neu"}
    assert float(rows["i0"]["se_a"]) == pytest.approx(0.05 / 1.1, rel=1e-3)
    assert float(rows["neu"]["a"]) == pytest.approx(1 / 1.1, rel=1e-4)


def test_link_bad_model_names_file_row_column(
    item_files: tuple[Path, Path], tmp_path: Path
) -> None:
    ref, _ = item_files
    bad = _write(tmp_path / "bad.csv", ["item", "model", "a", "d1"], [["x", "3pl", 1, 0]])
    result = runner.invoke(
        app, ["scale", "link", str(bad), "--reference", str(ref), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "Datei bad.csv, Zeile 1, Spalte model" in result.stderr
    assert "Traceback" not in result.output


def test_link_unwritable_output_is_a_german_error(
    item_files: tuple[Path, Path], tmp_path: Path
) -> None:
    ref, new = item_files
    out = tmp_path / "fehlt" / "linked.csv"
    result = runner.invoke(
        app, ["scale", "link", str(new), "--reference", str(ref), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "die Ausgabedatei kann nicht geschrieben werden" in result.stderr


def _pv_files(tmp_path: Path, n_schools: int = 30, per: int = 20) -> tuple[Path, Path]:
    rng = np.random.default_rng(2)
    school = np.repeat(np.arange(n_schools), per)
    ses = rng.normal(0, 1, school.size)
    ndh = (rng.random(school.size) < 0.3).astype(int)
    effect = np.zeros(n_schools)
    effect[3] = 0.8
    theta = 0.3 * ses - 0.2 * ndh + effect[school] + rng.normal(0, 0.9, school.size)
    pvs = theta[:, None] + rng.normal(0, 0.3, (school.size, 5))
    pv_path = _write(
        tmp_path / "pv.csv",
        ["id", *[f"pv{m}" for m in range(1, 6)]],
        [[f"p{i}", *pvs[i]] for i in range(school.size)],
    )
    bg_rows: list[list[object]] = [
        [f"p{i}", f"S{school[i]:02d}", ses[i], ndh[i], "w" if i % 2 else "m", 1.0]
        for i in range(school.size)
    ]
    bg_rows[0][1] = "Mini"  # a school with fewer than five students
    bg_rows[1][1] = "Mini"
    bg_path = _write(tmp_path / "bg.csv", ["id", "school", "ses", "ndh", "sex", "weight"], bg_rows)
    return pv_path, bg_path


def test_standards_command(tmp_path: Path) -> None:
    pv, bg = _pv_files(tmp_path)
    out = tmp_path / "shares.csv"
    result = runner.invoke(
        app,
        [
            "scale",
            "standards",
            str(pv),
            "--levels",
            "primar_deutsch_lesen",
            "--groups",
            str(bg),
            "--by",
            "school",
            "--cluster",
            "school",
            "--weight",
            "weight",
            "--transform-from-pvs",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["min_cell"] == 5
    rows = _read(out)
    total_mean = next(r for r in rows if r["school"] == "Insgesamt" and r["statistic"] == "mean")
    assert float(total_mean["estimate"]) == pytest.approx(500.0, abs=0.01)
    assert int(total_mean["n"]) == 600
    mini = [r for r in rows if r["school"] == "Mini"]
    assert mini and all(
        r["suppressed"] == "true" and r["estimate"] == "" and r["n"] == "" for r in mini
    )


def test_standards_requires_a_reference_metric(tmp_path: Path) -> None:
    pv, _ = _pv_files(tmp_path)
    result = runner.invoke(
        app,
        [
            "scale",
            "standards",
            str(pv),
            "--levels",
            "primar_deutsch_lesen",
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "Referenzmetrik fehlt" in result.stderr


def test_standards_bad_pv_value_names_row_and_column(tmp_path: Path) -> None:
    pv = _write(tmp_path / "pv.csv", ["id", "pv1", "pv2"], [["a", 0.1, 0.2], ["b", "x", 0.3]])
    result = runner.invoke(
        app,
        [
            "scale",
            "standards",
            str(pv),
            "--levels",
            "primar_deutsch_lesen",
            "--reference-mean",
            "0",
            "--reference-sd",
            "1",
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "Datei pv.csv, Zeile 2, Spalte pv1: „x“ ist keine Zahl" in result.stderr


def test_standards_missing_background_row_does_not_reveal_the_id(tmp_path: Path) -> None:
    pv = _write(tmp_path / "pv.csv", ["id", "pv1"], [["geheim123", 0.1]])
    bg = _write(tmp_path / "bg.csv", ["id", "school"], [["anders", "S1"]])
    result = runner.invoke(
        app,
        [
            "scale",
            "standards",
            str(pv),
            "--levels",
            "primar_deutsch_lesen",
            "--groups",
            str(bg),
            "--by",
            "school",
            "--reference-mean",
            "0",
            "--reference-sd",
            "1",
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "Datei pv.csv, Zeile 1, Spalte id" in result.stderr
    assert "geheim123" not in result.output


def test_standards_malformed_level_file(tmp_path: Path) -> None:
    pv, _ = _pv_files(tmp_path)
    levels = tmp_path / "stufen.yaml"
    levels.write_text("name: x\ntitle: y\nlevels: 3\n", encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "scale",
            "standards",
            str(pv),
            "--levels",
            str(levels),
            "--transform-from-pvs",
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "Kompetenzstufenmodell stufen.yaml" in result.stderr


def test_fair_command(tmp_path: Path) -> None:
    pv, bg = _pv_files(tmp_path)
    out = tmp_path / "fair.csv"
    result = runner.invoke(
        app,
        [
            "scale",
            "fair",
            str(pv),
            "--background",
            str(bg),
            "--school",
            "school",
            "--weight",
            "weight",
            "--reference-mean",
            "0",
            "--reference-sd",
            "1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {r["school"]: r for r in _read(out)}
    assert rows["S03"]["classification"] == "above"
    assert rows["Mini"]["suppressed"] == "true" and rows["Mini"]["observed"] == ""
    assert rows["S05"]["metric"] == "500/100"


def test_fair_unknown_school_column(tmp_path: Path) -> None:
    pv, bg = _pv_files(tmp_path)
    result = runner.invoke(
        app,
        [
            "scale",
            "fair",
            str(pv),
            "--background",
            str(bg),
            "--school",
            "schule",
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "Datei bg.csv, Spalte schule: die Spalte fehlt" in result.stderr


def test_dif_command(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n = 1500
    focal = np.arange(2 * n) >= n
    theta = rng.normal(0, 1, 2 * n)
    b = np.linspace(-1.5, 1.5, 12)
    shift = np.zeros((2 * n, 12))
    shift[focal, 2] = 1.0
    resp = (rng.random((2 * n, 12)) < 1 / (1 + np.exp(-(theta[:, None] - b - shift)))).astype(int)
    items = [f"i{j}" for j in range(12)]
    responses = _write(
        tmp_path / "resp.csv", ["id", *items], [[f"p{i}", *resp[i]] for i in range(2 * n)]
    )
    bg = _write(
        tmp_path / "bg.csv", ["id", "ndh"], [[f"p{i}", int(focal[i])] for i in range(2 * n)]
    )
    out = tmp_path / "dif.csv"
    result = runner.invoke(
        app,
        [
            "scale",
            "dif",
            str(responses),
            "--groups",
            str(bg),
            "--focal",
            "ndh=1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {r["item"]: r for r in _read(out)}
    assert rows["i2"]["ets_class"] == "C-"
    assert float(rows["i2"]["mh_d_dif"]) < -1.5


def test_dif_rejects_polytomous_responses(tmp_path: Path) -> None:
    responses = _write(tmp_path / "resp.csv", ["id", "a", "b"], [["p1", 0, 1], ["p2", 2, 1]])
    bg = _write(tmp_path / "bg.csv", ["id", "g"], [["p1", "x"], ["p2", "y"]])
    result = runner.invoke(
        app,
        [
            "scale",
            "dif",
            str(responses),
            "--groups",
            str(bg),
            "--focal",
            "g=x",
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "Datei resp.csv, Zeile 2, Spalte a" in result.stderr


def test_standards_with_reference_cohort_pvs_and_jk2(tmp_path: Path) -> None:
    pv, bg = _pv_files(tmp_path)
    rng = np.random.default_rng(9)
    ref_values = rng.normal(0.5, 2.0, (4000, 3))
    ref = _write(
        tmp_path / "ref_pv.csv",
        ["id", "pv1", "pv2", "pv3", "weight"],
        [[f"r{i}", *ref_values[i], 1.0] for i in range(4000)],
    )
    out = tmp_path / "shares.csv"
    result = runner.invoke(
        app,
        [
            "scale",
            "standards",
            str(pv),
            "--levels",
            "primar_deutsch_lesen",
            "--groups",
            str(bg),
            "--cluster",
            "school",
            "--jackknife",
            "jk2",
            "--reference-pvs",
            str(ref),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {(r["group"], r["statistic"]): r for r in _read(out)}
    mean = rows[("Insgesamt", "mean")]
    # Sample θ mean ≈ 0 and the reference is N(0.5, 2²): 500 + 100·(0 − 0.5)/2 ≈ 475.
    assert float(mean["estimate"]) == pytest.approx(475, abs=6)
    assert float(mean["se"]) > 0
