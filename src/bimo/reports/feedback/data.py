"""Reading one Lernstandserhebung from the analytic store for the school feedback reports.

Everything the reports need is loaded once per Erhebung (all schools: the Land and Kreis
references and the fair comparison need them anyway), so ``--alle`` does not re-read the store
per school. Pseudonyms are used only to join the tables and are dropped right after: the
frames held here identify students by a running index, never by pseudonym.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from bimo.core.errors import BimoError
from bimo.core.store import AnalyticStore

FloatArray = np.ndarray


class FeedbackDataError(BimoError):
    """The Erhebung or school cannot be reported from the store's contents."""


@dataclass(frozen=True)
class ErhebungData:
    """One Erhebung: students with their PVs, background, responses and school master data.

    ``students`` has one row per tested student (column ``idx`` = row number in ``scores``):
    ``schulnummer, klasse, gewicht, kreis_ags, land_ags`` and the background ``weiblich, ndh,
    foerderbedarf`` (Float64, null where no ``student_years`` record matches).
    ``responses``: ``idx, schulnummer, klasse, kreis_ags, land_ags, item, punkte, max_punkte,
    gewicht``.
    """

    erhebung: str
    schuljahr: int
    jahrgangsstufe: int
    kompetenzbereich: str
    stufenmodell: str
    students: pl.DataFrame
    scores: FloatArray  # (n students, M plausible values), reporting metric
    responses: pl.DataFrame
    schools: pl.DataFrame  # schulnummer, name, schulform, kreis_ags
    region_names: dict[str, str]

    @property
    def n_pv(self) -> int:
        return int(self.scores.shape[1])

    def school_row(self, schulnummer: str) -> dict[str, object]:
        rows = self.schools.filter(pl.col("schulnummer") == schulnummer)
        if rows.height == 0:
            raise FeedbackDataError(
                f"Die Schule {schulnummer} ist nicht in der Tabelle schools des Analysebestands."
            )
        return rows.row(0, named=True)


def _present_tables(store: AnalyticStore) -> set[str]:
    # Raw SQL: ibis 12's list_tables() calls an API that duckdb 2.0 removed.
    rows = store.raw.execute("SELECT table_name FROM information_schema.tables").fetchall()
    return {str(r[0]) for r in rows}


def _single(frame: pl.DataFrame, column: str, erhebung: str) -> object:
    values = frame[column].unique().to_list()
    if len(values) != 1:
        shown = ", ".join(sorted(str(v) for v in values))
        raise FeedbackDataError(
            f"Erhebung {erhebung}: die Spalte {column} in assessment_results muss für alle "
            f"Datensätze gleich sein, enthält aber {shown}."
        )
    return values[0]


def available_erhebungen(store: AnalyticStore) -> list[str]:
    """Names of the Erhebungen in ``assessment_results`` (sorted)."""
    if "assessment_results" not in _present_tables(store):
        return []
    rows = store.raw.execute(
        "SELECT DISTINCT erhebung FROM assessment_results ORDER BY erhebung"
    ).fetchall()
    return [str(r[0]) for r in rows]


