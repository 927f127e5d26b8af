"""Response data: scores with a missing-by-design mask, case weights and groups.

Missing responses (booklet rotation, not administered) are coded −1 and never imputed: they
simply contribute nothing to a person's likelihood. The reader checks every input and raises
:class:`~bimo.core.errors.BimoError` subclasses with German messages naming file, row, column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bimo.core.errors import BimoError, InputFileError, Location

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
MISSING = -1


class ResponseDataError(BimoError):
    """Responses cannot be scaled (an item without responses, a person without responses …)."""


@dataclass
class ResponseData:
    """Scores (N × I, −1 = not administered), case weights and group codes."""

    scores: NDArray[np.int16]
    items: list[str]
    ids: list[str]
    weights: FloatArray
    groups: IntArray
    group_labels: list[str]
    source: str = "Daten"
    # strict: every item needs ≥ 2 observed categories without gaps (needed for calibration,
    # not for scoring with fixed item parameters).
    strict: bool = True
    ncat: IntArray = field(init=False)

    def __post_init__(self) -> None:
        self.ncat = self.scores.max(axis=0).astype(np.int64) + 1
        self.validate()

    @classmethod
    def from_array(
        cls,
        scores: NDArray[np.integer] | NDArray[np.floating],
        items: list[str] | None = None,
        ids: list[str] | None = None,
        weights: FloatArray | None = None,
        groups: list[str] | NDArray[np.str_] | None = None,
    ) -> ResponseData:
        """Build from a matrix; NaN or −1 mean *not administered*."""
        arr = np.asarray(scores, dtype=np.float64)
        coded = np.where(np.isnan(arr), MISSING, arr).astype(np.int16)
        n, n_items = coded.shape
        return _with_source(
            coded,
            items or [f"item{i + 1}" for i in range(n_items)],
            ids or [str(i + 1) for i in range(n)],
            np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64),
            None if groups is None else [str(g) for g in groups],
            "Daten",
        )

    @property
    def n_persons(self) -> int:
        return int(self.scores.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.scores.shape[1])

    @property
    def observed(self) -> NDArray[np.bool_]:
        return self.scores >= 0

    def validate(self) -> None:
        """Reject inputs for which marginal ML is not defined (German messages)."""
        observed = self.observed
        for i, name in enumerate(self.items):
            column = self.scores[observed[:, i], i]
            if column.size == 0 and self.strict:
                raise ResponseDataError(
                    f"{Location(self.source, column=name).describe()}: das Item hat keine "
                    "einzige Antwort und kann nicht skaliert werden."
                )
            counts = np.bincount(column, minlength=int(self.ncat[i]))
            if not self.strict:
                continue
            if np.count_nonzero(counts) < 2:
                raise ResponseDataError(
                    f"{Location(self.source, column=name).describe()}: alle Antworten liegen "
                    f"in derselben Kategorie ({int(column[0])}); das Item trägt keine "
                    "Information und muss ausgeschlossen werden."
                )
            empty = np.flatnonzero(counts == 0)
            if empty.size:
                raise ResponseDataError(
                    f"{Location(self.source, column=name).describe()}: die Kategorie "
                    f"{int(empty[0])} kommt nie vor (Werte müssen lückenlos 0..m sein); "
                    "bitte Kategorien zusammenfassen."
                )
        no_response = np.flatnonzero(~observed.any(axis=1))
        if no_response.size:
            row = int(no_response[0])
            raise ResponseDataError(
                f"{Location(self.source, row=row + 1).describe()}: die Person "
                f"{self.ids[row]} hat kein einziges Item bearbeitet "
                f"(insgesamt {no_response.size} solche Zeilen); bitte entfernen."
            )
        if np.any(~np.isfinite(self.weights)) or np.any(self.weights <= 0):
            row = int(np.flatnonzero(~np.isfinite(self.weights) | (self.weights <= 0))[0])
            raise ResponseDataError(
                f"{Location(self.source, row=row + 1).describe()}: Gewichte müssen positiv sein."
            )

    def indicator(
        self, dtype: type[np.floating] = np.float64
    ) -> tuple[NDArray[np.floating], IntArray]:
        """One-hot response matrix Y (N × ΣK) and column offsets per item.

        Y[n, off_i + k] = 1 iff person n answered item i with category k; not-administered
        items give an all-zero block, which is how missing-by-design drops out of the
        likelihood (log L_nq = Y · log P).
        """
        offsets = np.concatenate([[0], np.cumsum(self.ncat)]).astype(np.int64)
        y = np.zeros((self.n_persons, int(offsets[-1])), dtype=dtype)
        for i in range(self.n_items):
            column = self.scores[:, i]
            for k in range(int(self.ncat[i])):
                y[:, offsets[i] + k] = column == k
        return y, offsets


def _fail(path: Path, reason: str, row: int | None = None, column: str | None = None) -> None:
    raise InputFileError(Location(path.name, row=row, column=column), reason)


def read_responses(
    path: Path, weights: str | None = None, group: str | None = None, strict: bool = True
) -> ResponseData:
    """Read RESPONSES.csv: id column first, one integer column per item, empty = missing."""
    try:
        frame = pl.read_csv(path, infer_schema_length=0)
    except FileNotFoundError:
        _fail(path, "die Datei existiert nicht.")
    except Exception as exc:  # polars raises several error types for unreadable files
        _fail(path, f"die Datei ist keine lesbare CSV-Datei ({type(exc).__name__}).")
    if frame.width < 2 or frame.height == 0:
        _fail(path, "erwartet eine ID-Spalte, mindestens eine Item-Spalte und Datenzeilen.")
    id_col = frame.columns[0]
    special = [c for c in (weights, group) if c is not None]
    for col in special:
        if col not in frame.columns:
            _fail(path, f"die Spalte {col!r} fehlt.", column=col)
    item_cols = [c for c in frame.columns[1:] if c not in special]
    if not item_cols:
        _fail(path, "keine Item-Spalten gefunden.")
    scores = np.empty((frame.height, len(item_cols)), dtype=np.int16)
    for j, col in enumerate(item_cols):
        raw = frame.get_column(col).str.strip_chars()
        raw = raw.set(raw == "", None) if raw.null_count() < raw.len() else raw
        parsed = raw.cast(pl.Int32, strict=False)
        bad = (parsed.is_null() & raw.is_not_null()) | (parsed < 0).fill_null(False)
        if bad.any():
            row = int(bad.arg_true()[0])
            _fail(
                path,
                f"ungültiger Wert {raw[row]!r}: erwartet eine ganze Zahl ≥ 0 "
                "(leer = nicht bearbeitet).",
                row=row + 1,
                column=col,
            )
        if parsed.max() is not None and int(parsed.max()) > 100:  # type: ignore[arg-type]
            row = int((parsed > 100).arg_true()[0])
            _fail(path, "Werte über 100 sind keine Item-Scores.", row=row + 1, column=col)
        scores[:, j] = parsed.fill_null(MISSING).to_numpy()
    weight_values = np.ones(frame.height)
    if weights is not None:
        raw_w = frame.get_column(weights).str.strip_chars()
        parsed_w = raw_w.cast(pl.Float64, strict=False)
        bad_w = parsed_w.is_null() | (parsed_w <= 0).fill_null(True)
        if bad_w.any():
            row = int(bad_w.arg_true()[0])
            _fail(path, "Gewichte müssen positive Zahlen sein.", row=row + 1, column=weights)
        weight_values = parsed_w.to_numpy().astype(np.float64)
    group_values: list[str] | None = None
    if group is not None:
        raw_g = frame.get_column(group)
        if raw_g.null_count():
            row = int(raw_g.is_null().arg_true()[0])
            _fail(path, "die Gruppe fehlt.", row=row + 1, column=group)
        group_values = raw_g.to_list()
    ids = frame.get_column(id_col).to_list()
    return _with_source(scores, item_cols, ids, weight_values, group_values, path.name, strict)


def _with_source(
    scores: NDArray[np.int16],
    items: list[str],
    ids: list[str],
    weights: FloatArray,
    groups: list[str] | None,
    source: str,
    strict: bool = True,
) -> ResponseData:
    labels = sorted(set(groups)) if groups is not None else ["alle"]
    lookup = {label: i for i, label in enumerate(labels)}
    codes = (
        np.array([lookup[g] for g in groups], dtype=np.int64)
        if groups is not None
        else np.zeros(scores.shape[0], dtype=np.int64)
    )
    return ResponseData(
        scores=scores,
        items=items,
        ids=[str(i) for i in ids],
        weights=weights,
        groups=codes,
        group_labels=labels,
        source=source,
        strict=strict,
    )
