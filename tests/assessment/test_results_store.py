"""Lernstand results into the analytic store: validation, quarantine, replacement, waves, CLI."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from bimo.assessment.results import StoredResults, run_lernstand_waves, store_results
from bimo.cli import app
from bimo.core.errors import BimoError, InputFileError
from bimo.core.schemas import ANALYTIC_TABLES, IDENTIFYING_COLUMNS
from bimo.core.store import AnalyticStore
from bimo.ingest import ImportOptions, import_directory
from bimo.synth import SynthConfig, generate
from bimo.synth.lernstand import WaveConfig, simulate_wave, simulate_waves

runner = CliRunner()


def _save(
    store: AnalyticStore,
    erhebung: str,
    pvs: pl.DataFrame,
    background: pl.DataFrame,
    responses: pl.DataFrame | None = None,
    options: ImportOptions | None = None,
    max_punkte: dict[str, int] | None = None,
) -> StoredResults:
    return store_results(
        store,
        erhebung,
        schuljahr=2023,
        jahrgangsstufe=4,
        kompetenzbereich="DEUTSCH_LESEN",
        stufenmodell="primar_deutsch_lesen",
        pvs=pvs,
        background=background,
        responses=responses,
        max_punkte=max_punkte,
        options=options,
    )


def _pseudonym(i: int) -> str:
    return hashlib.sha256(f"person-{i}".encode()).hexdigest()


def _background(n: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "pseudonym": [_pseudonym(i) for i in range(n)],
            "schulnummer": ["170101"] * n,
            "klasse": ["4a" if i % 2 else "4b" for i in range(n)],
        }
    )


def _pvs(n: int, m: int = 3, shift: float = 0.0) -> pl.DataFrame:
    rng = np.random.default_rng(n)
    values = 500 + shift + 100 * rng.standard_normal((n, m))
    return pl.DataFrame(
        {"id": [f"p{i}" for i in range(n)]} | {f"pv{j + 1}": values[:, j] for j in range(m)}
    )


def _responses(n: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "L001": [1, 0, None, 1, 1, 0][:n],
            "L002": [None, 1, 1, 0, None, 1][:n],
        },
        schema_overrides={"L001": pl.Int8, "L002": pl.Int8},
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AnalyticStore]:
    with AnalyticStore(tmp_path / "store.duckdb") as s:
        yield s


def _options(tmp_path: Path) -> ImportOptions:
    return ImportOptions(quarantine_dir=tmp_path / "quarantaene")


def test_results_and_responses_are_stored_long(store: AnalyticStore, tmp_path: Path) -> None:
    result = _save(
        store,
        "LS4-2023",
        pvs=_pvs(6),
        background=_background(6),
        responses=_responses(6),
        max_punkte={"L002": 2},
        options=_options(tmp_path),
    )
    assert (result.results.read, result.results.stored, result.results.quarantined) == (18, 18, 0)
    assert result.responses is not None
    assert (result.responses.read, result.responses.stored) == (9, 9)  # 3 empty cells: no row
    rows = store.raw.sql(
        "SELECT pv_nr, count(*), min(gewicht), max(gewicht), count(DISTINCT pseudonym) "
        "FROM assessment_results GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert rows == [(m, 6, 1.0, 1.0, 6) for m in (1, 2, 3)]
    expected = _pvs(6)["pv2"].to_list()
    stored = store.raw.sql(
        "SELECT wert FROM assessment_results WHERE pv_nr = 2 ORDER BY pseudonym"
    ).fetchall()
    order = np.argsort([_pseudonym(i) for i in range(6)])
    assert [r[0] for r in stored] == pytest.approx([expected[i] for i in order])
    maxima = dict(
        store.raw.sql(
            "SELECT item, max(max_punkte) FROM assessment_responses GROUP BY 1"
        ).fetchall()
    )
    assert maxima == {"L001": 1, "L002": 2}
    meta = store.raw.sql(
        "SELECT DISTINCT erhebung, schuljahr, jahrgangsstufe, kompetenzbereich, stufenmodell "
        "FROM assessment_results"
    ).fetchall()
    assert meta == [("LS4-2023", 2023, 4, "DEUTSCH_LESEN", "primar_deutsch_lesen")]


def test_restoring_an_erhebung_replaces_it(store: AnalyticStore, tmp_path: Path) -> None:
    bg, opts = _background(6), _options(tmp_path)
    _save(store, "LS4-2023", pvs=_pvs(6), responses=_responses(6), background=bg, options=opts)
    _save(store, "LS4-X", pvs=_pvs(4), background=bg, options=opts)
    again = _save(store, "LS4-2023", pvs=_pvs(6, shift=50.0), background=bg, options=opts)
    assert (again.replaced_results, again.replaced_responses) == (18, 9)
    assert again.results.stored == 18 and again.results.duplicates == 0
    means = dict(
        store.raw.sql("SELECT erhebung, avg(wert) FROM assessment_results GROUP BY 1").fetchall()
    )
    assert means["LS4-2023"] == pytest.approx(
        float(_pvs(6, shift=50.0).select(pl.mean_horizontal(pl.exclude("id"))).mean().item())
    )
    assert store.count("assessment_results") == 18 + 12  # the other Erhebung is untouched
    assert store.count("assessment_responses") == 0  # the new version has no responses
    same = _save(store, "LS4-2023", pvs=_pvs(6, shift=50.0), background=bg, options=opts)
    assert same.results.stored == 18 and store.count("assessment_results") == 30


def test_bad_rows_are_quarantined_with_german_reasons(store: AnalyticStore, tmp_path: Path) -> None:
    background = _background(6).with_columns(
        pl.when(pl.col("id") == "p1")
        .then(pl.lit("17A1"))
        .otherwise(pl.col("schulnummer"))
        .alias("schulnummer"),
        pl.Series("gewicht", ["1", "1", "-2", "1", "1", "1"]),
    )
    background = background.filter(pl.col("id") != "p5")  # p5 has PVs but no background
    result = _save(
        store, "LS4-2023", pvs=_pvs(6), background=background, options=_options(tmp_path)
    )
    r = result.results
    assert r.read == 18 and r.read == r.stored + r.quarantined + r.duplicates
    assert r.quarantined == 9 and r.stored == 9  # p1, p2, p5 × 3 PVs
    assert r.quarantine_file is not None
    with r.quarantine_file.open(encoding="utf-8") as handle:
        reasons = [row["grund"] for row in csv.DictReader(handle, delimiter=";")]
    text = "\n".join(reasons)
    assert "Spalte schulnummer" in text and "hat nicht das erwartete Format" in text
    assert "Spalte gewicht" in text and "kleiner als das Minimum 0" in text
    assert "Spalte pseudonym: Pflichtwert fehlt" in text
    assert store.count("assessment_results") == 9


def test_identifying_columns_are_refused(store: AnalyticStore, tmp_path: Path) -> None:
    background = _background(3).with_columns(pl.lit("Anna").alias("vorname"))
    with pytest.raises(BimoError, match="identifizierende Spalten \\(vorname\\)"):
        _save(
            store,
            "LS4-2023",
            pvs=_pvs(3),
            background=background,
            options=_options(tmp_path),
        )
    assert store.count("assessment_results") == 0
    for name in ("assessment_results", "assessment_responses"):
        assert not set(ANALYTIC_TABLES[name].column_names) & IDENTIFYING_COLUMNS


def test_a_failed_store_keeps_the_previous_version(store: AnalyticStore, tmp_path: Path) -> None:
    bg, opts = _background(6), _options(tmp_path)
    _save(store, "LS4-2023", pvs=_pvs(6), background=bg, options=opts)
    nothing = _responses(6).with_columns(
        pl.lit(None, dtype=pl.Int8).alias(c) for c in ("L001", "L002")
    )
    with pytest.raises(InputFileError, match="keine Datensätze"):
        _save(
            store,
            "LS4-2023",
            pvs=_pvs(6, shift=80.0),
            responses=nothing,
            background=bg,
            options=opts,
        )
    mean = store.raw.sql("SELECT avg(wert) FROM assessment_results").fetchall()[0][0]
    assert mean < 560  # still the first version
    assert store.count("assessment_results") == 18


def test_missing_columns_are_a_clear_error(store: AnalyticStore) -> None:
    with pytest.raises(BimoError, match="fehlen die Spalten klasse"):
        _save(store, "E", pvs=_pvs(3), background=_background(3).drop("klasse"))
    with pytest.raises(BimoError, match="pv1, pv2"):
        _save(store, "E", pvs=_pvs(3).drop("pv1", "pv2", "pv3"), background=_background(3))


@pytest.fixture(scope="module")
def musterland_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small Musterland (three school years) imported into a store."""
    base = tmp_path_factory.mktemp("lernstand")
    generate(SynthConfig(base / "ml", students=12_000, years=3, seed=11, dirty_rows=100))
    path = base / "store.duckdb"
    with AnalyticStore(path) as s:
        import_directory(base / "ml", s, ImportOptions(quarantine_dir=base / "q"))
    return path


