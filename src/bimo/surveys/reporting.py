"""Protected survey reports: the class report (teacher), the school report (Schulleitung, released
rounds only) and the Land report (aggregates across schools).

Protection rules (``docs/surveys.md`` explains them):

* Nothing is shown for fewer than ``minimum`` answers: ``Settings.min_cell`` (≥ 5), raised by
  the round's own minimum or by the caller, never lowered. A withheld report never says how
  many answers there are.
* A class report exists only after its round has ended (closed or past its last day):
  otherwise two looks at the report would differ by the newest answers.
* Counts in distributions are protected with :func:`bimo.privacy.protect` (cells below the
  minimum suppressed, complements until nothing can be derived).
* Open answers only from 10 answers on and only in the teacher's class report, shuffled.
* School and Land aggregates use released, ended rounds that themselves reach the minimum
  (any difference of two aggregates is then a set of whole rounds, each ≥ minimum); the newest
  round per class and half-year only. Breakdowns by Jahrgang follow
  :mod:`bimo.surveys.protection` (≥ minimum answers and ≥ 2 classes / schools per cell,
  complementary suppression, residual checked).
* References in a class report (school, Land) leave out the teacher's own rounds / own school
  and need ≥ 2 other classes / schools, so subtracting one's own data reveals no single class.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
from sqlalchemy.orm import Session

from bimo.surveys.analysis import change_between_rounds, mean_ci, scale_items, scale_scores
from bimo.surveys.careless import flag_careless
from bimo.surveys.instrument import GradeBand, Instrument, Scale
from bimo.surveys.models import SurveyRound, round_label
from bimo.surveys.protection import Group, protect_groups
from bimo.surveys.reliability import Matrix, ReliabilityError, item_statistics
from bimo.surveys.report_data import (
    effective_minimum,
    finished,
    pool,
    protected_distribution,
    reliability,
    response_matrix,
    rounds_where,
    sheets_from_matrix,
    too_few,
    valid_scores,
)
from bimo.surveys.report_types import (
    BreakdownCell,
    ClassReport,
    DistributionCell,
    ItemRow,
    LandReport,
    Reference,
    RoundChange,
    ScaleBreakdown,
    ScaleReport,
    SchoolReport,
    Withheld,
)
from bimo.surveys.rounds import (
    SurveyError,
    answers_of_round,
    get_round,
    instrument_of,
    shipped_instruments,
)

__all__ = [
    "MIN_UNITS",
    "OPEN_TEXT_MIN",
    "BreakdownCell",
    "ClassReport",
    "DistributionCell",
    "ItemRow",
    "LandReport",
    "Reference",
    "RoundChange",
    "ScaleBreakdown",
    "ScaleReport",
    "SchoolReport",
    "Withheld",
    "class_report",
    "effective_minimum",
    "finished",
    "land_report",
    "periods",
    "response_matrix",
    "school_report",
    "sheets_from_matrix",
]

OPEN_TEXT_MIN = 10
MIN_UNITS = 2


# --- class report -----------------------------------------------------------------------------


def class_report(
    db: Session,
    round_id: int,
    *,
    min_answers: int | None = None,
    open_texts: bool = True,
    on: date | None = None,
) -> ClassReport | Withheld:
    """The teacher's report of one round (only for ended rounds with enough answers).

    ``open_texts=False`` leaves the open answers out (any view other than the teacher's).
    """
    survey_round = get_round(db, round_id)
    minimum = effective_minimum(survey_round.min_answers, min_answers)
    if not finished(survey_round, on):
        return Withheld(
            "Der Bericht wird angezeigt, sobald die Befragung beendet ist (am Ende des "
            f"{survey_round.closes_on:%d.%m.%Y} oder wenn Sie sie vorher beenden): so lässt "
            "sich keine einzelne Antwort aus zwei Ansichten des Berichts herauslesen."
        )
    sheets = answers_of_round(db, round_id)
    if len(sheets) < minimum:
        return too_few(minimum)
    instrument = instrument_of(survey_round)
    matrix, texts = response_matrix(instrument, sheets)
    previous = _previous_round(db, survey_round, minimum, on)
    school_pool = _reference_pool(db, survey_round, minimum, on, school=True)
    land_pool = _reference_pool(db, survey_round, minimum, on, school=False)
    scales = [
        _class_scale(
            instrument,
            scale,
            matrix,
            survey_round.band,
            minimum,
            previous,
            school_pool,
            land_pool,
        )
        for scale in instrument.skalen
    ]
    flags = flag_careless(instrument, matrix)
    shown_texts: dict[str, list[str]] | None = None
    if len(sheets) >= max(OPEN_TEXT_MIN, minimum) and open_texts:
        wording = instrument.wording(survey_round.band)
        shown_texts = {}
        for qid, answers in texts.items():
            shuffled = list(answers)
            secrets.SystemRandom().shuffle(shuffled)
            shown_texts[wording[qid]] = shuffled
        note = "Die offenen Antworten stehen in zufälliger Reihenfolge."
    elif not open_texts:
        note = "Offene Antworten sieht nur die Lehrkraft der Klasse."
    else:
        note = (
            f"Offene Antworten werden erst ab {max(OPEN_TEXT_MIN, minimum)} Antworten gezeigt: "
            "an einer Formulierung erkennt man sonst leicht, wer sie geschrieben hat."
        )
    return ClassReport(
        round_id=survey_round.id,
        instrument_id=instrument.id,
        instrument_title=instrument.titel,
        hint=instrument.hinweis,
        label=survey_round.label,
        schulnummer=survey_round.schulnummer,
        klasse=survey_round.klasse,
        jahrgang=survey_round.jahrgang,
        n=len(sheets),
        minimum=minimum,
        scales=scales,
        careless=int(flags.flagged.sum()),
        open_texts=shown_texts,
        open_texts_note=note if texts else "",
    )


@dataclass(frozen=True)
class _PreviousRound:
    label: str
    sheets: list[dict[str, object]]


def _previous_round(
    db: Session, survey_round: SurveyRound, minimum: int, on: date | None
) -> _PreviousRound | None:
    """The class's latest earlier ended round of the same instrument with enough answers."""
    earlier = [
        r
        for r in rounds_where(
            db,
            schulnummer=survey_round.schulnummer,
            klasse=survey_round.klasse,
            instrument_id=survey_round.instrument_id,
        )
        if (r.opened_on, r.id) < (survey_round.opened_on, survey_round.id) and finished(r, on)
    ]
    for r in sorted(earlier, key=lambda r: (r.opened_on, r.id), reverse=True):
        sheets = answers_of_round(db, r.id)
        if len(sheets) >= max(minimum, r.min_answers):
            return _PreviousRound(r.label, sheets)
    return None


@dataclass(frozen=True)
class _Pool:
    sheets: list[dict[str, object]]
    units: int


def _reference_pool(
    db: Session, survey_round: SurveyRound, minimum: int, on: date | None, *, school: bool
) -> _Pool | None:
    """School: the other teachers' released rounds of the school in the same half-year;
    Land: the released rounds of all other schools in the same half-year."""
    if school:
        rounds, answers = pool(
            db, survey_round.instrument_id, minimum, on, schulnummer=survey_round.schulnummer
        )
        rounds = [r for r in rounds if r.teacher != survey_round.teacher]
    else:
        rounds, answers = pool(db, survey_round.instrument_id, minimum, on)
        rounds = [r for r in rounds if r.schulnummer != survey_round.schulnummer]
    rounds = [r for r in rounds if r.label == survey_round.label]
    units = len({r.klasse if school else r.schulnummer for r in rounds})
    sheets = [s for r in rounds for s in answers[r.id]]
    if units < MIN_UNITS or len(sheets) < minimum:
        return None
    return _Pool(sheets, units)


def _class_scale(
    instrument: Instrument,
    scale: Scale,
    matrix: Matrix,
    band: GradeBand,
    minimum: int,
    previous: _PreviousRound | None,
    school_pool: _Pool | None,
    land_pool: _Pool | None,
) -> ScaleReport:
    head = ScaleReport(scale.id, scale.titel, scale.konstrukt, scale.verwendung, scale.categories)
    scores = scale_scores(instrument, matrix, scale.id)
    valid = scores[~np.isnan(scores)]
    if valid.size < minimum:
        return replace(
            head,
            withheld=(
                f"Für diese Skala liegen weniger als {minimum} ausreichend beantwortete Bögen "
                "vor; sie wird deshalb nicht ausgewertet."
            ),
        )
    block = scale_items(instrument, matrix, scale.id)
    alpha, alpha_ci, omega = reliability(block)
    wording = instrument.wording(band)
    items: list[ItemRow] = []
    try:
        stats = item_statistics(block, [it.id for it in scale.items])
    except ReliabilityError:
        stats = []
    reversed_ids = {it.id for it in scale.items if it.umgepolt}
    if stats and stats[0].n >= minimum:
        items = [
            ItemRow(
                s.item,
                wording[s.item],
                s.n,
                s.mean,
                s.sd,
                s.item_total,
                s.alpha_if_deleted,
                s.item in reversed_ids,
            )
            for s in stats
        ]
    change = None
    if previous is not None:
        before = valid_scores(instrument, previous.sheets, scale.id)
        if before.size >= minimum:
            change = RoundChange(
                previous.label, float(before.mean()), change_between_rounds(before, valid)
            )
    return replace(
        head,
        mean=mean_ci(valid),
        distribution=protected_distribution(valid, scale, minimum),
        alpha=alpha,
        alpha_ci=alpha_ci,
        omega=omega,
        items=items,
        school=_reference("Andere Klassen der Schule", instrument, scale, school_pool, minimum),
        land=_reference("Andere Schulen im Land", instrument, scale, land_pool, minimum),
        change=change,
    )


def _reference(
    label: str, instrument: Instrument, scale: Scale, pool: _Pool | None, minimum: int
) -> Reference | None:
    if pool is None:
        return None
    values = valid_scores(instrument, pool.sheets, scale.id)
    if values.size < minimum:
        return None
    return Reference(label, float(values.mean()), int(values.size), pool.units)


# --- school and Land reports ------------------------------------------------------------------


def periods(db: Session, instrument_id: str, schulnummer: str | None = None) -> list[str]:
    """Half-years with released rounds of the instrument (newest first)."""
    filters: dict[str, object] = {"instrument_id": instrument_id, "released": True}
    if schulnummer is not None:
        filters["schulnummer"] = schulnummer
    days = sorted({r.opened_on for r in rounds_where(db, **filters)}, reverse=True)
    out: list[str] = []
    for day in days:
        if round_label(day) not in out:
            out.append(round_label(day))
    return out


def _instrument(instrument_id: str) -> Instrument:
    found = shipped_instruments().get(instrument_id)
    if found is None:
        raise SurveyError(f"Den Fragebogen „{instrument_id}“ gibt es nicht.")
    return found


def school_report(
    db: Session,
    schulnummer: str,
    instrument_id: str,
    *,
    period: str | None = None,
    min_answers: int | None = None,
    on: date | None = None,
) -> SchoolReport | Withheld:
    """Aggregate of the school's released rounds of one half-year (default: the newest),
    broken down by Jahrgang. Never open answers, never a single class."""
    instrument = _instrument(instrument_id)
    minimum = effective_minimum(requested=min_answers)
    rounds, answers = pool(db, instrument_id, minimum, on, schulnummer=schulnummer)
    chosen = period or next(iter(periods(db, instrument_id, schulnummer)), None)
    rounds = [r for r in rounds if r.label == chosen]
    units = {r.id: r.klasse for r in rounds}
    if len(set(units.values())) < MIN_UNITS or sum(len(answers[r.id]) for r in rounds) < minimum:
        return Withheld(
            "Der Schulbericht braucht freigegebene, beendete Befragungen aus mindestens "
            f"{MIN_UNITS} Klassen mit zusammen mindestens {minimum} Antworten, damit keine "
            "einzelne Klasse und niemand in ihr erkennbar wird."
        )
    scales = _breakdowns(instrument, rounds, answers, units, minimum)
    return SchoolReport(
        schulnummer=schulnummer,
        instrument_id=instrument.id,
        instrument_title=instrument.titel,
        hint=instrument.hinweis,
        period=chosen or "",
        n=sum(len(answers[r.id]) for r in rounds),
        n_classes=len(set(units.values())),
        minimum=minimum,
        scales=scales,
    )


def land_report(
    db: Session,
    instrument_id: str,
    *,
    period: str | None = None,
    min_answers: int | None = None,
    on: date | None = None,
) -> LandReport | Withheld:
    """Aggregate across schools (released, ended rounds) by Jahrgang; no school-level rows."""
    instrument = _instrument(instrument_id)
    minimum = effective_minimum(requested=min_answers)
    rounds, answers = pool(db, instrument_id, minimum, on)
    chosen = period or next(iter(periods(db, instrument_id)), None)
    rounds = [r for r in rounds if r.label == chosen]
    units = {r.id: r.schulnummer for r in rounds}
    if len(set(units.values())) < MIN_UNITS or sum(len(answers[r.id]) for r in rounds) < minimum:
        return Withheld(
            f"Der Landesbericht braucht freigegebene, beendete Befragungen aus mindestens "
            f"{MIN_UNITS} Schulen mit zusammen mindestens {minimum} Antworten."
        )
    return LandReport(
        instrument_id=instrument.id,
        instrument_title=instrument.titel,
        hint=instrument.hinweis,
        period=chosen or "",
        n=sum(len(answers[r.id]) for r in rounds),
        n_schools=len(set(units.values())),
        minimum=minimum,
        scales=_breakdowns(instrument, rounds, answers, units, minimum),
    )


def _breakdowns(
    instrument: Instrument,
    rounds: list[SurveyRound],
    answers: dict[int, list[dict[str, object]]],
    units: dict[int, str],
    minimum: int,
) -> list[ScaleBreakdown]:
    jahrgaenge = sorted({r.jahrgang for r in rounds})
    out: list[ScaleBreakdown] = []
    for scale in instrument.skalen:
        per_group: dict[int, Matrix] = {}
        group_units: dict[int, frozenset[str]] = {}
        for jg in jahrgaenge:
            members = [r for r in rounds if r.jahrgang == jg]
            per_group[jg] = valid_scores(
                instrument, [s for r in members for s in answers[r.id]], scale.id
            )
            group_units[jg] = frozenset(units[r.id] for r in members if answers[r.id])
        all_sheets = [s for r in rounds for s in answers[r.id]]
        total = np.concatenate(list(per_group.values())) if per_group else np.zeros(0)
        all_units = frozenset().union(*group_units.values())
        head = ScaleBreakdown(scale.id, scale.titel, scale.konstrukt, scale.categories)
        if total.size < minimum or len(all_units) < MIN_UNITS:
            out.append(
                replace(
                    head,
                    withheld=f"Für diese Skala liegen weniger als {minimum} Werte vor.",
                )
            )
            continue
        pattern = protect_groups(
            [
                Group(f"{jg:02d}", int(per_group[jg].size), group_units[jg])
                for jg in jahrgaenge
                if per_group[jg].size
            ],
            minimum,
            MIN_UNITS,
        )
        cells = []
        for jg in jahrgaenge:
            values = per_group[jg]
            shown = pattern.shown.get(f"{jg:02d}", False) and values.size >= 2
            cells.append(
                BreakdownCell(
                    f"Jahrgang {jg}",
                    int(values.size) if shown else None,
                    mean_ci(values) if shown else None,
                    "" if shown else ".",
                )
            )
        cells.append(BreakdownCell("Insgesamt", int(total.size), mean_ci(total), ""))
        matrix, _ = response_matrix(instrument, all_sheets)
        alpha, _, omega = reliability(scale_items(instrument, matrix, scale.id))
        out.append(
            replace(
                head,
                total=mean_ci(total),
                alpha=alpha,
                omega=omega,
                distribution=protected_distribution(total, scale, minimum),
                cells=cells,
            )
        )
    return out
