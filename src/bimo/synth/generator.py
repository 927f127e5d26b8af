"""``generate``: write a complete Musterland data set to a directory, streaming year by year."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bimo.core.errors import BimoError
from bimo.core.schemas import (
    ACTORS,
    CHILDCARE,
    OFFERS,
    POPULATION,
    STUDENT_YEARS,
    VOCATIONAL_ENTRANTS,
)
from bimo.synth import _context, _dirty, _vocational
from bimo.synth._geography import build_geography
from bimo.synth._records import (
    CONTENT_COLUMNS,
    ArrowSchemaSource,
    RecordBuilder,
    YearTables,
    arrow_schema,
    delivery_schema,
    identities_schema,
    truth_schema,
    unlinked_schema,
)
from bimo.synth._simulate import Simulation

# Students enrolled per birth cohort: about 11.1 cohorts are at school at any time (grades 1–10
# nearly complete, the upper grades of Gymnasium/IGS partly, plus repeaters).
COHORTS_AT_SCHOOL = 11.1
BURN_IN_YEARS = 15
DICTIONARY_COLUMNS = (
    "schuljahr",
    "schulnummer",
    "schulform",
    "jahrgangsstufe",
    "klasse",
    "geburtsjahr",
    "geburtsmonat",
    "geschlecht",
    "foerderschwerpunkt",
    "wiederholung",
    "zugangsart",
    "einschulungsart",
    "abgangsart",
    "abschlussart",
)  # long enough for every grade 1–13 to be populated by the first output year

ProgressCallback = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SynthConfig:
    """What to generate. ``students`` is the approximate enrolment per school year."""

    out: Path
    students: int = 60_000
    years: int = 10
    seed: int = 1
    first_year: int = 2015
    dirty_rows: int = 2_000

    def validate(self) -> None:
        if self.students < 2_000:
            raise BimoError("--students muss mindestens 2000 sein (sonst fehlen Schulformen).")
        if not 1 <= self.years <= 40:
            raise BimoError("--years muss zwischen 1 und 40 liegen.")
        # The data model accepts birth years from 1980: the oldest students of the first
        # year must be born after that.
        if not 2005 <= self.first_year <= 2100 - self.years:
            raise BimoError(f"--first-year muss zwischen 2005 und {2100 - self.years} liegen.")
        if self.dirty_rows < 100:
            raise BimoError("--dirty-rows muss mindestens 100 sein.")


@dataclass(frozen=True)
class SynthResult:
    """Counts of what was written."""

    out: Path
    student_years: int
    unlinked: int
    schools: int
    years: tuple[int, ...]


def generate(config: SynthConfig, progress: ProgressCallback | None = None) -> SynthResult:
    """Generate Musterland into ``config.out`` (created if needed; files are overwritten)."""
    config.validate()
    out = config.out
    vs = out / "vertrauensstelle"
    try:
        vs.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BimoError(f"Ausgabeverzeichnis {out} kann nicht angelegt werden: {exc}") from exc
    rng = np.random.default_rng(config.seed)
    geo = build_geography(rng, config.students)
    pq.write_table(geo.regions_table(), out / "regions.parquet")
    schools = geo.schools_table()
    pq.write_table(schools, out / "schools.parquet")

    cohort = config.students / COHORTS_AT_SCHOOL
    start = config.first_year - BURN_IN_YEARS
    sim = Simulation(rng, geo, cohort, start)
    builder = RecordBuilder(rng, geo)
    output_years = tuple(range(config.first_year, config.first_year + config.years))
    total_steps = BURN_IN_YEARS + config.years
    writers = _Writers(out)
    leavers = _vocational.LeaverCounts(geo)
    n_rows = n_unlinked = 0
    sample: pa.Table | None = None
    try:
        for i, year in enumerate(range(start, output_years[-1] + 1)):
            records = sim.step(year)
            if progress is not None:
                progress(f"Schuljahr {year}", i + 1, total_steps)
            if year >= config.first_year - 2:  # leavers feed the vocational entrants
                leavers.add(records)
            if year < config.first_year:
                continue
            tables = builder.build(records)
            writers.write(tables)
            n_rows += tables.student_years.num_rows
            n_unlinked += tables.unlinked.num_rows
            if year == output_years[-1]:
                sample = tables.student_years
    finally:
        writers.close()
    assert sample is not None
    pq.write_table(_context.population(sim, geo, output_years), out / "population.parquet")
    pq.write_table(_context.childcare(sim, geo, output_years), out / "childcare.parquet")
    actors, offers = _context.portal(rng, geo)
    pq.write_table(actors, out / "actors.parquet")
    pq.write_table(offers, out / "offers.parquet")
    # Own random stream: the vocational table does not shift any other file of a seed.
    voc_rng = np.random.default_rng([config.seed, 0x766F63])
    vocational = _vocational.entrants(voc_rng, leavers, output_years)
    pq.write_table(vocational, out / "vocational_entrants.parquet")
    _dirty.write_dirty_student_years(rng, sample, out, config.dirty_rows)
    _dirty.write_dirty_schools(rng, schools, out)
    (out / "README.txt").write_text(_readme(config), encoding="utf-8")
    for spec in (POPULATION, CHILDCARE, ACTORS, OFFERS, VOCATIONAL_ENTRANTS):
        _check_schema(out / f"{spec.name}.parquet", arrow_schema(spec))
    return SynthResult(out, n_rows, n_unlinked, schools.num_rows, output_years)


class _Writers:
    """One ParquetWriter per streamed file; each school year becomes one row group."""

    def __init__(self, out: Path) -> None:
        vs = out / "vertrauensstelle"
        targets: list[tuple[str, Path, ArrowSchemaSource]] = [
            ("student_years", out / "student_years.parquet", lambda: arrow_schema(STUDENT_YEARS)),
            ("delivery", vs / "lieferung.parquet", delivery_schema),
            ("identities", vs / "identities.parquet", identities_schema),
            ("unlinked", out / "student_years_unlinked.parquet", unlinked_schema),
            ("truth", vs / "linkage_truth.parquet", truth_schema),
        ]
        # Dictionary encoding only pays for coded columns; for pseudonyms, names and IDs
        # (nearly unique) it costs time and is abandoned by the writer anyway.
        self.writers = {
            name: pq.ParquetWriter(
                path, schema(), compression="zstd", use_dictionary=list(DICTIONARY_COLUMNS)
            )
            for name, path, schema in targets
        }

    def write(self, tables: YearTables) -> None:
        for name, writer in self.writers.items():
            writer.write_table(getattr(tables, name))

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


def _check_schema(path: Path, expected: pa.Schema) -> None:
    actual = pq.read_schema(path).remove_metadata()
    if not actual.equals(expected):
        raise AssertionError(f"{path.name}: Schema {actual} weicht ab von {expected}")


def _readme(config: SynthConfig) -> str:
    years = (
        f"{config.first_year}/{(config.first_year + 1) % 100:02d} bis "
        f"{config.first_year + config.years - 1}/{(config.first_year + config.years) % 100:02d}"
    )
    return f"""Musterland – synthetischer Datenbestand (BiMo)
