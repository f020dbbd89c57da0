"""CDS Hooks 2.0.1 conformance over real HTTP on loopback: failed prefetch (OperationOutcome), paged prefetch,
feedback validation, order-select selections, and what the proposed orders and labels look like."""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

# In CI the extras are required: a missing one fails the import instead of skipping.
if os.environ.get("CI") != "true":
    pytest.importorskip("fastapi")
if os.environ.get("CI") != "true":
    pytest.importorskip("fhir.resources")
import httpx

from hfs_pathway.cds import CdsSettings, create_app
from tests.builder import CaseBuilder
from tests.test_cds_harness import (
    PREFETCH_TYPES,
    StubFhirServer,
    check_cds_response,
    fhir_resources,
    free_port,
    hook_call,
    prefetch_for,
    searchset,
    serve,
)

PATIENT_VIEW = "hfs-pathway-patient-view"
ORDER_SELECT = "hfs-pathway-order-select"
TODAY = dt.datetime.now(dt.UTC).date()
OUTCOME = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "timeout", "diagnostics": "the query timed out"}],
}


@pytest.fixture(scope="module")
def stub() -> Iterator[StubFhirServer]:
    with StubFhirServer() as server:
        yield server


class Running:
    def __init__(self, base: str, app: Any) -> None:
        self.base, self.app = base, app

    def post(self, service: str, body: dict[str, Any], suffix: str = "") -> httpx.Response:
        return httpx.post(f"{self.base}/cds-services/{service}{suffix}", json=body, timeout=20)


@pytest.fixture(scope="module")
def reading(stub: StubFhirServer) -> Iterator[Running]:
    """A service that may read the stub FHIR server."""
    port = free_port()
    settings = CdsSettings(public_url=f"http://127.0.0.1:{port}", allow_unauthenticated=True, fhir_servers=(stub.base,))
    app = create_app(settings)
    with serve(settings, port, app) as base:
        yield Running(base, app)


@pytest.fixture(scope="module")
def closed() -> Iterator[Running]:
    """A service that reads no FHIR server."""
    port = free_port()
    settings = CdsSettings(public_url=f"http://127.0.0.1:{port}", allow_unauthenticated=True)
    app = create_app(settings)
    with serve(settings, port, app) as base:
        yield Running(base, app)


def toxin_patient(pid: str) -> dict[str, list[dict[str, Any]]]:
    story = CaseBuilder(pid).on(TODAY - dt.timedelta(days=200)).presentation()
    return fhir_resources(story.after(14).mri().after(7).decide("botulinum_toxin").inject().case())


def on_server(stub: StubFhirServer, by_type: dict[str, list[dict[str, Any]]]) -> str:
    pid = by_type["Patient"][0]["id"]
    stub.routes[f"Patient/{pid}"] = by_type["Patient"][0]
    for kind in PREFETCH_TYPES.values():
        if kind != "Patient":
            stub.routes[f"{kind}?patient={pid}"] = searchset(by_type.get(kind, []))
    return str(pid)


def with_server(stub: StubFhirServer, call: dict[str, Any]) -> dict[str, Any]:
    call["fhirServer"] = f"{stub.base}/fhir"
    call["fhirAuthorization"] = {
        "access_token": stub.token,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "hfs-pathway",
    }
    return call


