"""The state arrays of the simulation: one entry per person, all attributes as numpy columns."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from bimo.synth import _names
from bimo.synth._geography import KREISE, Geography

# Förderschwerpunkt indices 1..8 (0 = none), in the order of the code list.
FSP_CODES = (None, "LE", "SP", "ES", "GE", "KM", "HK", "SE", "KR")
_FSP_P = np.array([0.34, 0.11, 0.19, 0.16, 0.07, 0.04, 0.02, 0.07])
# Probability that a student with this Förderschwerpunkt is taught at a Förderschule.
_FSP_AT_FS = np.array([0.0, 0.56, 0.42, 0.40, 0.82, 0.56, 0.52, 0.42, 0.42])
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def logistic(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return out


@dataclass
class People:
    """Column store of persons. ``school == -1`` means not (yet) at a school."""

    pseud: np.ndarray  # S64 hex pseudonym, random per person
    first: np.ndarray  # index into the first-name pool of the person's name sex
    first2: np.ndarray  # second first name or -1
    first2_hyphen: np.ndarray  # "Anna-Lena" instead of "Anna Lena"
    last: np.ndarray
    last2: np.ndarray  # second part of a double name or -1
    name_female: np.ndarray
    sex: np.ndarray  # 0 m, 1 w, 2 d
    by: np.ndarray  # birth year
    bm: np.ndarray  # birth month
    bd: np.ndarray  # birth day
    theta: np.ndarray  # latent ability
    ses: np.ndarray  # social background
    ndh: np.ndarray
    fsp: np.ndarray  # latent Förderschwerpunkt (0 none)
    fsp_grade: np.ndarray  # grade from which the Förderschwerpunkt is diagnosed
    fs_pref: np.ndarray  # taught at a Förderschule once diagnosed
    kreis: np.ndarray
    gem: np.ndarray
    street: np.ndarray
    house: np.ndarray
    entry: np.ndarray  # planned school-entry year (pre-school pool only)
    ein: np.ndarray  # einschulungsart of this year's record: 0, 1 FRIST, 2 VORZ, 3 ZURUECK
    school: np.ndarray
    grade: np.ndarray
    sid: np.ndarray  # school-internal ID number, redrawn at every change of school
    gt_u: np.ndarray  # propensity for Ganztag
    zug: np.ndarray  # zugangsart of this year's record: 0, 1 EIN, 2 WECHSEL, 3 ZUZUG
    wdh: np.ndarray  # wiederholung of this year's record: 0, 1 NV, 2 FW
    years: np.ndarray  # school years attended including the current one

    def __len__(self) -> int:
        return int(self.pseud.shape[0])

    def take(self, idx: np.ndarray) -> People:
        return People(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    def copy(self) -> People:
        return People(**{f.name: getattr(self, f.name).copy() for f in fields(self)})

    @staticmethod
    def concat(parts: list[People]) -> People:
        return People(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(People)}
        )


def new_people(
    rng: np.random.Generator,
    geo: Geography,
    kreis: np.ndarray,
    birth_year: np.ndarray,
    migrant: bool,
) -> People:
    """Create persons living in ``kreis`` with the given birth years (months drawn here)."""
    n = kreis.size
    k_ses = np.array([k.ses for k in KREISE])[kreis]
    k_ndh = np.array([k.ndh for k in KREISE])[kreis]
    ses = k_ses + rng.standard_normal(n)
    ndh_logit = np.log(k_ndh / (1 - k_ndh)) - 0.55 * (ses - k_ses) + (1.4 if migrant else 0.0)
    ndh = rng.random(n) < logistic(ndh_logit)
    # Ability correlates ~0.4 with social background; nichtdeutsche Herkunftssprache costs a
    # little in school performance beyond SES (language of instruction).
    theta = (
        0.4 * (ses - k_ses) + 0.9165 * rng.standard_normal(n) + 0.35 * k_ses - 0.15 * ndh
    ).astype(np.float32)
    u = rng.random(n)
    sex = np.where(u < 0.513, 0, np.where(u < 0.9995, 1, 2)).astype(np.int8)
    name_female = np.where(sex == 2, rng.random(n) < 0.5, sex == 1)
    intl = np.where(ndh, rng.random(n) < 0.8, rng.random(n) < 0.07)

    # Förderschwerpunkt: more often for low ability and boys.
    p_fsp = logistic(-2.92 - 0.9 * theta + 0.45 * (sex == 0))
    has_fsp = rng.random(n) < p_fsp
    fsp = np.where(has_fsp, 1 + rng.choice(8, size=n, p=_FSP_P), 0).astype(np.int8)
    theta = theta - np.where(fsp == 4, 1.3, 0.0).astype(np.float32)  # GE
    theta = theta - np.where(fsp == 1, 0.5, 0.0).astype(np.float32)  # LE
    g_le = rng.choice(
        np.array([1, 2, 3, 4, 5], dtype=np.int8), size=n, p=[0.4, 0.25, 0.2, 0.1, 0.05]
    )
    g_es = rng.integers(1, 8, size=n).astype(np.int8)
    fsp_grade = np.select([fsp == 0, fsp == 1, fsp == 3], [99, g_le, g_es], 1).astype(np.int8)
    fs_pref = rng.random(n) < _FSP_AT_FS[fsp]

    gem = _draw_gemeinde(rng, geo, kreis)
    m_hex = rng.integers(0, 16, size=(n, 64), dtype=np.uint8)
    pseud = _HEX[m_hex].view("S64").reshape(n)
    bm = rng.integers(1, 13, size=n).astype(np.int8)
    first2 = np.where(rng.random(n) < 0.16, _names.draw_first(rng, name_female, intl), -1)
    last2 = np.where(rng.random(n) < 0.04, _names.draw_last(rng, intl), -1)
    zeros8 = np.zeros(n, dtype=np.int8)
    return People(
        pseud=pseud,
        first=_names.draw_first(rng, name_female, intl),
        first2=first2.astype(np.int32),
        first2_hyphen=rng.random(n) < 0.3,
        last=_names.draw_last(rng, intl),
        last2=last2.astype(np.int32),
        name_female=name_female,
        sex=sex,
        by=birth_year.astype(np.int16),
        bm=bm,
        bd=(1 + (rng.random(n) * _days_in_month(birth_year, bm))).astype(np.int8),
        theta=theta.astype(np.float32),
        ses=ses.astype(np.float32),
        ndh=ndh,
        fsp=fsp,
        fsp_grade=fsp_grade,
        fs_pref=fs_pref,
        kreis=kreis.astype(np.int16),
        gem=gem,
        street=rng.integers(0, len(_names.STREETS), size=n).astype(np.int16),
        house=(1 + rng.gamma(1.5, 12.0, size=n)).astype(np.int16),
        entry=np.zeros(n, dtype=np.int16),
        ein=zeros8.copy(),
        school=np.full(n, -1, dtype=np.int32),
        grade=zeros8.copy(),
        sid=rng.integers(10_000_000, 100_000_000, size=n),
        gt_u=rng.random(n).astype(np.float32),
        zug=zeros8.copy(),
        wdh=zeros8.copy(),
        years=zeros8.copy(),
    )


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    first = (year.astype(np.int64) - 1970) * 12 + (month.astype(np.int64) - 1)
    start = first.astype("datetime64[M]").astype("datetime64[D]")
    end = (first + 1).astype("datetime64[M]").astype("datetime64[D]")
    out: np.ndarray = (end - start).astype(np.int64)
    return out


def _draw_gemeinde(rng: np.random.Generator, geo: Geography, kreis: np.ndarray) -> np.ndarray:
    """Residence Gemeinde within each person's Kreis, weighted by Gemeinde size."""
    out = np.empty(kreis.size, dtype=np.int32)
    u = rng.random(kreis.size)
    for ki in range(len(KREISE)):
        mask = kreis == ki
        gems = np.flatnonzero(geo.gem_kreis == ki)
        cdf = np.cumsum(geo.gem_weight[gems])
        pos = np.searchsorted(cdf / cdf[-1], u[mask], side="right")
        out[mask] = gems[np.minimum(pos, gems.size - 1)]
    return out


def relocate(rng: np.random.Generator, geo: Geography, people: People, mask: np.ndarray) -> None:
    """Move the masked persons to a new address (35 % to another Kreis), in place."""
    n = int(mask.sum())
    if n == 0:
        return
    weights = np.array([k.weight for k in KREISE])
    new_kreis = np.where(
        rng.random(n) < 0.35,
        rng.choice(len(KREISE), size=n, p=weights / weights.sum()),
        people.kreis[mask],
    ).astype(np.int16)
    people.kreis[mask] = new_kreis
    people.gem[mask] = _draw_gemeinde(rng, geo, new_kreis)
    people.street[mask] = rng.integers(0, len(_names.STREETS), size=n)
    people.house[mask] = (1 + rng.gamma(1.5, 12.0, size=n)).astype(np.int16)
