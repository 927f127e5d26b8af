"""The target system (Zielsystem): ten-year goals as data, the path needed and the trend so far.

``targets.yaml`` (beside this module) holds the goals; :func:`load_targets` validates it with
German messages. :func:`evaluate_targets` reads the computed long table (``indicator_values``),
draws the linear path from the baseline to the target value, fits the trend since the baseline
(weighted least squares with weights 1/SE² where the indicator has standard errors, otherwise
ordinary least squares), projects it to the target year with a 90 % interval and sets a traffic
light explained in plain German sentences with the numbers. Suppressed values
(``flag`` not empty) are never used. Method: ``docs/targets.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import stats

from bimo.core.errors import BimoError
from bimo.indicators.targets_text import (
    MIN_YEARS,
    format_number,
    text_no_baseline,
    text_status_text,
    text_suppressed_latest,
    text_too_few,
    year_label,
)

__all__ = [
    "DEFAULT_TARGETS_FILE",
    "MIN_YEARS",
    "IndicatorInfo",
    "Status",
    "Target",
    "TargetStatus",
    "TargetsError",
    "Trend",
    "evaluate_target",
    "evaluate_targets",
    "fit_trend",
    "format_number",
    "load_targets",
    "parse_targets",
]

DEFAULT_TARGETS_FILE = Path(__file__).with_name("targets.yaml")
CONFIDENCE = 0.90
Status = Literal["gruen", "gelb", "rot", "unbekannt"]


class TargetsError(BimoError):
    """``targets.yaml`` (or another targets file) is malformed."""


class IndicatorInfo(Protocol):
    """What the targets need from a catalogue entry (:class:`bimo.indicators.catalog.Indicator`)."""

    @property
    def id(self) -> str: ...
    @property
    def titel(self) -> str: ...
    @property
    def einheit(self) -> str: ...
    @property
    def nachkommastellen(self) -> int: ...
    @property
    def zeitbezug(self) -> str: ...


class CatalogLike(Protocol):
    def __getitem__(self, key: str) -> IndicatorInfo: ...


class Target(BaseModel):
    """One goal: an indicator, a baseline rule, a target year and a relative or absolute goal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    indikator: str = Field(pattern=r"^[A-I][0-9]{2}[a-z]?$")
    titel: str = Field(min_length=1)
    richtung: Literal["senken", "steigern"]
    art: Literal["relativ", "absolut"]
    aenderung_prozent: float | None = None  # relativ: change against the baseline value, in %
    zielwert: float | None = None  # absolut: the value to reach, in the indicator's unit
    basisjahr: int | None = None  # fixed baseline year; None: first usable year ≥ basis_ab
    basis_ab: int = 2021
    zieljahr: int
    # Green also when the current value is ahead of the path by at least this much (unit of
    # the indicator; percentage points for shares): being merely *on* the path is noise.
    marge: float = Field(0.5, ge=0)
    merkmal: str = "insgesamt"
    auspraegung: str = "Insgesamt"
    quelle: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if self.art == "relativ":
            if self.aenderung_prozent is None:
                raise ValueError("art: relativ verlangt aenderung_prozent (z. B. -50)")
            if self.zielwert is not None:
                raise ValueError("art: relativ erlaubt keinen zielwert")
            if self.aenderung_prozent == 0 or self.aenderung_prozent <= -100:
                raise ValueError("aenderung_prozent muss ungleich 0 und größer als -100 sein")
            if (self.aenderung_prozent < 0) != (self.richtung == "senken"):
                raise ValueError(
                    f"richtung {self.richtung} passt nicht zu aenderung_prozent "
                    f"{self.aenderung_prozent:g}"
                )
        else:
            if self.zielwert is None:
                raise ValueError("art: absolut verlangt einen zielwert")
            if self.aenderung_prozent is not None:
                raise ValueError("art: absolut erlaubt kein aenderung_prozent")
        start = self.basisjahr if self.basisjahr is not None else self.basis_ab
        if self.zieljahr <= start:
            raise ValueError(f"zieljahr {self.zieljahr} muss nach dem Basisjahr {start} liegen")
        return self

    def target_value(self, baseline: float) -> float:
        if self.art == "relativ":
            assert self.aenderung_prozent is not None  # checked by the validator
            return baseline * (1 + self.aenderung_prozent / 100)
        assert self.zielwert is not None
        return self.zielwert

    @property
    def sign(self) -> int:
        """+1 when the indicator should rise, −1 when it should fall."""
        return 1 if self.richtung == "steigern" else -1


class _TargetsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    ziele: list[Target] = Field(min_length=1)


@dataclass(frozen=True)
class Trend:
    """A straight line fitted to (year, value): slope per year with SE and a projection."""

    methode: Literal["WLS", "OLS"]
    n: int
    steigung: float
    steigung_se: float
    projektion: float
    projektion_unten: float
    projektion_oben: float


