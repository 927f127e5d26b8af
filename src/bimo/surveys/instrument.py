"""Questionnaires as data: one YAML file per instrument in ``bimo/surveys/instruments/``.

The pydantic models below are the format (documented in ``docs/surveys.md``). Every defect
raises :class:`InstrumentError` with a German message naming file, field path and YAML line,
in the same style as the indicator catalogue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bimo.core.errors import BimoError
from bimo.core.yamlsource import YamlLocator, german_validation_message, line_index

ResponseFormat = Literal["likert4", "likert5", "ja_nein", "freitext"]
GradeBand = Literal["3-6", "7-13"]

# Number of ordered categories per closed format; answers are coded 1..k (ja_nein: 1=nein, 2=ja).
CATEGORIES: dict[str, int] = {"likert4": 4, "likert5": 5, "ja_nein": 2}
LABELS: dict[str, tuple[str, ...]] = {
    "likert4": ("stimmt nicht", "stimmt eher nicht", "stimmt eher", "stimmt genau"),
    "likert5": (
        "stimmt gar nicht",
        "stimmt eher nicht",
        "teils, teils",
        "stimmt eher",
        "stimmt völlig",
    ),
    "ja_nein": ("nein", "ja"),
}
ID_PATTERN = r"^[a-z][a-z0-9_]*$"


class InstrumentError(BimoError):
    """A questionnaire file is malformed."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Item(_Strict):
    """One statement; ``text`` holds the wording per grade band."""

    id: str = Field(pattern=ID_PATTERN)
    text: dict[GradeBand, str] = Field(min_length=1)
    umgepolt: bool = False


