"""Small, contract-conform report inputs: a catalogue directory and an indicator long table.

The long table has a Land, five Kreise of two Kreistypen, their KREISTYP comparison rows, a
Gemeinde, internal SCHULE rows (which a report must never show) and suppressed values with the
official flags ``.``, ``/`` and ``-``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import polars as pl

from bimo.indicators import VALUE_SCHEMA

LAND = "09"
KREISE: dict[str, tuple[str, str]] = {
    "09001": ("Nordstadt", "KFS"),
    "09002": ("Landkreis Auen", "LKV"),
    "09003": ("Landkreis Heide", "LKV"),
    "09004": ("Landkreis Berge", "DLK"),
    "09005": ("Landkreis Seen", "LKV"),
}
KREISTYP_NAMES = {
    "KFS": "Kreistyp: kreisfreie Großstadt",
    "LKV": "Kreistyp: ländlicher Kreis mit Verdichtungsansätzen",
    "DLK": "Kreistyp: dünn besiedelter ländlicher Kreis",
}
REGION = "09002"  # the Kreis the tests report on
YEARS = list(range(2017, 2024))
SCHOOL_NAME = "Geheime Testschule"  # must never appear in a report

_COMMON = """\
zeitbezug: {zeitbezug}
quelle: {quelle}
stichtag: {stichtag}
interpretation: Höhere Werte bedeuten mehr; Vergleiche zwischen Kreisen sind mit Vorsicht zu lesen.
"""

CATALOG: dict[str, str] = {
    "A03_anteil_unter_18": """\
id: A03
bereich: A
titel: Anteil der unter 18-Jährigen an der Bevölkerung
kurztitel: Anteil unter 18
beschreibung: Anteil der Kinder und Jugendlichen unter 18 Jahren an der Bevölkerung.
zaehler: Bevölkerung unter 18 Jahren
nenner: Bevölkerung insgesamt
einheit: prozent
nachkommastellen: 1
art: anteil
ebenen: [LAND, KREIS]
richtung: neutral
berechnung:
  nenner: {quelle: population, summe: anzahl}
  zaehler: {filter: {alter: {zwischen: [0, 17]}}}
""",
    "B01_schueler": """\
id: B01
bereich: B
titel: Schülerinnen und Schüler an allgemeinbildenden Schulen
kurztitel: Schülerzahl
beschreibung: Anzahl der Schülerinnen und Schüler an allgemeinbildenden Schulen.
zaehler: Schülerinnen und Schüler
nenner: null
einheit: anzahl
nachkommastellen: 0
art: anzahl
ebenen: [LAND, KREIS, GEMEINDE, SCHULE]
richtung: neutral
berechnung:
  zaehler: {quelle: student_years}
""",
    "C01_betreuungsquote_u3": """\
id: C01
bereich: C
titel: Betreuungsquote unter 3 Jahren
kurztitel: Betreuungsquote U3
beschreibung: Anteil der betreuten Kinder unter 3 Jahren an allen Kindern dieses Alters.
zaehler: betreute Kinder unter 3 Jahren
nenner: Bevölkerung unter 3 Jahren
einheit: prozent
nachkommastellen: 1
art: quote
ebenen: [LAND, KREIS]
richtung: hoeher_besser
referenz: {wert: 36.4, jahr: 2023, gebiet: Deutschland, quelle: "Destatis 2023"}
berechnung:
  zaehler: {quelle: childcare, summe: betreute, filter: {altersgruppe: {in: [U3]}}}
  nenner: {quelle: population, summe: anzahl, filter: {alter: {zwischen: [0, 2]}}}
""",
    "D05_wiederholerquote": """\