@dataclass(frozen=True)
class TargetStatus:
    """The state of one target in one region (fields as in the shared contract)."""

    indikator: str
    ags: str
    basisjahr: int | None
    basiswert: float | None
    zieljahr: int
    zielwert: float | None
    pfad: list[tuple[int, float]]
    letztes_jahr: int | None
    letzter_wert: float | None
    trend_steigung: float | None
    trend_se: float | None
    projektion: float | None
    projektion_unten: float | None
    projektion_oben: float | None
    status: Status
    begruendung: str
    ziel_id: str = ""
    ziel_titel: str = ""
    methode: str | None = None
    n_jahre: int = 0
    quelle: str = ""
    soll_aktuell: float | None = None  # the path's value in letztes_jahr


# --- loading -------------------------------------------------------------------------------


def load_targets(path: Path | str | None = None) -> list[Target]:
    """The goals in ``path`` (default: ``targets.yaml`` of the package), validated."""
    source = Path(path) if path is not None else DEFAULT_TARGETS_FILE
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TargetsError(f"Zieldatei {source} nicht gefunden.") from None
    except UnicodeDecodeError:
        raise TargetsError(f"Zieldatei {source} ist nicht UTF-8-kodiert.") from None
    return parse_targets(text, str(source))


def parse_targets(text: str, source: str = "targets.yaml") -> list[Target]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (Zeile {mark.line + 1})" if mark is not None else ""
        raise TargetsError(f"Zieldatei {source}{where}: kein gültiges YAML.") from None
    if not isinstance(data, dict):
        raise TargetsError(
            f"Zieldatei {source}: erwartet wird eine Zuordnung mit „version“ und „ziele“."
        )
    try:
        parsed = _TargetsFile.model_validate(data)
    except ValidationError as exc:
        raise TargetsError(_describe(exc, data, source)) from None
    seen: set[str] = set()
    for target in parsed.ziele:
        if target.id in seen:
            raise TargetsError(f"Zieldatei {source}: Ziel-ID „{target.id}“ kommt doppelt vor.")
        seen.add(target.id)
    return parsed.ziele


def _describe(exc: ValidationError, data: dict[str, Any], source: str) -> str:
    err = exc.errors()[0]
    loc = list(err["loc"])
    where = "Feld " + ".".join(str(p) for p in loc) if loc else "Datei"
    if len(loc) >= 2 and loc[0] == "ziele" and isinstance(loc[1], int):
        ziele = data.get("ziele")
        entry = ziele[loc[1]] if isinstance(ziele, list) and loc[1] < len(ziele) else None
        name = entry.get("id") if isinstance(entry, dict) else None
        rest = ".".join(str(p) for p in loc[2:])
        where = f"Ziel {loc[1] + 1}" + (f" („{name}“)" if name else "")
        if rest:
            where += f", Feld {rest}"
    return f"Zieldatei {source}, {where}: {_german(err)}"


def _german(err: Any) -> str:
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "Pflichtfeld fehlt."
    if kind == "extra_forbidden":
        return "unbekanntes Feld."
    if kind == "literal_error":
        return f"unzulässiger Wert „{value}“ (erlaubt: {ctx.get('expected', '')})."
    if kind == "string_pattern_mismatch":
        return f"„{value}“ hat nicht die vorgeschriebene Form ({ctx.get('pattern', '')})."
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"„{value}“ ist keine ganze Zahl."
    if kind in ("float_type", "float_parsing"):
        return f"„{value}“ ist keine Zahl."
    if kind in ("string_type",):
        return f"„{value}“ ist kein Text."
    if kind in ("too_short", "string_too_short"):
        return "darf nicht leer sein."
    if kind == "greater_than_equal":
        return f"muss mindestens {ctx.get('ge')} sein."
    if kind in ("list_type",):
        return "erwartet wird eine Liste."
    if kind in ("model_type", "dict_type"):
        return "erwartet wird eine Zuordnung (Schlüssel: Wert)."
    if kind == "value_error":
        return f"{ctx.get('error', err['msg'])}."
    return f"ungültiger Wert „{value}“."


# --- trend ---------------------------------------------------------------------------------