def test_simulate_waves_share_items_carry_pseudonyms_and_trend(musterland_store: Path) -> None:
    with AnalyticStore(musterland_store, read_only=True) as s:
        waves = simulate_waves(s, [2015, 2016, 2017])
        known = s.raw.sql(
            "SELECT schuljahr, pseudonym FROM student_years WHERE jahrgangsstufe = 4"
        ).pl()
        single = simulate_wave(s, WaveConfig(year=2016))
    assert [w.year for w in waves] == [2015, 2016, 2017]
    assert all(w.items.equals(waves[0].items) for w in waves)
    for w in waves:
        assert "pseudonym" in w.background.columns
        assert not set(w.background.columns) & IDENTIFYING_COLUMNS
        year_pseudonyms = set(known.filter(pl.col("schuljahr") == w.year)["pseudonym"])
        assert set(w.background["pseudonym"]) <= year_pseudonyms
    means = [float(w.truth["theta"].to_numpy().mean()) for w in waves]
    assert means == pytest.approx([0.0, -0.05, -0.10], abs=1e-9)
    assert len({i for w in waves for i in w.responses["id"]}) == sum(
        w.responses.height for w in waves
    )
    assert "pseudonym" not in single.background.columns  # the single wave is unchanged


def test_run_lernstand_waves_stores_a_visible_trend(musterland_store: Path, tmp_path: Path) -> None:
    store_copy = tmp_path / "store.duckdb"
    store_copy.write_bytes(musterland_store.read_bytes())
    facts = run_lernstand_waves(store_copy, tmp_path / "work", [2015, 2016, 2017])
    assert facts["erhebungen"] == ["LS4-2015", "LS4-2016", "LS4-2017"]
    assert facts["quarantaene"] == 0
    means = [facts["mittelwert"][str(y)] for y in (2015, 2016, 2017)]
    assert means[0] == pytest.approx(500.0, abs=0.01)  # the base wave defines the metric
    assert means[0] > means[1] > means[2]
    assert means[0] - means[2] == pytest.approx(10.0, abs=4.0)
    with AnalyticStore(store_copy, read_only=True) as s:
        counts = s.raw.sql(
            "SELECT r.erhebung, count(*), count(DISTINCT r.pseudonym), "
            "count(DISTINCT y.pseudonym) FROM assessment_results r LEFT JOIN student_years y "
            "ON y.pseudonym = r.pseudonym AND y.schuljahr = r.schuljahr "
            "AND y.jahrgangsstufe = 4 GROUP BY 1 ORDER BY 1"
        ).fetchall()
        tables = {row[0] for row in s.raw.sql("SHOW TABLES").fetchall()}
    for (erhebung, rows, persons, linked), year in zip(counts, (2015, 2016, 2017), strict=True):
        assert erhebung == f"LS4-{year}"
        assert rows == 10 * persons and linked == persons  # every result links to its record
        assert persons == facts["schuelerinnen_und_schueler"][str(year)]
    assert "identities" not in tables
    # Running again (default: the last three school years) replaces the waves.
    again = run_lernstand_waves(store_copy, tmp_path / "work")
    assert again["erhebungen"] == facts["erhebungen"]
    with AnalyticStore(store_copy, read_only=True) as s:
        assert s.count("assessment_results") == sum(c[1] for c in counts)