id: D05
bereich: D
titel: Wiederholerquote
beschreibung: Anteil der Wiederholerinnen und Wiederholer an allen Schülerinnen und Schülern.
zaehler: Wiederholerinnen und Wiederholer
nenner: Schülerinnen und Schüler der Jahrgangsstufen 3 bis 13
einheit: prozent
nachkommastellen: 1
art: anteil
ebenen: [LAND, KREIS, SCHULE]
aufgliederungen: [geschlecht]
richtung: niedriger_besser
referenz: {wert: 2.3, jahr: 2022, gebiet: Deutschland, quelle: "Destatis 2024"}
berechnung:
  nenner: {quelle: student_years, filter: {jahrgangsstufe: {zwischen: [3, 13]}}}
  zaehler: {filter: {wiederholung: {in: [NV, FW]}}}
""",
    "D14_ohne_esa": """\
id: D14
bereich: D
titel: Abgänge ohne Ersten Schulabschluss (Anteil an allen Abgängen)
kurztitel: Ohne ESA (Abgänge)
beschreibung: Anteil der Abgängerinnen und Abgänger ohne Ersten Schulabschluss an allen Abgängen.
zaehler: Abgänge ohne Ersten Schulabschluss
nenner: alle Abgänge
einheit: prozent
nachkommastellen: 1
art: anteil
ebenen: [LAND, KREIS]
aufgliederungen: [geschlecht]
richtung: niedriger_besser
berechnung:
  nenner: {quelle: student_years, filter: {abschlussart: {leer: false}}}
  zaehler: {filter: {abschlussart: {in: [OHNE, FOES]}}}
""",
    "E01_uebergangsbereich": """\
id: E01
bereich: E
titel: Anteil der Neuzugänge im Übergangsbereich
kurztitel: Übergangsbereich
beschreibung: Anteil der Neuzugänge in das Übergangssystem an allen Neuzugängen.
zaehler: Neuzugänge im Übergangsbereich
nenner: alle Neuzugänge in das berufliche Ausbildungssystem
einheit: prozent
nachkommastellen: 1
art: anteil
ebenen: [LAND, KREIS]
richtung: niedriger_besser
berechnung:
  nenner: {quelle: vocational_entrants, summe: anzahl}
  zaehler: {filter: {sektor: {in: [UEBERGANG]}}}
""",
}
_META = {
    "A03": ("jahr", "Bevölkerungsfortschreibung", "31.12."),
    "B01": ("schuljahr", "Schulstatistik", "Schuljahresbeginn"),
    "C01": ("jahr", "Kinder- und Jugendhilfestatistik", "1. März"),
    "D05": ("schuljahr", "Schulstatistik", "Schuljahresbeginn"),
    "D14": ("schuljahr", "Schulstatistik", "Schuljahresende"),
    "E01": ("jahr", "Integrierte Ausbildungsberichterstattung", "31.12."),
}

TARGETS_YAML = """\
version: 1
ziele:
  - id: wiederholung_senken
    indikator: D05
    titel: Wiederholerquote um 20 % senken
    richtung: senken
    art: relativ
    aenderung_prozent: -20
    basisjahr: 2017
    zieljahr: 2030
    quelle: Testziel
  - id: ohne_esa_halbieren
    indikator: D14
    titel: Abgänge ohne Ersten Schulabschluss halbieren
    richtung: senken
    art: relativ
    aenderung_prozent: -50
    basisjahr: 2017
    zieljahr: 2030
    quelle: Testziel
"""


def write_catalog(directory: Path) -> Path:
    """Write the test catalogue (valid against the real catalogue loader) to ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for stem, body in CATALOG.items():
        zeitbezug, quelle, stichtag = _META[stem[:3]]
        text = body + _COMMON.format(zeitbezug=zeitbezug, quelle=quelle, stichtag=stichtag)
        (directory / f"{stem}.yaml").write_text(text, encoding="utf-8")
    return directory


