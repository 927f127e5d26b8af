"""Targets (Zielsystem): path, trend (WLS/OLS), traffic light, German reasons, YAML checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import typer
from scipy import stats
from typer.testing import CliRunner

from bimo.core.errors import BimoError
from bimo.indicators import VALUE_SCHEMA
from bimo.indicators.targets import (
    Target,
    TargetsError,
    evaluate_target,
    evaluate_targets,
    fit_trend,
    format_number,
    load_targets,
    parse_targets,
)

AGS = "09162"


def series(
    values: dict[int, float | None],
    *,
    indikator: str = "D20",
    ags: str = AGS,
    se: dict[int, float] | None = None,
    flags: dict[int, str] | None = None,
) -> pl.DataFrame:
    rows = []
    for year, value in values.items():
        flag = (flags or {}).get(year, "" if value is not None else ".")
        rows.append(
            {
                "indikator": indikator,
                "jahr": year,
                "ebene": "KREIS",
                "ags": ags,
                "region": "Musterkreis",
                "merkmal": "insgesamt",
                "auspraegung": "Insgesamt",
                "auspraegung_label": "Insgesamt",
                "zaehler": None,
                "nenner": None,
                "wert": value,
                "se": (se or {}).get(year),
                "flag": flag,
                "intern": False,
            }
        )
    return pl.DataFrame(rows, schema=VALUE_SCHEMA)


@dataclass(frozen=True)
class Info:
    id: str = "D20"
    titel: str = "Anteil unter dem Mindeststandard"
    einheit: str = "prozent"
    nachkommastellen: int = 1
    zeitbezug: str = "schuljahr"


INFO = Info()


def halve(**changes: object) -> Target:
    data: dict[str, object] = {
        "id": "halbieren",
        "indikator": "D20",
        "titel": "Halbieren",
        "richtung": "senken",
        "art": "relativ",
        "aenderung_prozent": -50,
        "basis_ab": 2021,
        "zieljahr": 2035,
        "quelle": "Testquelle",
    }
    data.update(changes)
    return Target.model_validate(data)


def years(values: list[float], start: int = 2021) -> dict[int, float | None]:
    return {start + i: v for i, v in enumerate(values)}


# --- path and status -------------------------------------------------------------------------


def test_path_is_linear_from_baseline_to_target() -> None:
    status = evaluate_target(series(years([20, 19, 18, 17])), halve(), INFO, AGS)
    assert status.basisjahr == 2021 and status.basiswert == 20
    assert status.zielwert == pytest.approx(10)
    assert status.pfad[0] == (2021, 20)
    assert status.pfad[-1][0] == 2035 and status.pfad[-1][1] == pytest.approx(10)
    assert len(status.pfad) == 15
    assert dict(status.pfad)[2028] == pytest.approx(15)
    assert status.soll_aktuell == pytest.approx(20 - 3 * 10 / 14)


def test_absolute_and_rising_targets() -> None:
    rising = halve(richtung="steigern", aenderung_prozent=20, indikator="D21")
    status = evaluate_target(series(years([50, 52, 54, 56]), indikator="D21"), rising, INFO, AGS)
    assert status.zielwert == pytest.approx(60)
    assert status.status == "gruen"
    absolute = halve(art="absolut", aenderung_prozent=None, zielwert=12.5)
    status = evaluate_target(series(years([20, 19.9, 19.8, 19.7])), absolute, INFO, AGS)
    assert status.zielwert == 12.5
    assert status.status == "rot"


def test_green_when_projection_reaches_target() -> None:
    status = evaluate_target(series(years([20, 19, 18, 17])), halve(), INFO, AGS)
    assert status.status == "gruen"
    assert status.methode == "OLS"
    assert status.trend_steigung == pytest.approx(-1)
    assert status.projektion == pytest.approx(6)


def test_green_when_clearly_ahead_of_path_even_if_trend_flattens() -> None:
    # 2025 is 1.5 points below the path (soll 17.1) although the line now rises: the imprecise
    # baseline (SE 5) hardly weighs against the four precise later years.
    se = {2021: 5.0, 2022: 0.2, 2023: 0.2, 2024: 0.2, 2025: 0.2}
    data = series(years([20, 15, 15.2, 15.4, 15.6]), se=se)
    status = evaluate_target(data, halve(), INFO, AGS)
    assert status.trend_steigung is not None and status.trend_steigung > 0
    assert status.projektion is not None and status.projektion > 10
    assert status.status == "gruen"
    assert "vor dem Zielpfad" in status.begruendung


def test_yellow_when_behind_path_but_interval_includes_target() -> None:
    status = evaluate_target(series(years([20, 19.0, 19.6, 18.4])), halve(), INFO, AGS)
    assert status.projektion == pytest.approx(14.0)
    assert status.projektion_unten is not None and status.projektion_unten < 10
    assert status.status == "gelb"


def test_red_when_even_optimistic_bound_misses() -> None:
    status = evaluate_target(series(years([20, 18.8, 19.7, 18.5, 18.9])), halve(), INFO, AGS)
    assert status.projektion_unten is not None and status.projektion_unten > 10
    assert status.status == "rot"
    flat = evaluate_target(series(years([20, 19.9, 19.8, 19.7])), halve(), INFO, AGS)
    assert flat.status == "rot"


def test_unknown_with_fewer_than_three_years() -> None:
    status = evaluate_target(series(years([20, 19])), halve(), INFO, AGS)
    assert status.status == "unbekannt"
    assert status.trend_steigung is None
    assert "erst 2 veröffentlichte Jahreswerte" in status.begruendung


def test_unknown_when_latest_value_is_suppressed() -> None:
    data = series({2021: 20, 2022: 19, 2023: 18, 2024: None})
    status = evaluate_target(data, halve(), INFO, AGS)
    assert status.status == "unbekannt"
    assert "2024/25" in status.begruendung and "Geheimhaltung" in status.begruendung


def test_unknown_without_data_or_catalogue_entry() -> None:
    other_region = evaluate_target(series(years([20, 19, 18])), halve(), INFO, "09999")
    assert other_region.status == "unbekannt"
    assert "keine Werte" in other_region.begruendung
    no_info = evaluate_target(series(years([20, 19, 18])), halve(), None, AGS)
    assert no_info.status == "unbekannt"
    assert "nicht im Indikatorenkatalog" in no_info.begruendung


def test_suppressed_values_are_never_used() -> None:
    # A suppressed row that (wrongly) still carries a number must not enter the trend.
    data = series({2021: 20, 2022: 99.0, 2023: 18, 2024: 17, 2025: 16}, flags={2022: "."})
    status = evaluate_target(data, halve(), INFO, AGS)
    assert status.n_jahre == 4
    clean = fit_trend([2021, 2023, 2024, 2025], [20, 18, 17, 16], None, 2035, origin=2021)
    assert status.trend_steigung == pytest.approx(clean.steigung)


def test_baseline_skips_suppressed_first_year_and_fixed_baseline() -> None:
    data = series({2020: 25, 2021: None, 2022: 20, 2023: 19, 2024: 18})
    status = evaluate_target(data, halve(), INFO, AGS)
    assert status.basisjahr == 2022 and status.basiswert == 20
    fixed = evaluate_target(data, halve(basisjahr=2020), INFO, AGS)
    assert fixed.basisjahr == 2020 and fixed.basiswert == 25
    assert fixed.n_jahre == 4
    missing = evaluate_target(data, halve(basisjahr=2021), INFO, AGS)
    assert missing.status == "unbekannt" and "im Schuljahr 2021/22" in missing.begruendung


def test_unknown_when_first_value_is_not_before_the_target_year() -> None:
    data = series({2035: 10.0, 2036: 9.0, 2037: 8.0})
    status = evaluate_target(data, halve(), INFO, AGS)
    assert status.status == "unbekannt" and "Zielpfad" in status.begruendung


def test_as_of_cuts_the_series() -> None:
    data = series(years([20, 19, 18, 17, 16]))
    status = evaluate_target(data, halve(), INFO, AGS, as_of=2023)
    assert status.letztes_jahr == 2023 and status.n_jahre == 3


# --- trend methods ---------------------------------------------------------------------------


def test_ols_matches_scipy_linregress() -> None:
    xs = [2021, 2022, 2023, 2024, 2025]
    ys = [20.0, 18.8, 19.7, 18.5, 18.9]
    trend = fit_trend(xs, ys, None, 2035, origin=2021)
    ref = stats.linregress(xs, ys)
    assert trend.methode == "OLS"
    assert trend.steigung == pytest.approx(ref.slope)
    assert trend.steigung_se == pytest.approx(ref.stderr)


def test_wls_uses_inverse_variance_weights() -> None:
    xs = [2021, 2022, 2023, 2024]
    ys = [20.0, 18.0, 19.0, 16.0]
    se = [0.5, 2.0, 2.0, 0.5]
    wls = fit_trend(xs, ys, se, 2035, origin=2021)
    ols = fit_trend(xs, ys, None, 2035, origin=2021)
    # numpy's polyfit takes weights 1/sigma (it squares them internally).
    ref_slope = np.polyfit(np.array(xs, float), ys, 1, w=1 / np.array(se))[0]
    assert wls.methode == "WLS"
    assert wls.steigung == pytest.approx(ref_slope)
    assert wls.steigung != pytest.approx(ols.steigung)


def test_wls_slope_se_from_known_variances_when_points_fit() -> None:
    xs = [0, 1, 2, 3]
    ys = [10.0, 9.0, 8.0, 7.0]
    se = [1.0, 1.0, 2.0, 2.0]
    trend = fit_trend(xs, ys, se, 10, origin=0)
    w = 1 / np.square(se)
    xm = (w * xs).sum() / w.sum()
    sxx = (w * (np.array(xs) - xm) ** 2).sum()
    assert trend.steigung == pytest.approx(-1)
    assert trend.steigung_se == pytest.approx(1 / np.sqrt(sxx))
    q = stats.t.ppf(0.95, 2)
    half = q * np.sqrt(1 / w.sum() + (10 - xm) ** 2 / sxx)
    assert trend.projektion_oben - trend.projektion == pytest.approx(half)


def test_missing_se_falls_back_to_ols() -> None:
    trend = fit_trend([1, 2, 3], [1.0, 2.0, 2.5], [0.1, None, 0.1], 5)
    assert trend.methode == "OLS"


def test_evaluate_uses_se_column() -> None:
    data = series(years([20, 18, 19, 16]), se={2021: 0.5, 2022: 2.0, 2023: 2.0, 2024: 0.5})
    assert evaluate_target(data, halve(), INFO, AGS).methode == "WLS"


# --- sentences -------------------------------------------------------------------------------


def test_reason_contains_the_numbers_in_german_format() -> None:
    status = evaluate_target(series(years([20, 19, 18, 17])), halve(), INFO, AGS)
    text = status.begruendung
    assert "„Anteil unter dem Mindeststandard“ lag im Schuljahr 2024/25 bei 17,0 %" in text
    assert "(Basis 2021/22: 20,0 %)" in text
    assert "das Ziel von 10,0 % im Schuljahr 2035/36" in text
    # (10 − 17) / 11 years = −0.64 per year
    assert "jährlich um 0,6 Prozentpunkte sinken" in text
    assert "bisher sinkt er um 1,0 Prozentpunkte je Jahr" in text
    assert "voraussichtlich erreicht" in text
    assert 2 <= text.count(". ") + 1 <= 3


def test_red_reason_names_the_optimistic_bound() -> None:
    status = evaluate_target(series(years([20, 18.8, 19.7, 18.5, 18.9])), halve(), INFO, AGS)
    assert status.projektion_unten is not None
    assert "voraussichtlich verfehlt" in status.begruendung
    assert format_number(status.projektion_unten, 1) + " %" in status.begruendung


def test_calendar_year_labels_and_reached_goal() -> None:
    info = Info(zeitbezug="jahr", titel="Abgänge ohne Ersten Schulabschluss")
    status = evaluate_target(series(years([8, 6, 5, 3.5])), halve(), info, AGS)
    assert status.status == "gruen"
    assert "lag im Jahr 2024 bei 3,5 %" in status.begruendung
    assert "bereits erreicht" in status.begruendung


def test_format_number() -> None:
    assert format_number(1234.5, 1) == "1.234,5"
    assert format_number(0.25, 2) == "0,25"
    assert format_number(-3.14159, 2) == "−3,14"
    assert format_number(-0.001, 1) == "0,0"


# --- the targets file ------------------------------------------------------------------------


def test_default_targets_cover_the_roadmap_goals() -> None:
    targets = {t.indikator: t for t in load_targets()}
    assert set(targets) == {"D20", "D21", "D22", "D14", "D15"}
    assert targets["D20"].aenderung_prozent == -50 and targets["D20"].richtung == "senken"
    assert targets["D21"].richtung == "steigern" and targets["D22"].richtung == "steigern"
    assert all(t.zieljahr == 2035 for t in targets.values())
    assert all("verify" in t.quelle for t in targets.values())


def _yaml(body: str) -> str:
    return "version: 1\nziele:\n" + body


GOOD = """  - id: a
    indikator: D20
    titel: T
    richtung: senken
    art: relativ
    aenderung_prozent: -50
    zieljahr: 2035
    quelle: Q
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            _yaml(GOOD.replace("    quelle: Q\n", "")),
            "Ziel 1 („a“), Feld quelle: Pflichtfeld fehlt",
        ),
        (_yaml(GOOD.replace("senken", "runter")), "unzulässiger Wert „runter“"),
        (_yaml(GOOD.replace("-50", "50")), "richtung senken passt nicht zu aenderung_prozent 50"),
        (_yaml(GOOD.replace("2035", "zweitausend")), "„zweitausend“ ist keine ganze Zahl"),
        (_yaml(GOOD + "    farbe: rot\n"), "Feld farbe: unbekanntes Feld"),
        (_yaml(GOOD.replace("D20", "X1")), "hat nicht die vorgeschriebene Form"),
        (_yaml(GOOD.replace("art: relativ", "art: absolut")), "verlangt einen zielwert"),
        (_yaml(GOOD + GOOD), "Ziel-ID „a“ kommt doppelt vor"),
        ("version: 1\nziele: [\n", "kein gültiges YAML"),
        ("- nur eine Liste\n", "erwartet wird eine Zuordnung"),
    ],
)
def test_schema_errors_are_german(text: str, expected: str) -> None:
    with pytest.raises(TargetsError) as info:
        parse_targets(text, "ziele.yaml")
    assert expected in str(info.value)
    assert "ziele.yaml" in str(info.value)


