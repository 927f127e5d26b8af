"""Hand-made analytic stores for the area-D indicator tests (allgemeinbildende Schulen).

One Land (01) with two Kreise of different Kreistyp: 01001 (KFS, one Gemeinde) and 01002 (LKV,
two Gemeinden). Students are added in groups (``count`` persons with the same attributes), so a
test can keep every cell empty or at least 5 strong and write its expected value by hand.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from bimo.core.store import AnalyticStore

LAND, K1, K2 = "01", "01001", "01002"
G1, G2A, G2B = "01001000", "01002001", "01002002"

REGIONS = [
    {"ags": LAND, "name": "Testland", "ebene": "LAND", "parent_ags": None, "kreistyp": None},
    {"ags": K1, "name": "Kreisstadt", "ebene": "KREIS", "parent_ags": LAND, "kreistyp": "KFS"},
    {"ags": K2, "name": "Heidekreis", "ebene": "KREIS", "parent_ags": LAND, "kreistyp": "LKV"},
    {"ags": G1, "name": "Kreisstadt", "ebene": "GEMEINDE", "parent_ags": K1, "kreistyp": None},
    {"ags": G2A, "name": "Heidedorf", "ebene": "GEMEINDE", "parent_ags": K2, "kreistyp": None},
    {"ags": G2B, "name": "Waldheim", "ebene": "GEMEINDE", "parent_ags": K2, "kreistyp": None},
]
# schulnummer -> (schulform, gemeinde_ags, traeger, ganztag_form)
SCHOOLS: dict[str, tuple[str, str, str, str]] = {
    "110001": ("GS", G1, "OEFF", "OFFEN"),
    "110002": ("GY", G1, "OEFF", "KEIN"),
    "110003": ("RS", G1, "OEFF", "KEIN"),
    "110004": ("FS", G1, "OEFF", "GEB"),
    "120001": ("GS", G2A, "OEFF", "KEIN"),
    "120002": ("HS", G2B, "OEFF", "TEILGEB"),
    "120003": ("IGS", G2B, "PRIV", "GEB"),
    "120004": ("SMBG", G2A, "OEFF", "KEIN"),
    "120005": ("GY", G2A, "OEFF", "KEIN"),
}
GS1, GY1, RS1, FS1, GS2, HS2, IGS2, SMBG2, GY2 = SCHOOLS


@dataclass
class Data:
    """Rows of one test store; pseudonyms are numbered, never derived from anything real."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    population: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_id(self) -> str:
        return f"{next(self._ids):064x}"

    def add(
        self,
        school: str,
        year: int,
        grade: int,
        count: int = 1,
        *,
        pids: list[str] | None = None,
        klasse: str | None = None,
        **attrs: Any,
    ) -> list[str]:
        """``count`` records (new persons unless ``pids`` is given); returns the pseudonyms."""
        ids = pids if pids is not None else [self.new_id() for _ in range(count)]
        for pid in ids:
            row = {
                "pseudonym": pid,
                "schuljahr": year,
                "schulnummer": school,
                "schulform": SCHOOLS[school][0],
                "jahrgangsstufe": grade,
                "klasse": klasse or f"{grade}a",
                "geburtsjahr": year - grade - 6,
                "geburtsmonat": 3,
                "geschlecht": "m",
                "foerderschwerpunkt": None,
                "ndh": False,
                "ganztag": False,
                "wiederholung": None,
                "zugangsart": None,
                "einschulungsart": None,
                "abgangsart": None,
                "abschlussart": None,
                "record_key": 0.5,
            }
            unknown = set(attrs) - set(row)
            assert not unknown, unknown
            row.update(attrs)
            self.rows.append(row)
        return ids

    def move(
        self, count: int, year: int, origin: str, target: str, grade: int = 4, **attrs: Any
    ) -> list[str]:
        """``count`` persons in ``grade`` at ``origin`` in ``year``, ``grade + 1`` at ``target``."""
        ids = self.add(origin, year, grade, count, abgangsart="WECHSEL", **attrs)
        self.add(target, year + 1, grade + 1, pids=ids, zugangsart="WECHSEL", **attrs)
        return ids

    def pop(self, kreis: str, jahr: int, alter: int, sex: str, anzahl: int) -> None:
        self.population.append(
            {"kreis_ags": kreis, "jahr": jahr, "alter": alter, "geschlecht": sex, "anzahl": anzahl}
        )

    def result(
        self,
        pid: str,
        school: str,
        pvs: list[float],
        *,
        year: int = 2023,
        klasse: str = "4a",
        gewicht: float = 1.0,
        stufenmodell: str = "primar_deutsch_lesen",
    ) -> None:
        for m, value in enumerate(pvs, start=1):
            self.results.append(
                {
                    "erhebung": f"LS4-{year}",
                    "schuljahr": year,
                    "jahrgangsstufe": 4,
                    "kompetenzbereich": "DEUTSCH_LESEN",
                    "stufenmodell": stufenmodell,
                    "pseudonym": pid,
                    "schulnummer": school,
                    "klasse": klasse,
                    "gewicht": gewicht,
                    "pv_nr": m,
                    "wert": float(value),
                }
            )

    def store(self, path: Path) -> AnalyticStore:
        store = AnalyticStore(path)
        schools = pl.DataFrame(
            [
                {
                    "schulnummer": nr,
                    "name": f"Schule {nr}",
                    "schulform": form,
                    "traeger": traeger,
                    "gemeinde_ags": gemeinde,
                    "kreis_ags": gemeinde[:5],
                    "ganztag_form": ganztag,
                }
                for nr, (form, gemeinde, traeger, ganztag) in SCHOOLS.items()
            ]
        )
        tables: dict[str, pl.DataFrame] = {
            "regions": pl.DataFrame(REGIONS),
            "schools": schools,
        }
        if self.rows:
            tables["student_years"] = pl.DataFrame(self.rows, infer_schema_length=None)
        if self.population:
            tables["population"] = pl.DataFrame(self.population)
        if self.results:
            tables["assessment_results"] = pl.DataFrame(self.results)
        with store.transaction() as con:
            for name, df in tables.items():
                con.register("_t", df.to_arrow())
                con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _t")
                con.unregister("_t")
        return store


def pick(df: pl.DataFrame, ident: str, ebene: str, ags: str, **where: Any) -> dict[str, Any]:
    """The single value row of ``ident`` at (ebene, ags), total unless ``merkmal`` is given."""
    merkmal = where.pop("merkmal", "insgesamt")
    auspraegung = where.pop("auspraegung", "Insgesamt")
    year = where.pop("jahr", None)
    sub = df.filter(
        (pl.col("indikator") == ident)
        & (pl.col("ebene") == ebene)
        & (pl.col("ags") == ags)
        & (pl.col("merkmal") == merkmal)
        & (pl.col("auspraegung") == auspraegung)
    )
    if year is not None:
        sub = sub.filter(pl.col("jahr") == year)
    assert sub.height == 1, (ident, ebene, ags, merkmal, auspraegung, sub)
    row: dict[str, Any] = sub.row(0, named=True)
    return row
