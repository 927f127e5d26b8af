"""Probabilistic matching of records without a usable pseudonym to existing trajectories.

Fellegi–Sunter model with Splink 5 on DuckDB. One side are the *unlinked* records (pseudonym
missing or not 64 lowercase hex); the other side are *candidates*: for every trajectory in
the analytic store and every school year Y that occurs among the unlinked records, the
trajectory's **expected record for Y**, projected from its nearest record in time
(preferably the last one before Y):

* ``jahrgangsstufe`` = reference grade ± years between (regular progression),
* ``klasse`` = reference class with its grade digits replaced by the expected grade
  (``5b`` → ``6b``), ``schulnummer``/``kreis`` of the reference record,
* the stable attributes (birth year/month, sex, ndh, Förderschwerpunkt) unchanged.

A trajectory that already has a record in Y is no candidate for Y (a second record in the
same year would be a ``ZWEI_SCHULEN`` inconsistency), and references further than
:data:`MAX_YEARS_APART` years away are not projected.

m probabilities are fixed (documented in ``docs/linkage.md``: they encode how often a true
match agrees on a field, which depends on data-entry error rates and school changes, not on
this particular delivery); u probabilities are estimated from random candidate pairs with
Splink's ``estimate_u_using_random_sampling``. The prior match probability is 1 / (number of
candidates per school year): each unlinked record belongs to at most one trajectory.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from bimo.core.errors import BimoError, InputFileError, Location
from bimo.core.schemas import PSEUDONYM

MAX_YEARS_APART = 3
STORE_ALIAS = "bimo_store"
DEFAULT_THRESHOLD = 0.9
MATCH_FIELDS = (
    "schuljahr",
    "geburtsjahr",
    "geburtsmonat",
    "geschlecht",
    "schulnummer",
    "kreis",
    "jahrgangsstufe",
    "klasse",
    "ndh",
    "foerderschwerpunkt",
)
UNLINKED_REQUIRED = (
    "record_id",
    "schuljahr",
    "geburtsjahr",
    "geburtsmonat",
    "geschlecht",
    "schulnummer",
    "jahrgangsstufe",
)


@dataclass(frozen=True)
class Level:
    label: str
    sql: str  # Splink SQL condition on ``<col>_l`` / ``<col>_r``
    m: float | None  # None: the null level (no evidence either way)


@dataclass(frozen=True)
class FieldComparison:
    name: str
    description: str
    columns: tuple[str, ...]
    levels: tuple[Level, ...]


def _null(*cols: str) -> Level:
    cond = " OR ".join(f'"{c}_l" IS NULL OR "{c}_r" IS NULL' for c in cols)
    return Level("fehlt", cond, None)


# m = P(level | same person). Rationale per value in docs/linkage.md.
COMPARISONS: tuple[FieldComparison, ...] = (
    FieldComparison(
        "geburt",
        "Geburtsjahr und -monat",
        ("geburtsjahr", "geburtsmonat"),
        (
            _null("geburtsjahr", "geburtsmonat"),
            Level(
                "Jahr und Monat gleich",
                '"geburtsjahr_l" = "geburtsjahr_r" AND "geburtsmonat_l" = "geburtsmonat_r"',
                0.94,
            ),
            Level("nur Jahr gleich", '"geburtsjahr_l" = "geburtsjahr_r"', 0.03),
            Level(
                "Monat gleich, Jahr ±1",
                'abs("geburtsjahr_l" - "geburtsjahr_r") = 1 '
                'AND "geburtsmonat_l" = "geburtsmonat_r"',
                0.02,
            ),
            Level("verschieden", "ELSE", 0.01),
        ),
    ),
    FieldComparison(
        "geschlecht",
        "Geschlecht",
        ("geschlecht",),
        (
            _null("geschlecht"),
            Level("gleich", '"geschlecht_l" = "geschlecht_r"', 0.98),
            Level("verschieden", "ELSE", 0.02),
        ),
    ),
    FieldComparison(
        "schule",
        "Schulnummer / Kreis",
        ("schulnummer", "kreis"),
        (
            _null("schulnummer"),
            Level("gleiche Schule", '"schulnummer_l" = "schulnummer_r"', 0.80),
            Level("gleicher Kreis", '"kreis_l" = "kreis_r"', 0.16),
            Level("verschieden", "ELSE", 0.04),
        ),
    ),
    FieldComparison(
        "jahrgangsstufe",
        "Jahrgangsstufe gegenüber erwarteter Stufe",
        ("jahrgangsstufe",),
        (
            _null("jahrgangsstufe"),
            Level("wie erwartet", '"jahrgangsstufe_l" = "jahrgangsstufe_r"', 0.90),
            Level(
                "eine Stufe Abweichung",
                'abs("jahrgangsstufe_l" - "jahrgangsstufe_r") = 1',
                0.09,
            ),
            Level("verschieden", "ELSE", 0.01),
        ),
    ),
    FieldComparison(
        "klasse",
        "Klasse gegenüber erwarteter Klasse",
        ("klasse",),
        (
            _null("klasse"),
            Level("gleich", '"klasse_l" = "klasse_r"', 0.60),
            Level("verschieden", "ELSE", 0.40),
        ),
    ),
    FieldComparison(
        "ndh",
        "Nichtdeutsche Herkunftssprache",
        ("ndh",),
        (
            _null("ndh"),
            Level("gleich", '"ndh_l" = "ndh_r"', 0.97),
            Level("verschieden", "ELSE", 0.03),
        ),
    ),
    FieldComparison(
        "foerderschwerpunkt",
        "Förderschwerpunkt (leer = keiner)",
        ("foerderschwerpunkt",),
        (
            _null("foerderschwerpunkt"),
            Level("gleich", '"foerderschwerpunkt_l" = "foerderschwerpunkt_r"', 0.95),
            Level("verschieden", "ELSE", 0.05),
        ),
    ),
)
# Where the expected record sits in its trajectory. A property of the candidate only (the
# unlinked record has none), hence coalesce(): Splink may put either side on the left.
_LAGE = 'coalesce("lage_l", "lage_r")'
COMPARISONS = (
    *COMPARISONS,
    FieldComparison(
        "lage",
        "Lage im Verlauf: Lücke, offenes Ende/offener Anfang, erklärtes Ende/Anfang",
        ("lage",),
        (
            Level("Lücke zwischen zwei Datensätzen", f"{_LAGE} = 'LUECKE'", 0.75),
            Level("Ende/Anfang ohne Abgang/Zugang", f"{_LAGE} = 'OFFEN'", 0.23),
            Level("Ende/Anfang erklärt (ENTL, FORTZUG, EIN, ZUZUG …)", "ELSE", 0.02),
        ),
    ),
)
# Candidate pairs: same school year and at least one of these. Two rules, so that a
# record with a wrong birth year is still found via its school and grade.
BLOCKING_RULES = (
    ("schuljahr", "geburtsjahr", "geschlecht"),
    ("schuljahr", "schulnummer", "jahrgangsstufe"),
)


def splink_settings(prior: float) -> dict[str, Any]:
    """The Splink settings dictionary (fixed m, u to be estimated)."""
    comparisons: list[dict[str, Any]] = []
    for comp in COMPARISONS:
        levels: list[dict[str, Any]] = []
        for level in comp.levels:
            entry: dict[str, Any] = {
                "sql_condition": level.sql,
                "label_for_charts": level.label,
            }
            if level.m is None:
                entry["is_null_level"] = True
            else:
                entry["m_probability"] = level.m
            levels.append(entry)
        comparisons.append(
            {
                "output_column_name": comp.name,
                "comparison_description": comp.description,
                "comparison_levels": levels,
            }
        )
    return {
        "link_type": "link_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": prior,
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": [
            " AND ".join(f'l."{c}" = r."{c}"' for c in rule) for rule in BLOCKING_RULES
        ],
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": True,
        "additional_columns_to_retain": ["record_id", "kandidat"],
    }


def broken_pseudonym(column: str = "pseudonym") -> str:
    """SQL: the pseudonym is missing or not 64 lowercase hex characters."""
    return f"({column} IS NULL OR NOT regexp_full_match({column}, '{PSEUDONYM}'))"


def _check_unlinked(con: duckdb.DuckDBPyConnection, file: str) -> None:
    """Required columns present, ``record_id`` filled and unique (Splink's unique id)."""
    names = {r[0] for r in con.sql("DESCRIBE unlinked_raw").fetchall()}
    missing = [c for c in UNLINKED_REQUIRED if c not in names]
    if missing:
        raise InputFileError(Location(file), f"Es fehlen die Spalten: {', '.join(missing)}.")
    rows = con.sql(
        "SELECT n, zeile FROM (SELECT CAST(record_id AS VARCHAR) AS id, count(*) AS n, "
        "min(_zeile) AS zeile FROM unlinked_raw GROUP BY id) "
        "WHERE n > 1 OR id IS NULL OR id = '' ORDER BY zeile LIMIT 1"
    ).fetchall()
    if rows:
        raise InputFileError(
            Location(file, row=int(rows[0][1]), column="record_id"),
            "record_id fehlt oder ist nicht eindeutig.",
        )


def _optional(names: set[str], column: str, sql_type: str, expr: str | None = None) -> str:
    if column in names:
        return f"TRY_CAST({expr or column} AS {sql_type}) AS {column}"
    return f"CAST(NULL AS {sql_type}) AS {column}"


def prepare_tables(
    con: duckdb.DuckDBPyConnection,
    unlinked: pl.DataFrame,
    file: str = "unverknüpft",
    catalog: str = STORE_ALIAS,
) -> tuple[int, int]:
    """Create the tables ``links`` (unlinked records) and ``kandidaten`` in ``con``.

    ``con`` sees the store's ``student_years`` and ``schools`` (for the Kreis) in
    ``catalog``. Returns (number of unlinked records to match, number of candidates).
    """
    student_years = f'"{catalog}".student_years'
    schools = f'"{catalog}".schools'

    con.register("unlinked_raw", unlinked.with_row_index("_zeile", offset=1).to_arrow())
    _check_unlinked(con, file)
    names = {r[0] for r in con.sql("DESCRIBE unlinked_raw").fetchall()}
    pseudonym_filter = broken_pseudonym() if "pseudonym" in names else "TRUE"
    fs_expr = "coalesce(u.foerderschwerpunkt, 'KEIN')"
    con.execute(
        f"""
        CREATE OR REPLACE TABLE links AS
        SELECT TRY_CAST(u.record_id AS VARCHAR) AS unique_id,
               TRY_CAST(u.record_id AS VARCHAR) AS record_id,
               CAST(NULL AS VARCHAR) AS kandidat,
               TRY_CAST(u.schuljahr AS BIGINT) AS schuljahr,
               TRY_CAST(u.geburtsjahr AS BIGINT) AS geburtsjahr,
               TRY_CAST(u.geburtsmonat AS BIGINT) AS geburtsmonat,
               TRY_CAST(u.geschlecht AS VARCHAR) AS geschlecht,
               TRY_CAST(u.schulnummer AS VARCHAR) AS schulnummer,
               s.kreis_ags AS kreis,
               TRY_CAST(u.jahrgangsstufe AS BIGINT) AS jahrgangsstufe,
               {_optional(names, "klasse", "VARCHAR", "u.klasse")},
               {_optional(names, "ndh", "BOOLEAN", "u.ndh")},
               {_optional(names, "foerderschwerpunkt", "VARCHAR", fs_expr)},
               CAST(NULL AS VARCHAR) AS lage
        FROM unlinked_raw u
        LEFT JOIN {schools} s ON s.schulnummer = TRY_CAST(u.schulnummer AS VARCHAR)
        WHERE {pseudonym_filter}
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE kandidaten AS
        WITH jahre AS (SELECT DISTINCT schuljahr AS ziel FROM links),
        ref AS (
            SELECT j.ziel, t.*, abs(j.ziel - t.schuljahr) AS abstand,
                   row_number() OVER (
                       PARTITION BY t.pseudonym, j.ziel
                       ORDER BY abs(j.ziel - t.schuljahr), t.schuljahr, t.schulnummer
                   ) AS rang
            FROM {student_years} t JOIN jahre j
              ON t.schuljahr <> j.ziel AND abs(j.ziel - t.schuljahr) <= {MAX_YEARS_APART}
            WHERE NOT EXISTS (
                SELECT 1 FROM {student_years} b
                WHERE b.pseudonym = t.pseudonym AND b.schuljahr = j.ziel
            )
        ),
        lage AS (
            SELECT pseudonym, ziel,
                   bool_or(schuljahr < ziel) AS vorher,
                   bool_or(schuljahr > ziel) AS nachher,
                   arg_max(coalesce(abgangsart, '-'), schuljahr)
                       FILTER (WHERE schuljahr < ziel) AS abgang_vorher,
                   arg_min(coalesce(zugangsart, '-'), schuljahr)
                       FILTER (WHERE schuljahr > ziel) AS zugang_nachher
            FROM ref GROUP BY pseudonym, ziel
        ),
        proj AS (
            SELECT r.*, least(13, greatest(1, r.jahrgangsstufe + (r.ziel - r.schuljahr))) AS stufe,
                   CASE
                       WHEN l.vorher AND l.nachher THEN 'LUECKE'
                       WHEN (l.vorher AND l.abgang_vorher IN ('-', 'WECHSEL'))
                         OR (l.nachher AND l.zugang_nachher IN ('-', 'WECHSEL')) THEN 'OFFEN'
                       ELSE 'ERKLAERT'
                   END AS lage
            FROM ref r JOIN lage l USING (pseudonym, ziel)
            WHERE r.rang = 1
        )
        SELECT p.pseudonym || '@' || CAST(p.ziel AS VARCHAR) AS unique_id,
               CAST(NULL AS VARCHAR) AS record_id,
               p.pseudonym AS kandidat,
               p.ziel AS schuljahr,
               p.geburtsjahr, p.geburtsmonat, p.geschlecht, p.schulnummer,
               s.kreis_ags AS kreis,
               p.stufe AS jahrgangsstufe,
               regexp_replace(p.klasse, '^[0-9]+', CAST(p.stufe AS VARCHAR)) AS klasse,
               p.ndh,
               coalesce(p.foerderschwerpunkt, 'KEIN') AS foerderschwerpunkt,
               p.lage
        FROM proj p LEFT JOIN {schools} s ON s.schulnummer = p.schulnummer
        """
    )
    n_links = _scalar(con, "SELECT count(*) FROM links")
    n_cand = _scalar(con, "SELECT count(*) FROM kandidaten")
    return n_links, n_cand


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.sql(sql).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


@dataclass
class MatchResult:
    """Best candidate per unlinked record (``table``) and run statistics."""

    table: pl.DataFrame
    threshold: float
    unverknuepft: int
    kandidaten: int
    paare: int
    u_probabilities: dict[str, list[float]]

    @property
    def accepted(self) -> int:
        return int(self.table["ueber_schwelle"].sum())


def match_records(
    store_path: Path,
    unlinked: pl.DataFrame,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    file: str = "unverknüpft",
    seed: int = 42,
) -> MatchResult:
    """Match ``unlinked`` to the trajectories in the analytic store at ``store_path``.

    The store is attached read-only to a private in-memory DuckDB connection, where Splink
    keeps its working tables: nothing is written to the store. Close other connections
    that hold the store file open for writing first.

    Output columns: record_id, pseudonym (best candidate or empty), match_weight,
    match_probability, abstand_zweitbester (weight margin to the runner-up),
    ``mw_<vergleich>`` (each comparison's contribution to the match weight, log2 Bayes
    factor), ``stufe_<vergleich>`` (the comparison level reached) and ueber_schwelle.
    """
    if not 0.0 < threshold < 1.0:
        raise BimoError(f"Schwelle {threshold} unzulässig: erlaubt ist 0 < Schwelle < 1.")
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{_sql_string(store_path)}' AS {STORE_ALIAS} (READ_ONLY)")
        return _match(con, unlinked, threshold=threshold, file=file, seed=seed)
    except duckdb.IOException as exc:
        raise BimoError(
            f"Analysebestand {store_path} kann nicht geöffnet werden ({type(exc).__name__})."
        ) from None
    finally:
        con.close()


def _sql_string(path: Path) -> str:
    return str(path).replace("'", "''")


def _match(
    con: duckdb.DuckDBPyConnection,
    unlinked: pl.DataFrame,
    *,
    threshold: float,
    file: str,
    seed: int,
) -> MatchResult:
    from splink import DuckDBAPI, Linker

    n_links, n_cand = prepare_tables(con, unlinked, file)
    years = max(1, _scalar(con, "SELECT count(DISTINCT schuljahr) FROM kandidaten"))
    per_year = max(2.0, n_cand / years)
    prior = 1.0 / per_year
    empty = _empty_result()
    if n_links == 0 or n_cand == 0:
        table = con.sql("SELECT record_id FROM links").pl().join(empty, on="record_id", how="left")
        return MatchResult(_finish(table, threshold), threshold, n_links, n_cand, 0, {})
    db_api = DuckDBAPI(con)
    left = db_api.register(con.table("links").to_arrow_table(), table_name="bimo_links")
    right = db_api.register(con.table("kandidaten").to_arrow_table(), table_name="bimo_kandidaten")
    # ERROR: the "lage" comparison has no null level on purpose; Splink would warn each run.
    linker = Linker([left, right], splink_settings(prior), log_level=logging.ERROR)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    predictions = linker.inference.predict()
    to_arrow: Callable[[], pa.Table] = predictions.as_pyarrow_table  # Splink is untyped
    pairs = to_arrow()
    u_probs = _u_probabilities(linker)
    predictions.drop_table_from_database_and_remove_from_cache()
    con.register("bimo_pairs", pairs)
    mw_cols = ", ".join(f"mw_{c.name}" for c in COMPARISONS)
    gamma_cols = ", ".join(f"gamma_{c.name} AS stufe_{c.name}" for c in COMPARISONS)
    best = con.sql(
        f"""
        WITH p AS (
            SELECT coalesce(record_id_l, record_id_r) AS record_id,
                   coalesce(kandidat_l, kandidat_r) AS pseudonym,
                   match_weight, match_probability, {mw_cols}, {gamma_cols}
            FROM bimo_pairs
        ), ranked AS (
            SELECT *,
                   row_number() OVER (PARTITION BY record_id
                                      ORDER BY match_weight DESC, pseudonym) AS rang,
                   lead(match_weight) OVER (PARTITION BY record_id
                                            ORDER BY match_weight DESC, pseudonym) AS zweiter
            FROM p
        )
        SELECT l.record_id, r.pseudonym, r.match_weight, r.match_probability,
               r.match_weight - r.zweiter AS abstand_zweitbester,
               {", ".join(f"r.mw_{c.name}" for c in COMPARISONS)},
               {", ".join(f"r.stufe_{c.name}" for c in COMPARISONS)}
        FROM links l LEFT JOIN ranked r ON r.record_id = l.record_id AND r.rang = 1
        ORDER BY l.record_id
        """
    ).pl()
    con.unregister("bimo_pairs")
    return MatchResult(
        _finish(best, threshold), threshold, n_links, n_cand, pairs.num_rows, u_probs
    )


def _empty_result() -> pl.DataFrame:
    schema: dict[str, Any] = {
        "record_id": pl.String,
        "pseudonym": pl.String,
        "match_weight": pl.Float64,
        "match_probability": pl.Float64,
        "abstand_zweitbester": pl.Float64,
    }
    schema |= {f"mw_{c.name}": pl.Float64 for c in COMPARISONS}
    schema |= {f"stufe_{c.name}": pl.Int64 for c in COMPARISONS}
    return pl.DataFrame(schema=schema)


def _finish(table: pl.DataFrame, threshold: float) -> pl.DataFrame:
    return table.with_columns(
        (pl.col("match_probability").fill_null(0.0) >= threshold).alias("ueber_schwelle")
    )


def _u_probabilities(linker: Any) -> dict[str, list[float]]:
    """Estimated u per comparison level (non-null levels), for the run log and docs."""
    out: dict[str, list[float]] = {}
    settings = linker._settings_obj  # Splink has no public accessor for trained values
    for comparison in settings.comparisons:
        out[comparison.output_column_name] = [
            round(float(level.u_probability), 6)
            for level in comparison.comparison_levels
            if not level.is_null_level and isinstance(level.u_probability, float)
        ]
    return out


@dataclass(frozen=True)
class Evaluation:
    """Precision/recall of accepted matches against the truth."""

    threshold: float
    records: int
    linkable: int  # records whose true trajectory exists in the store
    accepted: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.accepted if self.accepted else math.nan

    @property
    def recall(self) -> float:
        return self.correct / self.linkable if self.linkable else math.nan


def evaluate(
    matches: pl.DataFrame, truth: pl.DataFrame, store_pseudonyms: pl.Series, threshold: float
) -> Evaluation:
    """Compare matches (record_id, pseudonym, match_probability) with the truth
    (record_id, true_pseudonym) at ``threshold``."""
    joined = matches.select(
        pl.col("record_id").cast(pl.String), "pseudonym", "match_probability"
    ).join(
        truth.select(pl.col("record_id").cast(pl.String), "true_pseudonym"),
        on="record_id",
        how="left",
    )
    accepted = joined.filter(pl.col("match_probability").fill_null(0.0) >= threshold)
    correct = accepted.filter(pl.col("pseudonym") == pl.col("true_pseudonym")).height
    linkable = joined.filter(pl.col("true_pseudonym").is_in(store_pseudonyms.implode())).height
    return Evaluation(threshold, joined.height, linkable, accepted.height, correct)
