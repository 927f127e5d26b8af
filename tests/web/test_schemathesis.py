"""Property tests of every API operation from the OpenAPI description (schemathesis).

Generated requests against the app on the Musterland data: no answer may be a server error,
and every documented answer must match its response schema. Writes arrive without a session
or CSRF token, so they exercise the refusal paths (which must not be 5xx either).

The operations are walked here rather than with ``schema.parametrize()``: schemathesis'
pytest integration does not work with the installed pytest (``Function._nodeid``).
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err, Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

CHECKS = [not_a_server_error, response_schema_conformance]
EXAMPLES = 8


def _failures(app: FastAPI) -> tuple[set[str], list[str]]:
    """The operations tested and the failure of each operation that failed."""
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    results = list(schema.get_all_operations())
    failures: list[str] = [f"Ungültige Operation: {r.err()}" for r in results if isinstance(r, Err)]
    operations = [r.ok() for r in results if isinstance(r, Ok)]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def check(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(checks=CHECKS)

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    return {op.label for op in operations}, failures


def test_api_operations_conform(data_app: FastAPI) -> None:
    labels, failures = _failures(data_app)
    # The whole API is covered: indicators, regions, targets, directory.
    for part in (
        "/api/v1/indikatoren/{indicator_id}/werte",
        "/api/v1/regionen",
        "/api/v1/angebote",
    ):
        assert any(label.endswith(part) for label in labels), (part, labels)
    assert not failures, "\n\n".join(failures)


def test_a_server_error_is_detected(data_app: FastAPI) -> None:
    """The check itself can fail: an operation that crashes on some input is reported."""

    @data_app.get("/api/v1/probe")
    def probe(n: int = 0) -> dict[str, int]:
        return {"kehrwert": 1 // n}

    _labels, failures = _failures(data_app)
    assert any("/api/v1/probe" in failure for failure in failures), failures
