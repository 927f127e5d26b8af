"""Minimum group sizes for the school feedback report and complementary suppression of classes.

A class below the minimum gets no numbers. That alone is not enough: the school result is the
weighted combination of its classes, so with the school and all other classes published, a
single small class could be recomputed (school total minus the others). The suppressed classes
of a school must therefore together hold at least the minimum number of students; otherwise
the smallest published class is suppressed as well, until they do (or all classes are hidden,
in which case only the school result remains, which then meets the minimum itself).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from bimo.core.config import Settings, get_settings
from bimo.core.errors import BimoError

# Default minimum number of tested students for any number about a class or school in the
# feedback report (see docs/feedback-reports.md for the reasoning).
DEFAULT_MIN_GROUP = 10


def resolve_min_group(min_group: int | None, settings: Settings | None = None) -> int:
    """The minimum group size to use: ``min_group`` or the default, never below ``min_cell``."""
    floor = (settings or get_settings()).min_cell
    if min_group is None:
        return max(DEFAULT_MIN_GROUP, floor)
    if min_group < floor:
        raise BimoError(
            f"Die Mindestgruppengröße {min_group} ist nicht zulässig: sie darf die "
            f"Mindestfallzahl BIMO_MIN_CELL={floor} nicht unterschreiten."
        )
    return min_group


def suppressed_classes(
    sizes: Mapping[str, int],
    threshold: int,
    school_shown: bool,
    forced: Collection[str] = (),
) -> set[str]:
    """Classes that get no numbers: too small ones plus complementary suppressions.

    ``sizes`` maps class → number of tested students (for item statistics: the number who
    worked on the item); ``school_shown`` tells whether the school's own value is published;
    ``forced`` classes are hidden whatever their size (e.g. item values of a class whose
    overall results are hidden).
    """
    hidden = {k for k, n in sizes.items() if n < threshold or k in forced}
    if not school_shown:
        return hidden
    while hidden and 0 < sum(sizes[k] for k in hidden) < threshold:
        shown = [k for k in sizes if k not in hidden]
        if not shown:
            break
        hidden.add(min(shown, key=lambda k: (sizes[k], k)))
    return hidden
