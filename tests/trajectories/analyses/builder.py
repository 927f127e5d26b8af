"""Hand-made analytic stores for the Bildungsverlauf tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import polars as pl

from bimo.core.store import AnalyticStore

# schulnummer -> (schulform, kreis_ags)
SCHOOLS: dict[str, tuple[str, str]] = {
    "100001": ("GS", "01001"),
    "100002": ("GS", "01002"),
    "200001": ("GY", "01001"),
    "200002": ("RS", "01001"),
    "200003": ("HS", "01002"),
    "200004": ("FS", "01002"),
    "200005": ("IGS", "01002"),
    "200006": ("SMBG", "01002"),
    "200007": ("WS", "01001"),
    "200008": ("GY", "01002"),
}
GS1, GS2, GY1, RS1, HS2, FS2, IGS2, SMBG2, WS1, GY2 = SCHOOLS


def pseudonym(name: str) -> str:
    """A 64-hex pseudonym derived from a short test name."""
    return name.encode().hex().ljust(64, "0")[:64]


@dataclass
class Data:
    """Collects student-year rows and population rows for one test store."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    population: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        name: str,
        year: int,
        school: str,
        grade: int,
        *,
        sex: str = "m",
        born: int | None = None,
        ndh: bool = False,
        fsp: str | None = None,
        wdh: str | None = None,
        zugang: str | None = None,
        abgang: str | None = None,
        abschluss: str | None = None,
    ) -> None:
        self.rows.append(
            {
                "pseudonym": pseudonym(name),
                "schuljahr": year,
                "schulnummer": school,
                "schulform": SCHOOLS[school][0],
                "jahrgangsstufe": grade,
                "klasse": f"{grade}a",
                "geburtsjahr": born if born is not None else year - grade - 6,
                "geburtsmonat": 3,
                "geschlecht": sex,
                "foerderschwerpunkt": fsp,
                "ndh": ndh,
                "ganztag": False,
                "wiederholung": wdh,
                "zugangsart": zugang,
                "einschulungsart": None,
                "abgangsart": abgang,
                "abschlussart": abschluss,
                "record_key": 0.5,
            }
        )

    def path(
        self,
        name: str,
        start: int,
        steps: list[tuple[str, int]],
        *,
        sex: str = "m",
        end: tuple[str, str | None] | None = None,
        **kw: Any,
    ) -> None:
        """Consecutive years from ``start``: one (school, grade) per year; ``end`` on the last."""
        for i, (school, grade) in enumerate(steps):
            last = i == len(steps) - 1
            self.add(
                name,
                start + i,
                school,
                grade,
                sex=sex,
                born=start - 7,
                abgang=end[0] if last and end else None,
                abschluss=end[1] if last and end else None,
                **kw,
            )

    def pop(self, kreis: str, jahr: int, alter: int, sex: str, anzahl: int) -> None:
        self.population.append(
            {"kreis_ags": kreis, "jahr": jahr, "alter": alter, "geschlecht": sex, "anzahl": anzahl}
        )

    def store(self, path: Path) -> AnalyticStore:
        store = AnalyticStore(path)
        schools = pl.DataFrame(
            [
                {
                    "schulnummer": nr,
                    "name": f"Schule {nr}",
                    "schulform": form,
                    "traeger": "OEFF",
                    "gemeinde_ags": kreis + "000",
                    "kreis_ags": kreis,
                    "ganztag_form": "KEIN",
                }
                for nr, (form, kreis) in SCHOOLS.items()
            ]
        )
        years = pl.DataFrame(self.rows, infer_schema_length=None)
        with store.transaction() as con:
            con.register("_schools", schools.to_arrow())
            con.execute("INSERT INTO schools BY NAME SELECT * FROM _schools")
            con.register("_years", years.to_arrow())
            con.execute("INSERT INTO student_years BY NAME SELECT * FROM _years")
            if self.population:
                con.register("_pop", pl.DataFrame(self.population).to_arrow())
                con.execute("INSERT INTO population BY NAME SELECT * FROM _pop")
        return store


def rows(expr: ir.Table) -> list[dict[str, Any]]:
    """Execute and return the result rows as dicts (rates rounded to 4 places)."""
    df = expr.to_polars()
    out: list[dict[str, Any]] = df.to_dicts()
    for row in out:
        for key in ("rate", "denominator"):
            if isinstance(row.get(key), float):
                row[key] = round(row[key], 4)
    return out


def pick(result: list[dict[str, Any]], **where: Any) -> list[dict[str, Any]]:
    return [r for r in result if all(r.get(k) == v for k, v in where.items())]
