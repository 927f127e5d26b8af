"""Fixture builders: valid rows per table and writers for CSV, XLSX and Parquet."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import polars as pl

from bimo.core.schemas import ANALYTIC_TABLES

Row = dict[str, object]
SCHOOL_NUMBERS = ("100001", "100002", "100003")
ACTOR_IDS = ("vhs-1", "bib-2")


def _hex(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(64))


def valid_row(kind: str, i: int, rng: random.Random) -> Row:
    """Row number ``i`` of a valid table ``kind`` (unique business key per ``i``)."""
    if kind == "regions":
        return {"ags": f"01{i:03d}", "name": f"Kreis {i}", "ebene": "KREIS", "parent_ags": "01",
                "kreistyp": rng.choice(["KFS", "SLK", "LKV", "DLK"])}  # fmt: skip
    if kind == "schools":
        return {"schulnummer": f"{200000 + i:06d}", "name": f"Schule Nr. {i}",
                "schulform": rng.choice(["GS", "GY", "RS"]), "traeger": "OEFF",
                "gemeinde_ags": f"01001{i % 1000:03d}", "kreis_ags": "01001",
                "ganztag_form": rng.choice(["KEIN", "OFFEN", "GEB"])}  # fmt: skip
    if kind == "student_years":
        schuljahr = rng.randint(2015, 2024)
        stufe = rng.randint(1, 4)
        entl = rng.random() < 0.2
        ein = stufe == 1 and rng.random() < 0.5
        return {
            "pseudonym": _hex(rng), "schuljahr": schuljahr,
            "schulnummer": rng.choice(SCHOOL_NUMBERS), "schulform": "GS",
            "jahrgangsstufe": stufe, "klasse": f"{stufe}{rng.choice('abc')}",
            "geburtsjahr": schuljahr - stufe - 5, "geburtsmonat": rng.randint(1, 12),
            "geschlecht": rng.choice(["m", "w", "d", "x"]),
            "foerderschwerpunkt": rng.choice([None, "LE", "SP"]),
            "ndh": rng.random() < 0.3, "ganztag": rng.random() < 0.5,
            "wiederholung": rng.choice([None, None, "NV"]),
            "zugangsart": "EIN" if ein else rng.choice([None, "WECHSEL"]),
            "einschulungsart": rng.choice(["FRIST", "VORZ"]) if ein else None,
            "abgangsart": "ENTL" if entl else rng.choice([None, "WECHSEL"]),
            "abschlussart": rng.choice(["ESA", "OHNE"]) if entl else None,
            "record_key": rng.choice([None, round(rng.random(), 6)]),
        }  # fmt: skip
    if kind == "population":
        return {"kreis_ags": "01001", "jahr": 2000 + i // 200, "alter": (i // 2) % 100,
                "geschlecht": "mw"[i % 2], "anzahl": rng.randint(0, 5000)}  # fmt: skip
    if kind == "childcare":
        betreute = rng.randint(0, 3000)
        return {"kreis_ags": f"01{i // 2:03d}", "jahr": 2020, "altersgruppe": ["U3", "3_6"][i % 2],
                "betreute": betreute, "betreute_ganztag": rng.randint(0, betreute)}  # fmt: skip
    if kind == "actors":
        return {"actor_id": f"a-{i}", "name": f"Akteur {i}", "kategorie": "VHS",
                "gemeinde_ags": "01001000", "adresse": rng.choice([None, "Hauptstr. 1"]),
                "url": rng.choice([None, "https://example.org"])}  # fmt: skip
    if kind == "offers":
        return {"offer_id": f"o-{i}", "actor_id": rng.choice(ACTOR_IDS), "titel": f"Kurs {i}",
                "beschreibung": None, "kategorie": "VHS", "altersgruppe": "ERW",
                "thema": "Sprache", "gemeinde_ags": "01001000"}  # fmt: skip
    if kind == "vocational_entrants":
        return {"kreis_ags": f"01{i % 7:03d}", "jahr": 2015 + (i // 7) % 20,
                "sektor": rng.choice(["DUAL", "UEBERGANG"]), "vorbildung": "MSA",
                "geschlecht": rng.choice(["m", "w"]), "anzahl": rng.randint(0, 900)}  # fmt: skip
    if kind == "assessment_results":
        return {"erhebung": "LS4-2024", "schuljahr": 2024, "jahrgangsstufe": 4,
                "kompetenzbereich": "DEUTSCH_LESEN", "stufenmodell": "primar_deutsch_lesen",
                "pseudonym": _hex(rng), "schulnummer": rng.choice(SCHOOL_NUMBERS),
                "klasse": f"4{rng.choice('abc')}", "gewicht": 1.0, "pv_nr": 1 + i % 10,
                "wert": round(rng.gauss(500, 100), 3)}  # fmt: skip
    if kind == "assessment_responses":
        return {"erhebung": "LS4-2024", "pseudonym": _hex(rng),
                "schulnummer": rng.choice(SCHOOL_NUMBERS), "klasse": "4a",
                "item": f"L{i:03d}", "punkte": rng.randint(0, 1), "max_punkte": 1}  # fmt: skip
    raise KeyError(kind)


def valid_rows(kind: str, n: int, seed: int = 1) -> list[Row]:
    rng = random.Random(seed)
    return [valid_row(kind, i, rng) for i in range(n)]


def text(value: object, decimal_comma: bool = False) -> str:
    """How a value is written into a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, float) and decimal_comma:
        return repr(value).replace(".", ",")
    return str(value)


def csv_text(kind: str, rows: list[Row], delimiter: str = ";", decimal_comma: bool = False) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    cols = ANALYTIC_TABLES[kind].column_names
    writer.writerow(cols)
    for row in rows:
        writer.writerow([text(row.get(c), decimal_comma) for c in cols])
    return buf.getvalue()


def write_csv(path: Path, kind: str, rows: list[Row], *, delimiter: str = ";",
              encoding: str = "utf-8", decimal_comma: bool = False) -> Path:  # fmt: skip
    path.write_bytes(csv_text(kind, rows, delimiter, decimal_comma).encode(encoding))
    return path


def frame(kind: str, rows: list[Row]) -> pl.DataFrame:
    spec = ANALYTIC_TABLES[kind]
    types = {"string": pl.String, "int": pl.Int64, "float": pl.Float64, "bool": pl.Boolean}
    return pl.DataFrame(
        {c.name: [r.get(c.name) for r in rows] for c in spec.columns},
        schema={c.name: types[c.dtype] for c in spec.columns},
    )


def write_parquet(path: Path, kind: str, rows: list[Row]) -> Path:
    frame(kind, rows).write_parquet(path)
    return path


def write_xlsx(path: Path, kind: str, rows: list[Row]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    cols = ANALYTIC_TABLES[kind].column_names
    ws.append(list(cols))
    for row in rows:
        ws.append([row.get(c) for c in cols])
    wb.save(path)
    return path


def school_rows() -> list[Row]:
    """The schools that generated student_years rows refer to."""
    return [
        {"schulnummer": nr, "name": f"Grundschule {nr}", "schulform": "GS", "traeger": "OEFF",
         "gemeinde_ags": "01001000", "kreis_ags": "01001", "ganztag_form": "OFFEN"}
        for nr in SCHOOL_NUMBERS
    ]  # fmt: skip


def actor_rows() -> list[Row]:
    return [
        {"actor_id": a, "name": a, "kategorie": "VHS", "gemeinde_ags": "01001000",
         "adresse": None, "url": None}
        for a in ACTOR_IDS
    ]  # fmt: skip
