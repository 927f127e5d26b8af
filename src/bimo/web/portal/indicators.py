"""Portal pages of the indicators: list, detail page with chart and table, downloads."""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Annotated, Any, Literal

import polars as pl
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from bimo.accounts.policy import Principal
from bimo.core.operational import record_event
from bimo.indicators import AREAS, Indicator
from bimo.indicators.targets import Target, TargetStatus, evaluate_targets, load_targets
from bimo.web.data import SUPPRESSED_FLAGS, PortalData, portal_data, visible_values
from bimo.web.deps import current_principal, web_context
from bimo.web.portal.shared import UNIT_LABELS, cell, chart_spec, fmt
from bimo.web.rendering import render

router = APIRouter()

EXPORT_COLUMNS = (
    "indikator", "jahr", "ebene", "ags", "region", "merkmal", "auspraegung",
    "auspraegung_label", "wert", "flag",
)  # fmt: skip
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
STATUS_LABELS = {
    "gruen": "auf Kurs",
    "gelb": "gefährdet",
    "rot": "nicht auf Kurs",
    "unbekannt": "nicht bewertbar",
}
LEVEL_LABELS = {"LAND": "Land", "KREISTYP": "Kreistyp", "KREIS": "Kreis", "GEMEINDE": "Gemeinde"}

PrincipalDep = Annotated[Principal, Depends(current_principal)]
DataDep = Annotated[PortalData, Depends(portal_data)]


@lru_cache(maxsize=1)
def published_targets() -> tuple[Target, ...]:
    return tuple(load_targets())


def indicator_or_404(data: PortalData, indicator_id: str) -> Indicator:
    if indicator_id not in data.catalog:
        raise HTTPException(status_code=404, detail=f"Indikator „{indicator_id}“ gibt es nicht.")
    return data.catalog[indicator_id]


def indicator_rows(data: PortalData, principal: Principal, indicator_id: str) -> pl.DataFrame:
    return visible_values(principal, data.values.filter(pl.col("indikator") == indicator_id))


