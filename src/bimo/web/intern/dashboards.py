"""Internal dashboards: overview, indicators on all visible levels, schools and classes.

Every page asks the policy (``authorize``/``can``/``visible_values``); none looks at roles.
"""

from __future__ import annotations

from typing import Annotated

import polars as pl
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from bimo.accounts.policy import Action, ClassRef, Principal, SchoolRef, can
from bimo.accounts.roles import ROLE_LABELS, SCOPE_LABELS, Role, ScopeType
from bimo.core.config import get_settings
from bimo.indicators.engine import TOTAL_MERKMAL
from bimo.web.data import SUPPRESSED_FLAGS, portal_data, visible_values
from bimo.web.deps import authorize, current_principal, web_context
from bimo.web.intern.common import class_distribution, classes_of, need_login
from bimo.web.rendering import render

router = APIRouter()
PrincipalDep = Annotated[Principal, Depends(current_principal)]


def _schools_in_scope(request: Request, principal: Principal) -> list[tuple[str, str]]:
    """(Schulnummer, name) of every school the principal may open, sorted by name."""
    data = portal_data(request)
    names = dict(zip(data.schools["schulnummer"], data.schools["name"], strict=True))
    hierarchy = web_context(request).hierarchy.get()
    visible = [
        nr for nr in hierarchy.school_location if can(principal, Action.VIEW_SCHOOL, SchoolRef(nr))
    ]
    return sorted(((nr, str(names.get(nr) or nr)) for nr in visible), key=lambda s: (s[1], s[0]))


def _own_classes(principal: Principal) -> list[tuple[str, str]]:
    """Classes named in the principal's class grants that the policy lets it open."""
    classes = {c for g in principal.grants for c in g.classes}
    return sorted(c for c in classes if can(principal, Action.VIEW_CLASS, ClassRef(*c)))


# Which roles see the entry links (display only: every page asks the policy itself).
_SURVEY_ROLES = frozenset({Role.LEHRKRAFT, Role.SCHULLEITUNG, Role.LAND})
_TEST_ROLES = frozenset({Role.LEHRKRAFT, Role.SCHULLEITUNG, Role.LAND})


@router.get("/intern", name="intern_start", response_class=HTMLResponse)
def intern_start(request: Request, principal: PrincipalDep) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    data = portal_data(request)
    ids = data.values["indikator"].unique().sort().to_list()
    internal = visible_values(principal, data.values.filter(pl.col("intern")))
    rollen = [
        {
            "rolle": ROLE_LABELS[g.role],
            "bereich": SCOPE_LABELS[g.scope_type]
            + ("" if g.scope_type is ScopeType.GLOBAL else f" {g.scope_id}"),
        }
        for g in principal.raw_grants
    ]
    return render(
        request,
        "intern/start.html",
        {
            "title": "Auswertungen",
            "active": "intern",
            "rollen": rollen,
            "indikatoren": [(i, data.catalog[i].short_title) for i in ids if i in data.catalog],
            "interne_zeilen": internal.height,
            "schulen": _schools_in_scope(request, principal),
            "klassen": _own_classes(principal),
            "forschung": can(principal, Action.REQUEST_MICRODATA),
            "benutzer": can(principal, Action.MANAGE_USERS),
            "protokoll": can(principal, Action.VIEW_AUDIT_LOG),
            # Only links: each page asks the policy for its objects itself.
            "umfragen": bool(principal.roles & _SURVEY_ROLES),
            "tests": bool(principal.roles & _TEST_ROLES),
        },
    )


