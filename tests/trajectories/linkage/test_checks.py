"""Every consistency check on hand-made trajectories; clean trajectories give no findings."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from bimo.core.store import AnalyticStore
from bimo.trajectories import linkage_cli
from bimo.trajectories.linkage import (
    CHECKS,
    check_trajectories,
    student_years_table,
    summarize,
    to_polars,
    trajectory_overview,
)

from .conftest import load, pseudonym, record


def clean_rows() -> list[dict[str, object]]:
    rows = [record("glatt", 2018 + i, 1 + i) for i in range(6)]
    rows[0]["zugangsart"] = "EIN"
    rows[0]["einschulungsart"] = "FRIST"
    rows[4].update(zugangsart="WECHSEL", schulnummer="200002", schulform="GY")
    rows[5].update(schulnummer="200002", schulform="GY")
    # Repetition (same grade twice) is not a jump.
    rows += [
        record("wiederholer", 2020, 3),
        record("wiederholer", 2021, 3, wiederholung="NV"),
        record("wiederholer", 2022, 4),
    ]
    # Gap explained by Fortzug … Zuzug.
    rows += [
        record("fortzug", 2018, 5, abgangsart="FORTZUG"),
        record("fortzug", 2020, 7, zugangsart="ZUZUG"),
    ]
    # Leaves with a certificate, never returns.
    rows += [record("abschluss", 2022, 10, abgangsart="ENTL", abschlussart="MSA")]
    return rows


def report_of(store: AnalyticStore) -> pl.DataFrame:
    return to_polars(store.raw, check_trajectories(student_years_table()))


def test_clean_trajectories_have_no_findings(store: AnalyticStore) -> None:
    rows = clean_rows()
    load(store, [r for r in rows if r["pseudonym"] != pseudonym("fortzug")])
    assert report_of(store).height == 0


@pytest.mark.parametrize(
    ("rows", "code", "year"),
    [
        ([record("a", 2020, 5), record("a", 2020, 5, schulnummer="200002")], "ZWEI_SCHULEN", 2020),
        ([record("a", 2018, 3), record("a", 2021, 6)], "LUECKE", 2021),
        ([record("a", 2020, 5), record("a", 2021, 7)], "SPRUNG_JAHRGANG", 2021),
        (
            [record("a", 2020, 9, abgangsart="ENTL", abschlussart="ESA"), record("a", 2021, 10)],
            "RUECKKEHR_NACH_ENTL",
            2021,
        ),
        (
            [record("a", 2020, 5, abgangsart="FORTZUG"), record("a", 2021, 6)],
            "RUECKKEHR_NACH_FORTZUG_OHNE_ZUZUG",
            2021,
        ),
        (
            [record("a", 2020, 5, abgangsart="FORTZUG"), record("a", 2021, 6, zugangsart="WIEDER")],
            "RUECKKEHR_NACH_FORTZUG",
            2021,
        ),
        (
            [record("a", 2020, 5), record("a", 2021, 6, geburtsjahr=2013)],
            "GEBURTSDATEN_ABWEICHEND",
            2021,
        ),
        (
            [record("a", 2020, 5), record("a", 2021, 6, geburtsmonat=6)],
            "GEBURTSDATEN_ABWEICHEND",
            2021,
        ),
        (
            [record("a", 2020, 5), record("a", 2020, 5, schulnummer="200002", geschlecht="m")],
            "GESCHLECHT_ABWEICHEND",
            2020,
        ),
        (
            [record("a", 2020, 5), record("a", 2021, 6, geschlecht="m")],
            "GESCHLECHT_ABWEICHEND",
            2021,
        ),
    ],
)
def test_each_check_fires(
    store: AnalyticStore, rows: list[dict[str, object]], code: str, year: int
) -> None:
    load(store, rows + clean_rows())
    report = report_of(store)
    mine = report.filter(pl.col("pseudonym") == pseudonym("a"))
    assert (code, year) in set(zip(mine["code"], mine["schuljahr"], strict=True))
    # The clean trajectories stay clean next to the broken one.
    others = report.filter(pl.col("pseudonym") != pseudonym("a"))
    assert others["code"].to_list() == ["RUECKKEHR_NACH_FORTZUG"]
    assert all(len(text) > 10 for text in mine["beschreibung"])


def test_gap_check_details(store: AnalyticStore) -> None:
    load(store, [record("a", 2018, 3), record("a", 2021, 6)])
    report = report_of(store)
    assert report["code"].to_list() == ["LUECKE"]
    assert report["beschreibung"][0] == (
        "kein Datensatz in 2 Schuljahr(en) zwischen 2018 und 2021, "
        "weder Fortzug noch Zuzug/Wiedereintritt"
    )


def test_summary_lists_every_check(store: AnalyticStore) -> None:
    load(
        store,
        [record("a", 2020, 5), record("a", 2021, 7), record("b", 2020, 5), record("b", 2022, 8)],
    )
    summary = to_polars(store.raw, summarize(check_trajectories(student_years_table())))
    assert summary["code"].to_list() == [c.code for c in CHECKS]
    counts = dict(zip(summary["code"], summary["befunde"], strict=True))
    assert counts["SPRUNG_JAHRGANG"] == 2
    assert counts["LUECKE"] == 1
    assert counts["ZWEI_SCHULEN"] == 0
    overview = to_polars(store.raw, trajectory_overview(student_years_table()))
    assert overview.height == 2


def test_cli_check_writes_report(store: AnalyticStore, tmp_path: Path) -> None:
    load(store, [record("a", 2020, 5), record("a", 2021, 7)])
    path = store.path
    store.close()
    app = typer.Typer()
    linkage_cli.add_commands(app)
    app.command("noop")(lambda: None)
    out = tmp_path / "befunde.csv"
    result = CliRunner().invoke(app, ["check", "--store", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "SPRUNG_JAHRGANG" in result.stdout
    detail = pl.read_csv(out)
    assert detail.columns == ["pseudonym", "schuljahr", "code", "schwere", "beschreibung"]
    assert detail["code"].to_list() == ["SPRUNG_JAHRGANG"]
