"""``--publish``: counts go through bimo.privacy; rates are recomputed from protected counts."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from bimo.cli import app
from bimo.privacy import TOTAL
from bimo.trajectories.publication import RateSpec, publish_flows, publish_quota, publish_rates
from tests.trajectories.analyses.test_repetition import repetition_data


def _transitions() -> pl.DataFrame:
    rows = [
        ("01001", "GY", 30, 53),
        ("01001", "RS", 20, 53),
        ("01001", "HS", 3, 53),
        ("01002", "GY", 12, 40),
        ("01002", "RS", 20, 40),
        ("01002", "HS", 8, 40),
    ]
    return pl.DataFrame(
        [
            {
                "schuljahr": 2021,
                "kreis_ags": k,
                "ziel_schulform": f,
                "numerator": n,
                "denominator": d,
                "rate": 100 * n / d,
            }
            for k, f, n, d in rows
        ]
    )


def test_publish_rates_protects_counts() -> None:
    table = publish_rates(
        _transitions(), "schuljahr", ["kreis_ags"], RateSpec("ziel_schulform", None)
    )
    cells = table.cells
    assert table.dims == ("schuljahr", "kreis_ags", "ziel_schulform")
    # Margins are there; the Kreis total of transitions is the denominator.
    total = cells.filter((pl.col("kreis_ags") == "01002") & (pl.col("ziel_schulform") == TOTAL))
    assert total["value"].to_list() == [40]
    published = cells.filter(pl.col("value").is_not_null())["value"]
    assert published.filter((published > 0) & (published < 5)).len() == 0
    hs = cells.filter((pl.col("kreis_ags") == "01001") & (pl.col("ziel_schulform") == "HS"))
    assert hs["value"].to_list() == [None] and hs["flag"].to_list() == ["."]
    assert hs["quote_prozent"].to_list() == [None]
    # At least one more cell of the 01001 row is suppressed (else HS = total − rest).
    row = cells.filter((pl.col("kreis_ags") == "01001") & (pl.col("ziel_schulform") != TOTAL))
    assert row["value"].null_count() >= 2
    ok = cells.filter(pl.col("quote_prozent").is_not_null())
    assert ok.height > 0
    for r in ok.iter_rows(named=True):
        # Published to one decimal (half-way cases may round either way).
        assert abs(r["quote_prozent"] - 100 * (r["value"] or 0) / r["nenner"]) <= 0.05 + 1e-9


def test_rest_category_and_small_margin() -> None:
    df = pl.DataFrame(
        {
            "schuljahr": [2021, 2021],
            "geschlecht": ["m", "w"],
            "numerator": [10, 1],
            "denominator": [200, 3],
            "rate": [5.0, 100 / 3],
        }
    )
    cells = publish_rates(
        df, "schuljahr", ["geschlecht"], RateSpec(None, "nicht wiederholt", "wiederholt")
    ).cells
    m = cells.filter((pl.col("geschlecht") == "m") & (pl.col("merkmal") == "nicht wiederholt"))
    assert m["value"].to_list() in ([190], [None])
    w = cells.filter((pl.col("geschlecht") == "w") & (pl.col("merkmal") == "wiederholt"))
    assert w["quote_prozent"].to_list() == [None]  # margin 3 < 5: no rate
    assert w["quote_flag"].to_list()[0] in (".", "/")


def test_publish_quota_only_safe_rates() -> None:
    inner = pl.DataFrame(
        {
            "schuljahr": [2021, 2021],
            "geschlecht": ["m", "w"],
            "numerator": [40, 2],
            "denominator": [800.0, 50.0],
            "rate": [5.0, 4.0],
        }
    )
    levels = pl.concat(
        [
            inner,
            pl.DataFrame(
                {
                    "schuljahr": [2021],
                    "geschlecht": [TOTAL],
                    "numerator": [42],
                    "denominator": [850.0],
                    "rate": [4.94],
                }
            ),
        ]
    )
    cells = publish_quota(inner, levels, "schuljahr", ["geschlecht"]).cells
    by_sex = {r["geschlecht"]: r for r in cells.iter_rows(named=True)}
    assert by_sex["w"]["value"] is None and by_sex["w"]["quote_prozent"] is None
    assert by_sex["m"]["value"] is None  # secondary suppression: m = total − w otherwise
    assert by_sex[TOTAL]["quote_prozent"] == 4.9 and by_sex[TOTAL]["value"] == 42


def test_publish_flows_shares_middle_totals() -> None:
    edges = [
        (1, "Start: GS", "Nach Übergang: GY", 40),
        (1, "Start: GS", "Nach Übergang: RS", 30),
        (2, "Nach Übergang: GY", "Abschluss: AHR", 38),
        (2, "Nach Übergang: GY", "fortgezogen", 2),
        (2, "Nach Übergang: RS", "Abschluss: MSA", 30),
    ]
    df = pl.DataFrame(
        [
            {
                "kohorte": 2010,
                "stufe": s,
                "quelle": q,
                "ziel": z,
                "numerator": n,
                "denominator": 70,
                "rate": n / 0.7,
            }
            for s, q, z, n in edges
        ]
    )
    cells = publish_flows(df, []).cells
    inner = cells.filter((pl.col("quelle") != TOTAL) & (pl.col("ziel") != TOTAL))
    values = inner["value"].drop_nulls()
    assert values.filter((values > 0) & (values < 5)).len() == 0
    fort = inner.filter(pl.col("ziel") == "fortgezogen")
    got = dict(zip(fort["quelle"], fort["flag"], strict=True))
    assert got == {"Nach Übergang: GY": ".", "Nach Übergang: RS": "-"}  # secret; true zero
    # The middle-node total (GY = 40) is one variable for both stages: published alike.
    gy = cells.filter(
        ((pl.col("ziel") == "Nach Übergang: GY") & (pl.col("quelle") == TOTAL))
        | ((pl.col("quelle") == "Nach Übergang: GY") & (pl.col("ziel") == TOTAL))
    )
    assert gy.height == 2 and gy["value"].n_unique() == 1


def test_cli_publish_writes_protected_files(tmp_path: Path) -> None:
    store = tmp_path / "p.duckdb"
    repetition_data().store(store).close()
    stem = tmp_path / "pub" / "wiederholung"
    result = CliRunner().invoke(
        app,
        [
            "verlauf",
            "wiederholung",
            "--store",
            str(store),
            "--by",
            "geschlecht",
            "--publish",
            "--out",
            str(stem),
        ],
    )
    assert result.exit_code == 0, result.output
    csv = pl.read_csv(stem.with_suffix(".csv"))
    values = csv["value"].drop_nulls()
    assert values.filter((values > 0) & (values < 5)).len() == 0
    meta = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["befehl"] == "bimo verlauf wiederholung" and meta["margin_label"] == TOTAL
    result = CliRunner().invoke(app, ["verlauf", "abgaenger", "--store", str(store), "--publish"])
    assert result.exit_code != 0 and "--out" in str(result.exception)
