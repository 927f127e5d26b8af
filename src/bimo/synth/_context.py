"""Context tables: population, childcare and the education portal (actors, offers)."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa

from bimo.core.schemas import ACTORS, CHILDCARE, OFFERS, POPULATION
from bimo.synth import _names
from bimo.synth._geography import GS, KREISE, Geography
from bimo.synth._records import arrow_schema
from bimo.synth._simulate import Simulation

# Size of an age group relative to a birth cohort of children (Germany-like pyramid with the
# baby boomers in their late fifties/early sixties); linear between the points.
_AGE_POINTS = np.array([0, 19, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 99])
_AGE_FACTOR = np.array(
    [
        1.0,
        1.0,
        1.04,
        1.16,
        1.2,
        1.18,
        1.1,
        1.04,
        1.18,
        1.36,
        1.32,
        1.16,
        0.98,
        0.82,
        0.7,
        0.44,
        0.2,
        0.06,
        0.015,
    ]
)
# Share of women by age: 48.7 % among children, rising in old age.
_FEMALE_POINTS = np.array([0, 50, 70, 80, 85, 90, 95, 99])
_FEMALE_SHARE = np.array([0.487, 0.49, 0.52, 0.56, 0.6, 0.67, 0.74, 0.8])
U3_TREND = 0.008  # U3 care expands by about 0.8 percentage points a year


def population(sim: Simulation, geo: Geography, years: tuple[int, ...]) -> pa.Table:
    """Population at 31.12. by Kreis, year, age 0–99 and sex.

    Ages 0–19 follow the same expected cohort sizes the simulation draws its school entrants
    from, so school-age population and enrolment agree (leavers per same-age population ≈ per
    leavers, as in the national figures)."""
    rng = sim.rng
    ages = np.arange(100)
    shape = np.interp(ages, _AGE_POINTS, _AGE_FACTOR)
    female = np.interp(ages, _FEMALE_POINTS, _FEMALE_SHARE)
    cols: dict[str, list[object]] = {c: [] for c in POPULATION.column_names}
    for ki, k in enumerate(KREISE):
        # Cities attract young adults; rural Kreise lose them.
        young = {"KFS": 1.3, "SLK": 1.0, "LKV": 0.9, "DLK": 0.82}[k.kreistyp]
        adj = np.where((ages >= 19) & (ages <= 35), young, 1.0)
        for year in years:
            # A child aged a at 31.12.year entered (or will enter) school around year - a + 6.5.
            # Adults: the pyramid shape applies to the cohort size of today's 19-year-olds
            # (extrapolating the birth trend decades back would distort it).
            base = np.array([sim.cohort_size(ki, year - min(a, 19) + 6.5) for a in range(100)])
            total = base * shape * adj * (1 + rng.normal(0, 0.01, ages.size))
            for sex, share in (("m", 1 - female), ("w", female)):
                counts = np.rint(total * share).astype(np.int64)
                cols["kreis_ags"] += [k.ags] * ages.size
                cols["jahr"] += [year] * ages.size
                cols["alter"] += ages.tolist()
                cols["geschlecht"] += [sex] * ages.size
                cols["anzahl"] += counts.tolist()
    return pa.table(cols, schema=arrow_schema(POPULATION))


def childcare(sim: Simulation, geo: Geography, years: tuple[int, ...]) -> pa.Table:
    """Children in day care on 1 March: U3 rates differ strongly between Kreise."""
    rng = sim.rng
    cols: dict[str, list[object]] = {c: [] for c in CHILDCARE.column_names}
    last = years[-1]
    for ki, k in enumerate(KREISE):
        for year in years:
            # Children at 1.3. of ``year`` ≈ population at 31.12. of the previous year.
            pop = {a: sim.cohort_size(ki, year - 1 - a + 6.5) for a in range(6)}
            u3 = sum(pop[a] for a in range(3))
            over3 = sum(pop[a] for a in range(3, 6))
            rate_u3 = max(0.05, k.u3_rate - U3_TREND * (last - year))
            rate_3_6 = min(0.97, 0.9 + 0.05 * (k.u3_rate - 0.35))
            full_day = 0.38 + 0.4 * k.u3_rate
            for group, n, rate in (("U3", u3, rate_u3), ("3_6", over3, rate_3_6)):
                betreute = round(n * rate * (1 + rng.normal(0, 0.005)))
                cols["kreis_ags"].append(k.ags)
                cols["jahr"].append(year)
                cols["altersgruppe"].append(group)
                cols["betreute"].append(betreute)
                cols["betreute_ganztag"].append(round(betreute * full_day))
    return pa.table(cols, schema=arrow_schema(CHILDCARE))


_KITA_NAMES = (
    "Kita Sonnenschein",
    "Kita Regenbogen",
    "Ev. Kita St. Marien",
    "AWO-Kita Pusteblume",
    "Kinderhaus Löwenzahn",
    "Waldkindergarten Eichhörnchen",
    "Kita Zwergenland",
    "Städtische Kita Am Park",
    "Kath. Kita St. Josef",
    "Kita Weltentdecker",
)
# Offer templates per category: title, description, target age group, topic.
_OFFERS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "KITA": (
        ("Sprachförderung im Kita-Alltag", "Alltagsintegrierte Sprachbildung", "U6", "Sprache"),
        ("Waldgruppe", "Ein Vormittag pro Woche im Wald", "U6", "Natur"),
        ("Eltern-Kind-Café", "Offener Treff für Familien mit Kleinkindern", "U6", "Familie"),
    ),
    "SCHULE": (
        ("Robotik-AG", "Programmieren mit Lernrobotern", "10_16", "MINT"),
        ("Schülerzeitung", "Redaktion für Schülerinnen und Schüler", "10_16", "Medien"),
        ("Berufsorientierung Klasse 8", "Potenzialanalyse und Praktika", "10_16", "Beruf"),
        ("Lesepaten", "Ehrenamtliche lesen mit Grundschulkindern", "6_10", "Sprache"),
    ),
    "VHS": (
        ("Integrationskurs Deutsch", "Deutsch als Zweitsprache bis B1", "ERW", "Sprache"),
        ("Erster Schulabschluss nachholen", "Abendkurs mit Prüfung", "16_25", "Abschluss"),
        ("Tabellenkalkulation für Einsteiger", "Grundlagen in kleinen Gruppen", "ERW", "Digitales"),
        ("Englisch A2", "Für Wiedereinsteigerinnen und Wiedereinsteiger", "ERW", "Sprache"),
    ),
    "BIBLIOTHEK": (
        ("Vorlesestunde", "Bilderbuchkino und Vorlesen", "U6", "Sprache"),
        ("Makerspace: 3D-Druck", "Eigene Modelle entwerfen und drucken", "10_16", "MINT"),
        ("Sommerleseclub", "Lesen in den Ferien mit Abschlussparty", "6_10", "Sprache"),
    ),
    "BERATUNG": (
        ("Erziehungsberatung", "Vertrauliche Beratung für Familien", "ALLE", "Familie"),
        (
            "Bildungsberatung für Zugewanderte",
            "Anerkennung und Wege ins Bildungssystem",
            "ERW",
            "Beratung",
        ),
        ("Beratung bei Schulverweigerung", "Hilfe für Jugendliche und Eltern", "10_16", "Beratung"),
    ),
    "KAMMER": (
        ("Ausbildungsbörse", "Betriebe stellen Ausbildungsberufe vor", "16_25", "Beruf"),
        ("Ausbildungsberatung", "Beratung zu Ausbildungsverträgen", "16_25", "Beruf"),
    ),
    "MUSIKSCHULE": (
        ("Musikalische Früherziehung", "Singen, Bewegen, erste Instrumente", "U6", "Musik"),
        ("Bandworkshop", "Gemeinsam proben und auftreten", "10_16", "Musik"),
        ("Instrumentenkarussell", "Vier Instrumente in einem Jahr ausprobieren", "6_10", "Musik"),
    ),
    "JUGEND": (
        ("Offener Treff", "Jugendzentrum mit offenen Angeboten", "10_16", "Freizeit"),
        ("Ferienfreizeit", "Eine Woche Zeltlager", "6_10", "Freizeit"),
        ("Jugendmedienwerkstatt", "Video, Podcast und Fotografie", "16_25", "Medien"),
    ),
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _names.transliterate(text).lower()).strip("-")


def portal(rng: np.random.Generator, geo: Geography) -> tuple[pa.Table, pa.Table]:
    """A few hundred education actors across the Gemeinden, each with one to three offers."""
    entries: list[tuple[str, str, int]] = []  # name, kategorie, gemeinde index
    for ki, k in enumerate(KREISE):
        gems = np.flatnonzero(geo.gem_kreis == ki)
        seat = int(gems[0])
        base = k.name.removeprefix("Landkreis ")
        for gem in gems.tolist():
            for _ in range(1 + int(geo.gem_weight[gem] * 6)):
                entries.append((str(rng.choice(_KITA_NAMES)), "KITA", gem))
            if geo.gem_weight[gem] > 0.12:
                entries.append((f"Stadtbibliothek {geo.gem_name[gem]}", "BIBLIOTHEK", gem))
                entries.append((f"Jugendzentrum {geo.gem_name[gem]}", "JUGEND", gem))
        entries.append((f"Volkshochschule {base}", "VHS", seat))
        entries.append((f"Musikschule {base}", "MUSIKSCHULE", seat))
        entries.append((f"Erziehungsberatungsstelle {base}", "BERATUNG", seat))
        entries.append((f"Jugendmigrationsdienst {base}", "BERATUNG", seat))
        if k.kreistyp == "KFS":
            entries.append((f"Industrie- und Handelskammer {base}", "KAMMER", seat))
            entries.append((f"Handwerkskammer {base}", "KAMMER", seat))
    secondary = np.flatnonzero(geo.school_form != GS)
    for school in rng.choice(secondary, size=min(40, secondary.size), replace=False):
        entries.append((geo.school_name[school], "SCHULE", int(geo.school_gem[school])))

    actor_cols: dict[str, list[object]] = {c: [] for c in ACTORS.column_names}
    offer_cols: dict[str, list[object]] = {c: [] for c in OFFERS.column_names}
    for i, (name, cat, g) in enumerate(entries):
        actor_id = f"{cat.lower()}-{geo.gem_ags[g]}-{i + 1:04d}"
        street = _names.INSTITUTION_STREETS[int(rng.integers(len(_names.INSTITUTION_STREETS)))]
        actor_cols["actor_id"].append(actor_id)
        actor_cols["name"].append(name)
        actor_cols["kategorie"].append(cat)
        actor_cols["gemeinde_ags"].append(geo.gem_ags[g])
        actor_cols["adresse"].append(
            f"{street} {int(rng.integers(1, 80))}, {geo.gem_plz[g]} {geo.gem_name[g]}"
        )
        url = f"https://www.{_slug(name)}-{_slug(geo.gem_name[g])}.example"
        actor_cols["url"].append(url if rng.random() < 0.85 else None)
        templates = _OFFERS[cat]
        n_off = int(rng.integers(1, min(3, len(templates)) + 1))
        for j in rng.choice(len(templates), size=n_off, replace=False):
            titel, text, age, thema = templates[j]
            offer_cols["offer_id"].append(f"{actor_id}-{int(j) + 1}")
            offer_cols["actor_id"].append(actor_id)
            offer_cols["titel"].append(titel)
            offer_cols["beschreibung"].append(f"{text} ({geo.gem_name[g]})")
            offer_cols["kategorie"].append(cat)
            offer_cols["altersgruppe"].append(age)
            offer_cols["thema"].append(thema)
            offer_cols["gemeinde_ags"].append(geo.gem_ags[g])
    actors = pa.table(actor_cols, schema=arrow_schema(ACTORS))
    offers = pa.table(offer_cols, schema=arrow_schema(OFFERS))
    return actors, offers