def _write_csv(path: Path, frame: pl.DataFrame) -> Path:
    frame.write_csv(path)
    return path


def test_cli_stores_theta_pvs_on_the_reporting_metric(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    theta = rng.standard_normal((8, 2)) * 0.5 + 0.2
    pv = _write_csv(
        tmp_path / "pv.csv",
        pl.DataFrame({"id": [f"p{i}" for i in range(8)], "pv1": theta[:, 0], "pv2": theta[:, 1]}),
    )
    bg = _write_csv(tmp_path / "bg.csv", _background(8))
    answers = _write_csv(
        tmp_path / "antworten.csv",
        _responses(6)
        .vstack(_responses(2))
        .with_columns(pl.Series("id", [f"p{i}" for i in range(8)])),
    )
    db = tmp_path / "cli.duckdb"
    args = [
        "scale", "store", "--erhebung", "LS4-2023", "--pv", str(pv), "--hintergrund", str(bg),
        "--antworten", str(answers), "--schuljahr", "2023", "--jahrgangsstufe", "4",
        "--kompetenzbereich", "DEUTSCH_LESEN", "--stufenmodell", "primar_deutsch_lesen",
        "--store", str(db), "--quarantaene", str(tmp_path / "q"),
    ]  # fmt: skip
    missing = runner.invoke(app, args)
    assert missing.exit_code == 2 and "Referenzmetrik fehlt" in missing.output
    ok = runner.invoke(app, [*args, "--reference-mean", "0.2", "--reference-sd", "0.5"])
    assert ok.exit_code == 0, ok.output
    assert "16 Ergebniszeilen gespeichert, 0 in Quarantäne" in ok.output
    with AnalyticStore(db, read_only=True) as s:
        mean = s.raw.sql("SELECT avg(wert) FROM assessment_results").fetchall()[0][0]
        assert s.count("assessment_responses") == 12
    assert mean == pytest.approx(500 + 100 * (theta.mean() - 0.2) / 0.5)
    bad_bg = _write_csv(tmp_path / "bg_bad.csv", _background(8).drop("pseudonym"))
    bad = runner.invoke(app, [*args[:7], str(bad_bg), *args[8:], "--transform-from-pvs"])
    assert bad.exit_code == 2 and "fehlen die Spalten pseudonym" in bad.output


def test_duplicate_pv_ids_are_refused(store: AnalyticStore) -> None:
    pvs = _pvs(3).with_columns(pl.Series("id", ["p0", "p1", "p1"]))
    with pytest.raises(BimoError, match="Zeile 2: die ID fehlt oder kommt mehrfach vor"):
        _save(store, "E", pvs=pvs, background=_background(3))
