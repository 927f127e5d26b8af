"""A small synthetic Lernstandserhebung written straight into an analytic store.

For tests, demos and benchmarks of the feedback report before (or without) the full Musterland
pipeline: regions, schools, grade-4 ``student_years`` records, plausible values on the 500/100
metric (``assessment_results``) and Rasch-type scored responses in a two-booklet design
(``assessment_responses``). Abilities depend on sex, ndh, Förderbedarf and a school effect, so
the fair comparison has something to explain. All data are random; pseudonyms are hashes of a
counter and the seed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from bimo.core.store import AnalyticStore

LAND_AGS = "17"


def _default_schools() -> tuple[tuple[int, ...], ...]:
    return ((24, 23, 22), (19, 21), (26, 25, 24, 23), (17, 4), (20,), (22, 22), (8,), (25, 24))


@dataclass(frozen=True)
class SyntheticErhebung:
    """Shape of the synthetic Erhebung. ``schools``: class sizes per school."""

    erhebung: str = "LS4-2024"
    schuljahr: int = 2024
    jahrgangsstufe: int = 4
    n_pv: int = 5
    n_items: int = 24
    n_kreise: int = 2
    schools: tuple[tuple[int, ...], ...] = field(default_factory=_default_schools)
    school_sd: float = 30.0  # SD of the school effect, reporting metric
    seed: int = 11


def _pseudonym(seed: int, i: int) -> str:
    return hashlib.sha256(f"bimo-synthetic-{seed}-{i}".encode()).hexdigest()


def schulnummer(index: int) -> str:
    """Schulnummer of the ``index``-th synthetic school (0-based)."""
    return f"{170001 + index:06d}"


def _insert(store: AnalyticStore, table: str, frame: pl.DataFrame) -> None:
    con = store.raw
    con.register("_bimo_synth", frame.to_arrow())
    try:
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        con.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM _bimo_synth')
    finally:
        con.unregister("_bimo_synth")


def write_synthetic_erhebung(
    store: AnalyticStore, spec: SyntheticErhebung | None = None
) -> list[str]:
    """Write the synthetic Erhebung (and its regions, schools, students); returns Schulnummern."""
    spec = spec or SyntheticErhebung()
    rng = np.random.default_rng(spec.seed)
    kreise = [f"{LAND_AGS}{k + 1:03d}" for k in range(spec.n_kreise)]
    numbers = [schulnummer(i) for i in range(len(spec.schools))]
    regions = pl.DataFrame(
        {
            "ags": [LAND_AGS, *kreise],
            "name": ["Musterland", *[f"Landkreis {chr(65 + k)}" for k in range(len(kreise))]],
            "ebene": ["LAND", *["KREIS"] * len(kreise)],
            "parent_ags": [None, *[LAND_AGS] * len(kreise)],
            "kreistyp": [None, *["LKV"] * len(kreise)],
        }
    )
    school_kreis = [kreise[i % len(kreise)] for i in range(len(numbers))]
    schools = pl.DataFrame(
        {
            "schulnummer": numbers,
            "name": [f"Grundschule am Musterweg {i + 1}" for i in range(len(numbers))],
            "schulform": ["GS"] * len(numbers),
            "traeger": ["OEFF"] * len(numbers),
            "gemeinde_ags": [f"{k}001" for k in school_kreis],
            "kreis_ags": school_kreis,
            "ganztag_form": ["OFFEN"] * len(numbers),
        }
    )
    students = _students(spec, numbers, rng)
    results, responses = _results(spec, students, rng)
    with store.transaction():
        existing = {str(r[0]) for r in store.raw.execute("SELECT ags FROM regions").fetchall()}
        _insert(store, "regions", regions.filter(~pl.col("ags").is_in(list(existing))))
        _insert(store, "schools", schools)
        _insert(store, "student_years", students.drop("theta"))
        _insert(store, "assessment_results", results)
        _insert(store, "assessment_responses", responses)
    return numbers


def _students(
    spec: SyntheticErhebung, numbers: Sequence[str], rng: np.random.Generator
) -> pl.DataFrame:
    school_col: list[str] = []
    class_col: list[str] = []
    for number, sizes in zip(numbers, spec.schools, strict=True):
        for c, size in enumerate(sizes):
            school_col += [number] * size
            class_col += [f"{spec.jahrgangsstufe}{chr(97 + c)}"] * size
    n = len(school_col)
    _, school_idx = np.unique(np.array(school_col), return_inverse=True)
    # School composition varies, so that the fair comparison has something to adjust for.
    ndh_rate = rng.uniform(0.05, 0.6, size=len(numbers))[school_idx]
    female = rng.random(n) < 0.5
    ndh = rng.random(n) < ndh_rate
    sen = rng.random(n) < 0.06
    effect = rng.normal(0.0, spec.school_sd, size=len(numbers))[school_idx]
    theta = 500.0 + 10 * female - 40 * ndh - 80 * sen + effect + rng.normal(0, 85, size=n)
    return pl.DataFrame(
        {
            "pseudonym": [_pseudonym(spec.seed, i) for i in range(n)],
            "schuljahr": [spec.schuljahr] * n,
            "schulnummer": school_col,
            "schulform": ["GS"] * n,
            "jahrgangsstufe": [spec.jahrgangsstufe] * n,
            "klasse": class_col,
            "geburtsjahr": [spec.schuljahr - spec.jahrgangsstufe - 6] * n,
            "geburtsmonat": rng.integers(1, 13, size=n).tolist(),
            "geschlecht": np.where(female, "w", "m").tolist(),
            "foerderschwerpunkt": [("LE" if s else None) for s in sen],
            "ndh": ndh.tolist(),
            "ganztag": (rng.random(n) < 0.5).tolist(),
            "theta": theta,
        }
    )


def _results(
    spec: SyntheticErhebung, students: pl.DataFrame, rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = students.height
    theta = students["theta"].to_numpy()
    # PVs scatter around the true value with the posterior SD of a test of this length.
    pvs = theta[:, None] + rng.normal(0.0, 35.0, size=(n, spec.n_pv))
    base = students.select("pseudonym", "schulnummer", "klasse")
    results = pl.concat(
        [
            base.with_columns(
                pl.lit(spec.erhebung).alias("erhebung"),
                pl.lit(spec.schuljahr).alias("schuljahr"),
                pl.lit(spec.jahrgangsstufe).alias("jahrgangsstufe"),
                pl.lit("DEUTSCH_LESEN").alias("kompetenzbereich"),
                pl.lit("primar_deutsch_lesen").alias("stufenmodell"),
                pl.lit(1.0).alias("gewicht"),
                pl.lit(m + 1).alias("pv_nr"),
                pl.Series("wert", pvs[:, m]),
            )
            for m in range(spec.n_pv)
        ]
    )
    # Two booklets: each student works on every other item (even or odd item numbers), as in
    # a rotated design; the last two items are worth two points.
    difficulty = rng.normal(-0.3, 1.0, size=spec.n_items)
    logit_theta = (theta - 500.0) / 100.0
    booklet = np.arange(n) % 2
    rows_p, rows_item, rows_points, rows_max = [], [], [], []
    for j in range(spec.n_items):
        takers = np.flatnonzero(booklet == j % 2)
        max_points = 2 if j >= spec.n_items - 2 else 1
        prob = 1.0 / (1.0 + np.exp(-(logit_theta[takers] - difficulty[j])))
        points = rng.binomial(max_points, prob)
        rows_p.append(takers)
        rows_item += [f"L{j + 1:02d}"] * takers.size
        rows_points.append(points)
        rows_max += [max_points] * takers.size
    person = np.concatenate(rows_p)
    responses = pl.DataFrame(
        {
            "erhebung": [spec.erhebung] * person.size,
            "pseudonym": students["pseudonym"].to_numpy()[person],
            "schulnummer": students["schulnummer"].to_numpy()[person],
            "klasse": students["klasse"].to_numpy()[person],
            "item": rows_item,
            "punkte": np.concatenate(rows_points).astype(np.int64),
            "max_punkte": np.array(rows_max, dtype=np.int64),
        }
    )
    return results, responses
