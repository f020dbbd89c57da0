"""Saving, loading and hostile input.

Saving and loading a pathway, or a case, changes nothing (spec §4.6). Whatever arrives at ``load_case`` (any JSON
value, any text, any bytes, a valid case with a field dropped, renamed or retyped), the library answers with a case
or with one of its own errors (``InvalidCase``, ``InvalidEvent``), never another exception; whatever it accepts,
``Pathway.replay`` either replays or refuses with a ``PathwayError``. An ``InvalidEvent`` points at the bad event.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hfs_pathway import (
    Case,
    InvalidCase,
    InvalidEvent,
    Pathway,
    PathwayError,
    load_case,
)
from tests.builder import CaseBuilder
from tests.strategies import (
    CLINICAL_VOCABULARY,
    EVENT_TYPES,
    EXAMPLE_FIELDS,
    REQUIRED_FIELDS,
    bad_events,
    patients,
    plausible_cases,
)

FIELD_NAMES = sorted(
    {name for fields in EXAMPLE_FIELDS.values() for name in fields}
    | {name for fields in REQUIRED_FIELDS.values() for name in fields}
    | {
        "type",
        "date",
        "note",
        "patient",
        "events",
        "id",
        "birth_date",
        "sex",
        "asian_ancestry",
        "symptom_onset_date",
        "benefit_duration_days",
        "onset_days",
        "adverse_effects",
        "adverse_effect_severity",
        "next_option",
        "override_reason",
        "anticoagulation_can_pause",
        "hla_b1502_tested",
        "sites",
        "lsr_resolved",
        "complications",
        "permanent",
        "jrs_severity",
        "smc_grade",
        "hfs7",
    }
)
"""Keys a case file uses, so that fuzzed objects often look like (broken) cases and events."""

DATES = (st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)) | st.dates()).map(dt.date.isoformat)
"""Mostly plausible dates, and any calendar date from year 1 to 9999."""

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(EVENT_TYPES + CLINICAL_VOCABULARY),
    DATES,
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=25,
)
"""Any JSON value, with keys and strings often taken from the contract's vocabulary."""

EVENT_LIKE = st.fixed_dictionaries(
    {"type": st.sampled_from(EVENT_TYPES), "date": DATES},
    optional={name: JSON_VALUES for name in FIELD_NAMES if name not in ("type", "date")},
)
"""An object with a real event type and date and any other fields of any value."""

CASE_LIKE = st.fixed_dictionaries(
    {"patient": patients() | JSON_VALUES, "events": st.lists(EVENT_LIKE | JSON_VALUES, max_size=5)},
    optional={"extra": JSON_VALUES},
)


def load_and_replay(source: Any) -> Pathway | None:
    """``load_case`` then ``Pathway.replay`` and an evaluation: only the library's own errors may escape them, each
    with a message and an event index that points into the case."""
    try:
        case = load_case(source)
    except PathwayError as error:
        check_load_error(error)
        return None
    assert isinstance(case, Case)
    try:
        pathway = Pathway.replay(case)
    except PathwayError as error:
        check_replay_error(error, case)
        return None
    as_of = pathway.events[-1].date if pathway.events else dt.date(2025, 1, 1)
    json.dumps(pathway.evaluate(as_of).to_dict())
    return pathway


def check_load_error(error: PathwayError) -> None:
    """load_case refuses only with InvalidCase (no event index) or InvalidEvent (with one), and says why."""
    assert isinstance(error, (InvalidCase, InvalidEvent)), f"load_case raised {error!r}"
    assert error.code in ("invalid_case", "invalid_event")
    assert error.message
    assert (error.event_index is not None) == isinstance(error, InvalidEvent)
    assert error.event_index is None or error.event_index >= 0


def check_replay_error(error: PathwayError, case: Case) -> None:
    """A replay refusal says why and points at an event of the case."""
    assert error.message
    assert error.event_index is not None
    assert 0 <= error.event_index < len(case.events)


# Saving and loading ----------------------------------------------------------------------------------------------


