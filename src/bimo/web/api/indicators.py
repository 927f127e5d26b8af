"""JSON API: indicators, their values (only rows the caller may see), regions and targets."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import polars as pl
from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel

from bimo.accounts.policy import Principal
from bimo.indicators import AREAS
from bimo.web.data import PortalData, portal_data, visible_values
from bimo.web.deps import current_principal
from bimo.web.portal.indicators import published_targets

router = APIRouter(tags=["Indikatoren"])

PrincipalDep = Annotated[Principal, Depends(current_principal)]
DataDep = Annotated[PortalData, Depends(portal_data)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Nicht gefunden", "content": {"application/json": {}}}
}


class IndikatorKurz(BaseModel):
    id: str
    bereich: str
    bereich_name: str
    titel: str
    einheit: str
    hat_werte: bool


class Indikator(IndikatorKurz):
    beschreibung: str
    zaehler: str
    nenner: str | None
    nachkommastellen: int
    stichtag: str
    quelle: str
    ebenen: list[str]
    aufgliederungen: list[str]
    richtung: str
    interpretation: str


class Wert(BaseModel):
    indikator: str
    jahr: int
    ebene: str
    ags: str
    region: str | None
    merkmal: str
    auspraegung: str
    auspraegung_label: str | None
    wert: float | None
    flag: str


class Region(BaseModel):
    ags: str
    name: str
    ebene: str
    parent_ags: str | None
    kreistyp: str | None


class Ziel(BaseModel):
    id: str
    indikator: str
    titel: str
    richtung: str
    art: str
    aenderung_prozent: float | None
    zielwert: float | None
    zieljahr: int
    quelle: str


def _public_ids(data: PortalData) -> set[str]:
    return set(data.values.filter(~pl.col("intern"))["indikator"].unique().to_list())


@router.get("/indikatoren", response_model=list[IndikatorKurz], name="api_indikatoren")
def list_indicators(
    data: DataDep, bereich: Annotated[str | None, Query(pattern=r"^[A-I]$")] = None
) -> list[IndikatorKurz]:
    ids = _public_ids(data)
    return [
        IndikatorKurz(
            id=i.id,
            bereich=i.bereich,
            bereich_name=AREAS[i.bereich],
            titel=i.titel,
            einheit=i.einheit,
            hat_werte=i.id in ids,
        )
        for i in data.catalog
        if bereich is None or i.bereich == bereich
    ]


def _indicator(data: PortalData, indicator_id: str) -> Indikator:
    if indicator_id not in data.catalog:
        raise HTTPException(status_code=404, detail=f"Indikator „{indicator_id}“ gibt es nicht.")
    i = data.catalog[indicator_id]
    return Indikator(
        id=i.id,
        bereich=i.bereich,
        bereich_name=AREAS[i.bereich],
        titel=i.titel,
        einheit=i.einheit,
        hat_werte=i.id in _public_ids(data),
        beschreibung=i.beschreibung,
        zaehler=i.zaehler,
        nenner=i.nenner,
        nachkommastellen=i.nachkommastellen,
        stichtag=i.stichtag,
        quelle=i.quelle,
        ebenen=list(i.ebenen),
        aufgliederungen=list(i.aufgliederungen),
        richtung=i.richtung,
        interpretation=i.interpretation,
    )


@router.get(
    "/indikatoren/{indicator_id}", response_model=Indikator, responses=NOT_FOUND,
    name="api_indikator",
)  # fmt: skip
def get_indicator(indicator_id: str, data: DataDep) -> Indikator:
    return _indicator(data, indicator_id)


@router.get(
    "/indikatoren/{indicator_id}/werte", response_model=list[Wert], responses=NOT_FOUND,
    name="api_indikator_werte",
)  # fmt: skip
def indicator_values(
    indicator_id: str,
    principal: PrincipalDep,
    data: DataDep,
    jahr: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    ebene: Literal["LAND", "KREISTYP", "KREIS", "GEMEINDE", "SCHULE"] | None = None,
    ags: Annotated[str | None, Query(max_length=20, pattern=r"^[0-9A-Za-z_-]+$")] = None,
    merkmal: Annotated[str | None, Query(max_length=40, pattern=r"^[a-z_]+$")] = None,
) -> list[dict[str, Any]]:
    _indicator(data, indicator_id)
    frame = data.values.filter(pl.col("indikator") == indicator_id)
    for column, value in (("jahr", jahr), ("ebene", ebene), ("ags", ags), ("merkmal", merkmal)):
        if value is not None:
            frame = frame.filter(pl.col(column) == value)
    frame = visible_values(principal, frame)
    # Plain dicts: FastAPI validates them once against response_model (in pydantic-core);
    # building Wert objects here first would double the work on large selections.
    return frame.select(list(Wert.model_fields)).to_dicts()


@router.get("/regionen", response_model=list[Region], name="api_regionen")
def list_regions(
    data: DataDep, ebene: Literal["LAND", "KREIS", "GEMEINDE"] | None = None
) -> list[Region]:
    frame = data.regions if ebene is None else data.regions.filter(pl.col("ebene") == ebene)
    return [Region.model_validate(r) for r in frame.sort("ags").to_dicts()]


@router.get("/regionen/{ags}", response_model=Region, responses=NOT_FOUND, name="api_region")
def get_region(ags: str, data: DataDep) -> Region:
    hit = data.regions.filter(pl.col("ags") == ags)
    if hit.is_empty():
        raise HTTPException(status_code=404, detail=f"Region „{ags}“ gibt es nicht.")
    return Region.model_validate(hit.row(0, named=True))


@router.get("/ziele", response_model=list[Ziel], name="api_ziele")
def list_targets() -> list[Ziel]:
    return [Ziel.model_validate(t.model_dump()) for t in published_targets()]
