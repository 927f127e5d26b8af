"""Hand-made ``indicator_values`` long tables and a tiny catalogue for the Open Data tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from bimo.indicators import VALUE_SCHEMA

# A number that may only ever appear in a suppressed row: it must never reach any output file.
LEAK = 42.4242

REGIONS = [
    ("LAND", "09", "Musterland"),
    ("KREIS", "09161", "Kreisstadt Nord"),
    ("KREIS", "09162", "Landkreis Süd"),
    ("KREISTYP", "KT-LKV", "Kreistyp: Ländlicher Kreis"),
    ("GEMEINDE", "09161000", "Nordstadt"),
    ("SCHULE", "123456", "Grundschule am Bach"),
]


def _row(ind: str, year: int, ebene: str, ags: str, region: str, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "indikator": ind,
        "jahr": year,
        "ebene": ebene,
        "ags": ags,
        "region": region,
        "merkmal": "insgesamt",
        "auspraegung": "Insgesamt",
        "auspraegung_label": "Insgesamt",
        "zaehler": None,
        "nenner": None,
        "wert": None,
        "se": None,
        "flag": "",
        "intern": ebene == "SCHULE",
    }
    row.update(kw)
    return row


def long_table() -> pl.DataFrame:
    """Two indicators, two years, all levels; suppressed, '-' and '/' cells; one leaky row."""
    rows: list[dict[str, Any]] = []
    for year in (2022, 2023):
        for i, (ebene, ags, region) in enumerate(REGIONS):
            n = 200.0 + 10 * i + year - 2022
            z = 7.0 + i
            rows.append(
                _row("D91", year, ebene, ags, region, zaehler=z, nenner=n, wert=100 * z / n)
            )
            if ebene in ("LAND", "KREIS", "SCHULE"):
                for code, label in (("m", "männlich"), ("w", "weiblich")):
                    small = ebene == "KREIS" and ags == "09162" and code == "w"
                    extra: dict[str, Any] = {
                        "merkmal": "geschlecht",
                        "auspraegung": code,
                        "auspraegung_label": label,
                    }
                    if small:  # primary suppression: flag, no numbers
                        rows.append(_row("D91", year, ebene, ags, region, flag=".", **extra))
                    else:
                        rows.append(
                            _row(
                                "D91",
                                year,
                                ebene,
                                ags,
                                region,
                                zaehler=z / 2,
                                nenner=n / 2,
                                wert=100 * z / n,
                                **extra,
                            )
                        )
            if ebene in ("LAND", "KREIS", "KREISTYP"):
                c_kw: dict[str, Any] = {"zaehler": 300.0 + i, "nenner": 900.0, "wert": 33.3}
                if ags == "09161" and year == 2023:
                    c_kw = {"flag": "/"}
                if ags == "KT-LKV" and year == 2022:
                    c_kw = {"flag": "-"}
                if ags == "09162" and year == 2023:
                    # An upstream bug: the flag is set but the numbers are still there.
                    c_kw = {"flag": ".", "zaehler": 5.0, "nenner": 12.0, "wert": LEAK}
                rows.append(_row("C91", year, ebene, ags, region, **c_kw))
    return pl.DataFrame(rows, schema=VALUE_SCHEMA)


D91 = """id: D91
bereich: D
titel: Anteil nicht versetzter Schülerinnen und Schüler
beschreibung: Testindikator für den Open-Data-Export.
zaehler: nicht versetzte Schülerinnen und Schüler
nenner: alle Schülerinnen und Schüler
einheit: prozent
nachkommastellen: 1
stichtag: Schuljahresbeginn
zeitbezug: schuljahr
quelle: Schulstatistik (Test)
art: anteil
ebenen: [LAND, KREIS, GEMEINDE, SCHULE]
aufgliederungen: [geschlecht]
richtung: niedriger_besser
interpretation: Nur für Tests.
berechnung:
  nenner: {quelle: student_years}
  zaehler: {filter: {wiederholung: {in: [NV]}}}
"""

C91 = """id: C91
bereich: C
titel: Betreuungsquote unter 3 Jahren
beschreibung: Testindikator für den Open-Data-Export.
zaehler: betreute Kinder unter 3 Jahren
nenner: Kinder unter 3 Jahren
einheit: prozent
nachkommastellen: 1
stichtag: 1. März
zeitbezug: jahr
quelle: Kinder- und Jugendhilfestatistik (Test)
art: quote
ebenen: [LAND, KREIS]
aufgliederungen: []
richtung: neutral
interpretation: Nur für Tests.
berechnung:
  zaehler: {quelle: childcare, summe: betreute, filter: {altersgruppe: {in: [U3]}}}
  nenner: {quelle: population, summe: anzahl, filter: {alter: {zwischen: [0, 2]}}}
"""


def write_catalog(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "D91_test.yaml").write_text(D91, encoding="utf-8")
    (directory / "C91_test.yaml").write_text(C91, encoding="utf-8")
    return directory
