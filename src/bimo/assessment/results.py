"""Lernstand results into the analytic store: ``assessment_results`` and
``assessment_responses``.

:func:`store_results` turns plausible values (wide, on the 500/100 reporting metric), the
background (``id`` → ``pseudonym``, ``schulnummer``, ``klasse``, optional ``gewicht``) and
optionally the scored responses into the long tables of the data model and imports them through
the normal validated import (:mod:`bimo.ingest`): invalid rows go to the quarantine file with a
German reason, and ``read = stored + quarantined + duplicates`` holds for each table.

**Re-storing an Erhebung replaces it**: the rows of that ``erhebung`` in both tables are deleted
and the new ones imported in one transaction (an error leaves the previous state untouched).

:func:`run_lernstand_waves` is the multi-year demo: simulated grade-4 waves, Rasch calibration
on the first (base) wave, plausible values for every wave with those fixed item parameters, the
base wave's 500/100 metric for all waves, stored as ``LS4-<year>``.

No identifying data is involved: the background must not carry names or other identifying
columns (refused), and only the data model's columns are written.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl

from bimo.core.errors import BimoError
from bimo.core.schemas import ASSESSMENT_RESPONSES, ASSESSMENT_RESULTS, IDENTIFYING_COLUMNS
from bimo.core.store import AnalyticStore
from bimo.ingest import ImportOptions, ImportResult, import_file

PV_COLUMN = re.compile(r"^pv(\d+)$", re.IGNORECASE)
BACKGROUND_COLUMNS = ("id", "pseudonym", "schulnummer", "klasse")


@dataclass(frozen=True)
class StoredResults:
    """Outcome of :func:`store_results`: one import result per table, rows replaced."""

    erhebung: str
    results: ImportResult
    responses: ImportResult | None
    replaced_results: int  # rows of this erhebung deleted before the import
    replaced_responses: int

    @property
    def quarantined(self) -> int:
        return self.results.quarantined + (self.responses.quarantined if self.responses else 0)

    def as_dict(self) -> dict[str, object]:
        return {
            "erhebung": self.erhebung,
            "ergebnisse": self.results.as_dict(),
            "antworten": self.responses.as_dict() if self.responses else None,
            "ersetzt_ergebnisse": self.replaced_results,
            "ersetzt_antworten": self.replaced_responses,
        }


class _SharedTransaction(AnalyticStore):
    """The caller's store, with ``transaction()`` joining the transaction already open.

    ``import_file`` runs each file in its own transaction; here two imports and the deletion
    of the previous rows must commit or fail together, so the outer transaction owns them.
    """

    def __init__(self, outer: AnalyticStore) -> None:  # shares the connection, no new one
        self.path = outer.path
        self._raw = outer.raw
        self._ibis = None

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        yield self._raw


def _refuse_identities(frame: pl.DataFrame, what: str) -> None:
    found = sorted(set(frame.columns) & IDENTIFYING_COLUMNS)
    if found:
        raise BimoError(
            f"{what} enthält identifizierende Spalten ({', '.join(found)}); Identitätsdaten "
            "gelangen nie in den Analysebestand. Bitte nur id, pseudonym, schulnummer, klasse "
            "und gewicht liefern."
        )


def _pv_columns(pvs: pl.DataFrame) -> list[str]:
    cols = [c for c in pvs.columns if PV_COLUMN.match(c)]
    if "id" not in pvs.columns or not cols:
        raise BimoError(
            "Die Plausible Values brauchen eine Spalte id und Spalten pv1, pv2, … "
            f"(gefunden: {', '.join(pvs.columns) or 'keine'})."
        )
    return sorted(cols, key=lambda c: int(PV_COLUMN.match(c).group(1)))  # type: ignore[union-attr]


def _check_background(background: pl.DataFrame) -> pl.DataFrame:
    _refuse_identities(background, "Die Hintergrunddatei")
    missing = [c for c in BACKGROUND_COLUMNS if c not in background.columns]
    if missing:
        raise BimoError(
            f"In den Hintergrunddaten fehlen die Spalten {', '.join(missing)} "
            "(erwartet: id, pseudonym, schulnummer, klasse, optional gewicht)."
        )
    cols = [*BACKGROUND_COLUMNS, *(["gewicht"] if "gewicht" in background.columns else [])]
    bg = background.select(cols).with_columns(pl.col("id").cast(pl.String))
    if bg["id"].is_duplicated().any():
        row = int(bg["id"].is_duplicated().arg_true()[0]) + 1
        raise BimoError(f"Hintergrunddaten, Zeile {row}: die ID kommt mehrfach vor.")
    return bg


def results_frame(
    erhebung: str,
    *,
    schuljahr: int,
    jahrgangsstufe: int,
    kompetenzbereich: str,
    stufenmodell: str,
    pvs: pl.DataFrame,
    background: pl.DataFrame,
) -> pl.DataFrame:
    """Long ``assessment_results`` rows (one per person and PV), unvalidated.

    Persons of ``pvs`` without a background row keep empty pseudonym/schulnummer/klasse, so the
    import quarantines them with a reason instead of losing them silently.
    """
    _refuse_identities(pvs, "Die Datei der Plausible Values")
    pv_cols = _pv_columns(pvs)
    ids = pvs["id"].cast(pl.String)
    if ids.is_null().any() or ids.is_duplicated().any():
        row = int((ids.is_null() | ids.is_duplicated()).arg_true()[0]) + 1
        raise BimoError(f"Plausible Values, Zeile {row}: die ID fehlt oder kommt mehrfach vor.")
    bg = _check_background(background)
    joined = pvs.select(pl.col("id").cast(pl.String), *pv_cols).join(
        bg, on="id", how="left", maintain_order="left"
    )
    weight = pl.col("gewicht") if "gewicht" in bg.columns else pl.lit(1.0)
    long = joined.unpivot(
        index=[c for c in joined.columns if c not in pv_cols], on=pv_cols, variable_name="pv"
    )
    frame = long.select(
        pl.lit(erhebung).alias("erhebung"),
        pl.lit(schuljahr, dtype=pl.Int64).alias("schuljahr"),
        pl.lit(jahrgangsstufe, dtype=pl.Int64).alias("jahrgangsstufe"),
        pl.lit(kompetenzbereich).alias("kompetenzbereich"),
        pl.lit(stufenmodell).alias("stufenmodell"),
        pl.col("pseudonym"),
        pl.col("schulnummer"),
        pl.col("klasse"),
        weight.alias("gewicht"),
        pl.col("pv").str.extract(r"(\d+)$").cast(pl.Int64).alias("pv_nr"),
        pl.col("value").alias("wert"),
        pl.col("id").alias("__id"),
    )
    # Person-major order: the rows of one person are adjacent in the staged file.
    order = {v: i for i, v in enumerate(joined["id"].to_list())}
    frame = frame.with_columns(
        pl.col("__id").replace_strict(order, return_dtype=pl.Int64).alias("__pos")
    )
    return frame.sort("__pos", "pv_nr").drop("__id", "__pos")


def responses_frame(
    erhebung: str,
    responses: pl.DataFrame,
    background: pl.DataFrame,
    max_punkte: Mapping[str, int] | None = None,
) -> pl.DataFrame:
    """Long ``assessment_responses`` rows: one per person and administered item."""
    _refuse_identities(responses, "Die Antwortdatei")
    if "id" not in responses.columns or responses.width < 2:
        raise BimoError("Die Antworten brauchen eine Spalte id und mindestens eine Itemspalte.")
    bg = _check_background(background).select(BACKGROUND_COLUMNS)
    items = [c for c in responses.columns if c != "id"]
    maxima = dict(max_punkte or {})
    wide = responses.with_columns(pl.col("id").cast(pl.String))
    long = wide.unpivot(index="id", on=items, variable_name="item", value_name="punkte")
    long = long.filter(pl.col("punkte").is_not_null())  # not administered: no row
    long = long.join(bg, on="id", how="left", maintain_order="left")
    return long.select(
        pl.lit(erhebung).alias("erhebung"),
        pl.col("pseudonym"),
        pl.col("schulnummer"),
        pl.col("klasse"),
        pl.col("item"),
        pl.col("punkte"),
        pl.col("item").replace_strict(maxima, default=1, return_dtype=pl.Int64).alias("max_punkte"),
    )


def store_results(
    store: AnalyticStore,
    erhebung: str,
    *,
    schuljahr: int,
    jahrgangsstufe: int,
    kompetenzbereich: str,
    stufenmodell: str,
    pvs: pl.DataFrame,
    background: pl.DataFrame,
    responses: pl.DataFrame | None = None,
    max_punkte: Mapping[str, int] | None = None,
    options: ImportOptions | None = None,
) -> StoredResults:
    """Validate and store one Erhebung (replacing earlier rows of the same ``erhebung``)."""
    results = results_frame(
        erhebung,
        schuljahr=schuljahr,
        jahrgangsstufe=jahrgangsstufe,
        kompetenzbereich=kompetenzbereich,
        stufenmodell=stufenmodell,
        pvs=pvs,
        background=background,
    )
    answers = (
        responses_frame(erhebung, responses, background, max_punkte)
        if responses is not None
        else None
    )
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", erhebung)[:40] or "erhebung"
    with tempfile.TemporaryDirectory(prefix="bimo-ergebnisse-") as tmp:
        # The file names tell the importer the table and appear in quarantine messages.
        res_path = Path(tmp) / f"assessment_results_{safe}.parquet"
        results.write_parquet(res_path)
        resp_path = Path(tmp) / f"assessment_responses_{safe}.parquet"
        if answers is not None:
            answers.write_parquet(resp_path)
        shared = _SharedTransaction(store)
        with store.transaction() as con:
            replaced = [
                _delete(con, spec.name, erhebung)
                for spec in (ASSESSMENT_RESULTS, ASSESSMENT_RESPONSES)
            ]
            res = import_file(res_path, ASSESSMENT_RESULTS.name, shared, options)
            resp = (
                import_file(resp_path, ASSESSMENT_RESPONSES.name, shared, options)
                if answers is not None
                else None
            )
    return StoredResults(erhebung, res, resp, replaced[0], replaced[1])


def _delete(con: duckdb.DuckDBPyConnection, table: str, erhebung: str) -> int:
    rows = con.execute(f'DELETE FROM "{table}" WHERE erhebung = ?', [erhebung]).fetchall()
    return int(rows[0][0]) if rows else 0


def max_points_from_items(path: Path) -> dict[str, int]:
    """Highest score per item from an ITEMS.csv of ``bimo scale fit`` (categories − 1)."""
    from bimo.assessment.irt.io import read_items

    items = read_items(path)
    return {name: int(k) - 1 for name, k in zip(items.names, items.ncat, strict=True)}


def run_lernstand_waves(
    store_path: Path,
    work_dir: Path,
    years: Sequence[int] | None = None,
    *,
    n_pv: int = 10,
    seed: int = 2024,
) -> dict[str, Any]:
    """Simulated grade-4 Deutsch-Lesen waves, scaled on a common metric and stored.

    Item parameters (Rasch) are calibrated once on the first wave and kept fixed for every
    wave's plausible values (conditioned on sex, ndh and Förderbedarf); μ and σ of the first
    wave's PVs define the 500/100 metric of all waves. Work files (item parameters, PVs per
    wave) are written to ``work_dir``. ``years=None``: the last three school years in the store.
    """
    from bimo.assessment.irt import FitSettings, PVSettings, ResponseData, fit, plausible_values
    from bimo.assessment.irt.io import write_items
    from bimo.assessment.standards.metric import reference_from_pvs
    from bimo.synth.lernstand import WaveConfig, simulate_waves

    work_dir.mkdir(parents=True, exist_ok=True)
    options = ImportOptions(quarantine_dir=work_dir / "quarantaene")
    with AnalyticStore(store_path) as store:
        if years is None:
            last = store.raw.execute("SELECT max(schuljahr) FROM student_years").fetchall()[0][0]
            if last is None:
                raise BimoError("Der Analysebestand enthält keine Schülerdaten (student_years).")
            years = [int(last) - 2, int(last) - 1, int(last)]
        years = [int(y) for y in years]
        waves = simulate_waves(store, years, WaveConfig(seed=seed))
        datasets = []
        for wave in waves:
            items = [c for c in wave.responses.columns if c != "id"]
            scores = wave.responses.select(items).to_numpy().astype(np.float64)
            datasets.append(
                ResponseData.from_array(scores, items=items, ids=wave.responses["id"].to_list())
            )
        base = fit(datasets[0], "rasch", FitSettings(persons=False, item_fit=False))
        write_items(work_dir / "items_basiswelle.csv", base.items)
        thetas = []
        for i, (wave, data) in enumerate(zip(waves, datasets, strict=True)):
            covariates = ["weiblich", "ndh", "foerderbedarf"]
            matrix = wave.background.select(covariates).to_numpy().astype(np.float64)
            result = plausible_values(
                base.items, data, matrix, covariates, PVSettings(n_pv=n_pv, seed=seed + i)
            )
            thetas.append(result.pvs)
        metric = reference_from_pvs(thetas[0])
        facts: dict[str, Any] = {
            "erhebungen": [],
            "schuelerinnen_und_schueler": {},
            "mittelwert": {},
            "wahrer_trend_je_jahr": WaveConfig().trend,
        }
        quarantined = 0
        for wave, theta in zip(waves, thetas, strict=True):
            scores = metric.to_reporting(theta)
            pv_frame = pl.DataFrame(
                {"id": wave.responses["id"]}
                | {f"pv{m + 1}": scores[:, m] for m in range(scores.shape[1])}
            )
            pv_frame.write_csv(work_dir / f"pv_{wave.year}.csv", float_precision=3)
            erhebung = f"LS4-{wave.year}"
            stored = store_results(
                store,
                erhebung,
                schuljahr=wave.year,
                jahrgangsstufe=4,
                kompetenzbereich="DEUTSCH_LESEN",
                stufenmodell="primar_deutsch_lesen",
                pvs=pv_frame,
                background=wave.background,
                responses=wave.responses,
                options=options,
            )
            quarantined += stored.quarantined
            facts["erhebungen"].append(erhebung)
            facts["schuelerinnen_und_schueler"][str(wave.year)] = wave.responses.height
            facts["mittelwert"][str(wave.year)] = round(float(scores.mean()), 1)
    facts["referenzmetrik"] = {"mu": round(metric.mean, 4), "sigma": round(metric.sd, 4)}
    facts["quarantaene"] = quarantined
    return facts


__all__ = [
    "StoredResults",
    "max_points_from_items",
    "responses_frame",
    "results_frame",
    "run_lernstand_waves",
    "store_results",
]
