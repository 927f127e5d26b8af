"""Table definitions of BiMo's analytic store.

One :class:`TableSpec` per table: columns with type, whether required, code list and range.
The same specs drive the DuckDB DDL (:mod:`bimo.core.store`), import validation
(:mod:`bimo.ingest`) and the documentation (``docs/data-model.md``, checked by a test).

Identifying data (names, exact birth date, address, school-internal student ID) is *not* part of
any analytic table: it exists only in the ``identities`` spec, which the analytic store refuses
to create (see :data:`ANALYTIC_TABLES`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DType = Literal["string", "int", "float", "bool", "date"]

# How each column type is spelled by the engines that store or query it (one place for all).
DUCKDB_TYPES: dict[DType, str] = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "DATE",
}
IBIS_TYPES: dict[DType, str] = {
    "string": "string",
    "int": "int64",
    "float": "float64",
    "bool": "boolean",
    "date": "date",
}


@dataclass(frozen=True)
class ColumnSpec:
    """One column: name, type, German description and validation rules."""

    name: str
    dtype: DType
    description: str
    required: bool = True
    codelist: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    pattern: str | None = None  # regular expression the whole string value must match


@dataclass(frozen=True)
class TableSpec:
    """One table of the data model."""

    name: str
    title: str
    description: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...] = field(default_factory=tuple)  # unique business key

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


C = ColumnSpec
SCHULJAHR_MIN, SCHULJAHR_MAX = 1990, 2100
AGS_KREIS = r"\d{5}"
AGS_GEMEINDE = r"\d{8}"
SCHULNUMMER = r"\d{6}"
PSEUDONYM = r"[0-9a-f]{64}"

REGIONS = TableSpec(
    "regions",
    "Regionen",
    "Land, Kreise und Gemeinden mit amtlichem Gemeindeschlüssel (AGS) und Kreistyp.",
    (
        C(
            "ags",
            "string",
            "Amtlicher Gemeindeschlüssel (Land 2, Kreis 5, Gemeinde 8 Stellen)",
            pattern=r"\d{2}|\d{5}|\d{8}",
        ),
        C("name", "string", "Name der Region"),
        C("ebene", "string", "Regionsebene", codelist="regionsebene"),
        C(
            "parent_ags",
            "string",
            "AGS der übergeordneten Region",
            required=False,
            pattern=r"\d{2}|\d{5}",
        ),
        C("kreistyp", "string", "Kreistyp (nur Kreise)", required=False, codelist="kreistyp"),
    ),
    key=("ags",),
)

SCHOOLS = TableSpec(
    "schools",
    "Schulen",
    "Stammdaten der allgemeinbildenden Schulen.",
    (
        C("schulnummer", "string", "Amtliche Schulnummer (6 Ziffern)", pattern=SCHULNUMMER),
        C("name", "string", "Name der Schule"),
        C("schulform", "string", "Schulform", codelist="schulform"),
        C("traeger", "string", "Träger", codelist="traeger"),
        C("gemeinde_ags", "string", "AGS der Gemeinde des Schulstandorts", pattern=AGS_GEMEINDE),
        C("kreis_ags", "string", "AGS des Kreises des Schulstandorts", pattern=AGS_KREIS),
        C("ganztag_form", "string", "Ganztagsform der Schule", codelist="ganztag_form"),
    ),
    key=("schulnummer",),
)

STUDENT_YEARS = TableSpec(
    "student_years",
    "Schülerjahresdatensätze",
    "Ein Datensatz je Schülerin/Schüler, Schule und Schuljahr (Stichtag Schuljahresbeginn); "
    "Abgänge beziehen sich auf das Ende dieses Schuljahres.",
    (
        C(
            "pseudonym",
            "string",
            "Pseudonym der Person (64 Hex-Zeichen, HMAC-SHA-256)",
            pattern=PSEUDONYM,
        ),
        C(
            "schuljahr",
            "int",
            "Schuljahr als Anfangsjahr (2024 = 2024/25)",
            min_value=SCHULJAHR_MIN,
            max_value=SCHULJAHR_MAX,
        ),
        C("schulnummer", "string", "Schulnummer", pattern=SCHULNUMMER),
        C("schulform", "string", "Schulform der besuchten Schule", codelist="schulform"),
        C("jahrgangsstufe", "int", "Jahrgangsstufe", min_value=1, max_value=13),
        C(
            "klasse",
            "string",
            "Klassenbezeichnung innerhalb der Schule (z. B. 5b)",
            pattern=r"[0-9]{1,2}[A-Za-z0-9]{0,3}",
        ),
        C("geburtsjahr", "int", "Geburtsjahr", min_value=1980, max_value=SCHULJAHR_MAX),
        C("geburtsmonat", "int", "Geburtsmonat", min_value=1, max_value=12),
        C("geschlecht", "string", "Geschlecht", codelist="geschlecht"),
        C(
            "foerderschwerpunkt",
            "string",
            "Sonderpädagogischer Förderschwerpunkt",
            required=False,
            codelist="foerderschwerpunkt",
        ),
        C("ndh", "bool", "Nichtdeutsche Herkunftssprache"),
        C("ganztag", "bool", "Teilnahme am Ganztagsbetrieb"),
        C(
            "wiederholung",
            "string",
            "Wiederholung der Jahrgangsstufe in diesem Schuljahr",
            required=False,
            codelist="wiederholung",
        ),
        C(
            "zugangsart",
            "string",
            "Art des Zugangs zu Beginn dieses Schuljahres (leer = Verbleib an der Schule)",
            required=False,
            codelist="zugangsart",
        ),
        C(
            "einschulungsart",
            "string",
            "Art der Einschulung (nur bei Zugangsart EIN)",
            required=False,
            codelist="einschulungsart",
        ),
        C(
            "abgangsart",
            "string",
            "Art des Abgangs am Ende dieses Schuljahres (leer = Verbleib)",
            required=False,
            codelist="abgangsart",
        ),
        C(
            "abschlussart",
            "string",
            "Abschlussart (nur bei Abgangsart ENTL)",
            required=False,
            codelist="abschlussart",
        ),
        C(
            "record_key",
            "float",
            "Zufallsschlüssel des Datensatzes für das Cell-Key-Verfahren "
            "in [0, 1); beim Import aus dem Pseudonym abgeleitet, wenn leer",
            required=False,
            min_value=0.0,
            max_value=1.0,
        ),
    ),
    key=("pseudonym", "schuljahr", "schulnummer"),
)

POPULATION = TableSpec(
    "population",
    "Bevölkerung",
    "Bevölkerung am 31.12. nach Kreis, Jahr, Altersjahr und Geschlecht (Nenner).",
    (
        C("kreis_ags", "string", "AGS des Kreises", pattern=AGS_KREIS),
        C(
            "jahr",
            "int",
            "Jahr (Stichtag 31.12.)",
            min_value=SCHULJAHR_MIN,
            max_value=SCHULJAHR_MAX,
        ),
        C("alter", "int", "Alter in vollendeten Jahren", min_value=0, max_value=120),
        C("geschlecht", "string", "Geschlecht", codelist="geschlecht"),
        C("anzahl", "int", "Anzahl Personen", min_value=0),
    ),
    key=("kreis_ags", "jahr", "alter", "geschlecht"),
)

CHILDCARE = TableSpec(
    "childcare",
    "Kindertagesbetreuung",
    "Betreute Kinder in Kitas und öffentlich geförderter Kindertagespflege am 1. März.",
    (
        C("kreis_ags", "string", "AGS des Kreises", pattern=AGS_KREIS),
        C(
            "jahr",
            "int",
            "Jahr (Stichtag 1. März)",
            min_value=SCHULJAHR_MIN,
            max_value=SCHULJAHR_MAX,
        ),
        C("altersgruppe", "string", "Altersgruppe", codelist="betreuung_altersgruppe"),
        C("betreute", "int", "Anzahl betreuter Kinder", min_value=0),
        C("betreute_ganztag", "int", "davon mit mehr als 7 Stunden je Tag", min_value=0),
    ),
    key=("kreis_ags", "jahr", "altersgruppe"),
)

ACTORS = TableSpec(
    "actors",
    "Bildungsakteure",
    "Träger und Einrichtungen, die Bildungsangebote machen (für das Bildungsportal).",
    (
        C("actor_id", "string", "Kennung des Akteurs", pattern=r"[A-Za-z0-9_-]{1,40}"),
        C("name", "string", "Name"),
        C("kategorie", "string", "Kategorie", codelist="angebot_kategorie"),
        C("gemeinde_ags", "string", "AGS der Gemeinde", pattern=AGS_GEMEINDE),
        C(
            "adresse",
            "string",
            "Postanschrift der Einrichtung (keine Personendaten)",
            required=False,
        ),
        C("url", "string", "Webseite", required=False, pattern=r"https?://\S+"),
    ),
    key=("actor_id",),
)

OFFERS = TableSpec(
    "offers",
    "Bildungsangebote",
    "Bildungsangebote für das Bildungsportal.",
    (
        C("offer_id", "string", "Kennung des Angebots", pattern=r"[A-Za-z0-9_-]{1,40}"),
        C("actor_id", "string", "Kennung des anbietenden Akteurs", pattern=r"[A-Za-z0-9_-]{1,40}"),
        C("titel", "string", "Titel des Angebots"),
        C("beschreibung", "string", "Beschreibung", required=False),
        C("kategorie", "string", "Kategorie", codelist="angebot_kategorie"),
        C("altersgruppe", "string", "Zielgruppe nach Alter", codelist="altersgruppe"),
        C("thema", "string", "Thema (z. B. Sprache, MINT, Musik)"),
        C("gemeinde_ags", "string", "AGS der Gemeinde des Angebotsorts", pattern=AGS_GEMEINDE),
    ),
    key=("offer_id",),
)

# Identifying data. Held only by schools and the Vertrauensstelle; never in the analytic store.
VOCATIONAL_ENTRANTS = TableSpec(
    "vocational_entrants",
    "Neuzugänge in das Ausbildungsgeschehen",
    "Neuzugänge in die Sektoren der beruflichen Bildung (integrierte Ausbildungsberichterstattung) "
    "nach Kreis des Schulorts, Jahr, schulischer Vorbildung und Geschlecht.",
    (
        C(
            "kreis_ags",
            "string",
            "AGS des Kreises (Schulort bzw. Ausbildungsort)",
            pattern=AGS_KREIS,
        ),
        C(
            "jahr",
            "int",
            "Berichtsjahr (Schuljahresbeginn bzw. 31.12.)",
            min_value=SCHULJAHR_MIN,
            max_value=SCHULJAHR_MAX,
        ),
        C("sektor", "string", "Sektor des Ausbildungsgeschehens", codelist="ausbildungssektor"),
        C("vorbildung", "string", "Schulische Vorbildung", codelist="schulische_vorbildung"),
        C("geschlecht", "string", "Geschlecht", codelist="geschlecht"),
        C("anzahl", "int", "Anzahl Neuzugänge", min_value=0),
    ),
    key=("kreis_ags", "jahr", "sektor", "vorbildung", "geschlecht"),
)

ERHEBUNG = r"[A-Za-z0-9_-]{1,40}"

ASSESSMENT_RESULTS = TableSpec(
    "assessment_results",
    "Ergebnisse von Lernstandserhebungen (Plausible Values)",
    "Ein Datensatz je getesteter Person, Erhebung und Plausible Value, auf der Berichtsmetrik "
    "(500/100) des Kompetenzbereichs; Grundlage der Kompetenzstufen-Indikatoren und der "
    "Rückmeldungen an Schulen.",
    (
        C("erhebung", "string", "Kennung der Erhebung (z. B. LS4-2024)", pattern=ERHEBUNG),
        C(
            "schuljahr",
            "int",
            "Schuljahr der Erhebung als Anfangsjahr",
            min_value=SCHULJAHR_MIN,
            max_value=SCHULJAHR_MAX,
        ),
        C("jahrgangsstufe", "int", "Jahrgangsstufe der Getesteten", min_value=1, max_value=13),
        C("kompetenzbereich", "string", "Kompetenzbereich", codelist="kompetenzbereich"),
        C(
            "stufenmodell",
            "string",
            "Kompetenzstufenmodell (Name der Stufendefinition, z. B. primar_deutsch_lesen)",
            pattern=r"[a-z0-9_]{1,60}",
        ),
        C("pseudonym", "string", "Pseudonym der Person", pattern=PSEUDONYM),
        C("schulnummer", "string", "Schulnummer", pattern=SCHULNUMMER),
        C("klasse", "string", "Klassenbezeichnung", pattern=r"[0-9]{1,2}[A-Za-z0-9]{0,3}"),
        C("gewicht", "float", "Gewicht der Person (1 bei Vollerhebung)", min_value=0),
        C("pv_nr", "int", "Nummer des Plausible Value", min_value=1, max_value=100),
        C("wert", "float", "Plausible Value auf der Berichtsmetrik (500/100)"),
    ),
    key=("erhebung", "pseudonym", "pv_nr"),
)

ASSESSMENT_RESPONSES = TableSpec(
    "assessment_responses",
    "Bewertete Antworten in Lernstandserhebungen",
    "Ein Datensatz je getesteter Person, Erhebung und bearbeiteter Aufgabe (nicht vorgelegte "
    "Aufgaben fehlen); Grundlage der Lösungshäufigkeiten in den Rückmeldungen.",
    (
        C("erhebung", "string", "Kennung der Erhebung", pattern=ERHEBUNG),
        C("pseudonym", "string", "Pseudonym der Person", pattern=PSEUDONYM),
        C("schulnummer", "string", "Schulnummer", pattern=SCHULNUMMER),
        C("klasse", "string", "Klassenbezeichnung", pattern=r"[0-9]{1,2}[A-Za-z0-9]{0,3}"),
        C("item", "string", "Kennung der Aufgabe (Item)", pattern=r"[A-Za-z0-9_.-]{1,40}"),
        C("punkte", "int", "Erreichte Punkte", min_value=0),
        C("max_punkte", "int", "Höchstpunktzahl der Aufgabe", min_value=1),
    ),
    key=("erhebung", "pseudonym", "item"),
)

IDENTITIES = TableSpec(
    "identities",
    "Identitätsdaten (nur Vertrauensstelle)",
    "Identifizierende Merkmale je Lieferdatensatz. Die Vertrauensstelle bildet daraus das "
    "Pseudonym; die Tabelle gelangt nie in den Analysebestand.",
    (
        C(
            "lieferung_id",
            "string",
            "Kennung des Lieferdatensatzes (verknüpft Identität und Inhaltsdaten einer Lieferung)",
        ),
        C("schueler_id", "string", "Schulinterne Schülerkennung"),
        C("vorname", "string", "Vorname"),
        C("nachname", "string", "Nachname"),
        C("geburtsdatum", "date", "Geburtsdatum"),
        C("geschlecht", "string", "Geschlecht", codelist="geschlecht"),
        C("wohnanschrift", "string", "Wohnanschrift"),
    ),
    key=("lieferung_id",),
)

# Columns that must never reach the analytic store, under any table.
IDENTIFYING_COLUMNS = frozenset(
    {"lieferung_id", "schueler_id", "vorname", "nachname", "geburtsdatum", "wohnanschrift"}
)

ANALYTIC_TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        REGIONS,
        SCHOOLS,
        STUDENT_YEARS,
        POPULATION,
        CHILDCARE,
        VOCATIONAL_ENTRANTS,
        ACTORS,
        OFFERS,
        ASSESSMENT_RESULTS,
        ASSESSMENT_RESPONSES,
    )
}
ALL_TABLES: dict[str, TableSpec] = {**ANALYTIC_TABLES, IDENTITIES.name: IDENTITIES}

for _spec in ANALYTIC_TABLES.values():
    if set(_spec.column_names) & IDENTIFYING_COLUMNS:
        raise RuntimeError(f"analytic table {_spec.name} declares an identifying column")