def test_load_targets_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TargetsError, match="nicht gefunden"):
        load_targets(tmp_path / "fehlt.yaml")


# --- with the real catalogue format ----------------------------------------------------------

TINY_INDICATOR = """id: D20
bereich: D
titel: Anteil ohne Versetzung
beschreibung: Testindikator.
zaehler: nicht versetzte Schülerinnen und Schüler
nenner: alle Schülerinnen und Schüler
einheit: prozent
nachkommastellen: 1
stichtag: Schuljahresbeginn
zeitbezug: schuljahr
quelle: Schulstatistik
art: anteil
ebenen: [LAND, KREIS]
aufgliederungen: []
richtung: niedriger_besser
interpretation: Test.
berechnung:
  nenner: {quelle: student_years}
  zaehler: {filter: {wiederholung: {in: [NV]}}}
"""


def test_evaluate_targets_with_a_catalogue(tmp_path: Path) -> None:
    from bimo.indicators import load_catalog

    (tmp_path / "D20_test.yaml").write_text(TINY_INDICATOR, encoding="utf-8")
    catalog = load_catalog(tmp_path)
    data = pl.concat([series(years([20, 19, 18, 17])), series(years([5, 6, 7]), indikator="D21")])
    result = evaluate_targets(data, catalog, AGS)
    by_id = {s.indikator: s for s in result}
    assert set(by_id) == {"D20", "D21", "D22", "D14", "D15"}
    assert by_id["D20"].status == "gruen"
    assert "„Anteil ohne Versetzung“" in by_id["D20"].begruendung
    assert by_id["D21"].status == "unbekannt"  # not in this catalogue
    assert all(s.ags == AGS for s in result)


