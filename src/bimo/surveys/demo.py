"""A simulated survey round on Musterland for ``bimo demo`` — synthetic answers only.

Classes come from the analytic store (latest school year); answers come from the latent model
of :mod:`bimo.surveys.simulate` (school and class effects, careless responders) and go through
the real service: :func:`~bimo.surveys.rounds.open_round` hands out single-use codes, every
sheet is handed in with :func:`~bimo.surveys.rounds.submit_answers`, teachers close and (all
but one) release their rounds. The result compares the careless responders the model planted
with those the analysis flags, and says which reports are shown or withheld.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bimo.core.operational import OperationalStore
from bimo.core.store import AnalyticStore
from bimo.surveys.careless import flag_careless
from bimo.surveys.reporting import (
    ClassReport,
    LandReport,
    SchoolReport,
    class_report,
    land_report,
    school_report,
    sheets_from_matrix,
)
from bimo.surveys.rounds import (
    SurveyError,
    close_round,
    open_round,
    release_round,
    shipped_instruments,
    submit_answers,
)
from bimo.surveys.simulate import model_for, simulate_round

__all__ = [
    "DemoClass",
    "DemoSurveyConfig",
    "DemoSurveyResult",
    "musterland_survey_classes",
    "run_demo_round",
]

# Synthetic open answers (wishes about school life), none of them about a person.
_OPEN_TEXTS = (
    "Mehr Bänke auf dem Schulhof.",
    "Längere Pausen wären schön.",
    "Die Toiletten sollten sauberer sein.",
    "Ich wünsche mir mehr Ausflüge mit der Klasse.",
    "Eine Ruheecke für die Pause.",
    "Mehr AGs am Nachmittag, zum Beispiel Theater.",
    "Dass wir öfter draußen lernen.",
    "Das Essen in der Mensa könnte besser sein.",
)


@dataclass(frozen=True)
class DemoClass:
    schulnummer: str
    klasse: str
    jahrgang: int
    students: int


@dataclass(frozen=True)
class DemoSurveyConfig:
    instrument_id: str = "wohlbefinden"
    seed: int = 8
    careless_share: float = 0.08
    participation: float = 0.9  # share of a class that answers
    open_text_share: float = 0.3
    opened_on: date = date(2026, 9, 21)
    teacher: str = "demo-lehrkraft"


@dataclass
class DemoSurveyResult:
    instrument_id: str
    rounds: list[int] = field(default_factory=list)
    answers: int = 0
    released: int = 0
    careless_simulated: int = 0
    careless_flagged: int = 0  # sum of the class reports' counts
    careless_detected: int = 0  # planted careless sheets that the analysis flags
    straightliners: int = 0  # planted sheets with one answer throughout
    straightliners_detected: int = 0
    class_reports: int = 0
    class_reports_withheld: int = 0
    school_reports: dict[str, bool] = field(default_factory=dict)  # schulnummer → shown
    land_report: bool = False

    def summary(self) -> dict[str, Any]:
        return {
            "fragebogen": self.instrument_id,
            "befragungen": len(self.rounds),
            "antworten": self.answers,
            "freigegeben": self.released,
            "unaufmerksam_simuliert": self.careless_simulated,
            "davon_erkannt": self.careless_detected,
            "gleichfoermig_simuliert": self.straightliners,
            "gleichfoermig_erkannt": self.straightliners_detected,
            "klassenberichte": self.class_reports,
            "klassenberichte_zurueckgehalten": self.class_reports_withheld,
            "schulberichte": sum(self.school_reports.values()),
            "landesbericht": self.land_report,
        }


def musterland_survey_classes(
    duckdb_path: Path | str,
    *,
    schulnummer: str | None = None,
    n_schools: int = 4,
    classes_per_school: int = 4,
) -> list[DemoClass]:
    """Classes of the latest school year: the largest classes (Jahrgang 3–13, ≥ 5 students)
    of ``schulnummer`` (default: the largest school) and of the next largest schools."""
    with AnalyticStore(Path(duckdb_path), read_only=True) as store:
        rows = store.raw.execute(
            "SELECT schulnummer, klasse, min(jahrgangsstufe), count(*) FROM student_years "
            "WHERE schuljahr = (SELECT max(schuljahr) FROM student_years) "
            "AND jahrgangsstufe BETWEEN 3 AND 13 AND klasse IS NOT NULL "
            "GROUP BY 1, 2 HAVING count(*) >= 5"
        ).fetchall()
    by_school: dict[str, list[DemoClass]] = {}
    for school, klasse, jahrgang, n in rows:
        by_school.setdefault(str(school), []).append(
            DemoClass(str(school), str(klasse), int(jahrgang), int(n))
        )
    order = sorted(by_school, key=lambda s: (-sum(c.students for c in by_school[s]), s))
    if schulnummer is not None and schulnummer in by_school:
        order.remove(schulnummer)
        order.insert(0, schulnummer)
    out: list[DemoClass] = []
    for school in order[:n_schools]:
        largest = sorted(by_school[school], key=lambda c: (-c.students, c.klasse))
        out.extend(sorted(largest[:classes_per_school], key=lambda c: c.klasse))
    return out


def run_demo_round(
    op: OperationalStore,
    *,
    classes: Sequence[DemoClass] | None = None,
    duckdb_path: Path | str | None = None,
    config: DemoSurveyConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSurveyResult:
    """Run one simulated round per class (``classes``, or chosen from ``duckdb_path``)."""
    cfg = config or DemoSurveyConfig()
    if classes is None:
        if duckdb_path is None:
            raise SurveyError("Für die Demo-Befragung fehlen Klassen oder ein Analysebestand.")
        classes = musterland_survey_classes(duckdb_path)
    if not classes:
        raise SurveyError("Für die Demo-Befragung wurden keine Klassen gefunden.")
    instrument = shipped_instruments()[cfg.instrument_id]
    rng = np.random.default_rng(cfg.seed)
    schools = sorted({c.schulnummer for c in classes})
    per_school = max(sum(c.schulnummer == s for c in classes) for s in schools)
    size = min(max(c.students for c in classes), 30)
    sim = simulate_round(
        model_for(instrument, seed=cfg.seed, careless_share=cfg.careless_share),
        n_schools=len(schools),
        classes_per_school=per_school,
        students_per_class=size,
        seed=cfg.seed,
    )
    result = DemoSurveyResult(cfg.instrument_id)
    day = cfg.opened_on
    seen: dict[str, int] = {}
    total = sum(min(c.students, 30) for c in classes)
    done = 0
    for index, klass in enumerate(classes):
        s = schools.index(klass.schulnummer)
        slot = s * per_school + seen.get(klass.schulnummer, 0)
        seen[klass.schulnummer] = seen.get(klass.schulnummer, 0) + 1
        rows = np.flatnonzero(sim.klass == slot)[: min(klass.students, 30)]
        answering = rows[rng.random(rows.size) < cfg.participation]
        responses = sim.responses[answering]
        with op.session() as db:
            opened = open_round(
                db,
                instrument_id=instrument.id,
                schulnummer=klass.schulnummer,
                klasse=klass.klasse,
                jahrgang=klass.jahrgang,
                teacher=cfg.teacher,
                single_use=True,
                n_codes=max(rows.size, 5),
                closes_on=day + timedelta(days=14),
                on=day,
            )
        open_ids = [q.id for q in instrument.offene_fragen]
        for code, sheet in zip(
            opened.codes, sheets_from_matrix(instrument, responses), strict=False
        ):
            answers: dict[str, int | str | None] = dict(sheet)
            if open_ids and rng.random() < cfg.open_text_share:
                answers[open_ids[0]] = str(rng.choice(_OPEN_TEXTS))
            with op.session() as db:
                submit_answers(db, code, answers, on=day)
            done += 1
            if progress is not None:
                progress(done, total)
        result.answers += responses.shape[0]
        planted = sim.careless[answering]
        straight = np.array([sim.kind[i] == "gerade" for i in answering], dtype=bool)
        result.careless_simulated += int(planted.sum())
        result.straightliners += int(straight.sum())
        if responses.shape[0]:
            flagged = flag_careless(instrument, responses).flagged
            result.careless_detected += int((flagged & planted).sum())
            result.straightliners_detected += int((flagged & straight).sum())
        with op.session() as db:
            close_round(db, opened.round.id, cfg.teacher, on=day + timedelta(days=7))
            # One teacher keeps the round to themself: the consent is a real choice.
            if index != len(classes) - 1:
                release_round(db, opened.round.id, cfg.teacher)
                result.released += 1
        result.rounds.append(opened.round.id)
    after = day + timedelta(days=15)
    with op.session() as db:
        for round_id in result.rounds:
            report = class_report(db, round_id, on=after)
            if isinstance(report, ClassReport):
                result.class_reports += 1
                result.careless_flagged += report.careless
            else:
                result.class_reports_withheld += 1
        for school in schools:
            shown = school_report(db, school, instrument.id, on=after)
            result.school_reports[school] = isinstance(shown, SchoolReport)
        result.land_report = isinstance(land_report(db, instrument.id, on=after), LandReport)
    return result