@given(case=plausible_cases(), delay=st.integers(0, 400))
def test_saving_and_loading_a_pathway_changes_nothing(case: dict[str, Any], delay: int) -> None:
    """§4.6: to_json then from_json gives an equal pathway with the same evaluation, on either engine, and the
    saved text is byte-identical after a second round trip."""
    pathway = Pathway.replay(case)
    as_of = (pathway.events[-1].date if pathway.events else dt.date(2025, 1, 1)) + dt.timedelta(days=delay)
    evaluation = pathway.evaluate(as_of).to_dict()
    saved = pathway.to_json()
    loaded = Pathway.from_json(saved)
    assert loaded == pathway
    assert loaded.stage is pathway.stage
    assert loaded.history == pathway.history
    assert loaded.evaluate(as_of).to_dict() == evaluation
    assert loaded.to_json() == saved
    assert Pathway.from_json(loaded.to_json()).to_json() == saved
    assert Pathway.from_json(saved.encode()).to_json() == saved
    on_machine = Pathway.from_json(saved, engine="transitions")
    assert on_machine == pathway
    assert on_machine.evaluate(as_of).to_dict() == evaluation


@given(case=plausible_cases())
def test_a_case_survives_to_dict_and_load_case(case: dict[str, Any]) -> None:
    """Case.to_dict() loads back to an equal case, as a mapping, as JSON text and as JSON bytes, and replays to the
    same pathway."""
    loaded = load_case(case)
    data = loaded.to_dict()
    assert load_case(data) == loaded
    assert load_case(data).to_dict() == data
    text = json.dumps(data)
    assert load_case(text) == loaded
    assert load_case(text.encode()) == loaded
    assert Pathway.replay(load_case(data)) == Pathway.replay(loaded)
    assert Pathway.replay(loaded).to_case() == loaded


# Fuzzing load_case ------------------------------------------------------------------------------------------------


@given(value=JSON_VALUES | CASE_LIKE)
def test_any_json_value_is_a_case_or_a_contract_error(value: Any) -> None:
    """Any JSON value (a parsed mapping, list, number, ...) loads as a case or raises InvalidCase/InvalidEvent;
    whatever loads replays or raises a PathwayError."""
    load_and_replay(value)
    load_and_replay(json.dumps(value))


@given(value=JSON_VALUES | CASE_LIKE, cut=st.integers(0, 200), junk=st.text(max_size=3))
def test_any_json_text_is_a_case_or_a_contract_error(value: Any, cut: int, junk: str) -> None:
    """JSON text, whole, cut short or with junk spliced in, gives a case or InvalidCase/InvalidEvent."""
    text = json.dumps({"patient": {"id": "p"}, "events": [value]} if isinstance(value, dict) else value)
    load_and_replay(text)
    load_and_replay("{" + text[:cut])
    load_and_replay(text[:cut] + junk + text[cut:])


@given(text=st.text(max_size=40))
def test_any_text_is_a_case_or_a_contract_error(text: str) -> None:
    """Any text, read as JSON or as the path of a case file that does not exist, gives a case or
    InvalidCase/InvalidEvent."""
    load_and_replay("{" + text)
    load_and_replay("[" + text)
    load_and_replay(" \n{" + text + "}")
    load_and_replay("no such case file " + text)
    load_and_replay("no such case " + text + ".json")


@given(data=st.binary(max_size=60))
def test_any_bytes_are_a_case_or_a_contract_error(data: bytes) -> None:
    """Any bytes (not UTF-8, a byte-order mark, half a JSON document) give a case or InvalidCase/InvalidEvent."""
    load_and_replay(data)
    load_and_replay(b'{"patient": {"id": "p"}, "events": [' + data)


# Mutated valid cases ----------------------------------------------------------------------------------------------

MUTATIONS = ("drop", "rename", "retype", "null")