class Scale(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    titel: str = Field(min_length=1)
    konstrukt: str = Field(min_length=1)
    verwendung: str = Field(min_length=1)
    antwortformat: Literal["likert4", "likert5", "ja_nein"]
    # Fewest answered items for a scale score; fewer → no score (missing), not a biased mean.
    min_beantwortet: int = Field(ge=1)
    items: list[Item] = Field(min_length=2)

    @model_validator(mode="after")
    def _enough_items(self) -> Scale:
        if self.min_beantwortet > len(self.items):
            raise ValueError(
                f"min_beantwortet ({self.min_beantwortet}) ist größer als die Zahl der Items "
                f"({len(self.items)})"
            )
        return self

    @property
    def categories(self) -> int:
        return CATEGORIES[self.antwortformat]


class OpenQuestion(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    text: dict[GradeBand, str] = Field(min_length=1)
    antwortformat: Literal["freitext"] = "freitext"


class Instrument(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    titel: str = Field(min_length=1)
    version: str = Field(pattern=r"^[0-9]+\.[0-9]+$")
    beschreibung: str = Field(min_length=1)
    hinweis: str = Field(min_length=1)
    jahrgangsbaender: list[GradeBand] = Field(min_length=1)
    skalen: list[Scale] = Field(min_length=1)
    offene_fragen: list[OpenQuestion] = Field(default_factory=list)

    def scale(self, scale_id: str) -> Scale:
        for s in self.skalen:
            if s.id == scale_id:
                return s
        raise InstrumentError(
            f"Skala „{scale_id}“ gibt es im Fragebogen {self.id} nicht "
            f"(vorhanden: {', '.join(s.id for s in self.skalen)})."
        )

    @property
    def item_ids(self) -> list[str]:
        """Closed items in questionnaire order: the columns of a response matrix."""
        return [it.id for s in self.skalen for it in s.items]

    def columns(self, scale_id: str) -> list[int]:
        """Column indices of ``scale_id``'s items in the response matrix."""
        wanted = {it.id for it in self.scale(scale_id).items}
        return [i for i, iid in enumerate(self.item_ids) if iid in wanted]

    def wording(self, band: GradeBand) -> dict[str, str]:
        """Item id → text for one grade band (closed items and open questions)."""
        if band not in self.jahrgangsbaender:
            raise InstrumentError(f"Fragebogen {self.id} ist nicht für Jahrgänge {band} gedacht.")
        out = {it.id: it.text[band] for s in self.skalen for it in s.items}
        out.update({q.id: q.text[band] for q in self.offene_fragen})
        return out


def default_directory() -> Path:
    return Path(__file__).parent / "instruments"


def load_instruments(directory: Path | str | None = None) -> dict[str, Instrument]:
    """Load every ``*.yaml`` questionnaire of ``directory`` (default: the shipped ones)."""
    folder = Path(directory) if directory is not None else default_directory()
    if not folder.is_dir():
        raise InstrumentError(f"Verzeichnis {folder} existiert nicht.")
    out: dict[str, Instrument] = {}
    for path in sorted(folder.glob("*.y*ml")):
        inst = load_instrument(path)
        if inst.id in out:
            raise InstrumentError(f"Datei {path.name}: Fragebogen-ID {inst.id} ist doppelt.")
        out[inst.id] = inst
    if not out:
        raise InstrumentError(f"Verzeichnis {folder} enthält keinen Fragebogen (*.yaml).")
    return out


def load_instrument(path: Path | str) -> Instrument:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InstrumentError(f"Datei {p.name}: die Datei ist nicht UTF-8-kodiert.") from None
    except OSError:
        raise InstrumentError(f"Datei {p.name} kann nicht gelesen werden.") from None
    return parse_instrument(text, p.name)


def parse_instrument(text: str, source: str) -> Instrument:
    """Parse and check one questionnaire; ``source`` is the file name used in messages."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (Zeile {mark.line + 1})" if mark is not None else ""
        raise InstrumentError(f"Datei {source}: kein gültiges YAML{where}.") from None
    fail = _Failer(source, line_index(node))
    if not isinstance(data, dict):
        raise fail((), "erwartet wird eine Zuordnung mit den Schlüsseln id, titel, skalen …")
    try:
        inst = Instrument.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise fail(tuple(err["loc"]), german_validation_message(err)) from None
    _check_semantics(inst, fail)
    return inst


def _check_semantics(inst: Instrument, fail: _Failer) -> None:
    if len(set(inst.jahrgangsbaender)) != len(inst.jahrgangsbaender):
        raise fail(("jahrgangsbaender",), "Jahrgangsbänder sind doppelt angegeben")
    seen: set[str] = set()
    for si, scale in enumerate(inst.skalen):
        if scale.id in seen:
            raise fail(("skalen", si, "id"), f"ID „{scale.id}“ ist doppelt")
        seen.add(scale.id)
        for ii, item in enumerate(scale.items):
            path: tuple[str | int, ...] = ("skalen", si, "items", ii)
            if item.id in seen:
                raise fail((*path, "id"), f"ID „{item.id}“ ist doppelt")
            seen.add(item.id)
            _check_bands(inst, item.text, (*path, "text"), fail)
        if all(it.umgepolt for it in scale.items):
            raise fail(("skalen", si, "items"), "mindestens ein Item darf nicht umgepolt sein")
    for qi, q in enumerate(inst.offene_fragen):
        if q.id in seen:
            raise fail(("offene_fragen", qi, "id"), f"ID „{q.id}“ ist doppelt")
        seen.add(q.id)
        _check_bands(inst, q.text, ("offene_fragen", qi, "text"), fail)


def _check_bands(
    inst: Instrument, text: dict[GradeBand, str], path: tuple[str | int, ...], fail: _Failer
) -> None:
    for band in inst.jahrgangsbaender:
        if not text.get(band, "").strip():
            raise fail(path, f"Formulierung für Jahrgänge {band} fehlt")
    for band in text:
        if band not in inst.jahrgangsbaender:
            raise fail(
                (*path, band), f"Jahrgangsband {band} ist für diesen Fragebogen nicht vorgesehen"
            )


class _Failer(YamlLocator):
    """Builds InstrumentErrors naming file, field path and line."""

    def __call__(self, path: tuple[str | int, ...], reason: str) -> InstrumentError:
        return InstrumentError(f"{self.where(path)}: {reason}")
