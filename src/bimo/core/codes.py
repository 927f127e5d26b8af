"""Code lists of the data model (modelled on the KMK Kerndatensatz).

Every coded column in :mod:`bimo.core.schemas` names one of these lists. Codes are short,
stable ASCII strings; the German labels are what users see. ``docs/data-model.md`` documents
each list, and a test checks that every code appears there.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodeList:
    """A named list of codes with German labels."""

    name: str
    title: str
    labels: dict[str, str]

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(self.labels)

    def label(self, code: str) -> str:
        return self.labels.get(code, code)


SCHULFORM = CodeList(
    "schulform",
    "Schulform",
    {
        "GS": "Grundschule",
        "HS": "Hauptschule",
        "RS": "Realschule",
        "SMBG": "Schulart mit mehreren Bildungsgängen",
        "IGS": "Integrierte Gesamtschule",
        "GY": "Gymnasium",
        "FS": "Förderschule",
        "WS": "Freie Waldorfschule",
    },
)

# Rank of the secondary Schulformen for the direction of a school-form change (grades 7–9):
# a change to a higher rank is an "Aufwärtswechsel", to a lower one an "Abwärtswechsel".
# Förderschule, Grundschule and Waldorfschule have no rank; changes involving them are
# reported separately ("in/aus Förderschule", "sonstiger Wechsel").
SCHULFORM_RANK: dict[str, int] = {"HS": 1, "SMBG": 2, "IGS": 2, "RS": 3, "GY": 4}

GESCHLECHT = CodeList(
    "geschlecht",
    "Geschlecht",
    {"m": "männlich", "w": "weiblich", "d": "divers", "x": "ohne Angabe"},
)

TRAEGER = CodeList(
    "traeger",
    "Träger",
    {"OEFF": "öffentlich", "PRIV": "privat (Ersatzschule)"},
)

GANZTAG_FORM = CodeList(
    "ganztag_form",
    "Ganztagsform der Schule",
    {
        "KEIN": "kein Ganztagsbetrieb",
        "OFFEN": "offene Ganztagsschule",
        "TEILGEB": "teilweise gebundene Ganztagsschule",
        "GEB": "voll gebundene Ganztagsschule",
    },
)

FOERDERSCHWERPUNKT = CodeList(
    "foerderschwerpunkt",
    "Förderschwerpunkt",
    {
        "LE": "Lernen",
        "SP": "Sprache",
        "ES": "emotionale und soziale Entwicklung",
        "GE": "geistige Entwicklung",
        "KM": "körperliche und motorische Entwicklung",
        "HK": "Hören und Kommunikation",
        "SE": "Sehen",
        "KR": "Unterricht kranker Schülerinnen und Schüler",
    },
)

WIEDERHOLUNG = CodeList(
    "wiederholung",
    "Wiederholung der Jahrgangsstufe",
    {"NV": "nicht versetzt", "FW": "freiwillige Wiederholung"},
)

ZUGANGSART = CodeList(
    "zugangsart",
    "Art des Zugangs an die Schule",
    {
        "EIN": "Einschulung",
        "WECHSEL": "Schulwechsel innerhalb des Landes (auch Übergang nach der Grundschule)",
        "ZUZUG": "Zuzug aus einem anderen Land oder dem Ausland",
        "WIEDER": "Wiedereintritt nach Unterbrechung",
    },
)

EINSCHULUNGSART = CodeList(
    "einschulungsart",
    "Art der Einschulung",
    {
        "FRIST": "fristgerecht",
        "VORZ": "vorzeitig",
        "ZURUECK": "nach Zurückstellung",
    },
)

ABGANGSART = CodeList(
    "abgangsart",
    "Art des Abgangs von der Schule (am Ende des Schuljahres)",
    {
        "ENTL": "Entlassung aus der allgemeinbildenden Schule (mit Abschlussart)",
        "WECHSEL": "Schulwechsel innerhalb des Landes",
        "FORTZUG": "Fortzug in ein anderes Land oder ins Ausland",
        "SONST": "sonstiger Abgang",
    },
)

ABSCHLUSSART = CodeList(
    "abschlussart",
    "Abschlussart",
    {
        "OHNE": "ohne Ersten Schulabschluss",
        "FOES": "Förderschulabschluss (ohne Ersten Schulabschluss)",
        "ESA": "Erster Schulabschluss",
        "MSA": "Mittlerer Schulabschluss",
        "FHR": "Fachhochschulreife (schulischer Teil)",
        "AHR": "Allgemeine Hochschulreife",
    },
)
# The official "ohne Ersten Schulabschluss" count includes Förderschulabschlüsse.
OHNE_ESA = frozenset({"OHNE", "FOES"})

REGIONSEBENE = CodeList(
    "regionsebene",
    "Regionsebene",
    {"LAND": "Land", "KREIS": "Kreis / kreisfreie Stadt", "GEMEINDE": "Gemeinde"},
)

KREISTYP = CodeList(
    "kreistyp",
    "Kreistyp (Siedlungsstruktur, angelehnt an die BBSR-Kreistypen)",
    {
        "KFS": "kreisfreie Großstadt",
        "SLK": "städtischer Kreis",
        "LKV": "ländlicher Kreis mit Verdichtungsansätzen",
        "DLK": "dünn besiedelter ländlicher Kreis",
    },
)

BETREUUNG_ALTERSGRUPPE = CodeList(
    "betreuung_altersgruppe",
    "Altersgruppe der Kindertagesbetreuung",
    {"U3": "unter 3 Jahre", "3_6": "3 bis unter 6 Jahre"},
)

ANGEBOT_KATEGORIE = CodeList(
    "angebot_kategorie",
    "Kategorie eines Bildungsangebots oder Akteurs",
    {
        "KITA": "Kindertageseinrichtung",
        "SCHULE": "Schule",
        "VHS": "Volkshochschule",
        "BIBLIOTHEK": "Bibliothek",
        "BERATUNG": "Beratungsstelle",
        "KAMMER": "Kammer",
        "MUSIKSCHULE": "Musikschule",
        "JUGEND": "Jugendarbeit",
    },
)

ALTERSGRUPPE = CodeList(
    "altersgruppe",
    "Zielgruppe nach Alter",
    {
        "U6": "Kinder unter 6 Jahren",
        "6_10": "Kinder von 6 bis 10 Jahren",
        "10_16": "Jugendliche von 10 bis 16 Jahren",
        "16_25": "junge Menschen von 16 bis 25 Jahren",
        "ERW": "Erwachsene",
        "ALLE": "alle Altersgruppen",
    },
)

AUSBILDUNGSSEKTOR = CodeList(
    "ausbildungssektor",
    "Sektor des Ausbildungsgeschehens (integrierte Ausbildungsberichterstattung, iABE)",
    {
        "DUAL": "Berufsausbildung im dualen System",
        "SCHULBERUF": "schulische Berufsausbildung (Schulberufssystem)",
        "UEBERGANG": "Übergangsbereich (z. B. Berufsvorbereitungsjahr, Berufsgrundbildungsjahr)",
        "HZB": "Erwerb der Hochschulzugangsberechtigung an beruflichen Schulen",
    },
)

SCHULISCHE_VORBILDUNG = CodeList(
    "schulische_vorbildung",
    "Höchster allgemeinbildender Schulabschluss bei Eintritt",
    {
        "OHNE": "ohne Ersten Schulabschluss",
        "ESA": "Erster Schulabschluss",
        "MSA": "Mittlerer Schulabschluss",
        "HZB": "Fachhochschulreife oder Allgemeine Hochschulreife",
    },
)

KOMPETENZBEREICH = CodeList(
    "kompetenzbereich",
    "Kompetenzbereich einer Lernstandserhebung",
    {
        "DEUTSCH_LESEN": "Deutsch – Lesen",
        "DEUTSCH_ZUHOEREN": "Deutsch – Zuhören",
        "DEUTSCH_ORTHOGRAFIE": "Deutsch – Orthografie",
        "MATHEMATIK": "Mathematik (Globalskala)",
    },
)

ALL_CODE_LISTS: dict[str, CodeList] = {
    cl.name: cl
    for cl in (
        SCHULFORM,
        GESCHLECHT,
        TRAEGER,
        GANZTAG_FORM,
        FOERDERSCHWERPUNKT,
        WIEDERHOLUNG,
        ZUGANGSART,
        EINSCHULUNGSART,
        ABGANGSART,
        ABSCHLUSSART,
        REGIONSEBENE,
        KREISTYP,
        BETREUUNG_ALTERSGRUPPE,
        ANGEBOT_KATEGORIE,
        ALTERSGRUPPE,
        AUSBILDUNGSSEKTOR,
        SCHULISCHE_VORBILDUNG,
        KOMPETENZBEREICH,
    )
}


def schuljahr_label(start_year: int) -> str:
    """Format a school year stored as its starting calendar year: 2024 -> "2024/25"."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"
