"""Report input: the published rows of the indicator long table, organised for one region.

Only rows with ``intern == False`` (never SCHULE) are used, and suppressed values are never
recomputed: a row's ``wert`` is shown as is, or its ``flag`` symbol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from bimo.core.codes import KREISTYP
from bimo.core.errors import BimoError

__all__ = [
    "Cell",
    "RegionContext",
    "ReportData",
    "ReportDataError",
    "public_values",
    "region_context",
]

TOTAL_MERKMAL = "insgesamt"
TOTAL_AUSPRAEGUNG = "Insgesamt"
PUBLIC_LEVELS = ("LAND", "KREISTYP", "KREIS", "GEMEINDE")


class ReportDataError(BimoError):
    """The indicator table does not allow a report for the requested region/year."""


@dataclass(frozen=True)
class Cell:
    """One published value: ``wert`` or, when that is null, the ``flag`` symbol."""

    wert: float | None
    flag: str
    zaehler: float | None = None
    nenner: float | None = None
    se: float | None = None

    @property
    def symbol(self) -> str:
        # A null value without a flag cannot be published as a number: show it as unknown.
        if self.wert is None:
            return self.flag or "."
        return self.flag if self.flag in ("-",) else ""


MISSING = Cell(None, "")


@dataclass(frozen=True)
class RegionContext:
    """The reported region and its comparison areas."""

    ags: str
    name: str
    ebene: str  # KREIS or LAND
    land_ags: str
    land_name: str
    kreistyp_ags: str | None = None
    kreistyp_name: str | None = None


def public_values(values: pl.DataFrame) -> pl.DataFrame:
    """Rows that may be published: not internal, not a school."""
    return values.filter(~pl.col("intern") & pl.col("ebene").is_in(PUBLIC_LEVELS))


def region_context(values: pl.DataFrame, ags: str, *, kreistyp: str | None = None) -> RegionContext:
    """Identify the region (Kreis or Land) and its Land / Kreistyp comparison areas.

    ``kreistyp`` is the Kreis's code from ``regions.kreistyp`` (the long table itself does not say
    which Kreistyp group a Kreis belongs to).
    """
    rows = values.filter(pl.col("ags") == ags).select("ebene", "region").unique()
    if rows.is_empty():
        raise ReportDataError(
            f"Für die Region {ags} gibt es keine veröffentlichbaren Indikatorwerte. "
            "Bitte zuerst `bimo indicators compute` ausführen oder die AGS prüfen."
        )
    ebene, name = rows.row(0)
    if ebene not in ("KREIS", "LAND"):
        raise ReportDataError(
            f"Region {ags} ist von der Ebene {ebene}; ein Bildungsbericht wird für einen Kreis "
            "oder ein Land erstellt."
        )
    land_ags = ags[:2]
    land_rows = values.filter((pl.col("ags") == land_ags) & (pl.col("ebene") == "LAND"))
    land_name = str(land_rows["region"][0]) if not land_rows.is_empty() else f"Land {land_ags}"
    kt_ags: str | None = None
    kt_name: str | None = None
    if ebene == "KREIS" and kreistyp:
        kt_ags = f"KT-{kreistyp}"
        kt_rows = values.filter(pl.col("ags") == kt_ags)
        kt_name = (
            str(kt_rows["region"][0])
            if not kt_rows.is_empty()
            else f"Kreistyp: {KREISTYP.label(kreistyp)}"
        )
    return RegionContext(str(ags), str(name), str(ebene), land_ags, land_name, kt_ags, kt_name)


def _cell(row: dict[str, Any]) -> Cell:
    return Cell(
        wert=row["wert"],
        flag=row["flag"] or "",
        zaehler=row.get("zaehler"),
        nenner=row.get("nenner"),
        se=row.get("se"),
    )


@dataclass
class IndicatorData:
    """All published rows of one indicator that the report needs, indexed for lookup."""

    cells: dict[tuple[str, str, str, int], Cell] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    labels: dict[tuple[str, str], str] = field(default_factory=dict)
    kreise: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)

    def get(
        self,
        ags: str,
        jahr: int,
        merkmal: str = TOTAL_MERKMAL,
        auspraegung: str = TOTAL_AUSPRAEGUNG,
    ) -> Cell:
        return self.cells.get((ags, merkmal, auspraegung, jahr), MISSING)

    def categories(self, ags: str, merkmal: str) -> list[str]:
        """Codes of a disaggregation present for ``ags`` (in first-seen order)."""
        seen = [k[2] for k in self.cells if k[0] == ags and k[1] == merkmal]
        return list(dict.fromkeys(seen))

    def merkmale(self, ags: str) -> list[str]:
        seen = [k[1] for k in self.cells if k[0] == ags and k[1] != TOTAL_MERKMAL]
        return list(dict.fromkeys(seen))


class ReportData:
    """The public rows for one report, split by indicator, restricted to the needed areas."""

    def __init__(self, values: pl.DataFrame, region: RegionContext, year: int) -> None:
        self.region = region
        self.year = year
        public = public_values(values).filter(pl.col("jahr") <= year)
        areas = {region.ags, region.land_ags}
        if region.kreistyp_ags:
            areas.add(region.kreistyp_ags)
        # Kreise of the same Land feed the Kreis comparison bars.
        wanted = public.filter(
            pl.col("ags").is_in(sorted(areas))
            | ((pl.col("ebene") == "KREIS") & pl.col("ags").str.starts_with(region.land_ags))
        )
        self.by_indicator: dict[str, IndicatorData] = {}
        for (ind_id,), part in wanted.partition_by("indikator", as_dict=True).items():
            data = IndicatorData()
            for row in part.iter_rows(named=True):
                key = (row["ags"], row["merkmal"], row["auspraegung"], int(row["jahr"]))
                data.cells[key] = _cell(row)
                data.names[row["ags"]] = row["region"]
                data.labels[(row["merkmal"], row["auspraegung"])] = row["auspraegung_label"]
            data.kreise = sorted({k[0] for k in data.cells if len(k[0]) == 5 and k[0].isdigit()})
            data.years = sorted({k[3] for k in data.cells})
            self.by_indicator[str(ind_id)] = data
        if not self.by_indicator:
            raise ReportDataError(
                f"Für {region.name} ({region.ags}) gibt es bis {year} keine veröffentlichbaren "
                "Indikatorwerte."
            )

    def indicator(self, ind_id: str) -> IndicatorData:
        return self.by_indicator.get(ind_id, IndicatorData())

    def comparison_areas(self) -> list[tuple[str, str, str]]:
        """(ags, name, role) of the region and its comparison areas, in display order."""
        r = self.region
        out = [(r.ags, r.name, "region")]
        if r.ebene == "KREIS":
            out.append((r.land_ags, r.land_name, "land"))
            if r.kreistyp_ags and r.kreistyp_name:
                out.append((r.kreistyp_ags, r.kreistyp_name, "kreistyp"))
        return out