def _display(frame: pl.DataFrame, digits: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for row in frame.iter_rows(named=True):
        flag = row["flag"] or ""
        if flag in SUPPRESSED_FLAGS:
            shown = flag
        elif row["wert"] is None:
            shown = "–"
        else:
            shown = f"{row['wert']:.{digits}f}".replace(".", ",")
        rows.append({**row, "anzeige": shown})
    return rows


_LEVEL_ORDER = {"LAND": 0, "KREISTYP": 1, "KREIS": 2, "GEMEINDE": 3, "SCHULE": 4}


@router.get("/intern/indikatoren/{indikator}", name="intern_indikator", response_class=HTMLResponse)
def intern_indicator(
    request: Request, indikator: str, principal: PrincipalDep, jahr: int | None = None
) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    data = portal_data(request)
    if indikator not in data.catalog:
        raise HTTPException(status_code=404, detail=f"Den Indikator {indikator} gibt es nicht.")
    meta = data.catalog[indikator]
    frame = visible_values(principal, data.values.filter(pl.col("indikator") == indikator))
    years = sorted(frame["jahr"].unique().to_list(), reverse=True)
    year = jahr if jahr in years else (years[0] if years else None)
    if year is not None:
        frame = frame.filter(pl.col("jahr") == year)
    frame = frame.with_columns(
        pl.col("ebene").replace_strict(_LEVEL_ORDER, default=9).alias("_o")
    ).sort(["_o", "ags", "merkmal", "auspraegung"])
    return render(
        request,
        "intern/indikator.html",
        {
            "title": f"{meta.id} {meta.short_title} (intern)",
            "active": "intern",
            "indikator": meta,
            "jahre": years,
            "jahr": year,
            "zeilen": _display(frame, meta.nachkommastellen),
            "zeichen": SUPPRESSED_FLAGS,
        },
    )


@router.get("/intern/schulen", name="intern_schulen", response_class=HTMLResponse)
def intern_schools(request: Request, principal: PrincipalDep) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    return render(
        request,
        "intern/schulen.html",
        {"title": "Schulen", "active": "intern", "schulen": _schools_in_scope(request, principal)},
    )


def _latest_totals(frame: pl.DataFrame) -> pl.DataFrame:
    """Total rows (no breakdown) of each indicator's latest year."""
    totals = frame.filter(pl.col("merkmal") == TOTAL_MERKMAL)
    latest = totals.group_by("indikator").agg(pl.col("jahr").max())
    return totals.join(latest, on=["indikator", "jahr"], how="semi")


@router.get("/intern/schulen/{schulnummer}", name="intern_schule", response_class=HTMLResponse)
def intern_school(request: Request, schulnummer: str, principal: PrincipalDep) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    authorize(principal, Action.VIEW_SCHOOL, SchoolRef(schulnummer))
    data = portal_data(request)
    school = data.schools.filter(pl.col("schulnummer") == schulnummer)
    if school.is_empty():
        raise HTTPException(status_code=404, detail="Diese Schule gibt es im Datenbestand nicht.")
    kreis = str(school["kreis_ags"][0])
    own = _latest_totals(
        visible_values(
            principal,
            data.values.filter((pl.col("ebene") == "SCHULE") & (pl.col("ags") == schulnummer)),
        )
    )
    refs = visible_values(
        principal,
        data.values.filter(
            pl.col("ebene").is_in(["LAND", "KREIS"])
            & (pl.col("ags").is_in([kreis, kreis[:2]]))
            & (pl.col("merkmal") == TOTAL_MERKMAL)
        ),
    )
    rows = []
    for row in own.sort("indikator").iter_rows(named=True):
        known = row["indikator"] in data.catalog
        meta = data.catalog[row["indikator"]] if known else None
        digits = meta.nachkommastellen if meta else 1
        same = refs.filter(
            (pl.col("indikator") == row["indikator"])
            & (pl.col("jahr") == row["jahr"])
            & (pl.col("auspraegung") == row["auspraegung"])
        )
        ref = {r["ebene"]: r["anzeige"] for r in _display(same, digits)}
        rows.append(
            {
                **_display(pl.DataFrame([row], schema=own.schema), digits)[0],
                "titel": meta.short_title if meta else row["indikator"],
                "kreis": ref.get("KREIS", "–"),
                "land": ref.get("LAND", "–"),
            }
        )
    ctx = web_context(request)
    klassen = [
        k
        for k in classes_of(ctx.duckdb_path, schulnummer)
        if can(principal, Action.VIEW_CLASS, ClassRef(schulnummer, k))
    ]
    return render(
        request,
        "intern/schule.html",
        {
            "title": f"Schule {school['name'][0]}",
            "active": "intern",
            "schule": school.row(0, named=True),
            "zeilen": rows,
            "klassen": klassen,
            "zeichen": SUPPRESSED_FLAGS,
        },
    )


@router.get(
    "/intern/schulen/{schulnummer}/klassen/{klasse}",
    name="intern_klasse",
    response_class=HTMLResponse,
)
def intern_class(
    request: Request, schulnummer: str, klasse: str, principal: PrincipalDep
) -> Response:
    if (redirect := need_login(request, principal)) is not None:
        return redirect
    authorize(principal, Action.VIEW_CLASS, ClassRef(schulnummer, klasse))
    ctx = web_context(request)
    min_cell = get_settings().min_cell
    return render(
        request,
        "intern/klasse.html",
        {
            "title": f"Klasse {klasse}",
            "active": "intern",
            "schulnummer": schulnummer,
            "klasse": klasse,
            "ergebnisse": class_distribution(ctx.duckdb_path, schulnummer, klasse, min_cell),
            "min_tested": 10,
            "darf_schule": can(principal, Action.VIEW_SCHOOL, SchoolRef(schulnummer)),
        },
    )
