"""Vectorised validation of one chunk: typing, column checks, cross-field rules.

Every check is a Polars expression over the whole chunk; German messages are only built for
the (usually few) rows that fail, so the hot path stays in Polars' native code.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from bimo.core.codes import ALL_CODE_LISTS
from bimo.core.schemas import ColumnSpec, TableSpec
from bimo.ingest.models import LINE_COL, RAW_COL
from bimo.ingest.rules import rules_for

# Problem codes of a column check, in the order they are tested (first one wins).
MISSING, TYPE, CODE, BELOW, ABOVE, PATTERN = 1, 2, 3, 4, 5, 6

BOOL_WORDS: dict[str, bool] = {
    "true": True, "false": False, "1": True, "0": False, "ja": True, "nein": False,
    "j": True, "n": False, "wahr": True, "falsch": False,
}  # fmt: skip
_POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
}
_TYPE_REASON = {
    "int": "ist keine ganze Zahl",
    "float": "ist keine Zahl",
    "bool": "ist kein Wahrheitswert (erlaubt: true/false, 1/0, ja/nein, j/n, wahr/falsch)",
    "date": "ist kein Datum (erwartet JJJJ-MM-TT oder TT.MM.JJJJ)",
    "string": "ist kein Text",
}

# Record keys come from the last 13 hex digits of the pseudonym: 52 bits, exact in a double.
RECORD_KEY_HEX_DIGITS = 13
RECORD_KEY_SCALE = float(16**RECORD_KEY_HEX_DIGITS)


def _v(name: str) -> str:
    return f"__v_{name}"


def _e(name: str) -> str:
    return f"__e_{name}"


def _anchored(pattern: str) -> str:
    # Rust's \d matches any Unicode digit; the data model means ASCII digits.
    return "^(?:" + pattern.replace(r"\d", "[0-9]") + ")$"


def _fmt_number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x).replace(".", ",")


def _typed(col: ColumnSpec, source: pl.DataType) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(typed value, shown value, is-present) of one column for the given source type."""
    target = _POLARS_TYPES[col.dtype]
    raw = pl.col(col.name)
    if source == pl.String or isinstance(source, pl.Categorical | pl.Enum | pl.Null):
        s = raw.cast(pl.String).str.strip_chars()
        s = pl.when(s == "").then(None).otherwise(s)
        if col.dtype == "string":
            value = s
        elif col.dtype == "int":
            value = s.cast(pl.Int64, strict=False)
        elif col.dtype == "float":
            value = s.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
            value = pl.when(value.is_finite()).then(value)
        elif col.dtype == "bool":
            value = s.str.to_lowercase().replace_strict(
                BOOL_WORDS, default=None, return_dtype=pl.Boolean
            )
        else:
            value = pl.coalesce(
                s.str.to_date("%Y-%m-%d", strict=False), s.str.to_date("%d.%m.%Y", strict=False)
            )
        return value, s, s.is_not_null()
    shown = raw.cast(pl.String)
    if col.dtype == "bool" and source.is_integer():
        value = pl.when(raw == 1).then(True).when(raw == 0).then(False)
    elif col.dtype == "int" and source.is_float():
        value = pl.when(raw == raw.floor()).then(raw.cast(pl.Int64, strict=False))
    else:
        value = raw.cast(target, strict=False)
    if col.dtype == "float":
        value = pl.when(value.is_finite()).then(value)
    return value, shown, raw.is_not_null()


def _problem_code(col: ColumnSpec, value: pl.Expr, present: pl.Expr) -> pl.Expr:
    checks: list[tuple[pl.Expr, int]] = []
    if col.required:
        checks.append((~present, MISSING))
    checks.append((present & value.is_null(), TYPE))
    if col.codelist is not None:
        codes = sorted(ALL_CODE_LISTS[col.codelist].codes)
        checks.append((~value.is_in(codes), CODE))
    if col.min_value is not None:
        checks.append((value < col.min_value, BELOW))
    if col.max_value is not None:
        checks.append((value > col.max_value, ABOVE))
    if col.pattern is not None:
        checks.append((~value.str.contains(_anchored(col.pattern)), PATTERN))
    # coalesce of when/then: the first failing check wins.
    return pl.coalesce([pl.when(cond).then(pl.lit(code, dtype=pl.UInt8)) for cond, code in checks])


def _reason(col: ColumnSpec, shown: pl.Expr) -> pl.Expr:
    """German reason for each problem code of this column (evaluated on failing rows only)."""
    quoted = pl.concat_str([pl.lit("Wert '"), shown.str.slice(0, 80), pl.lit("' ")])
    reasons: list[tuple[int, pl.Expr]] = [
        (MISSING, pl.lit("Pflichtwert fehlt")),
        (TYPE, quoted + pl.lit(_TYPE_REASON[col.dtype])),
    ]
    if col.codelist is not None:
        cl = ALL_CODE_LISTS[col.codelist]
        allowed = ", ".join(cl.labels)
        reasons.append(
            (CODE, quoted + pl.lit(f"ist kein Code der Liste {cl.title} (erlaubt: {allowed})"))
        )
    if col.min_value is not None:
        limit = _fmt_number(col.min_value)
        reasons.append((BELOW, "Wert " + shown + pl.lit(f" ist kleiner als das Minimum {limit}")))
    if col.max_value is not None:
        limit = _fmt_number(col.max_value)
        reasons.append((ABOVE, "Wert " + shown + pl.lit(f" ist größer als das Maximum {limit}")))
    if col.pattern is not None:
        reasons.append(
            (PATTERN, quoted + pl.lit(f"hat nicht das erwartete Format (Muster {col.pattern})"))
        )
    code = pl.col(_e(col.name))
    return pl.coalesce([pl.when(code == c).then(text) for c, text in reasons])