==============================================

Alle Daten sind frei erfunden (Zufallsgenerator, Seed {config.seed}). Musterland trägt den
Landesschlüssel 17, den kein echtes Land verwendet. Schuljahre: {years}; etwa
{config.students} Schülerinnen und Schüler je Schuljahr.

Analysedaten (dürfen in den Analysebestand, enthalten keine identifizierenden Merkmale):
  regions.parquet          Land, Kreise (mit Kreistyp) und Gemeinden mit AGS
  schools.parquet          Schulen (Schulnummer, Schulform, Träger, Standort, Ganztagsform)
  student_years.parquet    Schülerjahresdatensätze mit Pseudonym, je Schuljahr eine Zeilengruppe
  population.parquet       Bevölkerung nach Kreis, Jahr, Altersjahr und Geschlecht
  childcare.parquet        Kindertagesbetreuung (U3, 3 bis unter 6) nach Kreis und Jahr
  vocational_entrants.parquet  Neuzugänge in die Sektoren der beruflichen Bildung (duale
                           Ausbildung, Schulberufssystem, Übergangsbereich, Erwerb der HZB)
                           nach Kreis des Schulorts, Jahr, schulischer Vorbildung, Geschlecht
  actors.parquet           Bildungsakteure für das Bildungsportal
  offers.parquet           Bildungsangebote für das Bildungsportal

Daten für Verknüpfungs- und Importtests:
  student_years_unlinked.parquet  etwa 0,5 % der Datensätze, deren Pseudonym fehlt oder
                                  beschädigt ist (Spalte record_id); sie fehlen in
                                  student_years.parquet und sollen probabilistisch über
                                  Quasi-Identifikatoren zugeordnet werden
  student_years_dirty.csv         absichtlich fehlerhafte CSV-Variante (Semikolon, Windows-1252)
  student_years_dirty_manifest.json  je Zeile der eingebaute Fehler und die erwarteten Summen
                                  (gelesen, Duplikate, Quarantäne, gespeichert)
  schools_dirty.csv / schools_dirty_manifest.json  dasselbe für einige fehlerhafte Schulen

Nur für die Vertrauensstelle (identifizierende Daten, NIE in den Analysebestand laden):
  vertrauensstelle/lieferung.parquet     Inhaltsdaten der Schullieferungen mit lieferung_id
  vertrauensstelle/identities.parquet    Name, Geburtsdatum, Geschlecht, Anschrift und
                                         schulinterne Schülerkennung je Lieferdatensatz
  vertrauensstelle/linkage_truth.parquet  wahre Pseudonyme der nicht verknüpften Datensätze

Die Pseudonyme in student_years.parquet sind Zufallswerte je Person; einen Schlüssel, aus dem
sie sich berechnen ließen, gibt es nicht. Etwa 0,5 % der Lieferdatensätze enthalten eine
abweichende Schreibweise des Namens (z. B. Müller/Mueller, fehlender zweiter Vorname,
Tippfehler). Beschreibung und Kalibrierung: docs/musterland.md.
"""


__all__ = ["CONTENT_COLUMNS", "SynthConfig", "SynthResult", "generate"]