def test_evaluate_targets_rejects_wrong_columns() -> None:
    with pytest.raises(BimoError, match="es fehlen: flag"):
        evaluate_targets(series(years([1, 2, 3])).drop("flag"), {}, AGS)


# --- CLI ---------------------------------------------------------------------------------


def _cli() -> typer.Typer:
    from bimo.indicators.targets_cli import add_commands

    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Testgruppe."""

    add_commands(app)
    return app


def test_cli_prints_status_table(tmp_path: Path) -> None:
    from bimo.core.store import AnalyticStore
    from bimo.indicators import write_values

    land = series(years([20, 19, 18, 17]), ags="09").with_columns(
        ebene=pl.lit("LAND"), region=pl.lit("Musterland")
    )
    kreis = series(years([20, 19.9, 19.8, 19.7]))
    path = tmp_path / "bimo.duckdb"
    with AnalyticStore(path) as store:
        write_values(store, pl.concat([land, kreis]))
    runner = CliRunner()
    result = runner.invoke(_cli(), ["ziele", "--store", str(path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "Zielsystem 2035 – Musterland (09)" in result.output
    assert "grün" in result.output and "17,0" in result.output
    result = runner.invoke(
        _cli(), ["ziele", "--store", str(path), "--region", AGS], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    assert "rot" in result.output and "Musterkreis" in result.output
    result = runner.invoke(_cli(), ["ziele", "--store", str(path), "--region", "01"])
    assert isinstance(result.exception, BimoError)
    assert "keine Indikatorwerte" in str(result.exception)
