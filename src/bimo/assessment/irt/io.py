"""ITEMS.csv and PERSONS.csv: the file formats other modules (linking, standards) consume.

ITEMS.csv columns: ``item, model, a, d1..dk, b, se_a, se_d1..se_dk, infit, outfit`` with k the
largest number of thresholds in the test; unused cells are empty. ``model`` is ``rasch``,
``1pl``, ``2pl`` (dichotomous), ``pcm``, ``gpcm`` (divide-by-total kernel, mirt gpcm
intercepts) or ``grm`` (cumulative kernel).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from bimo.assessment.irt.models import Kind
from bimo.assessment.irt.results import ItemParams, PersonEstimates
from bimo.core.errors import InputFileError, Location

ITEM_LABELS = ("rasch", "1pl", "2pl", "pcm", "gpcm", "grm")


def _col(values: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else float(v) for v in values]


def items_frame(items: ItemParams) -> pl.DataFrame:
    k = items.d.shape[1]
    cols: dict[str, object] = {"item": items.names, "model": items.labels, "a": _col(items.a)}
    for j in range(k):
        cols[f"d{j + 1}"] = _col(items.d[:, j])
    cols["b"] = _col(items.b)
    cols["se_a"] = _col(items.se_a)
    for j in range(k):
        cols[f"se_d{j + 1}"] = _col(items.se_d[:, j])
    cols["infit"] = _col(items.infit)
    cols["outfit"] = _col(items.outfit)
    return pl.DataFrame(
        cols, schema_overrides={c: pl.Float64 for c in cols if c not in ("item", "model")}
    )


def write_items(path: Path, items: ItemParams) -> None:
    items_frame(items).write_csv(path, float_precision=6)


def write_persons(path: Path, persons: PersonEstimates, grouped: bool) -> None:
    cols: dict[str, object] = {
        "id": persons.ids,
        "wle": _col(persons.wle),
        "wle_se": _col(persons.wle_se),
        "eap": persons.eap,
        "eap_sd": persons.eap_sd,
    }
    if grouped:
        cols["group"] = persons.group
    pl.DataFrame(cols).write_csv(path, float_precision=6)


def read_items(path: Path) -> ItemParams:
    """Read ITEMS.csv (as written by ``bimo scale fit``) back into :class:`ItemParams`."""
    try:
        frame = pl.read_csv(path, infer_schema_length=0)
    except FileNotFoundError as exc:
        raise InputFileError(Location(path.name), "die Datei existiert nicht.") from exc
    except Exception as exc:
        raise InputFileError(
            Location(path.name), f"keine lesbare CSV-Datei ({type(exc).__name__})."
        ) from exc
    for col in ("item", "model", "a", "d1"):
        if col not in frame.columns:
            raise InputFileError(
                Location(path.name, column=col), "Pflichtspalte fehlt (Format von bimo scale fit)."
            )
    d_cols = sorted(
        (c for c in frame.columns if c.startswith("d") and c[1:].isdigit()),
        key=lambda c: int(c[1:]),
    )
    values = {}
    for col in ["a", *d_cols]:
        parsed = frame.get_column(col).cast(pl.Float64, strict=False)
        raw = frame.get_column(col)
        bad = parsed.is_null() & raw.is_not_null() & (raw.str.strip_chars() != "")
        if bad.any():
            row = int(bad.arg_true()[0])
            raise InputFileError(
                Location(path.name, row=row + 1, column=col), f"keine Zahl: {raw[row]!r}."
            )
        values[col] = parsed.fill_null(np.nan).to_numpy()
    labels = [str(m).strip().lower() for m in frame.get_column("model").to_list()]
    for row, label in enumerate(labels):
        if label not in ITEM_LABELS:
            raise InputFileError(
                Location(path.name, row=row + 1, column="model"),
                f"unbekanntes Modell {label!r} (erlaubt: {', '.join(ITEM_LABELS)}).",
            )
    d = np.column_stack([values[c] for c in d_cols])
    ncat = (np.isfinite(d).sum(axis=1) + 1).astype(np.int64)
    for row in range(d.shape[0]):
        m = int(ncat[row]) - 1
        if m == 0 or not np.all(np.isfinite(d[row, :m])) or not np.isfinite(values["a"][row]):
            raise InputFileError(
                Location(path.name, row=row + 1),
                "Parameter fehlen (a und d1..dm müssen lückenlos gefüllt sein).",
            )
    kinds: list[Kind] = ["grm" if lab == "grm" else "gpcm" for lab in labels]
    return ItemParams(
        names=[str(n) for n in frame.get_column("item").to_list()],
        labels=labels,
        kinds=kinds,
        ncat=ncat,
        a=values["a"],
        d=d,
    )


def read_background(path: Path, ids: list[str]) -> tuple[np.ndarray, list[str]]:
    """BG.csv aligned to ``ids``: numeric columns as they are, text columns dummy coded.

    A text column with levels L1 < L2 < … (sorted) becomes dummies ``col=L2, col=L3, …``
    (first level = reference). Missing values are an error: impute or add a missing
    indicator before conditioning.
    """
    try:
        frame = pl.read_csv(path, infer_schema_length=10000)
    except FileNotFoundError as exc:
        raise InputFileError(Location(path.name), "die Datei existiert nicht.") from exc
    except Exception as exc:
        raise InputFileError(
            Location(path.name), f"keine lesbare CSV-Datei ({type(exc).__name__})."
        ) from exc
    if frame.width < 2:
        raise InputFileError(
            Location(path.name), "erwartet eine ID-Spalte und mindestens eine Hintergrundvariable."
        )
    id_col = frame.columns[0]
    frame = frame.with_columns(pl.col(id_col).cast(pl.String))
    if frame.get_column(id_col).is_duplicated().any():
        row = int(frame.get_column(id_col).is_duplicated().arg_true()[0])
        raise InputFileError(Location(path.name, row=row + 1, column=id_col), "doppelte ID.")
    names: list[str] = []
    columns: list[np.ndarray] = []
    for col in frame.columns[1:]:
        series = frame.get_column(col)
        if series.null_count():
            row = int(series.is_null().arg_true()[0])
            raise InputFileError(
                Location(path.name, row=row + 1, column=col),
                "fehlender Wert; bitte imputieren oder einen Fehlend-Indikator bilden.",
            )
        if series.dtype.is_numeric():
            names.append(col)
            columns.append(series.cast(pl.Float64).to_numpy())
        else:
            levels = sorted(series.cast(pl.String).unique().to_list())
            for level in levels[1:]:
                names.append(f"{col}={level}")
                columns.append((series == level).cast(pl.Float64).to_numpy())
    order = {key: i for i, key in enumerate(frame.get_column(id_col).to_list())}
    missing = [i for i in ids if i not in order]
    if missing:
        raise InputFileError(
            Location(path.name, column=id_col),
            f"für {len(missing)} Personen der Antwortdatei fehlen Hintergrunddaten "
            f"(z. B. ID {missing[0]}).",
        )
    index = np.array([order[i] for i in ids], dtype=np.int64)
    matrix = np.column_stack(columns)[index] if columns else np.zeros((len(ids), 0))
    return matrix, names


def write_pv(path: Path, ids: list[str], pvs: np.ndarray, eap: np.ndarray, sd: np.ndarray) -> None:
    cols: dict[str, object] = {"id": ids}
    for m in range(pvs.shape[1]):
        cols[f"pv{m + 1}"] = pvs[:, m]
    cols["eap"] = eap
    cols["eap_sd"] = sd
    pl.DataFrame(cols).write_csv(path, float_precision=6)