@router.get("/indikatoren", response_class=HTMLResponse, name="indikatoren")
def indicator_list(
    request: Request,
    data: DataDep,
    suche: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    with_values = set(data.values.filter(~pl.col("intern"))["indikator"].unique().to_list())
    needle = suche.strip().lower()
    groups = []
    for area, items in data.catalog.by_area().items():
        hits = [
            ind
            for ind in items
            if not needle or needle in f"{ind.id} {ind.titel} {ind.beschreibung}".lower()
        ]
        if hits:
            groups.append({"bereich": area, "name": AREAS[area], "indikatoren": hits})
    context = {
        "title": "Indikatoren",
        "active": "indikatoren",
        "gruppen": groups,
        "mit_werten": with_values,
        "suche": suche,
        "treffer": sum(len(g["indikatoren"]) for g in groups),
    }
    block = "ergebnisse" if request.headers.get("HX-Request") else None
    return render(request, "portal/indikatoren.html", context, block_name=block)


def _selection(
    data: PortalData, rows: pl.DataFrame, ags: str | None, merkmal: str, jahr: int | None
) -> tuple[str, pl.DataFrame]:
    """The rows of the chosen region and Merkmal (404 when the choice does not exist)."""
    region = ags or data.land_ags or ""
    chosen = rows.filter((pl.col("ags") == region) & (pl.col("ebene") != "SCHULE"))
    if rows.height and chosen.is_empty():
        raise HTTPException(
            status_code=404, detail=f"Für die Region „{region}“ gibt es keine Werte."
        )
    chosen = chosen.filter(pl.col("merkmal") == merkmal)
    if rows.height and chosen.is_empty():
        raise HTTPException(status_code=404, detail=f"Das Merkmal „{merkmal}“ gibt es hier nicht.")
    if jahr is not None:
        chosen = chosen.filter(pl.col("jahr") == jahr)
        if rows.height and chosen.is_empty():
            raise HTTPException(status_code=404, detail=f"Für {jahr} gibt es keine Werte.")
    return region, chosen


def _target_views(
    data: PortalData, rows: pl.DataFrame, indicator: Indicator, region: str
) -> list[dict[str, Any]]:
    targets = [t for t in published_targets() if t.indikator == indicator.id]
    if not targets:
        return []
    statuses: list[TargetStatus] = evaluate_targets(rows, data.catalog, region, targets=targets)
    d = indicator.nachkommastellen
    return [
        {
            "titel": s.ziel_titel,
            "status": s.status,
            "status_text": STATUS_LABELS[s.status],
            "basis": f"{fmt(s.basiswert, d)} ({s.basisjahr})" if s.basiswert is not None else "–",
            "ziel": f"{fmt(s.zielwert, d)} ({s.zieljahr})" if s.zielwert is not None else "–",
            "aktuell": (
                f"{fmt(s.letzter_wert, d)} ({s.letztes_jahr})"
                if s.letzter_wert is not None
                else "–"
            ),
            "begruendung": s.begruendung,
            "quelle": s.quelle,
        }
        for s in statuses
    ]


@router.get("/indikatoren/{indicator_id}", response_class=HTMLResponse, name="indikator")
def indicator_page(
    request: Request,
    indicator_id: str,
    principal: PrincipalDep,
    data: DataDep,
    ags: Annotated[str | None, Query(max_length=20, pattern=r"^[0-9A-Za-z_]+$")] = None,
    merkmal: Annotated[str, Query(max_length=40, pattern=r"^[a-z_]+$")] = "insgesamt",
    jahr: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> Response:
    indicator = indicator_or_404(data, indicator_id)
    rows = indicator_rows(data, principal, indicator_id)
    region, chosen = _selection(data, rows, ags, merkmal, jahr)
    d = indicator.nachkommastellen
    table = [
        {
            "jahr": r["jahr"],
            "auspraegung": r["auspraegung_label"] or r["auspraegung"],
            **cell(r, d),
        }
        for r in chosen.sort(["jahr", "auspraegung"]).iter_rows(named=True)
    ]
    regions = (
        rows.filter(pl.col("ebene") != "SCHULE")
        .select("ebene", "ags", "region")
        .unique()
        .sort(["ebene", "ags"])
    )
    order = {"LAND": 0, "KREISTYP": 1, "KREIS": 2, "GEMEINDE": 3}
    region_options = sorted(
        (
            {"ags": a, "name": f"{n} ({LEVEL_LABELS.get(e, e)})", "ebene": e}
            for e, a, n in regions.iter_rows()
        ),
        key=lambda o: (order.get(o["ebene"], 9), o["ags"]),
    )
    region_name = data.region_name(region) or next(
        (o["name"] for o in region_options if o["ags"] == region), region
    )
    query = {"ags": region, "merkmal": merkmal} | ({"jahr": str(jahr)} if jahr else {})
    context = {
        "title": f"{indicator.id} {indicator.titel}",
        "active": "indikatoren",
        "ind": indicator,
        "bereich_name": AREAS[indicator.bereich],
        "einheit": UNIT_LABELS[indicator.einheit],
        "hat_werte": rows.height > 0,
        "tabelle": table,
        "fussnoten": sorted({c["flag"] for c in table if c["flag"]}),
        "symbole": SUPPRESSED_FLAGS,
        "spec": chart_spec(chosen, indicator, f"{indicator.titel}, {region_name}"),
        "regionen": region_options,
        "merkmale": sorted(rows["merkmal"].unique().to_list()),
        "jahre": sorted(rows["jahr"].unique().to_list()),
        "auswahl": {"ags": region, "merkmal": merkmal, "jahr": jahr, "name": region_name},
        "ziele": _target_views(data, rows, indicator, region) if rows.height else [],
        "query": query,
    }
    block = "auswertung" if request.headers.get("HX-Request") else None
    return render(request, "portal/indikator.html", context, block_name=block)


def export_bytes(frame: pl.DataFrame, fmt_name: str, sheet: str) -> bytes:
    out = frame.select(EXPORT_COLUMNS)
    buffer = io.BytesIO()
    if fmt_name == "csv":
        # BOM: Excel in German locales then opens UTF-8 correctly.
        return b"\xef\xbb\xbf" + out.write_csv().encode("utf-8")
    if fmt_name == "parquet":
        out.write_parquet(buffer)
        return buffer.getvalue()
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])
    ws.append(list(out.columns))
    for row in out.iter_rows():
        ws.append(list(row))
    book.save(buffer)
    return buffer.getvalue()


@router.get("/indikatoren/{indicator_id}/daten.{fmt_name}", name="indikator_daten")
def indicator_download(
    request: Request,
    indicator_id: str,
    fmt_name: Literal["csv", "xlsx", "parquet"],
    principal: PrincipalDep,
    data: DataDep,
    ags: Annotated[str | None, Query(max_length=20, pattern=r"^[0-9A-Za-z_]+$")] = None,
    merkmal: Annotated[str, Query(max_length=40, pattern=r"^[a-z_]+$")] = "insgesamt",
    jahr: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> Response:
    indicator_or_404(data, indicator_id)
    rows = indicator_rows(data, principal, indicator_id)
    region, chosen = _selection(data, rows, ags, merkmal, jahr)
    body = export_bytes(chosen, fmt_name, indicator_id)
    if principal.authenticated:
        with web_context(request).store.session() as db:
            record_event(
                "portal.export",
                "indicator",
                indicator_id,
                details={
                    "format": fmt_name,
                    "ags": region,
                    "merkmal": merkmal,
                    "jahr": jahr,
                    "zeilen": chosen.height,
                },
                actor=principal.login,
                db=db,
            )
    name = f"{indicator_id}_{region}_{merkmal}{f'_{jahr}' if jahr else ''}.{fmt_name}"
    return Response(
        body,
        media_type=MEDIA_TYPES[fmt_name],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