def topics(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [c["source"]["topic"]["code"] for c in check_cds_response(response.json())]


# OperationOutcome in the prefetch -------------------------------------------------------------------------


@pytest.mark.parametrize("failed", [OUTCOME, searchset([OUTCOME])], ids=["outcome", "bundle-of-outcomes"])
def test_a_failed_prefetch_is_read_from_the_fhir_server_when_allowed(
    reading: Running, stub: StubFhirServer, failed: dict[str, Any]
) -> None:
    by_type = toxin_patient(f"p-oo-read-{len(str(failed))}")
    pid = on_server(stub, by_type)
    prefetch = {**prefetch_for(by_type), "conditions": failed}
    before = len(stub.requests)
    response = reading.post(PATIENT_VIEW, with_server(stub, hook_call("patient-view", pid, prefetch=prefetch)))
    assert "botulinum_toxin" in topics(response)
    assert stub.requests[before:] == [f"/fhir/Condition?patient={pid}"]  # only the failed key was read


@pytest.mark.parametrize("failed", [OUTCOME, searchset([OUTCOME])], ids=["outcome", "bundle-of-outcomes"])
def test_a_failed_prefetch_that_cannot_be_read_is_a_card_naming_it_never_an_empty_answer(
    closed: Running, failed: dict[str, Any]
) -> None:
    by_type = toxin_patient("p-oo-closed")
    prefetch = {**prefetch_for(by_type), "conditions": failed, "medicationAdministrations": failed}
    response = closed.post(PATIENT_VIEW, hook_call("patient-view", "p-oo-closed", prefetch=prefetch))
    assert topics(response) == ["record_incomplete"]
    [card] = response.json()["cards"]
    assert card["indicator"] == "warning"
    assert "conditions" in card["summary"]
    assert "medicationAdministrations" in card["detail"]
    assert card["overrideReasons"]


def test_an_outcome_for_the_optional_imaging_key_does_not_block_the_advice(closed: Running) -> None:
    by_type = toxin_patient("p-oo-optional")
    prefetch = {**prefetch_for(by_type), "imagingStudies": OUTCOME}
    assert "botulinum_toxin" in topics(
        closed.post(PATIENT_VIEW, hook_call("patient-view", "p-oo-optional", prefetch=prefetch))
    )


# Paged prefetch -----------------------------------------------------------------------------------------


def test_a_paged_prefetch_result_is_followed_on_the_fhir_server(reading: Running, stub: StubFhirServer) -> None:
    by_type = toxin_patient("p-paged")
    pid = on_server(stub, by_type)
    stub.routes[f"Condition?patient={pid}&page=2"] = searchset(by_type["Condition"])
    first = searchset([])
    first["link"] = [{"relation": "next", "url": f"{stub.base}/fhir/Condition?patient={pid}&page=2"}]
    prefetch = {**prefetch_for(by_type), "conditions": first}
    response = reading.post(PATIENT_VIEW, with_server(stub, hook_call("patient-view", pid, prefetch=prefetch)))
    assert "botulinum_toxin" in topics(response)  # the diagnosis was only on page 2
    assert f"/fhir/Condition?patient={pid}&page=2" in stub.requests


def test_a_paged_prefetch_result_that_cannot_be_followed_is_a_card_naming_it(closed: Running) -> None:
    by_type = toxin_patient("p-paged-closed")
    first = searchset(by_type["Condition"])
    first["link"] = [{"relation": "next", "url": "https://fhir.example.test/Condition?page=2"}]
    prefetch = {**prefetch_for(by_type), "conditions": first}
    response = closed.post(PATIENT_VIEW, hook_call("patient-view", "p-paged-closed", prefetch=prefetch))
    assert topics(response) == ["record_incomplete"]
    assert "conditions" in response.json()["cards"][0]["summary"]


# Feedback -------------------------------------------------------------------------------------------------


def _entry(**fields: Any) -> dict[str, Any]:
    return {"card": str(uuid.uuid4()), "outcome": "overridden", "outcomeTimestamp": "2026-01-01T10:00:00Z", **fields}


@pytest.mark.parametrize(
    ("entry", "where"),
    [
        (_entry(overrideReason={}), "overrideReason"),
        (_entry(outcomeTimestamp="2026-01-01T10:00:00"), "outcomeTimestamp"),
        (_entry(outcomeTimestamp="2026-01-01"), "outcomeTimestamp"),
        (_entry(outcomeTimestamp="1767261600"), "outcomeTimestamp"),
        (_entry(outcomeTimestamp="2026-01-01 10:00:00Z"), "outcomeTimestamp"),
    ],
    ids=["empty-override-reason", "no-offset", "date-only", "epoch", "space"],
)
def test_feedback_that_breaks_the_specification_is_refused(closed: Running, entry: dict[str, Any], where: str) -> None:
    before = len(closed.app.state.records.feedback_rows())
    response = closed.post(PATIENT_VIEW, {"feedback": [entry]}, suffix="/feedback")
    assert response.status_code == 422, response.text
    assert where in response.json()["detail"][0]["loc"]
    assert len(closed.app.state.records.feedback_rows()) == before


@pytest.mark.parametrize(
    "stamp", ["2026-01-01T10:00:00Z", "2026-01-01T10:00:00.52Z", "2026-01-01T11:00:00+01:00", "2026-01-01t10:00:00z"]
)
def test_feedback_with_an_rfc3339_timestamp_is_recorded(closed: Running, stamp: str) -> None:
    reason = {"reason": {"system": "https://example.test/reasons", "code": "patient-preference"}}
    response = closed.post(
        PATIENT_VIEW, {"feedback": [_entry(outcomeTimestamp=stamp, overrideReason=reason)]}, "/feedback"
    )
    assert response.status_code == 200, response.text
    row = closed.app.state.records.feedback_rows()[-1]
    stored = row["outcome_timestamp"].replace(tzinfo=dt.UTC, microsecond=0)
    assert stored == dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.UTC)
    assert row["override_code"] == "patient-preference"


