"""What a new user trips on in the Python API: dates in any reasonable form, saved evaluations, copies, pickles,
and clear library errors instead of bare TypeErrors."""

from __future__ import annotations

import copy
import datetime as dt
import json
import pickle
from pathlib import Path

import pytest

from hfs_pathway import (
    InvalidArgument,
    Pathway,
    PathwayError,
    Stage,
    format_report,
    load_case,
    requirements_for,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def waning() -> Pathway:
    return Pathway.replay(load_case(EXAMPLES / "waning_to_mvd_referral.json"))


@pytest.mark.parametrize(
    "as_of", [dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, 23, 59), "2024-03-01", "2024-03-01T08:30:00"]
)
def test_evaluate_takes_a_date_a_datetime_or_an_iso_string(as_of: object) -> None:
    assert waning().evaluate(as_of).as_of == dt.date(2024, 3, 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("as_of", ["01/03/2024", "2024-02-30", 20240301, 3.5])
def test_evaluate_with_something_else_is_a_library_error(as_of: object) -> None:
    with pytest.raises(InvalidArgument) as raised:
        waning().evaluate(as_of)  # type: ignore[arg-type]
    assert raised.value.code == "invalid_argument"
    assert isinstance(raised.value, PathwayError)


def test_an_evaluation_saves_itself_as_the_json_of_the_contract() -> None:
    evaluation = waning().evaluate("2023-10-17")
    assert json.loads(evaluation.to_json()) == evaluation.to_dict()
    assert evaluation.to_json(indent=2).startswith("{\n  ")


def test_the_text_report_is_public_and_is_what_the_cli_prints() -> None:
    report = format_report(waning().evaluate("2023-10-17"))
    assert "mvd_referral" in report
    assert "refer_for_mvd" in report


def test_a_deep_copy_is_equal_and_independent() -> None:
    pathway = waning()
    twin = copy.deepcopy(pathway)
    assert twin == pathway
    twin.apply({"type": "referral_closed", "date": "2023-11-01", "reason": "patient_declined"})
    assert twin != pathway
    assert pathway.stage is Stage.MVD_REFERRAL


def test_a_pathway_survives_pickling() -> None:
    pathway = waning()
    restored = pickle.loads(pickle.dumps(pathway))
    assert restored == pathway
    assert restored.evaluate("2023-10-17") == pathway.evaluate("2023-10-17")


def test_requirements_for_a_referred_patient_say_already_referred() -> None:
    needs = requirements_for(waning(), "mvd_referral")
    assert needs.already
    assert needs.unmet == ()
    assert needs.met[0].startswith("already referred")
    assert needs.reached_on == dt.date(2023, 10, 10)


@pytest.mark.parametrize(("target", "hint"), [("surgery", ""), ("mvd_referal", "did you mean 'mvd_referral'?")])
def test_requirements_for_an_unknown_stage_is_a_library_error(target: str, hint: str) -> None:
    with pytest.raises(InvalidArgument, match="is not a stage") as raised:
        requirements_for(waning(), target)
    assert hint in raised.value.message


def test_messages_use_an_before_mvd() -> None:
    pathway = Pathway.replay(load_case(EXAMPLES / "typical_toxin_responder.json"))
    with pytest.raises(PathwayError, match="an mvd_performed event"):
        pathway.apply({"type": "mvd_performed", "date": "2026-01-01"})
