"""Neuzugänge in das Ausbildungsgeschehen (table ``vocational_entrants``), from the simulated
leavers of the general schools.

The iABE counts entrants into the sectors of vocational education per year. Musterland derives
them from its own leavers, so that a Kreis with more leavers without Erster Schulabschluss also
has more entrants in the Übergangsbereich:

* **direct entrants**: leavers at the end of school year t−1/t (summer t) start in year t,
  with a sector drawn by Abschluss and sex (multinomial per Kreis × Abschluss × sex cell);
* **entrants from the Übergangsbereich**: those who began a Übergangsbereich programme in year
  t−1 start again in year t, many in an apprenticeship, some having gained a certificate;
* **entrants with an older Hochschulreife** (gap year) and **from outside** (in-migrants,
  career changers, older entrants) as Poisson inflows proportional to the sector's entrants;
* **Schulort**: the table counts entrants where the vocational school is; part of the rural
  apprentices attend a Berufsschule in a kreisfreie Stadt.

Parameters are calibrated to the national shares named in ``docs/musterland.md`` (checked by
:mod:`bimo.synth.calibration`). Everything is array arithmetic on counts (Kreis × year ×
Abschluss × sex), independent of the number of students.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from bimo.core.schemas import VOCATIONAL_ENTRANTS
from bimo.synth._geography import KREISE, Geography
from bimo.synth._records import arrow_schema
from bimo.synth._simulate import ABG_ENTL, AHR, ESA, FHR, FOES, MSA, OHNE, YearRecords

SECTORS = ("DUAL", "SCHULBERUF", "UEBERGANG", "HZB")
VORBILDUNG = ("OHNE", "ESA", "MSA", "HZB")
SEXES = ("m", "w", "d")
DUAL, SCHULBERUF, UEBERGANG, HZB_SECTOR = range(4)
_NONE = 4  # no vocational sector (study, work, abroad, nothing)

# Abschlussart code of the simulation -> Vorbildung index (0 = no leaver with a certificate).
_VORBILDUNG_OF = np.zeros(7, dtype=np.int64)
_VORBILDUNG_OF[[OHNE, FOES]] = 1
_VORBILDUNG_OF[ESA] = 2
_VORBILDUNG_OF[MSA] = 3
_VORBILDUNG_OF[[FHR, AHR]] = 4

# Direct transition of a leaver in the year of leaving: [DUAL, SCHULBERUF, UEBERGANG, HZB,
# none] by Vorbildung (rows) for men and women. Women choose the school-based Gesundheits-,
# Erziehungs- und Sozialberufe far more often, men the dual system; most holders of a
# Hochschulreife study (not a sector of this table).
_DIRECT_M = np.array(
    [
        [0.05, 0.02, 0.78, 0.00, 0.15],
        [0.33, 0.05, 0.45, 0.00, 0.17],
        [0.34, 0.07, 0.08, 0.36, 0.15],
        [0.23, 0.03, 0.00, 0.00, 0.74],
    ]
)
_DIRECT_W = np.array(
    [
        [0.03, 0.05, 0.76, 0.00, 0.16],
        [0.22, 0.20, 0.41, 0.00, 0.17],
        [0.20, 0.27, 0.07, 0.34, 0.12],
        [0.18, 0.10, 0.00, 0.00, 0.72],
    ]
)
_DIRECT = np.stack([_DIRECT_M, _DIRECT_W, (_DIRECT_M + _DIRECT_W) / 2])  # (sex, vorb, sector)

# A year in the Übergangsbereich: certificate gained there (OHNE -> ESA, ESA -> MSA) ...
_UPGRADE = np.array([0.45, 0.25, 0.0, 0.0])
# ... and the sector entered next year by the (possibly upgraded) Vorbildung.
_AFTER_UEBERGANG = np.array(
    [
        [0.15, 0.04, 0.25, 0.00, 0.56],
        [0.40, 0.12, 0.10, 0.00, 0.38],
        [0.50, 0.20, 0.04, 0.08, 0.18],
        [0.40, 0.20, 0.00, 0.00, 0.40],
    ]
)
# Holders of a Hochschulreife from the previous year's leavers who start a vocational training
# after a gap year (share of those leavers), dual and school-based.
_GAP_YEAR = np.array([0.10, 0.04])
# Inflow from outside Musterland's general schools (in-migrants, Schulen für Erwachsene, career
# changers), as a share of the sector's entrants from the leavers.
_OUTSIDE = np.array([0.45, 0.72, 0.52, 0.20])
# Share of the dual and school-based entrants of rural Kreise who attend a vocational school in a
# kreisfreie Stadt (counted there, at the Schulort).
_COMMUTE = {"KFS": 0.0, "SLK": 0.10, "LKV": 0.14, "DLK": 0.18}


class LeaverCounts:
    """Leavers with a certificate per school year × Schulort-Kreis × Vorbildung × sex."""

    def __init__(self, geo: Geography | None, counts: dict[int, np.ndarray] | None = None):
        self.geo = geo
        # school year -> counts (Kreis, Vorbildung, sex); given directly in tests.
        self.counts: dict[int, np.ndarray] = dict(counts or {})

    def add(self, records: YearRecords) -> None:
        """Count the leavers (Abgangsart ENTL) of one simulated school year."""
        if self.geo is None:
            raise ValueError("LeaverCounts without geography cannot count records")
        # Every ENTL leaver has an Abschlussart; the mask guards against a future code 0.
        leave = (records.abg == ABG_ENTL) & (records.abs > 0)
        people = records.people
        kreis = self.geo.school_kreis[people.school[leave]].astype(np.int64)
        vorb = _VORBILDUNG_OF[records.abs[leave]] - 1
        sex = people.sex[leave].astype(np.int64)
        cells = len(KREISE) * len(VORBILDUNG) * len(SEXES)
        flat = (kreis * len(VORBILDUNG) + vorb) * len(SEXES) + sex
        counts = np.bincount(flat, minlength=cells)
        self.counts[records.year] = counts.reshape(len(KREISE), len(VORBILDUNG), len(SEXES))


def entrants(rng: np.random.Generator, leavers: LeaverCounts, years: tuple[int, ...]) -> pa.Table:
    """Neuzugänge for each year in ``years`` (leavers of the school year before each year)."""
    n_sec = len(SECTORS)
    direct_p = np.transpose(_DIRECT, (1, 0, 2))  # (vorb, sex, sector + none)
    is_kfs = np.array([k.kreistyp == "KFS" for k in KREISE])
    kfs_weight = np.array([k.weight for k in KREISE]) * is_kfs
    commute = np.array([_COMMUTE[k.kreistyp] for k in KREISE])
    rows: list[tuple[int, np.ndarray]] = []
    previous_uebergang: np.ndarray | None = None
    for year in years:
        n = leavers.counts.get(year - 1)
        if n is None:
            raise ValueError(f"no leaver counts for school year {year - 1}")
        # (kreis, vorb, sex, sector + none); the last column (no sector) is dropped.
        drawn = rng.multinomial(n, direct_p)[..., :n_sec].astype(np.int64)
        out = drawn.copy()
        if previous_uebergang is None:
            # First year: the previous Übergangsbereich cohort is approximated by the steady
            # state U = (D + r·U)·(1 + o) of this year's direct entrants D (r ≈ 0.15 repeat
            # a programme, o = outside inflow).
            o = 1 + _OUTSIDE[UEBERGANG]
            previous_uebergang = np.rint(drawn[..., UEBERGANG] * o / (1 - 0.15 * o))
            previous_uebergang = previous_uebergang.astype(np.int64)
        out += _after_uebergang(rng, previous_uebergang)
        hzb_prev = leavers.counts.get(year - 2, n)[:, 3, :]  # (kreis, sex)
        gap = rng.binomial(hzb_prev[..., None], _GAP_YEAR)  # (kreis, sex, 2)
        out[:, 3, :, :2] += gap
        out += rng.poisson(out * _OUTSIDE)
        out = _commute(rng, out, commute, kfs_weight)
        previous_uebergang = out[..., UEBERGANG]
        rows.append((year, out))
    return _table(rows)


def _after_uebergang(rng: np.random.Generator, cohort: np.ndarray) -> np.ndarray:
    """Next year's entrants from a Übergangsbereich cohort (kreis, vorb, sex)."""
    up = rng.binomial(cohort, _UPGRADE[None, :, None])
    now = cohort - up
    now[:, 1:, :] += up[:, :-1, :]  # a gained certificate moves the person one Vorbildung up
    p = np.broadcast_to(_AFTER_UEBERGANG[None, :, None, :], (*now.shape, 5))
    moved: np.ndarray = rng.multinomial(now, p)[..., : len(SECTORS)]
    return moved.astype(np.int64)


