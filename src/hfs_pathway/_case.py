"""Cases: a patient and their events, loaded from JSON with typed, located errors.

Loading is the edge where untrusted input becomes typed data. Whatever arrives (bytes, text, a
path, a parsed mapping), the result is a :class:`Case` or one of the library's own errors: an
``InvalidCase`` for the wrong shape, an ``InvalidEvent`` carrying the index of the first bad event.
"""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, StrictBool, TypeAdapter, ValidationError

from ._errors import InvalidCase, InvalidEvent
from ._events import EVENT_ADAPTER, EVENT_MODELS, ClinicalDate, Event
from ._vocabulary import Sex
from ._words import did_you_mean


class CaseLimits(NamedTuple):
    """How large one case may be. Larger input is refused with ``InvalidCase`` before it is parsed or replayed.

    The defaults leave room for any real patient: forty years of toxin every three months, each injection with
    its response and a review, is about 500 events and 100 KB of JSON; a FHIR Bundle of the same record is
    about 2 MB. Input past them is a mistake (a whole cohort in one case, a runaway export) or an attack, and
    it would hold a process for seconds and hundreds of megabytes.
    """

    max_bytes: int = 8 * 1024 * 1024
    """The size of a case file, JSON text, cohort line or FHIR Bundle, in bytes (8 MiB)."""
    max_events: int = 10_000
    """The number of events in a case (for a FHIR input: the number of resources read)."""


DEFAULT_LIMITS = CaseLimits()


