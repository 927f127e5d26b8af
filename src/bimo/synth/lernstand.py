"""A simulated Lernstandserhebung (grade-4 Deutsch Lesen) for the students of Musterland.

The analytic store holds no ability, so the wave draws one from what the store does hold
(sex, nichtdeutsche Herkunftssprache, Förderschwerpunkt) plus a school effect, then answers a
Rasch-type test in a balanced incomplete block design: 7 clusters of 10 items, 7 booklets of 3
clusters (the Fano plane: every cluster appears 3 times, once in each position, and every pair of
clusters shares exactly one booklet), assigned in rotation within each class.

Outputs are the files the ``bimo scale`` commands read: wide responses (``id`` then items,
empty = not administered), background variables, and the generating truth for checks.
:func:`simulate_waves` draws one such wave per school year with a common item bank, persistent
school effects and a true trend, and adds each student's ``pseudonym`` to the background.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from bimo.core.errors import BimoError
from bimo.core.store import AnalyticStore

CLUSTERS = 7
ITEMS_PER_CLUSTER = 10
# Blocks {i, i+1, i+3} mod 7: a cyclic (7, 3, 1) difference set, i.e. a balanced incomplete
# block design in which every cluster also takes every booklet position exactly once.
BOOKLETS: tuple[tuple[int, int, int], ...] = tuple(
    (i, (i + 1) % CLUSTERS, (i + 3) % CLUSTERS) for i in range(CLUSTERS)
)


@dataclass(frozen=True)
class WaveConfig:
    """Which students take part and how the simulated abilities are formed."""

    year: int | None = None  # school year (start year); default: the latest in the store
    grade: int = 4
    seed: int = 2024
    school_sd: float = 0.35  # SD of the school effect on the logit scale
    position_effect: float = -0.08  # logit shift per later booklet position (fatigue)
    # True change of the mean ability per school year after the first wave (simulate_waves):
    # −0.05 logits ≈ −5 points a year on the 500/100 metric of the first wave.
    trend: float = -0.05


@dataclass(frozen=True)
class Wave:
    """A simulated test wave: responses, background and truth (all keyed by ``id``)."""

    year: int
    responses: pl.DataFrame
    background: pl.DataFrame
    truth: pl.DataFrame
    items: pl.DataFrame

    def write(self, out_dir: Path) -> dict[str, Path]:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = {
            "responses": out_dir / "antworten.csv",
            "background": out_dir / "hintergrund.csv",
            "truth": out_dir / "wahre_werte.csv",
            "items": out_dir / "wahre_itemparameter.csv",
        }
        self.responses.write_csv(paths["responses"])
        self.background.write_csv(paths["background"])
        self.truth.write_csv(paths["truth"])
        self.items.write_csv(paths["items"])
        return paths


def _participants(store: AnalyticStore, config: WaveConfig) -> tuple[int, pl.DataFrame]:
    con = store.raw
    year = config.year
    if year is None:
        latest = con.sql("SELECT max(schuljahr) AS y FROM student_years").pl()["y"][0]
        if latest is None:
            raise BimoError("Der Analysebestand enthält keine Schülerdaten (student_years).")
        year = int(latest)
    frame = con.sql(
        """
            SELECT y.pseudonym, y.schulnummer, y.klasse, y.geschlecht, y.ndh,
                   y.foerderschwerpunkt, s.kreis_ags
            FROM student_years y JOIN schools s USING (schulnummer)
            WHERE y.schuljahr = ? AND y.jahrgangsstufe = ? AND y.schulform <> 'FS'
            ORDER BY y.schulnummer, y.klasse, y.pseudonym
            """,
        params=[year, config.grade],
    ).pl()
    if frame.height == 0:
        raise BimoError(
            f"Im Schuljahr {year} gibt es keine Schülerinnen und Schüler der "
            f"Jahrgangsstufe {config.grade} an allgemeinen Schulen."
        )
    return year, frame


def simulate_wave(store: AnalyticStore, config: WaveConfig | None = None) -> Wave:
    """Simulate the test wave for the students of one grade and year in the store."""
    config = config or WaveConfig()
    year, people = _participants(store, config)
    rng = np.random.default_rng(config.seed)
    schools, school_index = np.unique(people["schulnummer"].to_numpy(), return_inverse=True)
    school_effect = rng.normal(0.0, config.school_sd, size=schools.size)
    return _answer(people, year, rng, config, school_effect[school_index], None, 0.0, False)


def simulate_waves(
    store: AnalyticStore, years: Sequence[int], config: WaveConfig | None = None
) -> list[Wave]:
    """One wave per school year in ``years`` (``config.year`` is ignored), with a common item
    bank and booklet design, persistent school effects and a true trend of
    ``config.trend`` logits per year after the first year. The background also carries the
    store's ``pseudonym`` of each tested student (to link results to ``student_years``).

    IDs are ``S<year><running number>``, so the waves can be stacked without clashes.
    """
    config = config or WaveConfig()
    if not years:
        raise BimoError(
            "Für simulierte Erhebungswellen muss mindestens ein Schuljahr angegeben sein."
        )
    if len(set(years)) != len(years):
        raise BimoError("Jedes Schuljahr darf nur einmal als Erhebungswelle vorkommen.")
    participants = [_participants(store, replace(config, year=int(year)))[1] for year in years]
    # The common parts are drawn once: item difficulties and one effect per school (a school
    # keeps its effect across waves, as real schools do).
    bank = np.random.default_rng([config.seed, 0])
    difficulty = np.sort(bank.normal(-0.2, 1.0, size=CLUSTERS * ITEMS_PER_CLUSTER))
    all_schools = np.unique(np.concatenate([p["schulnummer"].to_numpy() for p in participants]))
    effects = bank.normal(0.0, config.school_sd, size=all_schools.size)
    waves = []
    for year, people in zip(years, participants, strict=True):
        index = np.searchsorted(all_schools, people["schulnummer"].to_numpy())
        rng = np.random.default_rng([config.seed, int(year)])
        shift = config.trend * (int(year) - int(years[0]))
        waves.append(
            _answer(people, int(year), rng, config, effects[index], difficulty, shift, True)
        )
    return waves


def _answer(
    people: pl.DataFrame,
    year: int,
    rng: np.random.Generator,
    config: WaveConfig,
    school_effect: np.ndarray,
    difficulty: np.ndarray | None,
    shift: float,
    with_pseudonym: bool,
) -> Wave:
    """Abilities, booklet rotation and Rasch responses of one wave's participants."""
    n = people.height
    female = (people["geschlecht"] == "w").to_numpy().astype(float)
    ndh = people["ndh"].to_numpy().astype(float)
    sen = people["foerderschwerpunkt"].is_not_null().to_numpy().astype(float)
    theta = 0.10 * female - 0.45 * ndh - 0.90 * sen + school_effect + rng.normal(0.0, 0.85, size=n)
    # Centred per wave, then shifted: the trend is exactly ``shift`` in the population tested.
    theta = theta - theta.mean() + shift

    n_items = CLUSTERS * ITEMS_PER_CLUSTER
    if difficulty is None:
        difficulty = np.sort(rng.normal(-0.2, 1.0, size=n_items))
    # Spread difficulty evenly over clusters so that booklets are parallel in difficulty.
    cluster_of_item = np.tile(np.arange(CLUSTERS), ITEMS_PER_CLUSTER)

    # Rotate booklets within each class so that every booklet appears in every class.
    # Each class starts the rotation at a random booklet.
    positions = people.select(
        pl.int_range(pl.len()).over(["schulnummer", "klasse"]).alias("k"),
        pl.struct("schulnummer", "klasse").rank("dense").alias("c"),
    )
    class_index = positions["c"].to_numpy().astype(np.int64)
    class_start = rng.integers(0, CLUSTERS, size=int(class_index.max()) + 1)
    booklet = (positions["k"].to_numpy() + class_start[class_index]) % CLUSTERS

    scores = np.full((n, n_items), -1, dtype=np.int8)
    for b, clusters in enumerate(BOOKLETS):
        persons = np.flatnonzero(booklet == b)
        for position, cluster in enumerate(clusters):
            in_cluster = np.flatnonzero(cluster_of_item == cluster)
            logit = (
                theta[persons, None]
                - difficulty[None, in_cluster]
                + config.position_effect * position
            )
            p = 1.0 / (1.0 + np.exp(-logit))
            scores[np.ix_(persons, in_cluster)] = rng.random(p.shape) < p

    ids = (
        [f"S{year}{i:06d}" for i in range(n)] if with_pseudonym else [f"S{i:07d}" for i in range(n)]
    )
    item_names = [f"L{i + 1:03d}" for i in range(n_items)]
    responses = pl.DataFrame(
        {"id": ids}
        | {
            name: pl.Series(name, scores[:, j], dtype=pl.Int8).replace(-1, None)
            for j, name in enumerate(item_names)
        }
    )
    background = pl.DataFrame(
        {
            "id": ids,
            "schulnummer": people["schulnummer"],
            "klasse": people["klasse"],
            "kreis_ags": people["kreis_ags"],
            "geschlecht": people["geschlecht"],
            "weiblich": female.astype(np.int8),
            "ndh": ndh.astype(np.int8),
            "foerderbedarf": sen.astype(np.int8),
            "testheft": (booklet + 1).astype(np.int8),
        }
    )
    if with_pseudonym:
        background = background.with_columns(people["pseudonym"])
    truth = pl.DataFrame({"id": ids, "theta": theta})
    items = pl.DataFrame(
        {
            "item": item_names,
            "b": difficulty,
            "cluster": cluster_of_item + 1,
        }
    )
    return Wave(year, responses, background, truth, items)
