"""Musterland's Kreise, Gemeinden and schools (Land code 17, which no real Land uses)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from bimo.core.schemas import REGIONS, SCHOOLS

LAND_AGS = "17"
LAND_NAME = "Musterland"

# Schulform indices used throughout the simulation (codes of the ``schulform`` list).
GS, HS, RS, SMBG, IGS, GY, FS, WS = range(8)
SCHULFORM_CODES = ("GS", "HS", "RS", "SMBG", "IGS", "GY", "FS", "WS")
SCHULFORM_NAMES = (
    "Grundschule",
    "Hauptschule",
    "Realschule",
    "Oberschule",
    "Gesamtschule",
    "Gymnasium",
    "Förderschule",
    "Freie Waldorfschule",
)
FIRST_GRADE = np.array([1, 5, 5, 5, 5, 5, 1, 1], dtype=np.int8)
# Typical enrolment per school, used to decide how many schools a Kreis needs.
TYPICAL_SIZE = np.array([210, 260, 480, 450, 900, 820, 130, 380], dtype=np.float64)
# Share of all enrolled students that attends each Schulform (rough Land average).
ENROLMENT_SHARE = np.array([0.31, 0.035, 0.10, 0.075, 0.12, 0.30, 0.04, 0.01])


@dataclass(frozen=True)
class Kreis:
    """One Kreis with the parameters that make it differ from the others."""

    ags: str
    name: str
    kreistyp: str
    weight: float  # share of the Land's children
    ses: float  # mean social background (SD units)
    ndh: float  # share with nichtdeutscher Herkunftssprache among children
    u3_rate: float  # U3-Betreuungsquote in the last output year
    n_gemeinden: int


KREISE: tuple[Kreis, ...] = (
    Kreis("17001", "Musterstadt", "KFS", 0.17, 0.25, 0.38, 0.45, 8),
    Kreis("17002", "Hafenstadt", "KFS", 0.10, -0.30, 0.42, 0.29, 6),
    Kreis("17003", "Neuburg an der Muster", "KFS", 0.06, 0.10, 0.27, 0.52, 5),
    Kreis("17011", "Landkreis Mustertal", "SLK", 0.12, 0.35, 0.19, 0.34, 14),
    Kreis("17012", "Landkreis Auenwald", "SLK", 0.11, 0.05, 0.21, 0.38, 12),
    Kreis("17013", "Landkreis Bergheide", "LKV", 0.09, -0.05, 0.10, 0.62, 15),
    Kreis("17014", "Landkreis Seenplatte", "DLK", 0.07, -0.25, 0.06, 0.44, 18),
    Kreis("17015", "Landkreis Heideland", "DLK", 0.07, -0.35, 0.07, 0.26, 16),
    Kreis("17016", "Landkreis Rebenhang", "LKV", 0.11, 0.15, 0.15, 0.165, 13),
    Kreis("17017", "Landkreis Moorbach", "LKV", 0.10, -0.10, 0.14, 0.30, 11),
)

_PREFIX = [
    "Ober",
    "Nieder",
    "Alt",
    "Neu",
    "Groß",
    "Klein",
    "Bad",
    "Hohen",
    "Wald",
    "Berg",
    "Sankt",
    "Mittel",
    "Kirch",
    "Burg",
    "Linden",
    "Eschen",
    "Birken",
    "Eichen",
    "Mühl",
    "Stein",
    "Rosen",
    "Sonnen",
    "Weiden",
    "Hasel",
    "Lauter",
    "Schön",
    "Frei",
    "Roth",
    "Weiß",
    "Grün",
]
_SUFFIX = [
    "feld",
    "dorf",
    "hausen",
    "heim",
    "bach",
    "berg",
    "stedt",
    "büttel",
    "au",
    "burg",
    "rode",
    "hagen",
    "tal",
    "wald",
    "brück",
    "kirchen",
    "ingen",
    "stadt",
    "walde",
]
_DISTRICTS = ("Mitte", "Nord", "Süd", "Ost", "West", "Altstadt", "Hafen", "Neustadt")


@dataclass(frozen=True)
class Geography:
    """Gemeinden as parallel arrays; schools likewise."""

    gem_ags: list[str]
    gem_name: list[str]
    gem_kreis: np.ndarray  # Kreis index per Gemeinde
    gem_weight: np.ndarray  # share of the Kreis population living in the Gemeinde
    gem_plz: list[str]
    school_nr: list[str]
    school_name: list[str]
    school_form: np.ndarray
    school_kreis: np.ndarray
    school_gem: np.ndarray
    school_traeger: list[str]
    school_ganztag: list[str]
    school_last_grade: np.ndarray  # 4 (GS), 10, 12 (G8 Gymnasium) or 13
    school_capacity: np.ndarray  # relative attractiveness within Kreis and Schulform

    def regions_table(self) -> pa.Table:
        ags = [LAND_AGS] + [k.ags for k in KREISE] + self.gem_ags
        names = [LAND_NAME] + [k.name for k in KREISE] + self.gem_name
        ebene = ["LAND"] + ["KREIS"] * len(KREISE) + ["GEMEINDE"] * len(self.gem_ags)
        parent = [None] + [LAND_AGS] * len(KREISE) + [KREISE[k].ags for k in self.gem_kreis]
        typ = [None] + [k.kreistyp for k in KREISE] + [None] * len(self.gem_ags)
        cols = [ags, names, ebene, parent, typ]
        return pa.table([pa.array(c, pa.string()) for c in cols], names=list(REGIONS.column_names))

    def schools_table(self) -> pa.Table:
        cols = [
            self.school_nr,
            self.school_name,
            [SCHULFORM_CODES[f] for f in self.school_form],
            self.school_traeger,
            [self.gem_ags[g] for g in self.school_gem],
            [KREISE[k].ags for k in self.school_kreis],
            self.school_ganztag,
        ]
        return pa.table([pa.array(c, pa.string()) for c in cols], names=list(SCHOOLS.column_names))


_GANZTAG_P = {
    GS: (0.15, 0.55, 0.15, 0.15),
    HS: (0.2, 0.3, 0.3, 0.2),
    RS: (0.35, 0.35, 0.2, 0.1),
    SMBG: (0.15, 0.35, 0.3, 0.2),
    IGS: (0.0, 0.1, 0.3, 0.6),
    GY: (0.35, 0.35, 0.2, 0.1),
    FS: (0.1, 0.3, 0.2, 0.4),
    WS: (0.3, 0.5, 0.2, 0.0),
}
_GANZTAG_CODES = ("KEIN", "OFFEN", "TEILGEB", "GEB")


def build_geography(rng: np.random.Generator, students: int) -> Geography:
    """Draw Gemeinden and schools; school counts scale with the requested enrolment."""
    gem_ags: list[str] = []
    gem_name: list[str] = []
    gem_kreis: list[int] = []
    gem_weight: list[float] = []
    used: set[str] = set()
    for ki, k in enumerate(KREISE):
        # Zipf-like sizes: the first Gemeinde is the Kreisstadt.
        w = 1.0 / np.arange(1, k.n_gemeinden + 1) ** 0.9
        w = w / w.sum()
        base = k.name.removeprefix("Landkreis ")
        for gi in range(k.n_gemeinden):
            if k.kreistyp == "KFS":
                name = f"{base}-{_DISTRICTS[gi]}"
            elif gi == 0:
                name = base.split()[0]
            else:
                while True:
                    name = str(rng.choice(_PREFIX)) + str(rng.choice(_SUFFIX))
                    if name not in used:
                        break
            used.add(name)
            gem_ags.append(f"{k.ags}{gi + 1:03d}")
            gem_name.append(name)
            gem_kreis.append(ki)
            gem_weight.append(float(w[gi]))
    plz_numbers = rng.choice(np.arange(10000, 99999), size=len(gem_ags), replace=False)
    gem_kreis_arr = np.array(gem_kreis, dtype=np.int16)

    nr_pool = rng.choice(np.arange(100000, 999999), size=20000, replace=False)
    school_nr: list[str] = []
    school_name: list[str] = []
    forms: list[int] = []
    kreise: list[int] = []
    gems: list[int] = []
    traeger: list[str] = []
    ganztag: list[str] = []
    last: list[int] = []
    for ki, k in enumerate(KREISE):
        kreis_gems = np.flatnonzero(gem_kreis_arr == ki)
        gw = np.array(gem_weight)[kreis_gems]
        for form in range(8):
            expected = students * k.weight * ENROLMENT_SHARE[form] / TYPICAL_SIZE[form]
            if form == WS:
                n = 1 if k.kreistyp in ("KFS", "SLK") else 0
            else:
                n = max(1, round(expected))
            for si in range(n):
                # Secondary schools sit in the larger Gemeinden; Grundschulen spread out.
                p = gw if form == GS else gw**2 / np.sum(gw**2)
                g = int(kreis_gems[rng.choice(kreis_gems.size, p=p / p.sum())])
                forms.append(form)
                kreise.append(ki)
                gems.append(g)
                school_nr.append(str(nr_pool[len(school_nr)]))
                school_name.append(_school_name(rng, form, gem_name[g], si))
                private = form == WS or (form in (GS, GY, RS) and rng.random() < 0.06)
                traeger.append("PRIV" if private else "OEFF")
                ganztag.append(str(rng.choice(_GANZTAG_CODES, p=_GANZTAG_P[form])))
                if form == GS:
                    last.append(4)
                elif form in (HS, RS, SMBG, FS):
                    last.append(10)
                elif form == GY and rng.random() < 0.25:
                    last.append(12)  # G8 Gymnasium
                else:
                    last.append(13)
    return Geography(
        gem_ags=gem_ags,
        gem_name=gem_name,
        gem_kreis=gem_kreis_arr,
        gem_weight=np.array(gem_weight),
        gem_plz=[f"{p:05d}" for p in plz_numbers],
        school_nr=school_nr,
        school_name=school_name,
        school_form=np.array(forms, dtype=np.int8),
        school_kreis=np.array(kreise, dtype=np.int16),
        school_gem=np.array(gems, dtype=np.int32),
        school_traeger=traeger,
        school_ganztag=ganztag,
        school_last_grade=np.array(last, dtype=np.int8),
        school_capacity=rng.gamma(6.0, 1.0 / 6.0, size=len(forms)),
    )


_PATRONS = (
    "Goethe",
    "Schiller",
    "Lessing",
    "Humboldt",
    "Sophie Scholl",
    "Anne Frank",
    "Kästner",
    "Astrid Lindgren",
    "Marie Curie",
    "Lise Meitner",
    "Geschwister Scholl",
    "Käthe Kollwitz",
)


def _school_name(rng: np.random.Generator, form: int, place: str, index: int) -> str:
    label = SCHULFORM_NAMES[form]
    if rng.random() < 0.45:
        patron = str(rng.choice(_PATRONS))
        return f"{patron}-{label} {place}"
    if index == 0:
        return f"{label} {place}"
    return f"{index + 1}. {label} {place}"