# Base level and yearly trend per indicator (value in its unit) and a per-Kreis offset.
_SHAPE: dict[str, tuple[float, float]] = {
    "A03": (17.0, -0.1),
    "B01": (9000.0, 50.0),
    "C01": (30.0, 1.2),
    "D05": (2.6, 0.15),  # worsening (niedriger_besser)
    "D14": (7.0, -0.3),
    "E01": (25.0, -0.8),
}


def _row(
    ind: str,
    jahr: int,
    ebene: str,
    ags: str,
    region: str,
    wert: float | None,
    flag: str = "",
    merkmal: str = "insgesamt",
    auspraegung: str = "Insgesamt",
    label: str = "Insgesamt",
    intern: bool = False,
) -> dict[str, Any]:
    nenner = None if ind == "B01" else 1000.0
    zaehler = None if wert is None else (wert if ind == "B01" else wert * 10)
    return {
        "indikator": ind,
        "jahr": jahr,
        "ebene": ebene,
        "ags": ags,
        "region": region,
        "merkmal": merkmal,
        "auspraegung": auspraegung,
        "auspraegung_label": label,
        "zaehler": zaehler,
        "nenner": None if wert is None else nenner,
        "wert": wert,
        "se": None,
        "flag": flag,
        "intern": intern,
    }


def make_values() -> pl.DataFrame:
    """The long indicator table (``VALUE_SCHEMA`` columns) for the test catalogue."""
    rows: list[dict[str, Any]] = []
    for ind, (base, trend) in _SHAPE.items():
        for jahr in YEARS:
            t = jahr - YEARS[0]
            level = base + trend * t
            rows.append(_row(ind, jahr, "LAND", LAND, "Musterland", round(level, 3)))
            for i, (ags, (name, _typ)) in enumerate(KREISE.items()):
                scale = 0.2 if ind == "B01" else 1.0
                value = round(level * (1 + 0.05 * (i - 2) * scale) + 0.1 * math.sin(t + i), 3)
                flag = ""
                wert: float | None = value
                # The reported Kreis: one suppressed year; another Kreis: "not reliable".
                if ags == REGION and ind == "D05" and jahr == 2019:
                    wert, flag = None, "."
                if ags == "09004" and ind == "C01" and jahr == YEARS[-1]:
                    wert, flag = None, "/"
                rows.append(_row(ind, jahr, "KREIS", ags, name, wert, flag))
            for typ, kt_name in KREISTYP_NAMES.items():
                rows.append(
                    _row(
                        ind,
                        jahr,
                        "KREISTYP",
                        f"KT-{typ}",
                        kt_name,
                        round(level * (1.02 if typ == "LKV" else 0.97), 3),
                    )
                )
            if ind in ("D05", "D14"):
                for code, label, factor in (("m", "männlich", 1.2), ("w", "weiblich", 0.8)):
                    for ags, name in ((LAND, "Musterland"), (REGION, KREISE[REGION][0])):
                        ebene = "LAND" if ags == LAND else "KREIS"
                        rows.append(
                            _row(
                                ind,
                                jahr,
                                ebene,
                                ags,
                                name,
                                round(level * factor, 3),
                                merkmal="geschlecht",
                                auspraegung=code,
                                label=label,
                            )
                        )
                    # divers: too few people (".") or, in D14, none at all ("-", a true zero).
                    none_at_all = ind == "D14" and jahr >= 2021
                    rows.append(
                        _row(
                            ind,
                            jahr,
                            "KREIS",
                            REGION,
                            KREISE[REGION][0],
                            0.0 if none_at_all else None,
                            "-" if none_at_all else ".",
                            merkmal="geschlecht",
                            auspraegung="d",
                            label="divers",
                        )
                    )
            if ind == "B01":
                rows.append(_row(ind, jahr, "GEMEINDE", "09002001", "Auenstadt", 2000.0 + t))
                rows.append(_row(ind, jahr, "SCHULE", "123456", SCHOOL_NAME, 321.0, intern=True))
    df = pl.DataFrame(rows, schema=VALUE_SCHEMA)
    return df
