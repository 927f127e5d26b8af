"""Kompetenzstufenmodelle: level models as YAML files.

A level file lists the levels from lowest to highest. Each level has a ``code`` (e.g. ``II``), a
``lower`` bound on the reporting metric (``null`` for the lowest level, strictly increasing
after that), an optional ``label`` and the ``standard`` it stands for: one of
``unter_mindeststandard``, ``mindeststandard``, ``regelstandard``, ``regelstandard_plus``,
``optimalstandard``. Standards must not decrease from level to level; a model needs at least one
level below the Mindeststandard, the Mindeststandard and the Regelstandard. A score belongs to the
highest level whose lower bound it reaches (bounds are inclusive).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bimo.assessment.standards.irf import FloatArray
from bimo.core.errors import BimoError

STANDARDS: tuple[str, ...] = (
    "unter_mindeststandard",
    "mindeststandard",
    "regelstandard",
    "regelstandard_plus",
    "optimalstandard",
)
REQUIRED_STANDARDS = ("unter_mindeststandard", "mindeststandard", "regelstandard")
AT_OR_ABOVE_REGULAR = frozenset({"regelstandard", "regelstandard_plus", "optimalstandard"})


class LevelModelError(BimoError):
    """A level file is missing or malformed."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"Kompetenzstufenmodell {source}: {reason}")


@dataclass(frozen=True)
class Level:
    code: str
    lower: float | None
    label: str
    standard: str


@dataclass(frozen=True)
class LevelModel:
    name: str
    title: str
    source: str
    levels: tuple[Level, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(level.code for level in self.levels)

    @property
    def bounds(self) -> FloatArray:
        """Lower bounds of levels 2…L (the lowest level is open below)."""
        return np.array([lv.lower for lv in self.levels[1:]], dtype=np.float64)

    def classify(self, scores: FloatArray) -> np.ndarray:
        """Level index 0…L−1 per score (reporting metric; bounds inclusive)."""
        return np.searchsorted(self.bounds, scores, side="right")

    def mask(self, standards: frozenset[str]) -> np.ndarray:
        """Boolean per level: does the level belong to one of ``standards``?"""
        return np.array([lv.standard in standards for lv in self.levels])


def builtin_models() -> list[str]:
    """Names of the level models shipped with BiMo."""
    folder = resources.files("bimo.assessment.standards") / "levels"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_level_model(name_or_path: str) -> LevelModel:
    """Load a shipped model by name (e.g. ``primar_deutsch_lesen``) or a YAML file by path."""
    if name_or_path in builtin_models():
        folder = resources.files("bimo.assessment.standards") / "levels"
        text = (folder / f"{name_or_path}.yaml").read_text(encoding="utf-8")
        return parse_level_model(text, name_or_path)
    path = Path(name_or_path)
    if not path.is_file():
        raise LevelModelError(
            name_or_path,
            "weder mitgeliefertes Modell noch vorhandene Datei (mitgeliefert: "
            f"{', '.join(builtin_models())})",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise LevelModelError(path.name, "die Datei ist nicht UTF-8-kodiert") from None
    return parse_level_model(text, path.name)


def parse_level_model(text: str, source: str) -> LevelModel:
    """Parse and check a level file; every defect gives a German message naming the place."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (Zeile {mark.line + 1})" if mark is not None else ""
        raise LevelModelError(source, f"kein gültiges YAML{where}") from None
    if not isinstance(data, dict):
        raise LevelModelError(
            source, "erwartet wird eine Zuordnung mit den Schlüsseln name, title und levels"
        )
    unknown = set(data) - {"name", "title", "source", "levels"}
    if unknown:
        raise LevelModelError(source, f"unbekannte Schlüssel: {', '.join(sorted(unknown))}")
    name = _text(data, "name", source, "")
    title = _text(data, "title", source, "")
    levels_raw = data.get("levels")
    if not isinstance(levels_raw, list) or len(levels_raw) < 3:
        raise LevelModelError(source, "„levels“ muss eine Liste mit mindestens drei Stufen sein")
    levels = [_level(raw, i, source) for i, raw in enumerate(levels_raw, start=1)]
    _check_order(levels, source)
    return LevelModel(
        name=name,
        title=title,
        source=str(data.get("source", "")),
        levels=tuple(levels),
    )


def _text(data: dict[str, Any], key: str, source: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LevelModelError(source, f"{where}„{key}“ fehlt oder ist kein Text")
    return value


def _level(raw: Any, index: int, source: str) -> Level:
    where = f"Stufe {index}: "
    if not isinstance(raw, dict):
        raise LevelModelError(
            source, f"{where}erwartet wird eine Zuordnung (code, lower, standard)"
        )
    unknown = set(raw) - {"code", "lower", "label", "standard"}
    if unknown:
        raise LevelModelError(source, f"{where}unbekannte Schlüssel: {', '.join(sorted(unknown))}")
    if "code" not in raw or not str(raw["code"]).strip():
        raise LevelModelError(source, f"{where}„code“ fehlt")
    code = str(raw["code"]).strip()
    where = f"Stufe {code}: "
    if "lower" not in raw:
        raise LevelModelError(source, f"{where}„lower“ fehlt (für die unterste Stufe: null)")
    lower = raw["lower"]
    if lower is not None and (isinstance(lower, bool) or not isinstance(lower, int | float)):
        raise LevelModelError(source, f"{where}„lower“ muss eine Zahl sein, nicht „{lower}“")
    standard = raw.get("standard")
    if standard not in STANDARDS:
        raise LevelModelError(
            source,
            f"{where}„standard“ muss einer von {', '.join(STANDARDS)} sein, nicht „{standard}“",
        )
    label = str(raw.get("label") or code)
    return Level(code, None if lower is None else float(lower), label, str(standard))


def _check_order(levels: list[Level], source: str) -> None:
    codes = [lv.code for lv in levels]
    if len(set(codes)) != len(codes):
        raise LevelModelError(source, "Stufencodes sind nicht eindeutig")
    if levels[0].lower is not None:
        raise LevelModelError(
            source, f"Stufe {levels[0].code}: die unterste Stufe hat keine Untergrenze (null)"
        )
    previous: float | None = None
    for lv in levels[1:]:
        if lv.lower is None:
            raise LevelModelError(
                source, f"Stufe {lv.code}: „lower“ fehlt (nur die unterste Stufe hat null)"
            )
        if previous is not None and lv.lower <= previous:
            raise LevelModelError(
                source,
                f"Stufe {lv.code}: Untergrenze {lv.lower:g} muss größer sein als die der "
                f"Stufe darunter ({previous:g})",
            )
        previous = lv.lower
    ranks = [STANDARDS.index(lv.standard) for lv in levels]
    for below, above, lv in zip(ranks, ranks[1:], levels[1:], strict=False):
        if above < below:
            raise LevelModelError(
                source,
                f"Stufe {lv.code}: Standard „{lv.standard}“ liegt unter dem der Stufe darunter",
            )
    missing = [s for s in REQUIRED_STANDARDS if s not in {lv.standard for lv in levels}]
    if missing:
        raise LevelModelError(source, f"keine Stufe für {', '.join(missing)}")