def fit_trend(
    years: Sequence[int],
    values: Sequence[float],
    se: Sequence[float | None] | None,
    target_year: int,
    *,
    origin: int | None = None,
) -> Trend:
    """Fit value = a + b·(year − origin) and project it to ``target_year``.

    With a positive standard error for every point the fit is weighted least squares (weights
    1/SE²); the slope's variance is (1/Sxx_w)·max(1, s²_w), i.e. the sampling variance, inflated
    when the years scatter more around the line than their SEs explain (year-to-year change that
    sampling does not cover). Without SEs it is ordinary least squares with variance s²/Sxx.
    The 90 % interval of the projection is that of the fitted line at ``target_year``
    (t-quantile with n − 2 degrees of freedom); it is not a prediction interval for one year.
    """
    n = len(years)
    if n < MIN_YEARS or len(values) != n:
        raise ValueError(f"fit_trend needs at least {MIN_YEARS} points, got {n}")
    x = np.asarray(years, dtype=float) - float(origin if origin is not None else years[0])
    y = np.asarray(values, dtype=float)
    weighted = se is not None and all(s is not None and s > 0 for s in se)
    if weighted:
        assert se is not None
        w = 1.0 / np.square(np.asarray(se, dtype=float))
    else:
        w = np.ones(n)
    total = float(w.sum())
    xm = float((w * x).sum() / total)
    ym = float((w * y).sum() / total)
    sxx = float((w * (x - xm) ** 2).sum())
    if sxx <= 0:
        raise ValueError("fit_trend needs at least two different years")
    slope = float((w * (x - xm) * (y - ym)).sum() / sxx)
    intercept = ym - slope * xm
    resid = y - (intercept + slope * x)
    df = n - 2
    s2 = float((w * resid**2).sum() / df)
    scale = max(1.0, s2) if weighted else s2
    slope_se = math.sqrt(scale / sxx)
    xt = float(target_year) - float(origin if origin is not None else years[0])
    proj = intercept + slope * xt
    fit_se = math.sqrt(scale * (1.0 / total + (xt - xm) ** 2 / sxx))
    q = float(stats.t.ppf(0.5 + CONFIDENCE / 2, df))
    return Trend(
        methode="WLS" if weighted else "OLS",
        n=n,
        steigung=slope,
        steigung_se=slope_se,
        projektion=proj,
        projektion_unten=proj - q * fit_se,
        projektion_oben=proj + q * fit_se,
    )


# --- evaluation ----------------------------------------------------------------------------


def _clip(value: float, unit: str) -> float:
    # A projected share cannot leave 0–100 %, a count or rate cannot go below zero.
    if unit == "prozent":
        return min(100.0, max(0.0, value))
    if unit in ("anzahl", "je_1000", "verhaeltnis"):
        return max(0.0, value)
    return value


def _series(values: pl.DataFrame, target: Target, ags: str, as_of: int | None) -> pl.DataFrame:
    rows = values.filter(
        (pl.col("indikator") == target.indikator)
        & (pl.col("ags") == ags)
        & (pl.col("merkmal") == target.merkmal)
        & (pl.col("auspraegung") == target.auspraegung)
    )
    if as_of is not None:
        rows = rows.filter(pl.col("jahr") <= as_of)
    rows = rows.with_columns(
        # Only published values are usable: a suppressed value is never recomputed or guessed.
        usable=(pl.col("flag").fill_null("") == "") & pl.col("wert").is_not_null()
    )
    return rows.select("jahr", "wert", "se", "flag", "usable").sort("jahr")