@dataclass
class Validated:
    """Result of validating a chunk: typed good rows and one line per problem of bad rows."""

    good: pl.DataFrame  # spec columns (typed) + LINE_COL
    problems: pl.DataFrame  # zeile, spalte, grund, rohdaten
    bad_rows: int


PROBLEM_SCHEMA = {"zeile": pl.Int64, "spalte": pl.String, "grund": pl.String,
                  "rohdaten": pl.String}  # fmt: skip


def record_key_from_pseudonym(pseudonym: pl.Expr) -> pl.Expr:
    """Deterministic record key in [0, 1) from the pseudonym's last 13 hex digits."""
    return (
        pseudonym.str.slice(-RECORD_KEY_HEX_DIGITS).str.to_integer(base=16, strict=False)
        / RECORD_KEY_SCALE
    )


def validate_chunk(frame: pl.DataFrame, spec: TableSpec, file: str, delimiter: str) -> Validated:
    present_cols = set(frame.columns)
    missing_optional = [
        pl.lit(None, dtype=pl.String).alias(c.name)
        for c in spec.columns
        if c.name not in present_cols
    ]
    if missing_optional:
        frame = frame.with_columns(missing_optional)
    typed: list[pl.Expr] = []
    codes: list[pl.Expr] = []
    shown: dict[str, pl.Expr] = {}
    for col in spec.columns:
        value, show, present = _typed(col, frame.schema[col.name])
        typed += [value.alias(_v(col.name)), present.alias(f"__p_{col.name}")]
        # Checks read the materialised typed value instead of re-deriving it per check.
        codes.append(
            _problem_code(col, pl.col(_v(col.name)), pl.col(f"__p_{col.name}")).alias(_e(col.name))
        )
        shown[col.name] = show
    work = frame.lazy().with_columns(*typed).with_columns(*codes)
    rule_cols: list[str] = []
    rule_list = rules_for(spec.name)
    rule_exprs: list[pl.Expr] = []
    for i, rule in enumerate(rule_list):
        clean = pl.all_horizontal([pl.col(_e(c)).is_null() for c in rule.involved])
        broken = rule.violated(lambda c: pl.col(_v(c)))
        rule_exprs.append((clean & broken).fill_null(False).alias(f"__r_{i}"))
        rule_cols.append(f"__r_{i}")
    if rule_exprs:
        work = work.with_columns(rule_exprs)
    bad_mask = pl.any_horizontal(
        [pl.col(_e(c.name)).is_not_null() for c in spec.columns] + [pl.col(r) for r in rule_cols]
    )
    # Materialise once: the good rows and every problem list below read this frame.
    checked = work.with_columns(bad_mask.alias("__bad")).collect()
    bad_df = checked.filter(pl.col("__bad"))
    good_cols = [pl.col(_v(c.name)).alias(c.name) for c in spec.columns]
    good = checked.lazy()
    if bad_df.height:
        good = good.filter(~pl.col("__bad"))
    good = good.select(*good_cols, pl.col(LINE_COL))
    if spec.name == "student_years":
        good = good.with_columns(
            pl.coalesce(pl.col("record_key"), record_key_from_pseudonym(pl.col("pseudonym")))
        )
    if bad_df.height == 0:
        return Validated(good.collect(), pl.DataFrame(schema=PROBLEM_SCHEMA), 0)
    bad = bad_df.lazy()
    if RAW_COL in frame.columns:
        raw = pl.col(RAW_COL)
    else:
        raw = pl.concat_str(
            [pl.col(c.name).cast(pl.String).fill_null("") for c in spec.columns],
            separator=delimiter,
        )
    prefix = pl.concat_str([pl.lit(f"Datei {file}, Zeile "), pl.col(LINE_COL).cast(pl.String)])
    parts: list[pl.LazyFrame] = []
    for col in spec.columns:
        parts.append(
            bad.filter(pl.col(_e(col.name)).is_not_null()).select(
                pl.col(LINE_COL).alias("zeile"),
                pl.lit(col.name).alias("spalte"),
                (prefix + pl.lit(f", Spalte {col.name}: ") + _reason(col, shown[col.name])).alias(
                    "grund"
                ),
                raw.alias("rohdaten"),
            )
        )
    for rule, rcol in zip(rule_list, rule_cols, strict=True):
        parts.append(
            bad.filter(pl.col(rcol)).select(
                pl.col(LINE_COL).alias("zeile"),
                pl.lit(rule.column).alias("spalte"),
                (prefix + pl.lit(f", Spalte {rule.column}: {rule.message}")).alias("grund"),
                raw.alias("rohdaten"),
            )
        )
    good_df, *problem_frames = pl.collect_all([good, *parts])
    problems = pl.concat(problem_frames).sort("zeile", maintain_order=True)
    return Validated(good_df, problems, bad_df.height)
