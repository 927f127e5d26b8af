"""The year-by-year school-career simulation (vectorised; only the current state is held).

One call of :meth:`Simulation.step` turns the students enrolled at the start of a school year
into that year's records (with the end-of-year Abgang) and the enrolment of the next year.
Behavioural parameters sit in module constants with the reason for their size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bimo.synth._geography import FS, GS, GY, HS, IGS, KREISE, RS, SMBG, WS, Geography
from bimo.synth._people import People, logistic, new_people, relocate

# Codes as small integers; the writer maps them to the code lists (0 = empty).
ZUG_EIN, ZUG_WECHSEL, ZUG_ZUZUG = 1, 2, 3
EIN_FRIST, EIN_VORZ, EIN_ZURUECK = 1, 2, 3
ABG_ENTL, ABG_WECHSEL, ABG_FORTZUG = 1, 2, 3
OHNE, FOES, ESA, MSA, FHR, AHR = 1, 2, 3, 4, 5, 6
WDH_NV, WDH_FW = 1, 2

# Transition after grade 4, Land-wide shares of the ability-ranked choice (reference:
# Destatis 2014/15: GY 40, RS 17, IGS 15, SMBG 12, HS 8; Orientierungsstufe does not exist here).
TRANSITION_SHARE = {GY: 0.405, RS: 0.20, SMBG: 0.13}  # of all pupils; the rest go to HS
IGS_SHARE = 0.16
MIGRATION_RATE = 0.012  # ZUZUG and FORTZUG each, per school year
MOVE_RATE = 0.013  # WECHSEL between schools of the same Schulform (relocation)
# Repetition propensity by grade (index = grade); scaled so the Land rate is about 2.3 %.
REPEAT_BASE = np.array(
    [0, 0.004, 0.012, 0.016, 0.012, 0.018, 0.022, 0.032, 0.036, 0.032, 0.034, 0.040, 0.030, 0.024]
)
GANZTAG_P = {"KEIN": 0.06, "OFFEN": 0.45, "TEILGEB": 0.70, "GEB": 0.97}


def mean_prob(z: np.ndarray, mean: float, slope: float) -> np.ndarray:
    """Logistic probability in ``z`` (≈ standard normal) whose average is about ``mean``."""
    a = np.log(mean / (1 - mean)) * np.sqrt(1 + np.pi * slope**2 / 8)
    return logistic(a + slope * z)


@dataclass
class YearRecords:
    """The records of one school year: enrolled persons plus per-record fields."""

    year: int
    people: People
    klasse: np.ndarray  # grade * 26 + class letter index
    ganztag: np.ndarray
    fsp_visible: np.ndarray  # Förderschwerpunkt index shown in the record (0 none)
    abg: np.ndarray
    abs: np.ndarray


class Simulation:
    """Holds the current enrolment and the pre-school pool; advances one school year a call."""

    def __init__(self, rng: np.random.Generator, geo: Geography, cohort: float, start: int):
        self.rng = rng
        self.geo = geo
        self.cohort = cohort
        self.start = start
        self.students = new_people(rng, geo, np.zeros(0, np.int16), np.zeros(0, np.int16), False)
        self.pool = self.students
        self._fill_pool(start)
        self._fill_pool(start + 1)
        self.kreis_has = np.zeros((len(KREISE), 8), dtype=bool)
        self.kreis_has[geo.school_kreis, geo.school_form] = True

    # ------------------------------------------------------------------ cohorts
    def cohort_size(self, kreis: int, entry_year: float) -> float:
        """Expected children of one birth cohort in a Kreis; births rise slowly over time."""
        return self.cohort * KREISE[kreis].weight * (1 + 0.008 * (entry_year - self.start - 15))

    def _fill_pool(self, entry_year: int) -> None:
        """Create the cohort due at ``entry_year`` (Stichtag 30.6.) and plan its school entry."""
        rng = self.rng
        sizes = rng.poisson([self.cohort_size(k, entry_year) for k in range(len(KREISE))])
        kreis = np.repeat(np.arange(len(KREISE), dtype=np.int16), sizes)
        # Born July (entry-7) .. June (entry-6); the birth year is fixed after the month.
        p = new_people(rng, self.geo, kreis, np.full(kreis.size, entry_year - 6), False)
        late = p.bm >= 7
        p.by[late] = entry_year - 7
        # Zurückstellung: youngest (born April-June), weaker and male children more often.
        young = np.isin(p.bm, (4, 5, 6))
        z = mean_prob(-p.theta + 0.4 * (p.sex == 0), 0.05, 1.2)
        back = rng.random(kreis.size) < z * np.where(young, 2.0, 0.55) * 0.95
        # Vorzeitig: children born July-September just missed the previous year's Stichtag;
        # strong ones among them start a year early (entry_year - 1, the pool is filled two
        # years ahead).
        early = (
            late
            & np.isin(p.bm, (7, 8, 9))
            & (rng.random(kreis.size) < mean_prob(p.theta, 0.09, 1.5))
            & ~back
        )
        p.entry[:] = entry_year
        p.ein[:] = EIN_FRIST
        p.entry[back] = entry_year + 1
        p.ein[back] = EIN_ZURUECK
        p.entry[early] = entry_year - 1
        p.ein[early] = EIN_VORZ
        self.pool = People.concat([self.pool, p])

    # ------------------------------------------------------------------ schools
    def choose_school(
        self, kreis: np.ndarray, form: np.ndarray, grade: np.ndarray, land_wide: bool = False
    ) -> np.ndarray:
        """A school of the given Schulform offering ``grade``, in the Kreis if there is one."""
        geo, rng = self.geo, self.rng
        n = kreis.size
        out = np.empty(n, dtype=np.int32)
        if n == 0:
            return out
        local = self.kreis_has[kreis, form] & (not land_wide)
        key = np.where(local, kreis.astype(np.int64), -1) * 16 + form * 2 + (grade > 12)
        u = rng.random(n)
        for k in np.unique(key):
            rows = key == k
            kr, rest = divmod(int(k), 16)
            f, upper = divmod(rest, 2)
            cand = (geo.school_form == f) & (geo.school_last_grade >= (13 if upper else 1))
            idx = np.flatnonzero(cand & (geo.school_kreis == kr)) if kr >= 0 else np.zeros(0)
            if idx.size == 0:  # not offered in the Kreis: any school of the Land
                idx = np.flatnonzero(cand)
            cdf = np.cumsum(geo.school_capacity[idx])
            pos = np.searchsorted(cdf / cdf[-1], u[rows], side="right")
            out[rows] = idx[np.minimum(pos, idx.size - 1)]
        return out

    def secondary_form(self, score: np.ndarray, fsp: np.ndarray) -> np.ndarray:
        """Schulform after grade 4 from an ability/SES score (ranked within the batch)."""
        rng = self.rng
        n = score.size
        form = np.empty(n, dtype=np.int8)
        # IGS is chosen by parents across the range, slightly less by the strongest.
        ranks = np.argsort(np.argsort(score)) / max(n - 1, 1)
        igs = rng.random(n) < IGS_SHARE * np.where(ranks > 0.8, 0.6, 1.1)
        rest = np.flatnonzero(~igs)
        form[igs] = IGS
        order = rest[np.argsort(-score[rest])]
        start = 0
        for f, share in TRANSITION_SHARE.items():
            stop = min(start + round(n * share), order.size)
            form[order[start:stop]] = f
            start = stop
        form[order[start:]] = HS
        # Inclusion pupils rarely go to the Gymnasium.
        demote = (fsp > 0) & (form == GY) & (rng.random(n) < 0.8)
        form[demote] = SMBG
        return form

    # ------------------------------------------------------------------ one year
    def enrol_entrants(self, year: int) -> None:
        """Grade-1 entrants from the pre-school pool and ZUZUG in-migrants join at ``year``."""
        rng = self.rng
        due = self.pool.entry <= year
        new = self.pool.take(np.flatnonzero(due))
        self.pool = self.pool.take(np.flatnonzero(~due))
        n = len(new)
        form = np.full(n, GS, dtype=np.int8)
        form[(new.fsp > 0) & (new.fsp_grade <= 1) & new.fs_pref] = FS
        waldorf = (form == GS) & (rng.random(n) < 0.012 * np.exp(0.5 * new.ses) / 1.13)
        form[waldorf & self.kreis_has[new.kreis, WS]] = WS
        new.school = self.choose_school(new.kreis, form, np.ones(n, np.int8))
        new.grade[:] = 1
        new.zug[:] = ZUG_EIN
        new.years[:] = 1
        migrants = self._in_migrants(year, round(MIGRATION_RATE * len(self.students)))
        self.students = People.concat([self.students, new, migrants])

    def _in_migrants(self, year: int, n: int) -> People:
        rng = self.rng
        weights = np.array([k.weight * (1 + 2 * k.ndh) for k in KREISE])
        kreis = rng.choice(len(KREISE), size=n, p=weights / weights.sum()).astype(np.int16)
        gw = np.array([0, 10, 10, 9, 9, 9, 9, 8, 8, 6, 5, 2.5, 1.5, 0.5])[1:]
        grade = (1 + rng.choice(13, size=n, p=gw / gw.sum())).astype(np.int8)
        # Late entrants with another first language are often placed a year below their age.
        by = year - 6 - grade.astype(np.int16)
        p = new_people(rng, self.geo, kreis, by, True)
        p.by = (p.by - (p.bm >= 7) - ((rng.random(n) < 0.3) & p.ndh & (grade >= 5))).astype(
            np.int16
        )
        form = np.full(n, GS, dtype=np.int8)
        sec = grade >= 5
        score = 0.8 * p.theta + 0.4 * p.ses + rng.normal(0, 0.45, n)
        # Fixed thresholds from the normal quantiles of the transition shares (score sd ≈ 1.1).
        form[sec] = np.select(
            [score[sec] > 0.28, score[sec] > -0.30, score[sec] > -0.85],
            [GY, RS, IGS],
            HS,
        ).astype(np.int8)
        form[(grade >= 11) & (form != IGS)] = GY
        form[(p.fsp > 0) & (p.fsp_grade <= grade) & p.fs_pref & (grade <= 10)] = FS
        p.school = self.choose_school(kreis, form, grade)
        p.grade = grade
        p.zug[:] = ZUG_ZUZUG
        p.years = (grade + (rng.random(n) < 0.2)).astype(np.int8)
        return p

    def step(self, year: int) -> YearRecords:
        """Records of ``year`` and, as a side effect, the enrolment of ``year + 1``."""
        rng, geo = self.rng, self.geo
        self.enrol_entrants(year)
        s = self.students
        n = len(s)
        form = geo.school_form[s.school]
        last = geo.school_last_grade[s.school]
        g = s.grade
        fsp_visible = np.where(s.fsp_grade <= g, s.fsp, 0).astype(np.int8)
        klasse = self._classes(s, form)
        gt_form = np.array([GANZTAG_P[c] for c in geo.school_ganztag])[s.school]
        ganztag = s.gt_u < gt_form * np.where(g >= 11, 0.3, 1.0)

        # The records keep this year's state; the end-of-year changes act on ``s`` in place.
        snapshot = s.copy()
        perf = s.theta + 0.3 * s.ses + rng.normal(0, 0.6, n).astype(np.float32)
        z = _standardise(perf, form)
        abg = np.zeros(n, dtype=np.int8)
        abs_ = np.zeros(n, dtype=np.int8)
        u = rng.random(n)

        # 1. Fortzug (more often in the cities and for families with another first language).
        k_city = np.array([k.kreistyp == "KFS" for k in KREISE])[s.kreis]
        p_out = MIGRATION_RATE * (1 + 0.6 * s.ndh) * (1 + 0.3 * k_city) / 1.3
        gone = u < p_out
        abg[gone] = ABG_FORTZUG

        # 2. Repetition (decided before leaving: a failed final year is repeated).
        male = (s.sex == 0).astype(np.float32)
        p_rep = REPEAT_BASE[g] * np.exp(-0.9 * z - 0.405) * (1 + 0.26 * male) / 1.16
        p_rep[(form == FS) | (form == WS)] = 0.0
        # Repeating the same grade twice in a row is not permitted (school law): a student who
        # repeats this year moves up next year. Without this, a few students of the burn-in
        # stayed in one grade for a decade.
        repeat = ~gone & (s.wdh == 0) & (rng.random(n) < p_rep)

        # 3. Leaving with a certificate, by Schulform and grade.
        active = ~gone & ~repeat
        leave, cert, ober = self._certificates(s, form, g, last, z, active)
        abg[leave] = ABG_ENTL
        abs_[leave] = cert[leave]

        # 4. Changes of school among those who continue.
        stay = active & ~leave
        new_form = np.full(n, -1, dtype=np.int8)
        to_fs = stay & s.fs_pref & (s.fsp_grade == g + 1) & (form != FS) & (g < 10)
        new_form[to_fs] = FS
        trans = stay & (form == GS) & (g == 4) & ~to_fs
        score = 0.8 * s.theta + 0.4 * s.ses + rng.normal(0, 0.45, n)
        new_form[trans] = self.secondary_form(score[trans], fsp_visible[trans])
        new_form[stay & ober] = np.where(rng.random(int((stay & ober).sum())) < 0.7, GY, IGS)
        change = stay & np.isin(g, (6, 7, 8)) & (new_form < 0)
        new_form[change] = _form_change(
            rng, form[change], z[change], s.kreis[change], self.kreis_has
        )
        movers = (stay | repeat) & (new_form < 0) & (rng.random(n) < MOVE_RATE)
        relocate(rng, geo, s, movers)
        new_form[movers] = form[movers]
        switch = new_form >= 0
        new_school = self._new_schools(s, switch, new_form, repeat)
        abg[switch] = ABG_WECHSEL

        records = YearRecords(year, snapshot, klasse, ganztag, fsp_visible, abg, abs_)
        self._advance(s, switch, new_school, repeat, gone | leave, year)
        return records

    def _new_schools(
        self, s: People, switch: np.ndarray, new_form: np.ndarray, repeat: np.ndarray
    ) -> np.ndarray:
        """Next year's school for the switching students (``switch`` is narrowed in place to
        those who really get another school)."""
        next_grade = np.where(repeat, s.grade, s.grade + 1).astype(np.int8)
        idx = np.flatnonzero(switch)
        form = new_form[idx].astype(np.int64)
        school = self.choose_school(s.kreis[idx], form, next_grade[idx])
        same = school == s.school[idx]
        # A Kreis with a single school of the form: look further afield, else stay.
        school[same] = self.choose_school(
            s.kreis[idx[same]], form[same], next_grade[idx[same]], land_wide=True
        )
        stays = school == s.school[idx]
        switch[idx[stays]] = False
        out = np.full(switch.size, -1, dtype=np.int32)
        out[idx[~stays]] = school[~stays]
        return out

    def _certificates(
        self,
        s: People,
        form: np.ndarray,
        g: np.ndarray,
        last: np.ndarray,
        z: np.ndarray,
        active: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Who leaves school at the end of the year, with which certificate; who goes on to a
        gymnasiale Oberstufe at another school after the MSA (``ober``)."""
        rng = self.rng
        n = z.size
        cert = np.zeros(n, dtype=np.int8)
        leave = np.zeros(n, dtype=bool)
        ober = np.zeros(n, dtype=bool)

        def draw(mask: np.ndarray, mean: float, slope: float) -> np.ndarray:
            # Evaluated on the masked rows only: most masks select one grade of one form.
            idx = np.flatnonzero(mask)
            hit = np.zeros(n, dtype=bool)
            hit[idx[rng.random(idx.size) < mean_prob(z[idx], mean, slope)]] = True
            return hit

        def give(mask: np.ndarray, code: int) -> None:
            leave[mask] = True
            cert[mask] = code

        # Sek I schools: HS, SMBG, RS (and IGS up to grade 10). Parameters: share leaving
        # without ESA at 9, leaving with ESA at 9, MSA share at 10, going on to Oberstufe.
        params = {
            HS: (0.07, 0.35, 0.60, 0.04),
            SMBG: (0.04, 0.12, 0.78, 0.06),
            RS: (0.012, 0.03, 0.93, 0.06),
            IGS: (0.035, 0.06, 0.0, 0.0),
        }
        for f, (p_ohne, p_esa9, p_msa, p_ober) in params.items():
            at9 = active & (form == f) & (g == 9)
            ohne = draw(at9, p_ohne, -1.5)
            give(ohne, OHNE)
            give(draw(at9 & ~ohne, p_esa9, -0.6), ESA)
            at10 = active & (form == f) & (g == 10)
            ohne10 = draw(at10, 0.02, -1.5)
            give(ohne10, OHNE)
            if f == IGS:
                cont = draw(at10 & ~ohne10, 0.36, 1.8)
                rest = at10 & ~ohne10 & ~cont
                msa = draw(rest, 0.82, 1.2)
                give(msa, MSA)
                give(rest & ~msa, ESA)
            else:
                msa = draw(at10 & ~ohne10, p_msa, 1.5)
                go_on = draw(msa, p_ober, 1.5)
                ober |= go_on
                give(msa & ~go_on, MSA)
                give(at10 & ~ohne10 & ~msa, ESA)
        # Compulsory schooling (9 years) is over: weak students still in grade 7/8 may leave.
        general = np.isin(form, (HS, SMBG, IGS))
        give(draw(active & general & (g <= 8) & (s.years >= 10) & ~leave, 0.3, -1.0), OHNE)
        # Gymnasium, IGS and Waldorf upper grades.
        upper = np.isin(form, (GY, IGS, WS))
        give(draw(active & (form == GY) & (g == 10), 0.13, -1.0), MSA)
        give(draw(active & upper & (g == 11) & ~leave, 0.03, -1.0), MSA)
        give(draw(active & upper & (g == last - 1) & (g >= 11) & ~leave, 0.04, -1.0), FHR)
        give(draw(active & (form == WS) & (g == 10), 0.15, -0.5), MSA)
        final = active & upper & (g >= last) & ~leave
        ahr = final & (rng.random(n) < np.where(form == WS, 0.85, 0.985))
        give(ahr, AHR)
        give(final & ~ahr, FHR)
        # Förderschule: after grade 9 or 10, mostly with the Förderschulabschluss.
        fs_out = active & (form == FS) & ((g == 10) | ((g == 9) & (rng.random(n) < 0.35)))
        u = rng.random(n)
        fs_cert = np.where(u < 0.66, FOES, np.where(u < 0.96, ESA, OHNE))
        fs_cert[s.fsp == 4] = FOES  # geistige Entwicklung: always the Förderschul-Abschluss
        leave[fs_out] = True
        cert[fs_out] = fs_cert[fs_out]
        # Inclusion pupils (Lernen, geistige Entwicklung) at general schools get the
        # Förderschulabschluss instead of leaving with nothing.
        cert[leave & (cert == OHNE) & np.isin(s.fsp, (1, 4)) & (form != FS)] = FOES
        return leave, cert, ober

    def _advance(
        self,
        s: People,
        switch: np.ndarray,
        new_school: np.ndarray,
        repeat: np.ndarray,
        out: np.ndarray,
        year: int,
    ) -> None:
        """Turn this year's enrolment into next year's (in place on a filtered copy)."""
        rng = self.rng
        s.zug[:] = 0
        s.ein[:] = 0
        s.wdh[:] = 0
        s.wdh[repeat] = np.where(rng.random(int(repeat.sum())) < 0.85, WDH_NV, WDH_FW)
        s.grade[~repeat] += 1
        s.years += 1
        idx = np.flatnonzero(switch)
        s.school[idx] = new_school[idx]
        s.zug[idx] = ZUG_WECHSEL
        s.sid[idx] = rng.integers(10_000_000, 100_000_000, size=idx.size)
        s.gt_u[idx] = rng.random(idx.size)
        self.students = s.take(np.flatnonzero(~out))
        self._fill_pool(year + 2)

    def _classes(self, s: People, form: np.ndarray) -> np.ndarray:
        """Class letter per student: school grades split into classes of about 24 (FS: 11)."""
        n = len(s)
        key = s.school.astype(np.int64) * 16 + s.grade
        # One int64 sort key (group in the high bits, a random tie-break below) is much faster
        # than a lexsort over two arrays.
        order = np.argsort((key << 32) | self.rng.integers(0, 2**32, size=n))
        sk = key[order]
        starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
        counts = np.diff(np.r_[starts, n])
        group = np.repeat(np.arange(starts.size), counts)
        rank = np.arange(n) - starts[group]
        size = np.where(form[order] == FS, 11.0, 24.0)
        k = np.maximum(1, np.rint(counts[group] / size)).astype(np.int64)
        letter = np.minimum(rank * k // counts[group], 25)
        out = np.empty(n, dtype=np.int16)
        out[order] = s.grade[order].astype(np.int16) * 26 + letter
        return out


def _standardise(perf: np.ndarray, form: np.ndarray) -> np.ndarray:
    """Performance relative to the students of the same Schulform (mean 0, sd 1)."""
    cnt = np.bincount(form, minlength=8).astype(np.float64)
    mean = np.bincount(form, weights=perf, minlength=8) / np.maximum(cnt, 1)
    sq = np.bincount(form, weights=perf.astype(np.float64) ** 2, minlength=8)
    sd = np.sqrt(np.maximum(sq / np.maximum(cnt, 1) - mean**2, 1e-6))
    out: np.ndarray = ((perf - mean[form]) / sd[form]).astype(np.float32)
    return out


# Grade 7–9 changes of Schulform: (from, base probability per year, selection slope,
# destinations with weights). Downward changes dominate, as in the official statistics.
_CHANGES = (
    (GY, 0.05, -1.3, ((RS, 0.5), (IGS, 0.25), (SMBG, 0.25))),
    (RS, 0.035, -1.3, ((HS, 0.55), (SMBG, 0.45))),
    (IGS, 0.01, -1.0, ((HS, 0.5), (SMBG, 0.5))),
    (HS, 0.03, 1.3, ((RS, 1.0),)),
    (SMBG, 0.012, 1.3, ((RS, 1.0),)),
    (RS, 0.01, 1.5, ((GY, 1.0),)),
)


def _form_change(
    rng: np.random.Generator,
    form: np.ndarray,
    z: np.ndarray,
    kreis: np.ndarray,
    kreis_has: np.ndarray,
) -> np.ndarray:
    n = form.size
    out = np.full(n, -1, dtype=np.int8)
    u = rng.random(n)
    dest_u = rng.random(n)
    for src, base, slope, dests in _CHANGES:
        p = base * np.exp(slope * z - slope**2 / 2)
        hit = (form == src) & (out < 0) & (u < p)
        u = np.where(hit, 2.0, u - np.where(form == src, p, 0.0))  # keep draws disjoint
        cum = 0.0
        for dest, w in dests:
            sel = hit & (dest_u >= cum) & (dest_u < cum + w)
            out[sel] = dest
            cum += w
    # A destination the Kreis does not offer falls back to the nearest form it has.
    missing = (out >= 0) & ~kreis_has[kreis, np.maximum(out, 0)]
    out[missing & (out == SMBG)] = HS
    return out
