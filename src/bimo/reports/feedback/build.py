"""Writing the feedback reports: ``rueckmeldung_<schulnummer>_<erhebung>.html`` and ``.pdf``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bimo.core.errors import BimoError
from bimo.core.store import AnalyticStore
from bimo.reports.feedback.compute import (
    ErhebungReference,
    FeedbackConfig,
    prepare_erhebung,
    school_feedback,
)
from bimo.reports.feedback.data import load_erhebung
from bimo.reports.feedback.html import render_html
from bimo.reports.feedback.suppression import resolve_min_group
from bimo.reports.render import render_pdf


@dataclass(frozen=True)
class FeedbackFiles:
    """The two files of one school's report."""

    schulnummer: str
    html: Path
    pdf: Path


def file_stem(schulnummer: str, erhebung: str) -> str:
    return f"rueckmeldung_{schulnummer}_{erhebung}"


def prepare(
    store: AnalyticStore, erhebung: str, *, min_group: int | None = None
) -> ErhebungReference:
    """Load an Erhebung and compute everything shared by its schools' reports."""
    config = FeedbackConfig(min_group=resolve_min_group(min_group))
    return prepare_erhebung(load_erhebung(store, erhebung), config)


def write_report(
    ref: ErhebungReference,
    schulnummer: str,
    out_dir: Path,
    *,
    pdf: bool = True,
    created: date | None = None,
) -> FeedbackFiles:
    """HTML (and PDF) of one school, from a prepared Erhebung."""
    feedback = school_feedback(ref, schulnummer)
    html = render_html(feedback, created=created)
    stem = file_stem(schulnummer, ref.data.erhebung)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        html_path = out_dir / f"{stem}.html"
        html_path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise BimoError(
            f"Die Rückmeldung kann nicht nach {out_dir} geschrieben werden: {exc}"
        ) from exc
    pdf_path = out_dir / f"{stem}.pdf"
    if pdf:
        render_pdf(html, pdf_path, base_url=out_dir)
    return FeedbackFiles(schulnummer, html_path, pdf_path)


def build_school_feedback(
    store: AnalyticStore,
    erhebung: str,
    schulnummer: str,
    out_dir: Path,
    *,
    min_group: int | None = None,
) -> FeedbackFiles:
    """Write the feedback report of one school (HTML and PDF) and return the paths."""
    ref = prepare(store, erhebung, min_group=min_group)
    return write_report(ref, schulnummer, Path(out_dir))


def participating_schools(ref: ErhebungReference) -> list[str]:
    """Schulnummern with results in the Erhebung (sorted)."""
    return sorted(ref.data.students["schulnummer"].unique().to_list())


def build_all_feedback(
    store: AnalyticStore,
    erhebung: str,
    out_dir: Path,
    *,
    min_group: int | None = None,
    schools: Sequence[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[FeedbackFiles]:
    """One report per participating school; ``progress(done, total, schulnummer)`` after each."""
    ref = prepare(store, erhebung, min_group=min_group)
    numbers = list(schools) if schools is not None else participating_schools(ref)
    files = []
    for done, number in enumerate(numbers, start=1):
        files.append(write_report(ref, number, Path(out_dir)))
        if progress is not None:
            progress(done, len(numbers), number)
    return files
