"""``bimo verlauf publish-all`` on a small generated Musterland.

That a naive suppression (primary cells only) fails an LP audit is shown in general by the
privacy tests (``tests/privacy``); here the same counterexample runs through the full run and
must make it fail with exit code 1.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from bimo.cli import app
from bimo.core.errors import BimoError
from bimo.core.store import AnalyticStore
from bimo.ingest.importer import import_directory
from bimo.privacy import TOTAL, Link, ProtectedTable, ProtectionConfig, Table, audit_published
from bimo.synth.generator import SynthConfig, generate
from bimo.trajectories import publication
from bimo.trajectories.full_run import RUN_STEPS, publish_all
from bimo.trajectories.linkage import (
    check_trajectories,
    student_years_table,
    summarize,
    summary_counts,
    summary_frame,
    to_polars,
)
from tests.trajectories.linkage.conftest import load, record
from tests.trajectories.linkage.test_checks import clean_rows

MIN = 5


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("musterland")
    generate(SynthConfig(base / "synth", students=6_000, years=5, seed=3, dirty_rows=100))
    path = base / "store.duckdb"
    with AnalyticStore(path) as store:
        import_directory(base / "synth", store)
    return path


@pytest.fixture(scope="module")
def published(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("veroeffentlichung")
    result = CliRunner().invoke(
        app, ["verlauf", "publish-all", "--store", str(store_path), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Prüfung der Geheimhaltung bestanden" in " ".join(result.output.split())
    return out


def _index(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "index.json").read_text(encoding="utf-8"))
    return data


def test_index_lists_every_table(published: Path) -> None:
    index = _index(published)
    names = [t["name"] for t in index["tabellen"]]
    assert index["audit_bestanden"] is True
    assert index["mindestfallzahl"] == MIN
    for prefix in (
        "uebergaenge_kreis",
        "uebergaenge_geschlecht",
        "uebergaenge_ndh",
        "uebergaenge_foerderschwerpunkt",
        "wiederholung_kreis",
        "wiederholung_geschlecht",
        "wiederholung_jahrgangsstufe",
        "schulformwechsel_kreis",
        "abgaenger_abschlussart_kreis",
        "abgaenger_abschlussart_geschlecht",
        "ohne_esa_abgaenger_kreis",
        "ohne_esa_quotensumme_kreis",
        "kohorten_kreis",
    ):
        assert prefix in names
    written = {p.stem for p in published.glob("*.csv")}
    assert written == set(names)
    for entry in index["tabellen"]:
        assert entry["titel"] and entry["definition"] and entry["dimensionen"]
        for file in entry["dateien"]:
            assert (published / file).exists()
        sidecar = json.loads((published / f"{entry['name']}.json").read_text(encoding="utf-8"))
        assert sidecar["titel"] == entry["titel"]
    # Some cells had to be suppressed on data this small (the test would be empty otherwise).
    assert sum(t["geheimhaltung"]["gesperrt"] for t in index["tabellen"]) > 0


def _audit_dims(df: pl.DataFrame, dims: Sequence[str]) -> list[tuple[pl.DataFrame, list[str]]]:
    """Per year/cohort (and Sankey stage) the count table with its dimensions."""
    period = dims[0]
    inner = [d for d in dims[1:] if d != "stufe"]
    parts = []
    for (_,), part in df.group_by([period]):
        if "stufe" in dims:
            for (_,), stage in part.group_by(["stufe"]):
                parts.append((stage, inner))
        else:
            parts.append((part, inner))
    return parts


def test_every_published_table_passes_the_audit(published: Path) -> None:
    for entry in _index(published)["tabellen"]:
        df = pl.read_parquet(published / f"{entry['name']}.parquet")
        values = df["value"].drop_nulls()
        assert not ((values > 0) & (values < MIN)).any(), entry["name"]
        if "quote_prozent" in df.columns:
            # A rate is shown only where its count is shown; never for a margin under MIN.
            shown = df.filter(pl.col("quote_prozent").is_not_null())
            assert shown.filter(pl.col("flag") == ".").height == 0
            if "nenner" in shown.columns:
                assert (shown["nenner"] >= MIN).all()
        if entry["name"] == "ohne_esa_quotensumme_kreis":
            continue  # its counts are a copy of ohne_esa_abgaenger_kreis
        for part, dims in _audit_dims(df, entry["dimensionen"]):
            report = audit_published(part, dims, MIN)
            assert report.passed, (entry["name"], report.failures[:3])


def test_rates_rest_on_protected_counts(published: Path) -> None:
    df = pl.read_parquet(published / "uebergaenge_kreis.parquet")
    shown = df.filter(pl.col("quote_prozent").is_not_null())
    expected = shown["value"].fill_null(0) * 100.0 / shown["nenner"]
    # Published to one decimal.
    assert (shown["quote_prozent"] - expected).abs().max() <= 0.05 + 1e-9  # type: ignore[operator]
    small = df.filter(pl.col("nenner") < MIN)
    assert small["quote_prozent"].is_null().all()


def _naive_protect_set(
    tables: Sequence[tuple[pl.DataFrame, Sequence[str]]],
    config: ProtectionConfig | None = None,
    *,
    links: Sequence[Link] = (),
) -> list[ProtectedTable]:
    """Primary suppression only: the margins give the suppressed cells away."""
    out = []
    for df, dims in tables:
        frame = Table.from_inner(df, dims).to_frame()
        small = (pl.col("value") > 0) & (pl.col("value") < MIN)
        frame = frame.with_columns(
            pl.when(small).then(None).otherwise(pl.col("value")).alias("value"),
            pl.when(small).then(pl.lit(".")).otherwise(pl.lit("")).alias("flag"),
        )
        out.append(ProtectedTable(tuple(dims), frame, {}))
    return out


def test_naive_suppression_fails_the_run(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publication, "protect_set", _naive_protect_set)
    result = CliRunner().invoke(
        app, ["verlauf", "publish-all", "--store", str(store_path), "--out", str(tmp_path)]
    )
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())  # Rich wraps long lines
    assert "Prüfung der Geheimhaltung ist fehlgeschlagen" in text
    assert "nicht veröffentlicht werden" in text
    assert _index(tmp_path)["audit_bestanden"] is False


def test_progress_steps_and_timings(store_path: Path, tmp_path: Path) -> None:
    seen: list[str] = []
    with AnalyticStore(store_path, read_only=True) as store:
        result = publish_all(store.raw, tmp_path, progress=seen.append)
    assert tuple(seen) == RUN_STEPS
    assert 0 < result.duckdb_seconds < result.timings["total"]
    assert result.checks is not None and result.checks.height == 8
    assert TOTAL in pl.read_csv(tmp_path / "wiederholung_kreis.csv")["kreis_ags"].to_list()


def test_min_below_five_is_refused(store_path: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "verlauf",
            "publish-all",
            "--store",
            str(store_path),
            "--out",
            str(tmp_path),
            "--min",
            "3",
        ],
    )
    # A BimoError: ``bimo``'s main prints it without traceback and exits with 2.
    assert isinstance(result.exception, BimoError)
    assert "Mindestfallzahl 3 ist nicht zulässig" in str(result.exception)
    assert not (tmp_path / "index.json").exists()


def test_fast_check_summary_equals_the_report_summary(tmp_path: Path) -> None:
    """``summary_counts`` (used by the full run) gives the numbers of the full report."""
    rows = [
        *clean_rows(),
        record("zwei", 2020, 5),
        record("zwei", 2020, 5, schulnummer="100002"),
        record("luecke", 2018, 3),
        record("luecke", 2021, 6),
        record("sprung", 2020, 5),
        record("sprung", 2021, 7),
        record("sprung", 2022, 9),
        record("entl", 2020, 9, abgangsart="ENTL", abschlussart="ESA"),
        record("entl", 2021, 10),
        record("fort", 2019, 5, abgangsart="FORTZUG"),
        record("fort", 2020, 6),
        record("geb", 2020, 5),
        record("geb", 2021, 6, geburtsjahr=2013),
        record("sex", 2020, 5),
        record("sex", 2021, 6, geschlecht="m"),
    ]
    with AnalyticStore(tmp_path / "s.duckdb") as store:
        load(store, rows)
        table = student_years_table()
        slow = to_polars(store.raw, summarize(check_trajectories(table)))
        fast = summary_frame(to_polars(store.raw, summary_counts(table)))
    assert fast.equals(slow.select(fast.columns).cast(fast.schema))
    assert (fast["befunde"] > 0).sum() >= 7
