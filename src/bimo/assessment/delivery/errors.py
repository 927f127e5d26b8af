"""The error type of test delivery: an expected failure with a German message."""

from __future__ import annotations

from bimo.core.errors import BimoError

__all__ = ["DeliveryError"]


class DeliveryError(BimoError):
    """A test, session, code or attempt operation that cannot be done (German message).

    The message is shown as is to the person concerned (student, proctor, Land), so it says
    what to do next and never contains a code, a token or anything that identifies a student.
    """