class Patient(BaseModel):
    """The patient: an opaque id and the few facts the rules use."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: Annotated[str, Field(min_length=1, max_length=200)]
    birth_date: ClinicalDate | None = None
    sex: Sex | None = None
    asian_ancestry: StrictBool | None = None
    """For the HLA-B*1502 warning before carbamazepine."""


class Case(BaseModel):
    """A patient and their clinical events, in date order."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    patient: Patient
    events: tuple[Event, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The case as JSON-ready data that loads back to an equal case."""
        return {
            "patient": self.patient.model_dump(mode="json", exclude_none=True),
            "events": [event_to_dict(e) for e in self.events],
        }


_CASE_ADAPTER: TypeAdapter[Case] = TypeAdapter(Case)


def event_to_dict(event: Event) -> dict[str, Any]:
    """An event as JSON-ready data, ``type`` first, unset optional fields left out.

    A ``null`` that differs from the field's default is kept: an examination finding recorded as not examined
    (``null``, default ``false``) must not come back as a normal finding.
    """
    data = event.model_dump(mode="json", exclude_none=True)
    for name, field in type(event).model_fields.items():
        if field.default is not None and getattr(event, name) is None:
            data[name] = None
    return {"type": data.pop("type"), **data}


def load_case(source: str | bytes | Path | Mapping[str, Any], *, limits: CaseLimits = DEFAULT_LIMITS) -> Case:
    """Read a case from a file path, JSON text or bytes, or an already parsed mapping.

    A ``str`` is JSON text when it starts with ``{`` or ``[`` (after white space), a file path when it
    names one (or ends in ``.json``), and otherwise parsed as JSON (and refused as such).

    Raises ``InvalidCase`` when the input is not JSON, not shaped like a case, or larger than ``limits``
    allow, and ``InvalidEvent`` (with ``event_index``) for the first event that does not validate.
    """
    if isinstance(source, str) and _names_a_file(source):
        source = Path(source)
    if isinstance(source, Path):
        source = read_limited(source, limits.max_bytes, "case file")
    if isinstance(source, (str, bytes, bytearray)):
        check_size(source, limits.max_bytes, "the case")
        try:
            # The fast path: pydantic-core parses and validates the text in one pass, without Python objects
            # for the parsed JSON. Anything it refuses is parsed again below, to be worded as before.
            case = _CASE_ADAPTER.validate_json(source)
        except ValidationError:
            pass
        else:
            check_event_count(len(case.events), limits.max_events)
            return case
        import json  # only text that failed needs the standard parser; mappings never load it

        try:
            data: Any = json.loads(source)
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, an integer too long to convert
            raise InvalidCase(f"the case is not valid JSON: {exc}") from None
        except RecursionError:
            raise InvalidCase("the case is not valid JSON: it is nested too deeply") from None
    else:
        data = source
    return case_from_data(data, limits=limits)


def read_limited(path: Path, max_bytes: int, what: str) -> bytes:
    """The bytes of a file, refused with ``InvalidCase`` (before reading it whole) when larger than ``max_bytes``."""
    try:
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InvalidCase(f"cannot read {what} {str(path)!r}: {reason}") from None
    check_size(data, max_bytes, f"{what} {str(path)!r}")
    return data


def check_size(text: str | bytes | bytearray, max_bytes: int, what: str) -> None:
    """Refuse input larger than ``max_bytes`` (text is measured as UTF-8) with ``InvalidCase``."""
    size = len(text)
    if size > max_bytes // 4 and isinstance(text, str) and not text.isascii():
        size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise InvalidCase(
            f"{what} is larger than a case may be: more than {max_bytes:,} bytes (the limit is CaseLimits.max_bytes)"
        )


def check_event_count(count: int, max_events: int, what: str = "the case") -> None:
    """Refuse a case with more than ``max_events`` events with ``InvalidCase``."""
    if count > max_events:
        raise InvalidCase(
            f"{what} has {count:,} events, more than a case may have ({max_events:,}; the limit is "
            f"CaseLimits.max_events)"
        )


def _names_a_file(text: str) -> bool:
    if text.lstrip().startswith(("{", "[")) or "\x00" in text or "\n" in text or len(text) > 4096:
        return False
    if text.endswith(".json"):
        return True
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def case_from_data(data: Any, *, limits: CaseLimits = DEFAULT_LIMITS) -> Case:
    """Validate parsed JSON data as a case.

    A well-formed case is validated in one call; only when that fails is it checked piece by piece,
    to name the first bad part (and the index of the first bad event) in words.
    """
    if isinstance(data, Mapping):
        events = data.get("events")
        if isinstance(events, Sequence) and not isinstance(events, (str, bytes)):
            check_event_count(len(events), limits.max_events)
    if isinstance(data, dict):
        try:
            return _CASE_ADAPTER.validate_python(data)
        except ValidationError as exc:
            _diagnose(data)
            raise InvalidCase(describe_validation(exc)) from None
    return _diagnose(data)


def _diagnose(data: Any) -> Case:
    """Check a case piece by piece, raising the library's error for the first problem found."""
    if not isinstance(data, Mapping):
        raise InvalidCase(f'a case must be a JSON object {{"patient": {{...}}, "events": [...]}}, not {_kind(data)}')
    unknown = sorted(str(k) for k in data if k not in ("patient", "events"))
    if unknown:
        raise InvalidCase(f"unknown field {unknown[0]!r} in the case (allowed: patient, events)")
    if "patient" not in data:
        raise InvalidCase("the case has no 'patient'")
    try:
        patient = Patient.model_validate(data["patient"])
    except ValidationError as exc:
        raise InvalidCase("patient: " + describe_validation(exc)) from None
    raw_events = data.get("events", [])
    if not isinstance(raw_events, Sequence) or isinstance(raw_events, (str, bytes)):
        raise InvalidCase(f"'events' must be a list of events, not {_kind(raw_events)}")
    return Case.model_construct(patient=patient, events=parse_events(raw_events))


def parse_events(raw_events: Sequence[Any]) -> tuple[Event, ...]:
    events = []
    for index, raw in enumerate(raw_events):
        events.append(parse_event(raw, index))
    return tuple(events)


def parse_event(raw: Any, index: int | None = None) -> Event:
    """Validate one event; errors carry ``index`` and say which field is wrong and why."""
    if not isinstance(raw, Mapping):
        raise InvalidEvent(
            f"{_where(index)} must be an object with a 'type' and a 'date', not {_kind(raw)}", event_index=index
        )
    kind = raw.get("type")
    if kind is None:
        raise InvalidEvent(f"{_where(index)} has no 'type'", event_index=index)
    if not isinstance(kind, str) or kind not in EVENT_MODELS:
        hint = did_you_mean(kind, EVENT_MODELS) if isinstance(kind, str) else ""
        raise InvalidEvent(
            f"{_where(index)} has an unknown type {kind!r}{hint}; known types: {', '.join(EVENT_MODELS)}",
            event_index=index,
        )
    try:
        return EVENT_ADAPTER.validate_python(raw)
    except ValidationError as exc:
        raise InvalidEvent(f"{_where(index)} ({kind}): {describe_validation(exc, skip=1)}", event_index=index) from None


def describe_validation(exc: ValidationError, *, skip: int = 0) -> str:
    """Pydantic's errors in a clinician's words: the field, what is wrong, and the value given."""
    parts = []
    for error in exc.errors(include_url=False)[:5]:
        loc = [str(p) for p in error["loc"][skip:]]
        field_name = ".".join(loc)
        message = str(error["msg"]).removeprefix("Value error, ")
        kind = error["type"]
        if kind == "extra_forbidden":
            parts.append(f"unknown field {field_name!r}")
            continue
        if kind == "missing":
            parts.append(f"missing field {field_name!r}")
            continue
        value = error.get("input")
        shown = f" (got {value!r})" if isinstance(value, (str, int, float, bool)) and len(repr(value)) <= 60 else ""
        parts.append(f"{field_name}: {message}{shown}" if field_name else f"{message}")
    more = len(exc.errors()) - 5
    if more > 0:
        parts.append(f"and {more} more problem{'s' if more > 1 else ''}")
    return "; ".join(parts)


def _where(index: int | None) -> str:
    return "the event" if index is None else f"event {index}"


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )
