"""Hand-made analytic stores and small catalogues for the indicator engine tests."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import polars as pl

from bimo.core.store import AnalyticStore
from bimo.indicators.context import IndicatorContext

REGIONS: list[tuple[str, str, str, str | None, str | None]] = [
    ("01", "Musterland", "LAND", None, None),
    ("01001", "Hafenstadt", "KREIS", "01", "KFS"),
    ("01002", "Landkreis Nord", "KREIS", "01", "LKV"),
    ("01003", "Landkreis Süd", "KREIS", "01", "LKV"),
    ("01001000", "Hafenstadt", "GEMEINDE", "01001", None),
    ("01002001", "Nordhausen", "GEMEINDE", "01002", None),
    ("01002002", "Nordheim", "GEMEINDE", "01002", None),
    ("01003001", "Südstadt", "GEMEINDE", "01003", None),
]
# schulnummer -> (schulform, gemeinde_ags, traeger)
SCHOOLS: dict[str, tuple[str, str, str]] = {
    "100001": ("GS", "01001000", "OEFF"),
    "100002": ("GY", "01001000", "PRIV"),
    "200001": ("GS", "01002001", "OEFF"),
    "200002": ("RS", "01002002", "OEFF"),
    "300001": ("GS", "01003001", "OEFF"),
}


@dataclass
class Data:
    """Student-year rows (generated from counts) and Kreis-based rows for one test store."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    population: list[dict[str, Any]] = field(default_factory=list)
    childcare: list[dict[str, Any]] = field(default_factory=list)
    _n: int = 0

    def add(
        self,
        school: str,
        year: int,
        grade: int,
        count: int = 1,
        *,
        sex: str = "m",
        ndh: bool = False,
        wdh: str | None = None,
    ) -> None:
        for _ in range(count):
            self._n += 1
            self.rows.append(
                {
                    "pseudonym": f"{self._n:064x}",
                    "schuljahr": year,
                    "schulnummer": school,
                    "schulform": SCHOOLS[school][0],
                    "jahrgangsstufe": grade,
                    "klasse": f"{grade}a",
                    "geburtsjahr": year - grade - 6,
                    "geburtsmonat": 3,
                    "geschlecht": sex,
                    "foerderschwerpunkt": None,
                    "ndh": ndh,
                    "ganztag": False,
                    "wiederholung": wdh,
                    "zugangsart": None,
                    "einschulungsart": None,
                    "abgangsart": None,
                    "abschlussart": None,
                    "record_key": 0.5,
                }
            )

    def pop(self, kreis: str, jahr: int, alter: int, sex: str, anzahl: int) -> None:
        self.population.append(
            {"kreis_ags": kreis, "jahr": jahr, "alter": alter, "geschlecht": sex, "anzahl": anzahl}
        )

    def care(self, kreis: str, jahr: int, gruppe: str, betreute: int, ganztag: int = 0) -> None:
        self.childcare.append(
            {
                "kreis_ags": kreis,
                "jahr": jahr,
                "altersgruppe": gruppe,
                "betreute": betreute,
                "betreute_ganztag": ganztag,
            }
        )

    def store(self, path: Path) -> AnalyticStore:
        store = AnalyticStore(path)
        regions = pl.DataFrame(
            REGIONS,
            schema=["ags", "name", "ebene", "parent_ags", "kreistyp"],
            orient="row",
        )
        schools = pl.DataFrame(
            [
                {
                    "schulnummer": nr,
                    "name": f"Schule {nr}",
                    "schulform": form,
                    "traeger": traeger,
                    "gemeinde_ags": gemeinde,
                    "kreis_ags": gemeinde[:5],
                    "ganztag_form": "KEIN",
                }
                for nr, (form, gemeinde, traeger) in SCHOOLS.items()
            ]
        )
        tables = {"regions": regions, "schools": schools}
        if self.rows:
            tables["student_years"] = pl.DataFrame(self.rows, infer_schema_length=None)
        if self.population:
            tables["population"] = pl.DataFrame(self.population)
        if self.childcare:
            tables["childcare"] = pl.DataFrame(self.childcare)
        with store.transaction() as con:
            for name, df in tables.items():
                con.register("_t", df.to_arrow())
                con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _t")
                con.unregister("_t")
        return store


