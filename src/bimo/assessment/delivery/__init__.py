"""Test delivery for Lernstandserhebungen: test design (booklets), sessions and access codes,
responses written idempotently, coding of open answers and export for ``bimo scale fit``.

The answer write path is :mod:`bimo.assessment.delivery.responses`, the simulated wave
:mod:`bimo.assessment.delivery.demo` and the sample items :mod:`bimo.assessment.delivery.samples`
(imported from their modules; see ``docs/test-delivery.md``).

Exports are imported on first use (PEP 562 ``__getattr__``): ``bimo --help`` imports the
``cli`` submodule and must not pay for SciPy and SQLAlchemy models."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .codes import CODE_ALPHABET, CODE_BITS, CODE_LENGTH, format_code, normalise_code
    from .coding import (
        MAX_CODE,
        CodingStatus,
        CodingTask,
        ItemAgreement,
        agreement,
        coding_queue,
        coding_status,
        open_item_refs,
        record_coding,
    )
    from .design import DesignBalance, design_balance, difference_set, rotation_design
    from .errors import DeliveryError
    from .export import ExportResult, export_wide
    from .models import (
        AccessCode,
        Attempt,
        AttemptStatus,
        Coding,
        SessionStatus,
        TestDefinition,
        TestResponse,
        TestSession,
    )
    from .sessions import (
        AttemptProgress,
        CreatedSession,
        OpenedAttempt,
        PrintedCode,
        Timer,
        advance_if_expired,
        attempt_for_token,
        attempt_items,
        attempt_test,
        create_session,
        end_session,
        extend_time,
        get_session,
        list_sessions,
        next_block,
        open_attempt,
        open_session,
        pause_session,
        resume_session,
        session_progress,
        submit_attempt,
        timer,
        timer_from,
        unlock_attempt,
    )
    from .tests import (
        BookletItem,
        all_item_refs,
        booklet_design,
        booklet_items,
        cluster_refs,
        create_test,
        get_test,
        list_tests,
        n_booklets,
        parse_item_ref,
    )

__all__ = [
    "CODE_ALPHABET",
    "CODE_BITS",
    "CODE_LENGTH",
    "MAX_CODE",
    "AccessCode",
    "Attempt",
    "AttemptProgress",
    "AttemptStatus",
    "BookletItem",
    "Coding",
    "CodingStatus",
    "CodingTask",
    "CreatedSession",
    "DeliveryError",
    "DesignBalance",
    "ExportResult",
    "ItemAgreement",
    "OpenedAttempt",
    "PrintedCode",
    "SessionStatus",
    "TestDefinition",
    "TestResponse",
    "TestSession",
    "Timer",
    "advance_if_expired",
    "agreement",
    "all_item_refs",
    "attempt_for_token",
    "attempt_items",
    "attempt_test",
    "booklet_design",
    "booklet_items",
    "cluster_refs",
    "coding_queue",
    "coding_status",
    "create_session",
    "create_test",
    "design_balance",
    "difference_set",
    "end_session",
    "export_wide",
    "extend_time",
    "format_code",
    "get_session",
    "get_test",
    "list_sessions",
    "list_tests",
    "n_booklets",
    "next_block",
    "normalise_code",
    "open_attempt",
    "open_item_refs",
    "open_session",
    "parse_item_ref",
    "pause_session",
    "record_coding",
    "resume_session",
    "rotation_design",
    "session_progress",
    "submit_attempt",
    "timer",
    "timer_from",
    "unlock_attempt",
]

_EXPORTS: dict[str, str] = {
    "CODE_ALPHABET": "bimo.assessment.delivery.codes",
    "CODE_BITS": "bimo.assessment.delivery.codes",
    "CODE_LENGTH": "bimo.assessment.delivery.codes",
    "MAX_CODE": "bimo.assessment.delivery.coding",
    "AccessCode": "bimo.assessment.delivery.models",
    "Attempt": "bimo.assessment.delivery.models",
    "AttemptProgress": "bimo.assessment.delivery.sessions",
    "AttemptStatus": "bimo.assessment.delivery.models",
    "BookletItem": "bimo.assessment.delivery.tests",
    "Coding": "bimo.assessment.delivery.models",
    "CodingStatus": "bimo.assessment.delivery.coding",
    "CodingTask": "bimo.assessment.delivery.coding",
    "CreatedSession": "bimo.assessment.delivery.sessions",
    "DeliveryError": "bimo.assessment.delivery.errors",
    "DesignBalance": "bimo.assessment.delivery.design",
    "ExportResult": "bimo.assessment.delivery.export",
    "ItemAgreement": "bimo.assessment.delivery.coding",
    "OpenedAttempt": "bimo.assessment.delivery.sessions",
    "PrintedCode": "bimo.assessment.delivery.sessions",
    "SessionStatus": "bimo.assessment.delivery.models",
    "TestDefinition": "bimo.assessment.delivery.models",
    "TestResponse": "bimo.assessment.delivery.models",
    "TestSession": "bimo.assessment.delivery.models",
    "Timer": "bimo.assessment.delivery.sessions",
    "advance_if_expired": "bimo.assessment.delivery.sessions",
    "agreement": "bimo.assessment.delivery.coding",
    "all_item_refs": "bimo.assessment.delivery.tests",
    "attempt_for_token": "bimo.assessment.delivery.sessions",
    "attempt_items": "bimo.assessment.delivery.sessions",
    "attempt_test": "bimo.assessment.delivery.sessions",
    "booklet_design": "bimo.assessment.delivery.tests",
    "booklet_items": "bimo.assessment.delivery.tests",
    "cluster_refs": "bimo.assessment.delivery.tests",
    "coding_queue": "bimo.assessment.delivery.coding",
    "coding_status": "bimo.assessment.delivery.coding",
    "create_session": "bimo.assessment.delivery.sessions",
    "create_test": "bimo.assessment.delivery.tests",
    "design_balance": "bimo.assessment.delivery.design",
    "difference_set": "bimo.assessment.delivery.design",
    "end_session": "bimo.assessment.delivery.sessions",
    "export_wide": "bimo.assessment.delivery.export",
    "extend_time": "bimo.assessment.delivery.sessions",
    "format_code": "bimo.assessment.delivery.codes",
    "get_session": "bimo.assessment.delivery.sessions",
    "get_test": "bimo.assessment.delivery.tests",
    "list_sessions": "bimo.assessment.delivery.sessions",
    "list_tests": "bimo.assessment.delivery.tests",
    "n_booklets": "bimo.assessment.delivery.tests",
    "next_block": "bimo.assessment.delivery.sessions",
    "normalise_code": "bimo.assessment.delivery.codes",
    "open_attempt": "bimo.assessment.delivery.sessions",
    "open_item_refs": "bimo.assessment.delivery.coding",
    "open_session": "bimo.assessment.delivery.sessions",
    "parse_item_ref": "bimo.assessment.delivery.tests",
    "pause_session": "bimo.assessment.delivery.sessions",
    "record_coding": "bimo.assessment.delivery.coding",
    "resume_session": "bimo.assessment.delivery.sessions",
    "rotation_design": "bimo.assessment.delivery.design",
    "session_progress": "bimo.assessment.delivery.sessions",
    "submit_attempt": "bimo.assessment.delivery.sessions",
    "timer": "bimo.assessment.delivery.sessions",
    "timer_from": "bimo.assessment.delivery.sessions",
    "unlock_attempt": "bimo.assessment.delivery.sessions",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        if not name.startswith("__"):
            # Submodules stay reachable as attributes (``pkg.submodule``).
            try:
                return importlib.import_module(f"{__name__}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{__name__}.{name}":
                    raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
