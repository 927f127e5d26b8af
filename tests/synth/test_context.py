"""Population, childcare and portal tables are plausible and consistent with the students."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from bimo.synth._records import delivery_schema, truth_schema, unlinked_schema


def _rows(sql: str) -> list[tuple[Any, ...]]:
    return duckdb.connect().execute(sql).fetchall()


def test_streamed_side_files_have_their_schemas(out_dir: Path) -> None:
    vs = out_dir / "vertrauensstelle"
    for path, schema in (
        (vs / "lieferung.parquet", delivery_schema()),
        (vs / "linkage_truth.parquet", truth_schema()),
        (out_dir / "student_years_unlinked.parquet", unlinked_schema()),
    ):
        assert pq.read_schema(path).remove_metadata().equals(schema), path.name


def test_school_age_population_matches_the_students(out_dir: Path) -> None:
    rows = _rows(f"""
        WITH s AS (SELECT k.kreis_ags, y.schuljahr AS jahr, count(*) AS n
                   FROM '{out_dir / "student_years.parquet"}' y
                   JOIN '{out_dir / "schools.parquet"}' k USING (schulnummer)
                   WHERE y.schuljahr - y.geburtsjahr BETWEEN 8 AND 14 GROUP BY ALL),
             p AS (SELECT kreis_ags, jahr, sum(anzahl) AS pop
                   FROM '{out_dir / "population.parquet"}' WHERE alter BETWEEN 8 AND 14
                   GROUP BY ALL)
        SELECT kreis_ags, jahr, n / pop FROM s JOIN p USING (kreis_ags, jahr)""")
    assert len(rows) == 10 * 8
    ratios = [r[2] for r in rows]
    assert min(ratios) > 0.9 and max(ratios) < 1.1


def test_age_pyramid_and_childcare_rates(out_dir: Path) -> None:
    pop = {
        a: n
        for a, n in _rows(f"""
        SELECT alter, sum(anzahl) FROM '{out_dir / "population.parquet"}'
        WHERE jahr = (SELECT max(jahr) FROM '{out_dir / "population.parquet"}')
        GROUP BY 1""")
    }
    assert pop[58] > 1.2 * pop[10] > pop[85]  # baby boomers, children, the very old
    assert pop[99] < pop[90] < pop[80]
    rates = [
        r[0]
        for r in _rows(f"""
        SELECT c.betreute / p.n FROM '{out_dir / "childcare.parquet"}' c
        JOIN (SELECT kreis_ags, jahr + 1 AS jahr, sum(anzahl) AS n
              FROM '{out_dir / "population.parquet"}' WHERE alter <= 2 GROUP BY ALL) p
        USING (kreis_ags, jahr) WHERE c.altersgruppe = 'U3'""")
    ]
    assert 0.1 < min(rates) < 0.2 and 0.55 < max(rates) < 0.66


def test_portal_has_a_few_hundred_actors_across_gemeinden(out_dir: Path) -> None:
    actors = pq.read_table(out_dir / "actors.parquet")
    offers = pq.read_table(out_dir / "offers.parquet")
    assert 150 <= actors.num_rows <= 600
    assert offers.num_rows >= actors.num_rows
    assert len(set(actors.column("kategorie").to_pylist())) == 8
    assert len(set(actors.column("gemeinde_ags").to_pylist())) > 100
    assert set(offers.column("actor_id").to_pylist()) <= set(actors.column("actor_id").to_pylist())
