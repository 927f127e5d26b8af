"""Record conventions of the student careers (see docs/musterland.md)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest


@pytest.fixture(scope="module")
def con(out_dir: Path) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute(f"CREATE VIEW sy AS SELECT * FROM '{out_dir / 'student_years.parquet'}'")
    c.execute("""CREATE VIEW pairs AS SELECT a.*, b.schuljahr AS next_year,
        b.jahrgangsstufe AS next_grade, b.schulnummer AS next_school,
        b.zugangsart AS next_zug, b.wiederholung AS next_wdh, b.schulform AS next_form
        FROM sy a JOIN sy b ON a.pseudonym = b.pseudonym AND b.schuljahr = a.schuljahr + 1""")
    return c


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_one_record_per_person_and_year(con: duckdb.DuckDBPyConnection) -> None:
    assert (
        _one(
            con,
            "SELECT count(*) FROM (SELECT pseudonym, schuljahr FROM sy "
            "GROUP BY ALL HAVING count(*) > 1)",
        )
        == 0
    )


def test_abschlussart_only_with_entl_and_entl_ends_the_career(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert (
        _one(
            con,
            "SELECT count(*) FROM sy WHERE abschlussart IS NOT NULL "
            "AND abgangsart IS DISTINCT FROM 'ENTL'",
        )
        == 0
    )
    assert (
        _one(con, "SELECT count(*) FROM sy WHERE abgangsart = 'ENTL' AND abschlussart IS NULL") == 0
    )
    assert _one(con, "SELECT count(*) FROM pairs WHERE abgangsart IN ('ENTL', 'FORTZUG')") == 0


def test_wechsel_is_followed_by_zugang_wechsel_at_another_school(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert (
        _one(
            con,
            "SELECT count(*) FROM pairs WHERE abgangsart = 'WECHSEL' AND "
            "(next_zug IS DISTINCT FROM 'WECHSEL' OR next_school = schulnummer)",
        )
        == 0
    )
    assert (
        _one(
            con,
            "SELECT count(*) FROM pairs WHERE abgangsart IS NULL AND "
            "(next_school <> schulnummer OR next_zug IS NOT NULL)",
        )
        == 0
    )


def test_repetition_is_flagged_on_the_repeated_year(con: duckdb.DuckDBPyConnection) -> None:
    # Same grade as last year <=> wiederholung set.
    assert (
        _one(
            con,
            "SELECT count(*) FROM pairs WHERE (next_grade = jahrgangsstufe) <> "
            "(next_wdh IS NOT NULL)",
        )
        == 0
    )
    assert (
        _one(
            con,
            "SELECT count(*) FROM pairs WHERE next_grade NOT IN "
            "(jahrgangsstufe, jahrgangsstufe + 1)",
        )
        == 0
    )


def test_school_entry(con: duckdb.DuckDBPyConnection) -> None:
    assert (
        _one(
            con,
            "SELECT count(*) FROM sy WHERE zugangsart = 'EIN' AND "
            "(jahrgangsstufe <> 1 OR einschulungsart IS NULL)",
        )
        == 0
    )
    assert (
        _one(
            con,
            "SELECT count(*) FROM sy WHERE einschulungsart IS NOT NULL AND "
            "zugangsart IS DISTINCT FROM 'EIN'",
        )
        == 0
    )
    # Fristgerecht entrants are 6 at the Stichtag 30 June: born July (y-7) .. June (y-6).
    assert (
        _one(
            con,
            "SELECT count(*) FROM sy WHERE einschulungsart = 'FRIST' AND "
            "(geburtsjahr * 12 + geburtsmonat) NOT BETWEEN "
            "(schuljahr - 7) * 12 + 7 AND (schuljahr - 6) * 12 + 6",
        )
        == 0
    )


def test_grade_ranges_and_class_sizes(con: duckdb.DuckDBPyConnection) -> None:
    assert _one(con, "SELECT count(*) FROM sy WHERE schulform = 'GS' AND jahrgangsstufe > 4") == 0
    assert (
        _one(
            con,
            "SELECT count(*) FROM sy WHERE schulform IN ('HS', 'RS', 'SMBG') AND "
            "jahrgangsstufe NOT BETWEEN 5 AND 10",
        )
        == 0
    )
    assert _one(con, "SELECT count(*) FROM sy WHERE klasse NOT LIKE jahrgangsstufe || '%'") == 0
    mean = _one(
        con,
        "SELECT avg(n) FROM (SELECT count(*) n FROM sy WHERE schulform <> 'FS' "
        "GROUP BY schuljahr, schulnummer, klasse)",
    )
    assert 20 <= float(mean) <= 28  # type: ignore[arg-type]


def test_ability_drives_transitions_downward_changes_dominate(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rank = {"HS": 1, "SMBG": 2, "IGS": 2, "RS": 3, "GY": 4}
    rows = con.execute(
        "SELECT schulform, next_form FROM pairs WHERE abgangsart = 'WECHSEL' "
        "AND next_grade BETWEEN 7 AND 9 AND schulform <> next_form"
    ).fetchall()
    down = sum(rank.get(a, 0) > rank.get(b, 0) for a, b in rows if a in rank and b in rank)
    up = sum(rank.get(a, 0) < rank.get(b, 0) for a, b in rows if a in rank and b in rank)
    assert down > 2 * up > 0


def test_social_background_shows_between_kreise(
    con: duckdb.DuckDBPyConnection, out_dir: Path
) -> None:
    # Mustertal (high SES) sends more children to the Gymnasium than Heideland (low SES).
    shares = dict(
        con.execute(f"""
        SELECT s.kreis_ags, avg((p.next_form = 'GY')::INT)
        FROM pairs p JOIN '{out_dir / "schools.parquet"}' s USING (schulnummer)
        WHERE p.schulform = 'GS' AND p.jahrgangsstufe = 4 AND p.next_grade = 5
        GROUP BY 1""").fetchall()
    )
    assert shares["17011"] > shares["17015"] + 0.08


def test_no_grade_repeated_twice_in_a_row_and_ages_plausible(
    con: duckdb.DuckDBPyConnection,
) -> None:
    # The import rejects ages outside 4–25 at the start of the school year; clean Musterland
    # records must all pass it (a student once stayed in grade 11 for ten years).
    oldest = con.execute("SELECT max(schuljahr - geburtsjahr) FROM sy").fetchall()[0][0]
    assert oldest <= 25
    twice = con.execute(
        """
        SELECT count(*) FROM sy a JOIN sy b
          ON a.pseudonym = b.pseudonym AND b.schuljahr = a.schuljahr + 1
        WHERE a.wiederholung IS NOT NULL AND b.wiederholung IS NOT NULL
          AND a.jahrgangsstufe = b.jahrgangsstufe
        """
    ).fetchall()[0][0]
    assert twice == 0
