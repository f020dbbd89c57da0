"""The library's errors: one base class, one subclass per error code of the contract.

Every error carries a stable ``code`` (spec §5), the ``event_index`` of the offending event when
there is one, and a message written for a clinician. Messages only repeat what the caller passed
in for that call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar


class PathwayError(Exception):
    """Base class of every error the library raises on purpose."""

    code: ClassVar[str] = "pathway_error"

    def __init__(self, message: str, *, event_index: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.event_index = event_index

    def to_dict(self) -> dict[str, object]:
        """The error as the JSON object of the contract: ``{"code", "message", "event_index"}``."""
        return {"code": self.code, "message": self.message, "event_index": self.event_index}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, event_index={self.event_index!r}, message={self.message!r})"


class InvalidCase(PathwayError):
    """The case is not JSON, or not shaped as ``{"patient": {...}, "events": [...]}``."""

    code = "invalid_case"


class InvalidEvent(PathwayError):
    """An event has an unknown type, an unknown or missing field, a value out of range, or a field
    not allowed with the other values given."""

    code = "invalid_event"


class OutOfOrder(PathwayError):
    """An event is dated before the previous one, or an evaluation date is before the last event."""

    code = "out_of_order"


class EventNotAllowed(PathwayError):
    """The current stage does not accept the event, or the event's precondition is not met."""

    code = "event_not_allowed"

    def __init__(
        self,
        message: str,
        *,
        event_index: int | None = None,
        stage: str,
        event_type: str,
        accepted: Sequence[str] = (),
    ) -> None:
        super().__init__(message, event_index=event_index)
        self.stage = stage
        self.event_type = event_type
        self.accepted = tuple(accepted)


class CheckpointNotSatisfied(PathwayError):
    """A referral for microvascular decompression was asked for without the risk-benefit checkpoint."""

    code = "checkpoint_not_satisfied"

    def __init__(self, message: str, *, event_index: int | None = None, unmet: Sequence[str] = ()) -> None:
        super().__init__(message, event_index=event_index)
        self.unmet = tuple(unmet)


class InvalidGuideline(PathwayError):
    """A guideline configuration has an unknown key or a bad value."""

    code = "invalid_guideline"


class InvalidDefinition(PathwayError):
    """A pathway definition is broken: an unreachable stage, a dead end, an event never accepted."""

    code = "invalid_definition"


ERROR_TYPES: dict[str, type[PathwayError]] = {
    cls.code: cls
    for cls in (
        InvalidCase,
        InvalidEvent,
        OutOfOrder,
        EventNotAllowed,
        CheckpointNotSatisfied,
        InvalidGuideline,
        InvalidDefinition,
    )
}


class InvalidArgument(PathwayError):
    """A value passed to a function or to the command line is not what it takes: an evaluation date that is
    not a date, a stage name that is not a stage, an output path that cannot be written."""

    code = "invalid_argument"


ERROR_TYPES[InvalidArgument.code] = InvalidArgument