def retyped(value: Any) -> Any:
    """A value of another JSON type that no field of the contract accepts in place of ``value``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return 7
    if isinstance(value, list):
        return {"0": value}
    return [value]


@given(case=plausible_cases(), mutation=st.sampled_from(MUTATIONS), data=st.data())
def test_a_mutated_event_is_refused_at_its_own_index(case: dict[str, Any], mutation: str, data: st.DataObject) -> None:
    """A valid case with one event's field renamed or retyped is refused with InvalidEvent pointing at that event;
    with a field dropped or nulled it is refused at that event (a required field) or loads, and then replays or
    raises a PathwayError."""
    assume(case["events"])
    index = data.draw(st.integers(0, len(case["events"]) - 1), label="event")
    event = dict(case["events"][index])
    name = data.draw(st.sampled_from(sorted(event)), label="field")
    if mutation == "drop":
        del event[name]
    elif mutation == "rename":
        event[name + "_"] = event.pop(name)
    elif mutation == "retype":
        event[name] = retyped(event[name])
    else:
        event[name] = None
    events = [*case["events"][:index], event, *case["events"][index + 1 :]]
    mutated = {"patient": case["patient"], "events": events}
    if mutation in ("rename", "retype") or name in ("type", "date") or name in REQUIRED_FIELDS[event.get("type", "")]:
        with pytest.raises(InvalidEvent) as refused:
            load_case(mutated)
        assert refused.value.event_index == index
        assert refused.value.message
    else:
        load_and_replay(mutated)


@given(case=plausible_cases(), mutation=st.sampled_from(MUTATIONS), data=st.data())
def test_a_mutated_patient_or_case_shape_is_invalid_case(
    case: dict[str, Any], mutation: str, data: st.DataObject
) -> None:
    """A case whose shape is broken (patient field renamed or retyped, id dropped, events not a list, an unknown
    top-level key) is refused with InvalidCase."""
    patient = dict(case["patient"])
    name = data.draw(st.sampled_from(sorted(patient)), label="patient field")
    if mutation == "drop":
        assume(name == "id")
        del patient[name]
        broken: dict[str, Any] = {"patient": patient, "events": case["events"]}
    elif mutation == "rename":
        patient[name + "_"] = patient.pop(name)
        broken = {"patient": patient, "events": case["events"]}
    elif mutation == "retype":
        broken = data.draw(
            st.sampled_from(
                [
                    {"patient": {**patient, name: retyped(patient[name])}, "events": case["events"]},
                    {"patient": patient, "events": {"0": case["events"]}},
                    {"patient": patient, "events": "none"},
                    {"patient": [patient], "events": case["events"]},
                ]
            ),
            label="retyped",
        )
    else:
        broken = {"patient": patient, "events": case["events"], "patients": None}
    with pytest.raises(InvalidCase):
        load_case(broken)


@given(case=plausible_cases(), data=st.data())
def test_reordered_or_repeated_events_replay_or_raise_a_pathway_error(
    case: dict[str, Any], data: st.DataObject
) -> None:
    """Valid events in a wrong order, or one recorded twice, load; replaying them raises at most a PathwayError
    pointing at an event of the case."""
    events = list(case["events"])
    assume(len(events) >= 2)
    i = data.draw(st.integers(0, len(events) - 1), label="i")
    j = data.draw(st.integers(0, len(events) - 1), label="j")
    if data.draw(st.booleans(), label="swap"):
        events[i], events[j] = events[j], events[i]
    else:
        events.insert(j, events[i])
    load_and_replay({"patient": case["patient"], "events": events})


@given(case=plausible_cases(), data=st.data())
def test_an_error_points_at_the_bad_event(case: dict[str, Any], data: st.DataObject) -> None:
    """A bad event (unknown type or field, value out of range or of the wrong type, out of date order, not accepted
    at that stage, a referral without the checkpoint) inserted at position i of a valid case is refused with the
    contract's error and event_index i: by load_case for a malformed event, else by Pathway.replay."""
    index = data.draw(st.integers(0, len(case["events"])), label="position")
    before = Pathway.replay({"patient": case["patient"], "events": case["events"][:index]})
    bad = data.draw(bad_events(before), label="bad event")
    broken = {"patient": case["patient"], "events": [*case["events"][:index], bad.event, *case["events"][index:]]}
    malformed: InvalidEvent | None = None
    try:
        loaded = load_case(broken)
    except InvalidEvent as error:
        malformed = error
    if malformed is not None:
        assert bad.error is InvalidEvent, f"{bad.why}: load_case said {malformed!r}"
        assert malformed.event_index == index
        return
    with pytest.raises(PathwayError) as refused:
        Pathway.replay(loaded)
    assert type(refused.value) is bad.error, f"{bad.why}: {refused.value!r}"
    assert refused.value.event_index == index


