"""Simulated trajectories for the matcher (used by tests and ``bench/bench_linkage.py``).

Synthetic people in 5 Kreise, school years 2018–2023: primary school for grades 1–4, then a
secondary school; ~5 % repeat a grade once. A share of the records loses its pseudonym
(missing or broken), some of those also carry recording errors; a few unlinked records
belong to people without any record in the store (they must not be matched).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import polars as pl

from bimo.core.schemas import SCHOOLS, STUDENT_YEARS
from bimo.core.store import AnalyticStore

YEARS = range(2018, 2024)
KREISE = ("01001", "01002", "01003", "01004", "01005")


@dataclass(frozen=True)
class Simulated:
    schools: pl.DataFrame
    store_rows: pl.DataFrame  # student_years (with pseudonyms) for the store
    unlinked: pl.DataFrame  # record_id + student_years columns, pseudonym null/broken
    truth: pl.DataFrame  # record_id, true_pseudonym


def _schools() -> pl.DataFrame:
    rows = []
    for k, kreis in enumerate(KREISE):
        for i in range(12):
            form = "GS" if i < 8 else ("GY" if i < 10 else "IGS")
            rows.append(
                {
                    "schulnummer": f"{k + 1}{i:05d}",
                    "name": f"Schule {k}-{i}",
                    "schulform": form,
                    "traeger": "OEFF",
                    "gemeinde_ags": kreis + "001",
                    "kreis_ags": kreis,
                    "ganztag_form": "OFFEN",
                }
            )
    return pl.DataFrame(rows).select(list(SCHOOLS.column_names))


def simulate(
    n_people: int = 3000,
    *,
    share_unlinked: float = 0.04,
    share_noise: float = 0.15,
    n_strangers: int = 20,
    seed: int = 7,
) -> Simulated:
    rng = np.random.default_rng(seed)
    schools = _schools()
    rows: list[dict[str, object]] = []
    for p in range(n_people + n_strangers):
        pseudonym = hashlib.sha256(f"sim-{seed}-{p}".encode()).hexdigest()
        kreis = int(rng.integers(len(KREISE)))
        birth_year = int(rng.integers(2008, 2015))
        month = int(rng.integers(1, 13))
        sex = str(rng.choice(["m", "w"]))
        ndh = bool(rng.random() < 0.3)
        fs = str(rng.choice(["LE", "SP", "ES"])) if rng.random() < 0.05 else None
        gs = f"{kreis + 1}{int(rng.integers(0, 8)):05d}"
        sek = f"{kreis + 1}{int(rng.integers(8, 12)):05d}"
        letters = rng.choice(list("abcd"), size=2)
        grade = 2018 - birth_year - 6 + 1
        repeat_year = int(rng.integers(2018, 2024)) if rng.random() < 0.05 else None
        years = list(YEARS) if p < n_people else [int(rng.integers(2019, 2024))]
        for y in years:
            if repeat_year is not None and y == repeat_year + 1:
                grade -= 1  # repeated the grade of the previous year
            g = grade + (y - 2018)
            if not 1 <= g <= 10:
                continue
            school = gs if g <= 4 else sek
            rows.append(
                {
                    "pseudonym": pseudonym,
                    "schuljahr": y,
                    "schulnummer": school,
                    "schulform": "GS" if g <= 4 else "GY",
                    "jahrgangsstufe": g,
                    "klasse": f"{g}{letters[0] if g <= 4 else letters[1]}",
                    "geburtsjahr": birth_year,
                    "geburtsmonat": month,
                    "geschlecht": sex,
                    "foerderschwerpunkt": fs,
                    "ndh": ndh,
                    "ganztag": False,
                    "wiederholung": None,
                    "zugangsart": None,
                    "einschulungsart": None,
                    "abgangsart": None,
                    "abschlussart": None,
                    "record_key": float(rng.random()),
                    "_fremd": p >= n_people,
                }
            )
    df = pl.DataFrame(rows, infer_schema_length=None)
    pick = (pl.lit(rng.random(df.height)) < share_unlinked) | pl.col("_fremd")
    df = df.with_columns(pick.alias("_unlinked"))
    store_rows = df.filter(~pl.col("_unlinked")).select(list(STUDENT_YEARS.column_names))
    gone = df.filter(pl.col("_unlinked"))
    n = gone.height
    noise = rng.random(n) < share_noise
    kind = rng.integers(0, 3, n)
    gone = gone.with_columns(
        pl.Series("record_id", [f"U{i:06d}" for i in range(n)]),
        pl.col("pseudonym").alias("true_pseudonym"),
        pl.when(pl.Series(noise & (kind == 0)))
        .then((pl.col("geburtsmonat") % 12) + 1)
        .otherwise(pl.col("geburtsmonat"))
        .alias("geburtsmonat"),
        pl.when(pl.Series(noise & (kind == 1)))
        .then(pl.col("geburtsjahr") + 1)
        .otherwise(pl.col("geburtsjahr"))
        .alias("geburtsjahr"),
        pl.when(pl.Series(noise & (kind == 2)))
        .then(pl.col("klasse").str.replace(r"[a-d]$", "x"))
        .otherwise(pl.col("klasse"))
        .alias("klasse"),
        # Half missing, half broken (upper-case or truncated).
        pl.when(pl.Series(rng.random(n) < 0.5))
        .then(None)
        .otherwise(pl.col("pseudonym").str.to_uppercase().str.slice(0, 60))
        .alias("pseudonym"),
    )
    unlinked = gone.select(["record_id", *STUDENT_YEARS.column_names])
    truth = gone.select("record_id", "true_pseudonym")
    return Simulated(schools, store_rows, unlinked, truth)


def load_store(store: AnalyticStore, sim: Simulated) -> None:
    with store.transaction() as con:
        con.register("s_in", sim.schools.to_arrow())
        con.execute("INSERT INTO schools SELECT * FROM s_in")
        con.register("y_in", sim.store_rows.to_arrow())
        con.execute("INSERT INTO student_years SELECT * FROM y_in")
        con.unregister("s_in")
        con.unregister("y_in")