def load_erhebung(store: AnalyticStore, erhebung: str) -> ErhebungData:
    """Load all results of ``erhebung`` (German :class:`FeedbackDataError` if unusable)."""
    missing = {"assessment_results", "schools", "student_years"} - _present_tables(store)
    if missing:
        raise FeedbackDataError(
            f"Im Analysebestand fehlen die Tabellen {', '.join(sorted(missing))}."
        )
    con = store.raw
    results = con.sql(
        """
        SELECT pseudonym, schulnummer, klasse, gewicht, pv_nr, wert, schuljahr,
               jahrgangsstufe, kompetenzbereich, stufenmodell
        FROM assessment_results WHERE erhebung = ?
        """,
        params=[erhebung],
    ).pl()
    if results.height == 0:
        known = available_erhebungen(store)
        hint = f" Vorhanden: {', '.join(known)}." if known else " Die Tabelle ist leer."
        raise FeedbackDataError(
            f"Zur Erhebung {erhebung} gibt es keine Ergebnisse (assessment_results).{hint}"
        )
    schuljahr = int(str(_single(results, "schuljahr", erhebung)))
    jahrgangsstufe = int(str(_single(results, "jahrgangsstufe", erhebung)))
    kompetenzbereich = str(_single(results, "kompetenzbereich", erhebung))
    stufenmodell = str(_single(results, "stufenmodell", erhebung))

    pv_numbers = sorted(int(v) for v in results["pv_nr"].unique().to_list())
    wide = results.pivot(
        on="pv_nr", index=["pseudonym", "schulnummer", "klasse", "gewicht"], values="wert"
    ).sort(["schulnummer", "klasse", "pseudonym"])
    if wide["pseudonym"].n_unique() != wide.height:
        raise FeedbackDataError(
            f"Erhebung {erhebung}: eine getestete Person hat in assessment_results mehrere "
            "Schulen, Klassen oder Gewichte."
        )
    pv_cols = [str(m) for m in pv_numbers]
    if wide.select(pl.any_horizontal(pl.col(pv_cols).is_null()).any()).item():
        raise FeedbackDataError(
            f"Erhebung {erhebung}: nicht alle getesteten Personen haben alle "
            f"{len(pv_numbers)} Plausible Values (pv_nr {pv_numbers[0]}–{pv_numbers[-1]})."
        )
    scores = wide.select(pv_cols).to_numpy().astype(np.float64)
    ids = wide.select("pseudonym", "schulnummer", "klasse", "gewicht").with_row_index("idx")

    schools = con.sql(
        "SELECT schulnummer, name, schulform, kreis_ags FROM schools ORDER BY schulnummer"
    ).pl()
    unknown = ids.join(schools, on="schulnummer", how="anti")["schulnummer"].unique()
    if unknown.len():
        raise FeedbackDataError(
            f"Erhebung {erhebung}: die Schulnummern {', '.join(sorted(unknown.to_list()))} "
            "fehlen in der Tabelle schools."
        )
    background = con.sql(
        """
        SELECT pseudonym, schulnummer,
               CAST(geschlecht = 'w' AS DOUBLE) AS weiblich,
               CAST(ndh AS DOUBLE) AS ndh,
               CAST(foerderschwerpunkt IS NOT NULL AS DOUBLE) AS foerderbedarf
        FROM student_years WHERE schuljahr = ?
        """,
        params=[schuljahr],
    ).pl()
    students = (
        ids.join(background, on=["pseudonym", "schulnummer"], how="left")
        .join(schools.select("schulnummer", "kreis_ags"), on="schulnummer", how="left")
        .with_columns(pl.col("kreis_ags").str.slice(0, 2).alias("land_ags"))
        .sort("idx")
    )
    responses = _responses(store, erhebung, students)
    students = students.drop("pseudonym")
    regions = (
        con.execute("SELECT ags, name FROM regions").fetchall()
        if "regions" in _present_tables(store)
        else []
    )
    return ErhebungData(
        erhebung=erhebung,
        schuljahr=schuljahr,
        jahrgangsstufe=jahrgangsstufe,
        kompetenzbereich=kompetenzbereich,
        stufenmodell=stufenmodell,
        students=students,
        scores=scores,
        responses=responses,
        schools=schools,
        region_names={str(a): str(n) for a, n in regions},
    )


def _responses(store: AnalyticStore, erhebung: str, students: pl.DataFrame) -> pl.DataFrame:
    columns = ["idx", "schulnummer", "klasse", "kreis_ags", "land_ags", "gewicht"]
    if "assessment_responses" not in _present_tables(store):
        return (
            students.select(columns)
            .clear()
            .with_columns(
                pl.lit(None, pl.String).alias("item"),
                pl.lit(None, pl.Int64).alias("punkte"),
                pl.lit(None, pl.Int64).alias("max_punkte"),
            )
        )
    raw = store.raw.sql(
        "SELECT pseudonym, item, punkte, max_punkte FROM assessment_responses WHERE erhebung = ?",
        params=[erhebung],
    ).pl()
    # Responses of persons without PVs carry no class/weight information we could trust;
    # they are left out (inner join), as in the scaling.
    joined: pl.DataFrame = raw.join(
        students.select("pseudonym", *columns), on="pseudonym", how="inner"
    )
    return joined.drop("pseudonym")
