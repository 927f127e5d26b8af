"""A simulated Musterland test wave through the real delivery service.

Every step a real wave takes, with simulated people: the Land creates a test from the item
bank, each class gets a session with printed codes, students open their attempts on their
own devices and answer block by block (answers change, some items are skipped, some batches
are sent twice as after a network timeout), proctors end the sessions, two coders code the
open answers (a share twice, for agreement), and the scored responses are exported in the
wide format of ``bimo scale fit``. Answers follow a Rasch model with known abilities and
difficulties, written to ``…_wahrheit.csv`` so the scaling can be checked against the truth.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bimo.assessment.itembank import ItemBank, ItemMetadata
from bimo.core.operational import OperationalStore
from bimo.core.store import AnalyticStore

from .answers import ItemCache
from .coding import ItemAgreement, agreement, coding_queue, record_coding
from .errors import DeliveryError
from .export import ExportResult, export_wide
from .models import TestDefinition
from .responses import AnswerEvent, record_answers
from .samples import SampleItem, sample_items, write_sample_package
from .sessions import create_session, end_session, next_block, open_attempt, open_session
from .tests import booklet_items, create_test, format_item_ref

__all__ = ["DemoClass", "DemoWaveConfig", "DemoWaveResult", "musterland_classes", "run_demo_wave"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DemoClass:
    schulnummer: str
    klasse: str
    students: int


@dataclass(frozen=True)
class DemoWaveConfig:
    test_key: str = "M8-DEMO"
    n_clusters: int = 7
    items_per_cluster: int = 4
    positions: int = 3
    block_minutes: int = 20
    open_every: int = 6
    seed: int = 7
    coders: tuple[str, str] = ("kodierer-1", "kodierer-2")
    double_coded_share: float = 0.5
    start: datetime = datetime(2027, 5, 4, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class DemoWaveResult:
    test_key: str
    sessions: int
    attempts: int
    answer_events: int
    stored: int
    duplicates: int
    coded: int
    double_coded: int
    export: ExportResult
    truth: Path
    agreement: list[ItemAgreement] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        kappas = [a.kappa for a in self.agreement if a.kappa is not None]
        return {
            "test": self.test_key,
            "sitzungen": self.sessions,
            "testdurchgaenge": self.attempts,
            "antwortaenderungen": self.answer_events,
            "gespeichert": self.stored,
            "doppelt_gesendet_erkannt": self.duplicates,
            "kodiert": self.coded,
            "doppelt_kodiert": self.double_coded,
            "kappa_median": round(float(np.median(kappas)), 3) if kappas else None,
            "personen_im_export": self.export.persons,
            "items_im_export": self.export.items,
        }


def musterland_classes(
    store: AnalyticStore, *, grade: int = 8, n_classes: int = 10
) -> list[DemoClass]:
    """The ``n_classes`` largest classes of ``grade`` in the latest school year (≥ 5 students,
    at most 30 codes each)."""
    rows = store.raw.execute(
        "SELECT schulnummer, klasse, count(*) AS n FROM student_years "
        "WHERE schuljahr = (SELECT max(schuljahr) FROM student_years) AND jahrgangsstufe = ? "
        "AND klasse IS NOT NULL GROUP BY 1, 2 HAVING count(*) >= 5 ORDER BY n DESC, 1, 2 LIMIT ?",
        [grade, n_classes],
    ).fetchall()
    if not rows:
        raise DeliveryError(f"Der Analysebestand enthält keine Klassen der Jahrgangsstufe {grade}.")
    return [DemoClass(str(s), str(k), min(int(n), 30)) for s, k, n in rows]


def _answer_value(item: SampleItem, correct: bool, rng: np.random.Generator) -> Any:
    if item.kind == "choice":
        assert item.correct is not None
        wrong = [c for c in "ABCD" if c != item.correct]
        return {"RESPONSE": item.correct if correct else str(rng.choice(wrong))}
    assert item.correct is not None
    return {
        "RESPONSE": item.correct if correct else str(int(item.correct) + int(rng.integers(1, 9)))
    }


_OPEN_TEXTS = (
    "Ich weiß es nicht.",
    "Ich habe zuerst gerechnet und dann geschätzt.",
    "Ich habe die Zahlen zerlegt, multipliziert und die Teilergebnisse addiert.",
)


def _coder_code(true_code: int, rng: np.random.Generator, accuracy: float = 0.88) -> int:
    if rng.random() < accuracy:
        return true_code
    return int(np.clip(true_code + rng.choice([-1, 1]), 0, 2))


@dataclass
class _Tally:
    events: int = 0
    stored: int = 0
    duplicates: int = 0


class _Wave:
    """The simulation state: item truth, the random stream and the running counts."""

    def __init__(
        self, cfg: DemoWaveConfig, definition: TestDefinition, items: dict[str, SampleItem]
    ) -> None:
        self.cfg = cfg
        self.definition = definition
        self.items = items
        self.rng = np.random.default_rng([cfg.seed, 1])
        refs = list(items)
        self.difficulty = dict(
            zip(refs, self.rng.normal(0.0, 1.0, len(refs)).tolist(), strict=True)
        )
        self.true_codes: dict[tuple[int, str], int] = {}
        self.truth: list[tuple[str, float]] = []
        self.tally = _Tally()

    def block_events(
        self, attempt_id: int, refs: list[str], theta: float, seq: int
    ) -> list[AnswerEvent]:
        """The answer changes of one block: some items skipped, some answers changed."""
        rng = self.rng
        events: list[AnswerEvent] = []
        for ref in refs:
            item = self.items[ref]
            if rng.random() < 0.05:
                continue  # skipped
            p = 1.0 / (1.0 + math.exp(-(theta - self.difficulty[ref])))
            if item.kind == "extended_text":
                code = int((rng.random() < p) + (rng.random() < p))  # partial credit 0–2
                self.true_codes[(attempt_id, ref)] = code
                events.append(
                    AnswerEvent(seq + len(events) + 1, ref, {"RESPONSE": _OPEN_TEXTS[code]})
                )
                continue
            if rng.random() < 0.15:  # a first answer, changed later
                value = _answer_value(item, False, rng)
                events.append(AnswerEvent(seq + len(events) + 1, ref, value))
            value = _answer_value(item, bool(rng.random() < p), rng)
            events.append(AnswerEvent(seq + len(events) + 1, ref, value))
        return events

    def student(
        self, op: OperationalStore, code: str, device: str, theta: float, start: datetime
    ) -> None:
        """One student's attempt: opened, answered block by block, submitted.

        One transaction per student keeps the demo fast; every step still goes through the
        service functions the web player uses (the load benchmark covers the HTTP path).
        """
        cfg, rng = self.cfg, self.rng
        with op.session() as db:
            attempt = open_attempt(db, code, device, now=start).attempt
            self.truth.append((f"A{attempt.id}", theta))
            # A few students are slow and do not reach the last block before the session ends.
            reached = cfg.positions - 1 if rng.random() < 0.06 else cfg.positions
            items = booklet_items(self.definition, attempt.booklet)
            at, seq = start, 0
            for block in range(reached):
                refs = [i.item_ref for i in items if i.block == block]
                events = self.block_events(attempt.id, refs, theta, seq)
                seq += len(events)
                at += timedelta(minutes=float(rng.uniform(0.5, 0.9)) * cfg.block_minutes)
                for first in range(0, len(events), 4):  # the player syncs in small batches
                    batch = events[first : first + 4]
                    sends = 2 if rng.random() < 0.05 else 1  # acknowledgement lost: sent again
                    for _ in range(sends):
                        result = record_answers(db, attempt, batch, now=at)
                        self.tally.stored += result.stored
                        self.tally.duplicates += result.duplicates
                self.tally.events += len(events)
                if reached == cfg.positions or block < reached - 1:
                    next_block(db, attempt, now=at, expected_block=block)


def run_demo_wave(
    op: OperationalStore,
    bank_root: Path,
    out_dir: Path,
    classes: Sequence[DemoClass],
    config: DemoWaveConfig | None = None,
    progress: Progress | None = None,
) -> DemoWaveResult:
    """Run the wave (see module doc); the item package, the exports and the truth file go
    to ``out_dir``, the items into the bank at ``bank_root``."""
    cfg = config or DemoWaveConfig()
    if not classes:
        raise DeliveryError("Für die Demo-Erhebung wird mindestens eine Klasse gebraucht.")
    out_dir.mkdir(parents=True, exist_ok=True)
    n_items = cfg.n_clusters * cfg.items_per_cluster
    items = sample_items(
        n_items, prefix=cfg.test_key.replace("-", "_").upper(), open_every=cfg.open_every
    )
    bank = ItemBank(bank_root)
    package = write_sample_package(out_dir / f"{cfg.test_key}_aufgaben.zip", items)
    bank.import_package(package, ItemMetadata(jahrgangsstufe=8, status="freigegeben"))
    refs = [format_item_ref(bank.get(it.identifier)) for it in items]
    with op.session() as db:
        definition = create_test(
            db,
            key=cfg.test_key,
            title="Mathematik Klasse 8 (Demo)",
            domain="Mathematik",
            grade=8,
            clusters=[
                refs[c * cfg.items_per_cluster : (c + 1) * cfg.items_per_cluster]
                for c in range(cfg.n_clusters)
            ],
            positions=cfg.positions,
            block_minutes=cfg.block_minutes,
            bank=bank,
            actor="demo-land",
        )
    wave = _Wave(cfg, definition, dict(zip(refs, items, strict=True)))
    total, done = sum(c.students for c in classes), 0
    for index, klass in enumerate(classes):
        start = cfg.start + timedelta(days=index)
        school_effect = float(wave.rng.normal(0.0, 0.4))
        with op.session() as db:
            created = create_session(
                db,
                test_key=cfg.test_key,
                schulnummer=klass.schulnummer,
                klasse=klass.klasse,
                n_codes=klass.students,
                actor="demo-lehrkraft",
                now=start,
            )
            session_id = created.session.id
            open_session(db, session_id, "demo-lehrkraft", now=start)
        for student, printed in enumerate(created.codes):
            theta = school_effect + float(wave.rng.normal(0.0, 1.0))
            wave.student(op, printed.code, f"demo-{session_id}-{student}", theta, start)
            done += 1
            if progress is not None:
                progress(done, total)
        with op.session() as db:
            end_session(db, session_id, "demo-lehrkraft", now=start + timedelta(hours=2))
    coded, double = _code(op, bank, cfg, wave.true_codes, wave.rng)
    with op.session() as db:
        exported = export_wide(db, cfg.test_key, bank, out_dir / f"{cfg.test_key}_antworten.csv")
        kappas = agreement(db, cfg.test_key)
    truth = out_dir / f"{cfg.test_key}_wahrheit.csv"
    with truth.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["id", "theta"])
        writer.writerows((i, f"{t:.6f}") for i, t in wave.truth)
    return DemoWaveResult(
        test_key=cfg.test_key,
        sessions=len(classes),
        attempts=len(wave.truth),
        answer_events=wave.tally.events,
        stored=wave.tally.stored,
        duplicates=wave.tally.duplicates,
        coded=coded,
        double_coded=double,
        export=exported,
        truth=truth,
        agreement=kappas,
    )


def _code(
    op: OperationalStore,
    bank: ItemBank,
    cfg: DemoWaveConfig,
    true_codes: dict[tuple[int, str], int],
    rng: np.random.Generator,
) -> tuple[int, int]:
    first, second = cfg.coders
    cache = ItemCache(bank)
    with op.session() as db:
        tasks = coding_queue(db, cfg.test_key, bank, pass_no=1, coder=first)
        for task in tasks:
            record_coding(
                db,
                attempt_id=task.attempt_id,
                item_ref=task.item_ref,
                pass_no=1,
                score=_coder_code(true_codes[(task.attempt_id, task.item_ref)], rng),
                coder=first,
                bank=cache,
            )
    double = 0
    with op.session() as db:
        for task in coding_queue(db, cfg.test_key, bank, pass_no=2, coder=second):
            if rng.random() >= cfg.double_coded_share:
                continue
            record_coding(
                db,
                attempt_id=task.attempt_id,
                item_ref=task.item_ref,
                pass_no=2,
                score=_coder_code(true_codes[(task.attempt_id, task.item_ref)], rng),
                coder=second,
                bank=cache,
            )
            double += 1
    return len(tasks), double