# Saved pathways ----------------------------------------------------------------------------------------------------


@given(case=plausible_cases(max_events=8), value=JSON_VALUES, data=st.data())
def test_a_damaged_saved_pathway_is_refused_with_a_contract_error(
    case: dict[str, Any], value: Any, data: st.DataObject
) -> None:
    """A saved pathway with any top-level or guideline entry replaced by another JSON value loads to an equal
    pathway or raises a PathwayError, never another exception."""
    saved = json.loads(Pathway.replay(case).to_json())
    section = data.draw(st.sampled_from(sorted(saved)), label="section")
    if section == "guideline" and data.draw(st.booleans(), label="inside"):
        key = data.draw(st.sampled_from(sorted(saved["guideline"])), label="parameter")
        saved["guideline"][key] = value
    else:
        saved[section] = value
    text = json.dumps(saved)
    try:
        loaded = Pathway.from_json(text)
    except PathwayError as error:
        refusal: PathwayError | None = error
    else:
        refusal = None
        assert loaded.to_json() == Pathway.from_json(loaded.to_json()).to_json()
    assert refusal is None or refusal.message


# Edge cases found by fuzzing (regressions) ---------------------------------------------------------------------------


def test_deeply_nested_json_is_invalid_case() -> None:
    """JSON nested far beyond any case is refused as InvalidCase, not a RecursionError."""
    for text in ("[" * 100_000 + "]" * 100_000, '{"patient": ' * 50_000 + "1" + "}" * 50_000):
        with pytest.raises(InvalidCase):
            load_case(text)


def test_text_with_a_nul_character_is_invalid_case() -> None:
    """Text that is neither JSON nor a readable file, even with a NUL character in it, is InvalidCase (it once
    raised ValueError: embedded null byte)."""
    for text in ("case\x00.json", "\x00", "patient\x00"):
        with pytest.raises(InvalidCase):
            load_case(text)


def test_a_number_with_thousands_of_digits_is_a_contract_error() -> None:
    """An integer too long for Python's JSON reader is a contract error, in a case or a saved pathway (it once
    raised ValueError: exceeds the limit for integer string conversion)."""
    text = '{"patient": {"id": "p"}, "events": [{"type": "presentation", "date": "2025-01-01", "hfs7": 1%s}]}'
    with pytest.raises(PathwayError):
        load_case(text % ("0" * 5000))
    with pytest.raises(PathwayError):
        Pathway.from_json("1" + "0" * 5000)


def test_a_presentation_at_the_end_of_the_calendar_evaluates_or_is_refused() -> None:
    """A visit dated 9999-12-31 is refused or evaluated; due dates past the calendar's end never overflow (it once
    raised OverflowError when the MRI fell due)."""
    story = CaseBuilder(birth_date=None).on("9999-12-31")
    try:
        pathway = story.presentation().pathway()
    except PathwayError:
        return
    pathway.evaluate(dt.date(9999, 12, 31))


def test_a_review_after_surgery_near_the_end_of_the_calendar_is_accepted_or_refused() -> None:
    """A post-MVD review whose 24-month mark would fall after year 9999 is accepted or refused with a PathwayError
    (it once raised AssertionError from the calendar arithmetic)."""
    story = CaseBuilder(birth_date=None).on("9998-01-05").to_surgical_evaluation().risk_assessment().refer()
    story.after(30).operate().after(90).post_mvd("resolved")
    with contextlib.suppress(PathwayError):
        story.pathway()
