"""Synthetic name and address pools for Musterland identities.

Pools mix common German names with international ones (Turkish, Polish, Vietnamese, Arabic,
Ukrainian, Italian, Spanish, French …) so that identities contain umlauts, ß and diacritics, as
real deliveries do. Every pool entry also has two precomputed *spelling variants* (a
transliteration and a typo); a delivery row that shows a variant just points at the variant
entry, so variation stays vectorised.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

# Name tables, several entries per line to keep them readable.
# fmt: off
FIRST_DE_M = (
    "Lukas", "Leon", "Finn", "Jonas", "Ben", "Paul", "Elias", "Noah", "Felix", "Maximilian",
    "Jan", "Tim", "Niklas", "Luca", "Henry", "Emil", "Moritz", "Julian", "Anton", "Theo", "Jakob",
    "Linus", "Matteo", "Oskar", "Philipp", "Till", "Malte", "Hannes", "Sönke", "Björn", "Jörn",
    "Sören", "Jürgen", "Rüdiger", "Mattis", "Tobias", "Simon", "David", "Fabian", "Nils",
    "Jannik", "Ole", "Erik", "Johannes", "Karl", "Friedrich", "Valentin", "Vincent", "Leopold",
    "Mats", "Lennard", "Bastian", "Florian", "Sebastian", "Torben",
)
FIRST_DE_W = (
    "Mia", "Emma", "Hannah", "Lea", "Sophie", "Lena", "Marie", "Lina", "Anna", "Emilia", "Clara",
    "Ella", "Leonie", "Johanna", "Lotta", "Frieda", "Mathilda", "Ida", "Luisa", "Charlotte",
    "Amelie", "Paula", "Greta", "Nele", "Jule", "Merle", "Maja", "Katharina", "Jördis", "Käthe",
    "Zoé", "Chloé", "Renée", "Mareike", "Svenja", "Wiebke", "Inga", "Antje", "Anke", "Sünje",
    "Marlene", "Helene", "Franziska", "Theresa", "Sophia", "Laura", "Julia", "Sarah", "Alina",
    "Carolin", "Annika", "Elisa", "Rosalie", "Juna",
)
FIRST_INT_M = (
    "Mehmet", "Yusuf", "Ömer", "Emre", "Mustafa", "Çağan", "Burak", "Oğuz", "Ahmet", "Kerem",
    "Łukasz", "Wojciech", "Paweł", "Mateusz", "Krzysztof", "Michał", "Minh", "Đức", "Khánh",
    "Quang", "Mohammed", "Ahmad", "Omar", "Karim", "Hamza", "Youssef", "Oleksandr", "Dmytro",
    "Andrij", "Iwan", "Dmitrij", "Sergej", "Dimitrios", "Giorgos", "Niccolò", "Francesco",
    "Matteo", "José", "João", "Andrés", "Noé", "Théo", "Aleksandar", "Nikola", "Luka", "Adrian",
    "Arian", "Amir", "Samir", "Bilal",
)
FIRST_INT_W = (
    "Ayşe", "Elif", "Zeynep", "Şeyma", "Gülşen", "Çağla", "Büşra", "Merve", "Esra", "Małgorzata",
    "Zofia", "Agnieszka", "Łucja", "Wiktoria", "Thảo", "Ngọc", "Anh", "Linh", "Fatima", "Aya",
    "Lamar", "Mariam", "Rania", "Nour", "Leyla", "Olena", "Anastasija", "Oksana", "Swetlana",
    "Darja", "Eleni", "Despina", "Giulia", "Chiara", "Sofía", "María", "Inês", "Maëlle", "Léa",
    "Ana", "Jelena", "Milica", "Dragana", "Amira", "Yasmin", "Salma", "Hiba", "Selin", "Defne",
    "Irem",
)
LAST_DE = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt",
    "Werner", "Schmitz", "Krause", "Meier", "Lehmann", "Schmid", "Schulze", "Maier", "Köhler",
    "Herrmann", "König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs", "Peters", "Lang",
    "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Schubert", "Vogel", "Friedrich", "Keller",
    "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz", "Baumann", "Franke",
    "Albrecht", "Schuster", "Simon", "Ludwig", "Böhm", "Winter", "Kraus", "Martin", "Schumacher",
    "Krämer", "Vogt", "Stein", "Jäger", "Otto", "Sommer", "Groß", "Seidel", "Heinrich", "Brandt",
    "Haas", "Schreiber", "Graf", "Schulte", "Dietrich", "Ziegler", "Kuhn", "Kühn", "Pohl",
    "Engel", "Horn", "Busch", "Bergmann", "Voigt", "Sauer", "Arnold", "Wolff", "Pfeiffer",
    "Strauß", "Grünewald", "Großmann", "Dreßler", "Süß", "Jürgens", "Thießen", "Lüdtke",
    "Hölscher", "Rößler", "Gößmann", "Nußbaum",
)
LAST_INT = (
    "Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Öztürk", "Aydın", "Özdemir", "Arslan",
    "Doğan", "Kılıç", "Çakır", "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński",
    "Lewandowski", "Zieliński", "Szymański", "Dąbrowski", "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng",
    "Vũ", "Đặng", "Al-Hassan", "Haddad", "Khalil", "Ibrahim", "Mansour", "Saleh", "Popescu",
    "Ionescu", "Petrović", "Jovanović", "Kovačević", "Hodžić", "Ivanov", "Smirnow", "Kusnezow",
    "Schewtschenko", "Kowalenko", "Papadopoulos", "Georgiou", "Rossi", "Russo", "Esposito",
    "Bianchi", "García", "Fernández", "González", "Rodríguez", "Da", "Silva", "Santos", "Dubois",
    "Lefèvre", "O'Brien", "Núñez", "Gökçe", "Güneş",
)
STREETS = (
    "Hauptstraße", "Goethestraße", "Schillerstraße", "Am Mühlbach", "Lindenweg", "Schulstraße",
    "Bahnhofstraße", "Kirchplatz", "Rosenweg", "Gartenstraße", "Dorfstraße", "Birkenallee",
    "Weißdornweg", "Schloßallee", "Friedrich-Ebert-Straße", "Am Anger", "Mühlenweg",
    "Lessingstraße", "Eichendorffweg", "Talstraße", "Bergstraße", "Wiesengrund", "Ahornweg",
    "Kastanienallee", "Marktplatz", "Auf der Höhe", "Im Winkel", "Hölderlinstraße", "Fröbelweg",
    "Käthe-Kollwitz-Straße", "Große Straße", "Brückenstraße",
)
# Institutions (actors of the portal) sit on streets where nobody of Musterland lives, so that
# an institution's public address can never coincide with a person's home address.
INSTITUTION_STREETS = (
    "Rathausplatz", "Am Bildungscampus", "Kulturforum", "Platz der Bildung", "Am Stadtpark",
    "Bildungszentrum", "Theaterplatz", "Am Kammergebäude",
)
# fmt: on
if set(INSTITUTION_STREETS) & set(STREETS):
    raise RuntimeError("institution streets must differ from residential streets")

# Spelling variants used for the ~0.5 % of delivery rows that differ from a person's usual
# identity: index offset 0 = as usual, 1 = transliterated, 2 = typo.
VARIANT_NONE, VARIANT_TRANSLIT, VARIANT_TYPO = 0, 1, 2

_TRANSLIT = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "ß": "ss",
        "ł": "l",
        "Ł": "L",
        "ı": "i",
        "đ": "d",
        "Đ": "D",
    }
)


def transliterate(name: str) -> str:
    """ASCII spelling a school office might type: ü→ue, ß→ss, diacritics dropped."""
    text = name.translate(_TRANSLIT)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def typo(name: str) -> str:
    """A deterministic typing error: swap two inner letters, or double one if too short."""
    if len(name) >= 4:
        i = len(name) // 2
        if name[i] != name[i - 1]:
            return name[: i - 1] + name[i] + name[i - 1] + name[i + 1 :]
    return name + name[-1]


@dataclass(frozen=True)
class NamePool:
    """A pool of names with their variants: ``strings`` holds base, transliterated, typo."""

    strings: tuple[str, ...]
    size: int  # number of base names; variant v of name i is at i + v * size

    @classmethod
    def build(cls, names: list[str]) -> NamePool:
        base = list(dict.fromkeys(names))
        translit = []
        for n in base:
            t = transliterate(n)
            # A name without special characters gets a typo as its "transliteration" variant,
            # so every variant row really differs.
            translit.append(t if t != n else typo(n))
        return cls(tuple(base + translit + [typo(n) for n in base]), len(base))


FIRST_M = NamePool.build([*FIRST_DE_M, *FIRST_INT_M])
FIRST_W = NamePool.build([*FIRST_DE_W, *FIRST_INT_W])
LAST = NamePool.build([*LAST_DE, *LAST_INT])
N_FIRST_DE_M, N_FIRST_DE_W, N_LAST_DE = len(FIRST_DE_M), len(FIRST_DE_W), len(LAST_DE)


def draw_first(rng: np.random.Generator, female: np.ndarray, intl: np.ndarray) -> np.ndarray:
    """First-name index per person into FIRST_M or FIRST_W (by sex), German or international."""
    n = female.size
    u = rng.random(n)
    out = np.empty(n, dtype=np.int32)
    for pool, n_de, mask in ((FIRST_M, N_FIRST_DE_M, ~female), (FIRST_W, N_FIRST_DE_W, female)):
        de_idx = (u * n_de).astype(np.int32)
        int_idx = n_de + (u * (pool.size - n_de)).astype(np.int32)
        out[mask] = np.where(intl[mask], int_idx[mask], de_idx[mask])
    return out


def draw_last(rng: np.random.Generator, intl: np.ndarray) -> np.ndarray:
    """Last-name index into LAST; German names drawn with a Zipf-like skew (Müller, Schmidt …)."""
    n = intl.size
    # Skewed German draw: frequent names early in the list, as in real name statistics.
    de_idx = np.minimum((rng.random(n) ** 1.6 * N_LAST_DE).astype(np.int32), N_LAST_DE - 1)
    int_idx = N_LAST_DE + (rng.random(n) * (LAST.size - N_LAST_DE)).astype(np.int32)
    return np.where(intl, int_idx, de_idx).astype(np.int32)
