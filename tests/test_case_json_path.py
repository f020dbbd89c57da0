"""JSON text is read in one pass by pydantic-core; a parsed mapping goes through the Python validators. Both must
accept exactly the same cases, give equal events, and refuse with the same error, whatever the text says."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from hfs_pathway import PathwayError, load_case
from hfs_pathway._case import _CASE_ADAPTER, case_from_data
from tests.strategies import plausible_cases

TRICKY_DATES = st.sampled_from(
    [
        "2024-02-29",
        "2023-02-29",
        "2024-13-01",
        "2024-00-10",
        "2024-1-05",
        "20240105",
        "2024-01-05T00:00:00",
        "2024-01-05Z",
        " 2024-01-05",
        "2024-01-05 ",
        "1899-12-31",
        "1900-01-01",
        "2199-12-31",
        "2200-01-01",
        "0",
        "1704412800",
        "+2024-01-05",
        "٢٠٢٤-01-05",
        "2024-W01-1",
        "",
    ]
)
ODD_VALUES = TRICKY_DATES | st.sampled_from([None, 0, 1704412800, 20.5, True, [], {}])


def outcome(load: Any, source: Any) -> tuple[str, Any]:
    try:
        case = load(source)
    except PathwayError as error:
        return type(error).__name__, (error.code, error.message, error.event_index)
    return "case", case


@given(case=plausible_cases(), data=st.data())
def test_json_text_and_its_parsed_mapping_load_the_same(case: dict[str, Any], data: st.DataObject) -> None:
    """A plausible case, with one date (of an event or of the patient) replaced by an odd value now and then."""
    if data.draw(st.booleans(), label="damage a date"):
        targets = [e for e in case["events"] if "date" in e]
        if "birth_date" in case["patient"]:
            targets.append(case["patient"])
        if targets:
            target = data.draw(st.sampled_from(targets), label="where")
            key = "date" if "type" in target else "birth_date"
            target[key] = data.draw(ODD_VALUES, label="value")
    text = json.dumps(case, ensure_ascii=data.draw(st.booleans(), label="ascii"))
    from_text = outcome(load_case, text)
    assert from_text == outcome(load_case, text.encode())
    assert from_text == outcome(load_case, json.loads(text))


@given(case=plausible_cases())
def test_the_one_pass_reader_accepts_every_well_formed_case(case: dict[str, Any]) -> None:
    """The fast path is the path taken: a valid case never needs the standard parser."""
    text = json.dumps(case)
    assert _CASE_ADAPTER.validate_json(text) == case_from_data(json.loads(text))
