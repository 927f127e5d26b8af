"""Helpers shared by the internal pages: login guard, read-only Lernstand queries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import duckdb
import numpy as np
from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse

from bimo.accounts.policy import Action, Principal
from bimo.assessment.standards.levels import load_level_model
from bimo.web.auth import login_redirect
from bimo.web.deps import authorize, current_principal

__all__ = [
    "ClassDistribution",
    "LevelShare",
    "class_distribution",
    "classes_of",
    "need_login",
    "suppress_cells",
]

MIN_TESTED = 10  # a class result is shown only from this many tested students on


def need_login(request: Request, principal: Principal) -> RedirectResponse | None:
    """Anonymous visitors of an internal page go to the login page (HTML, not 401)."""
    return None if principal.authenticated else login_redirect(request)


def _connect(path: Path) -> duckdb.DuckDBPyConnection | None:
    if not path.exists():
        return None
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None  # locked by an import in progress: the page says "keine Ergebnisse"


def _has_results(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'assessment_results'"
    ).fetchone()
    return bool(row and row[0])


def classes_of(path: Path, schulnummer: str) -> list[str]:
    """Class names of a school that took part in a Lernstand wave (sorted)."""
    con = _connect(path)
    if con is None:
        return []
    try:
        if not _has_results(con):
            return []
        rows = con.execute(
            "SELECT DISTINCT klasse FROM assessment_results WHERE schulnummer = ? ORDER BY 1",
            [schulnummer],
        ).fetchall()
    finally:
        con.close()
    return [str(r[0]) for r in rows]


@dataclass(frozen=True)
class LevelShare:
    code: str
    label: str
    percent: int | None  # None: suppressed (fewer than min_cell students)


@dataclass(frozen=True)
class ClassDistribution:
    erhebung: str
    schuljahr: int
    kompetenzbereich: str
    stufenmodell: str
    tested: int
    shares: tuple[LevelShare, ...]  # empty: too few tested students


def suppress_cells(counts: Sequence[float], min_cell: int) -> list[bool]:
    """Cells with 1..min_cell-1 students, plus a second cell if one alone could be recovered
    from the total (secondary suppression of the smallest other non-empty cell)."""
    hidden = [0 < c < min_cell for c in counts]
    if sum(hidden) == 1:
        others = [(c, i) for i, c in enumerate(counts) if not hidden[i] and c > 0]
        if others:
            hidden[min(others)[1]] = True
    return hidden


def class_distribution(
    path: Path, schulnummer: str, klasse: str, min_cell: int
) -> list[ClassDistribution]:
    """Kompetenzstufen of one class per wave and domain (mean over plausible values).

    Counts per level are averaged over the plausible values and rounded; a level is shown as a
    whole-number percentage only when it holds at least ``min_cell`` students.
    """
    con = _connect(path)
    if con is None:
        return []
    try:
        if not _has_results(con):
            return []
        rows = con.execute(
            "SELECT erhebung, schuljahr, kompetenzbereich, stufenmodell, pv_nr, "
            "list(wert ORDER BY pseudonym) FROM assessment_results "
            "WHERE schulnummer = ? AND klasse = ? GROUP BY ALL ORDER BY 2 DESC, 1, 3, 5",
            [schulnummer, klasse],
        ).fetchall()
    finally:
        con.close()
    groups: dict[tuple[str, int, str, str], list[list[float]]] = {}
    for erhebung, jahr, bereich, modell, _pv, values in rows:
        groups.setdefault((erhebung, int(jahr), bereich, modell), []).append(list(values))
    result: list[ClassDistribution] = []
    for (erhebung, jahr, bereich, modell), pvs in groups.items():
        tested = len(pvs[0])
        if tested < MIN_TESTED:
            result.append(ClassDistribution(erhebung, jahr, bereich, modell, tested, ()))
            continue
        model = load_level_model(modell)
        counts = np.zeros(len(model.levels))
        for values in pvs:
            codes = model.classify(np.asarray(values, dtype=float))
            counts += np.bincount(np.asarray(codes, dtype=int), minlength=len(model.levels))
        counts = np.rint(counts / len(pvs))
        hidden = suppress_cells([float(c) for c in counts], min_cell)
        shares = tuple(
            LevelShare(
                level.code,
                level.label,
                None if hidden[i] else round(100 * counts[i] / tested),
            )
            for i, level in enumerate(model.levels)
        )
        result.append(ClassDistribution(erhebung, jahr, bereich, modell, tested, shares))
    return result


def authorized(action: Action) -> Callable[[Request, Principal], Principal]:
    """A dependency that checks login and ``action`` before FastAPI validates any form field.

    FastAPI solves a route's dependencies before its body parameters, so someone without the
    right learns nothing about the form (no 422 listing its fields) and gets 403 (or, without
    a login, the redirect to the login page) whatever they send.
    """

    def dependency(
        request: Request, principal: Annotated[Principal, Depends(current_principal)]
    ) -> Principal:
        if (redirect := need_login(request, principal)) is not None:
            # An exception, not a response: a dependency cannot answer; the app's handler keeps
            # the status and the Location header.
            raise HTTPException(status_code=303, headers={"Location": redirect.headers["location"]})
        authorize(principal, action)
        return principal

    return dependency
