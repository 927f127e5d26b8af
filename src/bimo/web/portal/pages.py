"""Portal pages: region comparison and the published downloads."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated

import polars as pl
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from bimo.web.data import SUPPRESSED_FLAGS
from bimo.web.deps import web_context
from bimo.web.portal.indicators import DataDep, PrincipalDep, indicator_or_404, indicator_rows
from bimo.web.portal.shared import UNIT_LABELS, bar_spec, cell
from bimo.web.rendering import render

router = APIRouter()

DOWNLOAD_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".csv": "text/csv; charset=utf-8",
    ".parquet": "application/vnd.apache.parquet",
    ".jsonld": "application/ld+json",
    ".json": "application/json",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}


@router.get("/vergleich", response_class=HTMLResponse, name="vergleich")
def comparison(
    request: Request,
    principal: PrincipalDep,
    data: DataDep,
    indikator: Annotated[str | None, Query(max_length=8, pattern=r"^[A-I][0-9]{2}[a-z]?$")] = None,
    jahr: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> Response:
    with_values = sorted(
        data.values.filter(~pl.col("intern") & (pl.col("ebene") == "KREIS"))["indikator"]
        .unique()
        .to_list()
    )
    chosen_id = indikator or (with_values[0] if with_values else None)
    context: dict[str, object] = {
        "title": "Regionen vergleichen",
        "active": "vergleich",
        "optionen": [data.catalog[i] for i in with_values if i in data.catalog],
        "indikator": None,
    }
    if chosen_id is not None:
        ind = indicator_or_404(data, chosen_id)
        rows = indicator_rows(data, principal, chosen_id).filter(pl.col("merkmal") == "insgesamt")
        years = sorted(rows["jahr"].unique().to_list())
        year = jahr if jahr is not None else (years[-1] if years else None)
        if jahr is not None and jahr not in years:
            raise HTTPException(status_code=404, detail=f"Für {jahr} gibt es keine Werte.")
        now = rows.filter(pl.col("jahr") == year)
        kreise = now.filter(pl.col("ebene") == "KREIS").sort("ags")
        land = now.filter(pl.col("ebene") == "LAND")
        land_row = land.row(0, named=True) if land.height else None
        d = ind.nachkommastellen
        table = [
            {"ags": r["ags"], "region": r["region"], **cell(r, d)}
            for r in kreise.iter_rows(named=True)
        ]
        chart_rows = [
            {"region": r["region"], "wert": r["wert"]}
            for r in kreise.iter_rows(named=True)
            if r["wert"] is not None
        ]
        context |= {
            "indikator": ind,
            "einheit": UNIT_LABELS[ind.einheit],
            "jahre": years,
            "jahr": year,
            "tabelle": table,
            "land": {"region": land_row["region"], **cell(land_row, d)} if land_row else None,
            "fussnoten": sorted({c["flag"] for c in table if c["flag"]}),
            "symbole": SUPPRESSED_FLAGS,
            "spec": bar_spec(
                chart_rows,
                land_row["wert"] if land_row else None,
                f"{ind.short_title} ({UNIT_LABELS[ind.einheit]})",
            ),
        }
    block = "vergleich" if request.headers.get("HX-Request") else None
    return render(request, "portal/vergleich.html", context, block_name=block)


def _published(root: Path) -> list[dict[str, object]]:
    if not root.is_dir():
        return []
    out: list[dict[str, object]] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        # Report assets (scripts, styles) are served but not listed.
        if not path.is_file() or "assets" in rel.parts or path.suffix not in DOWNLOAD_TYPES:
            continue
        out.append(
            {
                "pfad": rel.as_posix(),
                "name": path.name,
                "gruppe": "Bildungsbericht" if rel.parts[0] == "bildungsbericht" else "Open Data",
                "format": path.suffix.lstrip(".").upper(),
                "groesse": f"{max(1, round(path.stat().st_size / 1024))} KB",
            }
        )
    return out


@router.get("/downloads", response_class=HTMLResponse, name="downloads")
def downloads(request: Request) -> Response:
    files = _published(web_context(request).publication_dir)
    groups: dict[str, list[dict[str, object]]] = {}
    for f in files:
        groups.setdefault(str(f["gruppe"]), []).append(f)
    return render(
        request,
        "portal/downloads.html",
        {"title": "Berichte und Daten", "active": "downloads", "gruppen": groups},
    )


@router.get("/downloads/{path:path}", name="download_datei")
def download_file(request: Request, path: str) -> Response:
    root = web_context(request).publication_dir.resolve()
    target = (root / path).resolve()
    # Resolve first, then require containment: "..", absolute parts and symlinks out are refused.
    if not target.is_relative_to(root) or not target.is_file():
        raise HTTPException(status_code=404, detail="Diese Datei gibt es nicht.")
    media = DOWNLOAD_TYPES.get(target.suffix)
    if media is None:
        raise HTTPException(status_code=404, detail="Diese Datei gibt es nicht.")
    headers = {"X-Content-Type-Options": "nosniff"}
    disposition = "inline" if target.suffix in {".html", ".pdf", ".js", ".css"} else "attachment"
    return FileResponse(
        target,
        media_type=media or mimetypes.guess_type(target.name)[0],
        headers=headers,
        content_disposition_type=disposition,
        filename=target.name,
    )
