"""German number formats and the generated sentences."""

from __future__ import annotations

from bimo.reports.formatting import format_change, format_number, format_value, year_label
from bimo.reports.texts import (
    assess_change,
    comparison_sentence,
    compute_change,
    series_sentence,
)

NBSP = "\u00a0"


def test_format_number_german() -> None:
    assert format_number(1234.5, 1) == "1.234,5"
    assert format_number(0.05, 2) == "0,05"
    assert format_number(-3.25, 1).startswith("−")
    assert format_number(1234567, 0) == "1.234.567"
    assert format_number(None) == ""
    assert format_value(12.34, "prozent", 1) == f"12,3{NBSP}%"
    assert format_change(0.8, "prozent", 1) == f"+0,8{NBSP}Prozentpunkte"
    assert format_change(-2, "anzahl", 0) == "−2"


def test_year_labels() -> None:
    assert year_label(2024, "schuljahr") == "2024/25"
    assert year_label(2099, "schuljahr") == "2099/00"
    assert year_label(2024, "jahr") == "2024"


def test_change_skips_suppressed_values_and_assesses_direction() -> None:
    change = compute_change([("2019", None), ("2020", 10.0), ("2021", None), ("2022", 12.0)])
    assert change is not None
    assert (change.from_year, change.to_year, change.delta) == ("2020", "2022", 2.0)
    assert assess_change(change, "hoeher_besser") == "guenstig"
    assert assess_change(change, "niedriger_besser") == "unguenstig"
    assert assess_change(change, "neutral") == "neutral"
    stable = compute_change([("2020", 50.0), ("2022", 50.4)])
    assert stable is not None and assess_change(stable, "hoeher_besser") == "stabil"
    assert compute_change([("2020", 1.0), ("2021", None)]) is None


def test_series_sentence_names_development_and_gaps() -> None:
    text = series_sentence(
        titel="Wiederholerquote",
        region="Landkreis Auen",
        series=[("2019/20", 2.5, ""), ("2020/21", None, "."), ("2021/22", 3.0, "")],
        einheit="prozent",
        decimals=1,
        richtung="niedriger_besser",
        others=["Musterland"],
    )
    assert "von 2019/20 bis 2021/22" in text
    assert "im Vergleich mit Musterland" in text
    assert f"stieg der Wert von 2,5{NBSP}% (2019/20) auf 3,0{NBSP}% (2021/22)" in text
    assert "ungünstige Entwicklung" in text
    assert "ist der Wert für 2020/21 (Zeichen „.“" in text


def test_series_sentence_without_published_values() -> None:
    text = series_sentence(
        titel="X",
        region="R",
        series=[("2020", None, "."), ("2021", None, "/")],
        einheit="prozent",
        decimals=1,
        richtung="neutral",
    )
    assert "kein Wert veröffentlichbar" in text
    assert "sind die Werte für 2020 (Zeichen „.“" in text
    assert "2021 (Zeichen „/“" in text


def test_comparison_sentence() -> None:
    text = comparison_sentence(
        region="Kreis",
        year="2023",
        value=5.0,
        comparisons=[("Land", 4.0), ("Kreistyp", 6.0), ("fehlend", None)],
        einheit="prozent",
        decimals=1,
    )
    assert text.startswith(f"2023 lag der Wert für Kreis bei 5,0{NBSP}%")
    assert f"über dem Wert für Land (4,0{NBSP}%)" in text
    assert f"unter dem Wert für Kreistyp (6,0{NBSP}%)" in text
    assert "fehlend" not in text
    same = comparison_sentence(
        region="Kreis",
        year="2023",
        value=20.86,
        comparisons=[("Typ", 20.94)],
        einheit="prozent",
        decimals=1,
    )
    assert "gleichauf mit dem Wert für Typ" in same
    near = comparison_sentence(
        region="Kreis",
        year="2023",
        value=20.86,
        comparisons=[("Typ", 20.82)],
        einheit="prozent",
        decimals=1,
    )
    assert "über dem Wert für Typ (20,8" in near
    assert "kein Wert" in comparison_sentence(
        region="Kreis", year="2023", value=None, comparisons=[], einheit="anzahl", decimals=0
    )