# order-select selections ----------------------------------------------------------------------------------


def test_a_selection_not_among_the_draft_orders_is_a_400_naming_it(closed: Running) -> None:
    by_type = toxin_patient("p-select")
    call = hook_call("order-select", "p-select", prefetch=prefetch_for(by_type))
    order = {"resourceType": "MedicationRequest", "id": "draft-1", "status": "draft", "intent": "order"}
    order["medicationCodeableConcept"] = {"text": "onabotulinumtoxinA 20 units"}
    call["context"]["selections"] = ["MedicationRequest/draft-1", "MedicationRequest/draft-missing"]
    call["context"]["draftOrders"] = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": order}]}
    response = closed.post(ORDER_SELECT, call)
    assert response.status_code == 400, response.text
    assert "MedicationRequest/draft-missing" in response.json()["detail"]
    assert "selections[1]" in response.json()["detail"]


# Proposed orders and labels -------------------------------------------------------------------------------


def test_proposed_orders_carry_no_fixed_id_and_no_past_date(closed: Running) -> None:
    # Presented long ago and never imaged: the MRI is overdue, so its due date is in the past.
    story = CaseBuilder("p-overdue").on(TODAY - dt.timedelta(days=400)).presentation()
    by_type = fhir_resources(story.case())
    response = closed.post(PATIENT_VIEW, hook_call("patient-view", "p-overdue", prefetch=prefetch_for(by_type)))
    cards = check_cds_response(response.json())
    resources = [a["resource"] for c in cards for s in c.get("suggestions", []) for a in s["actions"]]
    assert resources, "an MRI order is proposed"
    for resource in resources:
        assert "id" not in resource
        when = resource.get("occurrenceDateTime")
        assert when is None or dt.date.fromisoformat(when[:10]) >= TODAY


def test_a_shortened_label_is_never_cut_inside_a_date_or_word() -> None:
    from hfs_pathway.cds._cards import shorten

    text = "Propose: brain MRI without contrast, to be booked for the patient no later than 2025-03-14 at the clinic"
    for limit in range(30, len(text)):
        short = shorten(text, limit)
        assert len(short) <= limit
        body = short.removesuffix("…")
        assert text.startswith(body)
        assert not re.search(r"\d{4}-\d{0,2}$|\d{4}-\d{2}-\d?$", body), short
        assert len(body) == len(text) or text[len(body)] in " ,", short  # ends at a word's end


def test_every_label_and_summary_served_ends_at_a_word(closed: Running) -> None:
    story = CaseBuilder("p-labels").on(TODAY - dt.timedelta(days=3)).presentation(facial_weakness=True)
    by_type = fhir_resources(story.case())
    response = closed.post(PATIENT_VIEW, hook_call("patient-view", "p-labels", prefetch=prefetch_for(by_type)))
    for card in check_cds_response(response.json()):
        texts = [card["summary"], *(s["label"] for s in card.get("suggestions", []))]
        for text in texts:
            assert not re.search(r"\d{4}-\d{0,2}…$|\d{4}-\d{2}-\d?…$", text), text