BASE = """\
titel: {titel}
beschreibung: Testindikator.
zaehler: Zähler
nenner: {nenner}
einheit: {einheit}
nachkommastellen: 1
stichtag: Herbst
zeitbezug: {zeitbezug}
quelle: Test
art: {art}
ebenen: {ebenen}
aufgliederungen: {aufgliederungen}
richtung: neutral
interpretation: Test.
"""


def indicator_yaml(
    ident: str,
    berechnung: str,
    *,
    art: str = "anteil",
    einheit: str = "prozent",
    ebenen: str = "[LAND, KREIS, GEMEINDE, SCHULE]",
    aufgliederungen: str = "[]",
    nenner: str = "Nenner",
    zeitbezug: str = "schuljahr",
    extra: str = "",
) -> str:
    head = f"id: {ident}\nbereich: {ident[0]}\n"
    body = BASE.format(
        titel=f"Test {ident}",
        nenner=nenner,
        einheit=einheit,
        zeitbezug=zeitbezug,
        art=art,
        ebenen=ebenen,
        aufgliederungen=aufgliederungen,
    )
    return (
        head + body + extra + "berechnung:\n" + textwrap.indent(textwrap.dedent(berechnung), "  ")
    )


def write(folder: Path, ident: str, text: str, slug: str = "test") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ident}_{slug}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


WDH = """\
nenner: {quelle: student_years, filter: {jahrgangsstufe: {zwischen: [1, 13]}}}
zaehler: {filter: {wiederholung: {in: [NV, FW]}}}
"""
U3 = """\
zaehler: {quelle: childcare, summe: betreute, filter: {altersgruppe: {in: [U3]}}}
nenner: {quelle: population, summe: anzahl, filter: {alter: {zwischen: [0, 2]}}}
"""
COUNT = """\
zaehler: {quelle: student_years, filter: {ndh: {gleich: true}}}
"""


def ndh_share(ctx: IndicatorContext, grade: int = 3) -> ir.Table:
    """Additive test function: per-record zaehler (ndh) and nenner (1) in one grade."""
    t = ctx.table("student_years")
    t = t.filter(t.jahrgangsstufe == grade)
    return t.select(
        jahr=t.schuljahr,
        schulnummer=t.schulnummer,
        geschlecht=t.geschlecht,
        zaehler=t.ndh.cast("float64"),
        nenner=ibis.literal(1.0),
    )


def mean_grade(ctx: IndicatorContext, level: str, merkmal: str | None) -> ir.Table:
    """Non-additive test function: mean Jahrgangsstufe with its standard error."""
    t = ctx.students()
    ags = t[ctx.region_column(level)].cast("string")
    cat = t[merkmal].cast("string") if merkmal else ibis.literal("Insgesamt")
    g = t.group_by(jahr=t.jahr, ags=ags, auspraegung=cat).aggregate(
        nenner=t.count().cast("float64"),
        wert=t.jahrgangsstufe.mean(),
        sd=t.jahrgangsstufe.std(),
    )
    return g.select(
        "jahr",
        "ags",
        "auspraegung",
        zaehler=ibis.null("float64"),
        nenner=g.nenner,
        wert=g.wert,
        se=g.sd.fill_null(0.0) / g.nenner.sqrt(),
    )


def ndh_quote(ctx: IndicatorContext, level: str, merkmal: str | None) -> ir.Table:
    """Non-additive test function of kind quote: ndh students per student, per region."""
    t = ctx.students()
    ags = t[ctx.region_column(level)].cast("string")
    cat = t[merkmal].cast("string") if merkmal else ibis.literal("Insgesamt")
    g = t.group_by(jahr=t.jahr, ags=ags, auspraegung=cat).aggregate(
        zaehler=t.ndh.cast("float64").sum(), nenner=t.count().cast("float64")
    )
    return g.mutate(wert=100 * g.zaehler / g.nenner, se=ibis.null("float64"))