def evaluate_target(
    values: pl.DataFrame,
    target: Target,
    info: IndicatorInfo | None,
    ags: str,
    *,
    as_of: int | None = None,
) -> TargetStatus:
    """The status of ``target`` in region ``ags`` (see :func:`evaluate_targets`)."""
    base: dict[str, Any] = {
        "indikator": target.indikator,
        "ags": ags,
        "zieljahr": target.zieljahr,
        "ziel_id": target.id,
        "ziel_titel": target.titel,
        "quelle": target.quelle,
    }
    empty: dict[str, Any] = {
        "basisjahr": None,
        "basiswert": None,
        "zielwert": None,
        "pfad": [],
        "letztes_jahr": None,
        "letzter_wert": None,
        "trend_steigung": None,
        "trend_se": None,
        "projektion": None,
        "projektion_unten": None,
        "projektion_oben": None,
    }
    if info is None:
        text = f"Der Indikator {target.indikator} ist nicht im Indikatorenkatalog enthalten."
        return TargetStatus(**base, **empty, status="unbekannt", begruendung=text)
    series = _series(values, target, ags, as_of)
    usable = series.filter(pl.col("usable"))
    if target.basisjahr is not None:
        base_rows = usable.filter(pl.col("jahr") == target.basisjahr)
    else:
        base_rows = usable.filter(pl.col("jahr") >= target.basis_ab).head(1)
    if base_rows.is_empty():
        text = text_no_baseline(info, target, series)
        return TargetStatus(**base, **empty, status="unbekannt", begruendung=text)
    basisjahr = int(base_rows["jahr"][0])
    basiswert = float(base_rows["wert"][0])
    if basisjahr >= target.zieljahr:
        text = (
            f"Der erste veröffentlichte Wert für „{info.titel}“ stammt aus "
            f"{year_label(basisjahr, info)}, nicht vor dem Zieljahr "
            f"{year_label(target.zieljahr, info)}; "
            "ein Zielpfad lässt sich nicht bestimmen."
        )
        return TargetStatus(**base, **empty, status="unbekannt", begruendung=text)
    zielwert = target.target_value(basiswert)
    step = (zielwert - basiswert) / (target.zieljahr - basisjahr)
    pfad = [(y, basiswert + step * (y - basisjahr)) for y in range(basisjahr, target.zieljahr + 1)]
    since = series.filter(pl.col("jahr") >= basisjahr)
    latest = since.tail(1)
    window = usable.filter(pl.col("jahr") >= basisjahr)
    last_usable = window.tail(1)
    letztes_jahr = int(last_usable["jahr"][0])
    letzter_wert = float(last_usable["wert"][0])
    known: dict[str, Any] = {
        "basisjahr": basisjahr,
        "basiswert": basiswert,
        "zielwert": zielwert,
        "pfad": pfad,
        "letztes_jahr": letztes_jahr,
        "letzter_wert": letzter_wert,
        "soll_aktuell": basiswert + step * (letztes_jahr - basisjahr),
    }
    latest_year = int(latest["jahr"][0])
    if not bool(latest["usable"][0]):
        # The current state is not published: any status would rest on an older value.
        text = text_suppressed_latest(info, latest_year, str(latest["flag"][0] or ""))
        return TargetStatus(
            **base,
            **{**empty, **known},
            status="unbekannt",
            begruendung=text,
            n_jahre=window.height,
        )
    if window.height < MIN_YEARS:
        text = text_too_few(info, target, basisjahr, window.height, since.height)
        return TargetStatus(
            **base,
            **{**empty, **known},
            status="unbekannt",
            begruendung=text,
            n_jahre=window.height,
        )
    se_values = window["se"].to_list()
    trend = fit_trend(
        [int(y) for y in window["jahr"].to_list()],
        [float(v) for v in window["wert"].to_list()],
        se_values,
        target.zieljahr,
        origin=basisjahr,
    )
    unit = info.einheit
    proj = _clip(trend.projektion, unit)
    lo = _clip(trend.projektion_unten, unit)
    hi = _clip(trend.projektion_oben, unit)
    status = _traffic_light(target, zielwert, letzter_wert, known["soll_aktuell"], proj, lo, hi)
    result = TargetStatus(
        **base,
        **known,
        trend_steigung=trend.steigung,
        trend_se=trend.steigung_se,
        projektion=proj,
        projektion_unten=lo,
        projektion_oben=hi,
        status=status,
        begruendung="",
        methode=trend.methode,
        n_jahre=trend.n,
    )
    return _with_text(result, text_status_text(info, target, result))


def _with_text(status: TargetStatus, text: str) -> TargetStatus:
    return replace(status, begruendung=text)


def _traffic_light(
    target: Target,
    zielwert: float,
    letzter_wert: float,
    soll: float,
    proj: float,
    lo: float,
    hi: float,
) -> Status:
    d = target.sign
    eps = 1e-9

    def reaches(value: float) -> bool:
        return d * (value - zielwert) >= -eps

    if reaches(letzter_wert) or reaches(proj):
        return "gruen"
    if d * (letzter_wert - soll) >= target.marge - eps:
        return "gruen"
    optimistic = hi if d > 0 else lo
    return "gelb" if reaches(optimistic) else "rot"


def evaluate_targets(
    values: pl.DataFrame,
    catalog: CatalogLike,
    ags: str,
    *,
    as_of: int | None = None,
    targets: Sequence[Target] | None = None,
) -> list[TargetStatus]:
    """Evaluate every target (default: :func:`load_targets`) for region ``ags``.

    ``values`` is the long table (``VALUE_SCHEMA`` columns); only the total row
    (``merkmal == "insgesamt"`` unless the target names another) of ``ags`` is read, and only
    years up to ``as_of`` when given. Rows with a flag are never used.
    """
    required = {"indikator", "jahr", "ags", "merkmal", "auspraegung", "wert", "se", "flag"}
    missing = required - set(values.columns)
    if missing:
        raise BimoError(
            "Die Indikatorwerte haben nicht die erwarteten Spalten; es fehlen: "
            + ", ".join(sorted(missing))
        )
    out: list[TargetStatus] = []
    for target in targets if targets is not None else load_targets():
        info: IndicatorInfo | None
        try:
            info = catalog[target.indikator]
        except (KeyError, BimoError):
            info = None
        out.append(evaluate_target(values, target, info, ags, as_of=as_of))
    return out