def _commute(
    rng: np.random.Generator, out: np.ndarray, share: np.ndarray, kfs_weight: np.ndarray
) -> np.ndarray:
    """Move part of the rural dual/school-based entrants to the Berufsschulen of the cities."""
    result = out.copy()
    for sector in (DUAL, SCHULBERUF):
        moving = rng.binomial(out[..., sector], share[:, None, None])  # (kreis, vorb, sex)
        result[..., sector] -= moving
        total = moving.sum(axis=0)  # (vorb, sex)
        p = kfs_weight / kfs_weight.sum()
        received = rng.multinomial(total, np.broadcast_to(p, (*total.shape, p.size)))
        result[..., sector] += np.moveaxis(received, -1, 0)
    return result


def _table(rows: list[tuple[int, np.ndarray]]) -> pa.Table:
    """Long table of the non-zero cells, sorted by Kreis, year, sector, Vorbildung, sex."""
    parts: dict[str, list[np.ndarray]] = {c: [] for c in ("k", "j", "sec", "v", "s", "n")}
    for year, out in rows:
        k, v, s, sec = np.nonzero(out)
        parts["k"].append(k)
        parts["j"].append(np.full(k.size, year))
        parts["sec"].append(sec)
        parts["v"].append(v)
        parts["s"].append(s)
        parts["n"].append(out[k, v, s, sec])
    cols = {name: np.concatenate(values) for name, values in parts.items()}
    order = np.lexsort((cols["s"], cols["v"], cols["sec"], cols["j"], cols["k"]))
    ags = np.array([k.ags for k in KREISE], dtype=object)
    data = {
        "kreis_ags": ags[cols["k"][order]].tolist(),
        "jahr": cols["j"][order].astype(np.int64),
        "sektor": np.array(SECTORS, dtype=object)[cols["sec"][order]].tolist(),
        "vorbildung": np.array(VORBILDUNG, dtype=object)[cols["v"][order]].tolist(),
        "geschlecht": np.array(SEXES, dtype=object)[cols["s"][order]].tolist(),
        "anzahl": cols["n"][order].astype(np.int64),
    }
    return pa.table(data, schema=arrow_schema(VOCATIONAL_ENTRANTS))
