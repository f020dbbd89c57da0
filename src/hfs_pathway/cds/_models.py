"""The CDS Hooks 2.0 request and response shapes, as pydantic models: they validate what clients send
and describe every endpoint in the published OpenAPI schema. Extensions (extra fields) are allowed, as
the specification asks; responses are built as plain JSON for speed and documented with these models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

Uuid = Annotated[
    str, Field(pattern=r"^(urn:uuid:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
]


def _rfc3339(value: Any) -> Any:
    import re

    if not isinstance(value, str) or len(value) > 40 or not re.match(RFC3339, value):
        raise PydanticCustomError(
            "rfc3339", "outcomeTimestamp must be an RFC 3339 date-time with an offset, as 2026-01-01T10:00:00Z"
        )
    return value


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Coding(_Open):
    system: str | None = None
    code: str
    display: str | None = None


class FhirAuthorization(_Open):
    """The token the service uses to read the client's FHIR server."""

    access_token: Annotated[str, Field(min_length=1, max_length=16384)]
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


FhirId = Annotated[str, Field(pattern=r"^[A-Za-z0-9\-.]{1,64}$")]


class PatientViewContext(_Open):
    userId: str  # noqa: N815 (the specification's names)
    patientId: FhirId  # noqa: N815
    encounterId: str | None = None  # noqa: N815


class OrderSelectContext(PatientViewContext):
    selections: list[str]
    draftOrders: dict[str, Any]  # noqa: N815 (a FHIR Bundle)


class HookRequest(_Open):
    """A hook call: the context of the clinician's action, and the patient's data as prefetch."""

    hook: str
    hookInstance: Uuid  # noqa: N815 (the specification's name)
    fhirServer: Annotated[str, Field(max_length=2048)] | None = None  # noqa: N815
    fhirAuthorization: FhirAuthorization | None = None  # noqa: N815
    context: PatientViewContext
    prefetch: dict[str, Any] | None = None


class PatientViewRequest(HookRequest):
    """A ``patient-view`` call."""

    hook: Literal["patient-view"]


class OrderSelectRequest(HookRequest):
    """An ``order-select`` call: the context names the selected draft orders."""

    hook: Literal["order-select"]

    context: OrderSelectContext


class Link(_Open):
    label: str
    url: str
    type: Literal["absolute", "smart"]


class Action(_Open):
    type: Literal["create", "update", "delete"]
    description: str
    resource: dict[str, Any] | None = None


class Suggestion(_Open):
    label: str
    uuid: str | None = None
    isRecommended: bool | None = None  # noqa: N815
    actions: list[Action] = []


class Source(_Open):
    label: str
    url: str | None = None
    topic: Coding | None = None


class Card(_Open):
    uuid: str | None = None
    summary: Annotated[str, Field(max_length=139)]
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None  # noqa: N815
    overrideReasons: list[Coding] | None = None  # noqa: N815
    links: list[Link] | None = None


class CdsResponse(_Open):
    """The service's answer: cards for the clinician (none when the pathway has nothing to say)."""

    cards: list[Card]


class ServiceDescription(_Open):
    hook: str
    id: str
    title: str | None = None
    description: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None  # noqa: N815


class Discovery(_Open):
    services: list[ServiceDescription]


class AcceptedSuggestion(_Open):
    id: Uuid


class FeedbackCoding(_Open):
    """An override reason's Coding; every part that is kept has a length limit (longer is refused, not cut)."""

    system: Annotated[str, Field(min_length=1, max_length=512)] | None = None
    code: Annotated[str, Field(min_length=1, max_length=128)]
    display: Annotated[str, Field(max_length=500)] | None = None


class OverrideReason(_Open):
    reason: FeedbackCoding | None = None
    userComment: Annotated[str, Field(max_length=4000)] | None = None  # noqa: N815

    @model_validator(mode="after")
    def _says_something(self) -> OverrideReason:
        if self.reason is None and self.userComment is None:
            raise PydanticCustomError(
                "empty_override_reason", "an overrideReason needs a reason (a Coding) or a userComment, or is left out"
            )
        return self


RFC3339 = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
"""An RFC 3339 date-time (section 5.6): date, time and an offset (``Z`` or ``+hh:mm``), as the specification
profiles ``outcomeTimestamp``."""


class FeedbackEntry(_Open):
    card: Uuid
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: Annotated[list[AcceptedSuggestion], Field(max_length=100)] = []  # noqa: N815
    overrideReason: OverrideReason | None = None  # noqa: N815
    outcomeTimestamp: Annotated[dt.datetime, BeforeValidator(_rfc3339)]  # noqa: N815

    @model_validator(mode="after")
    def _accepted_names_its_suggestions(self) -> FeedbackEntry:
        # The specification: acceptedSuggestions is required for an accepted outcome (and arrays are never empty).
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise PydanticCustomError(
                "accepted_without_suggestions",
                "an accepted outcome requires acceptedSuggestions (at least one {'id': <suggestion uuid>})",
            )
        return self


class Feedback(_Open):
    """What the clinician did with the service's cards."""

    feedback: Annotated[list[FeedbackEntry], Field(min_length=1, max_length=100)]


class FeedbackReceipt(BaseModel):
    recorded: int


class ErrorBody(BaseModel):
    detail: str
