"""The two hook services over real HTTP on loopback, as clinical stories.

Each patient's record is built with the case builder, dated relative to today (the service evaluates as
of today), exported through the FHIR mapping and sent as prefetch or served by a stub FHIR server.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# In CI the extras are required: a missing one fails the import instead of skipping.
if os.environ.get("CI") != "true":
    pytest.importorskip("fastapi")
if os.environ.get("CI") != "true":
    pytest.importorskip("fhir.resources")
import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hfs_pathway.cds import CdsSettings, create_app
from tests.builder import CaseBuilder
from tests.test_cds_harness import (
    ISSUER,
    PREFETCH_TYPES,
    Keys,
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


class Service:
    def __init__(self, base: str, public: str, keys: Keys, app: Any) -> None:
        self.base, self.public, self.keys, self.app = base, public, keys, app

    def post(self, service: str, body: dict[str, Any], suffix: str = "") -> httpx.Response:
        token = self.keys.token(f"{self.public}/cds-services/{service}")
        return httpx.post(
            f"{self.base}/cds-services/{service}{suffix}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )


@pytest.fixture(scope="module")
def stub() -> Iterator[StubFhirServer]:
    with StubFhirServer() as server:
        yield server


@pytest.fixture(scope="module")
def service(stub: StubFhirServer) -> Iterator[Service]:
    keys = Keys()
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    settings = CdsSettings(public_url=public, issuers=({"iss": ISSUER, "jwks": keys.jwks},), fhir_servers=(stub.base,))
    app = create_app(settings)
    with serve(settings, port, app) as base:
        yield Service(base, public, keys, app)


def on_toxin(days_ago_first: int = 200) -> CaseBuilder:
    story = CaseBuilder("p-toxin").on(TODAY - dt.timedelta(days=days_ago_first)).presentation()
    return story.after(14).mri().after(7).decide("botulinum_toxin")


def patient_view(service: Service, story: CaseBuilder) -> list[dict[str, Any]]:
    by_type = fhir_resources(story.case())
    pid = by_type["Patient"][0]["id"]
    response = service.post(PATIENT_VIEW, hook_call("patient-view", pid, prefetch=prefetch_for(by_type)))
    assert response.status_code == 200, response.text
    return check_cds_response(response.json())


def topics(cards: list[dict[str, Any]]) -> list[str]:
    return [card["source"]["topic"]["code"] for card in cards]


def test_a_toxin_responder_sees_where_they_stand_and_the_next_injection_window(service: Service) -> None:
    story = on_toxin().inject().after(30).respond(peak=80, benefit=None)
    cards = patient_view(service, story)
    assert topics(cards) == ["botulinum_toxin"]
    stage = cards[0]
    assert stage["indicator"] == "info"
    assert stage["source"]["url"] == "https://hfs-pathway.github.io/hfs-pathway/stages/botulinum_toxin/"
    assert "next injection" in stage["detail"].lower()
    assert "\\[R45\\]" in stage["detail"]  # rationale carries its citations, as markdown links
    assert "](https://" in stage["detail"]
    diagram = [link for link in stage["links"] if link["url"].startswith(service.public + "/diagrams/")]
    assert len(diagram) == 1
    rendered = httpx.get(diagram[0]["url"].replace(service.public, service.base))
    assert rendered.status_code == 200
    assert httpx.get(f"{service.base}/diagrams/not-a-token").status_code == 404


def test_a_reinjection_under_the_minimum_interval_is_a_warning_that_can_be_overridden(service: Service) -> None:
    story = on_toxin().inject().after(60).respond(peak=70, benefit=55).after(10).inject()
    cards = patient_view(service, story)
    warning = next(c for c in cards if c["source"]["topic"]["code"] == "reinjection_interval_too_short")
    assert warning["indicator"] == "warning"
    assert "70 days" in warning["summary"]
    assert {r["code"] for r in warning["overrideReasons"]} >= {"clinically-assessed"}
    assert cards[-1]["source"]["topic"]["code"] == "botulinum_toxin"  # the stage card comes last


def test_red_flags_at_presentation_are_critical_and_propose_an_urgent_mri(service: Service) -> None:
    story = CaseBuilder("p-red").on(TODAY - dt.timedelta(days=3)).presentation(facial_weakness=True)
    cards = patient_view(service, story)
    critical = next(c for c in cards if c["source"]["topic"]["code"] == "red_flag_secondary_hfs")
    assert critical["indicator"] == "critical"
    assert "overrideReasons" in critical
    stage = cards[-1]
    assert stage["source"]["topic"]["code"] == "imaging"
    assert stage["selectionBehavior"] == "any"
    resource = stage["suggestions"][0]["actions"][0]["resource"]
    assert stage["suggestions"][0]["actions"][0]["type"] == "create"
    assert resource["resourceType"] == "ServiceRequest"
    assert resource["intent"] == "proposal"


def test_a_patient_without_hemifacial_spasm_gets_no_cards(service: Service) -> None:
    prefetch = {key: searchset([]) for key in prefetch_for({"Patient": [{}]})}
    prefetch["patient"] = {"resourceType": "Patient", "id": "p-other", "birthDate": "1970-01-01"}
    response = service.post(PATIENT_VIEW, hook_call("patient-view", "p-other", prefetch=prefetch))
    assert response.status_code == 200, response.text
    assert response.json() == {"cards": []}


def test_without_prefetch_the_record_is_read_from_the_fhir_server(service: Service, stub: StubFhirServer) -> None:
    story = on_toxin().inject().after(30).respond(peak=80, benefit=None)
    by_type = fhir_resources(story.case())
    pid = by_type["Patient"][0]["id"]
    stub.routes[f"Patient/{pid}"] = by_type["Patient"][0]
    for kind in PREFETCH_TYPES.values():
        if kind not in ("Patient", "ImagingStudy"):  # ImagingStudy is optional: the stub answers 404
            stub.routes[f"{kind}?patient={pid}"] = searchset(by_type.get(kind, []))
    auth = {
        "access_token": stub.token,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "hfs-pathway",
    }
    call = hook_call("patient-view", pid, fhirServer=f"{stub.base}/fhir", fhirAuthorization=auth)
    response = service.post(PATIENT_VIEW, call)
    assert response.status_code == 200, response.text
    assert topics(check_cds_response(response.json())) == ["botulinum_toxin"]
    assert f"/fhir/Procedure?patient={pid}" in stub.requests

    wrong = dict(auth, access_token="not-the-token")
    call = hook_call("patient-view", pid, fhirServer=f"{stub.base}/fhir", fhirAuthorization=wrong)
    assert service.post(PATIENT_VIEW, call).status_code == 412


def test_neither_prefetch_nor_fhir_server_is_412(service: Service) -> None:
    response = service.post(PATIENT_VIEW, hook_call("patient-view"))
    assert response.status_code == 412
    assert "patient" in response.json()["detail"]


def test_a_fhir_server_not_configured_is_not_read(service: Service) -> None:
    call = hook_call("patient-view", fhirServer="http://10.0.0.1/fhir")
    assert service.post(PATIENT_VIEW, call).status_code == 412


def test_the_wrong_hook_for_a_service_is_refused(service: Service) -> None:
    response = service.post(PATIENT_VIEW, hook_call("order-select"))
    assert response.status_code == 422
    assert "patient-view" in response.text


def order_call(pid: str, prefetch: dict[str, Any], order: dict[str, Any]) -> dict[str, Any]:
    call = hook_call("order-select", pid, prefetch=prefetch)
    call["context"]["selections"] = [f"{order['resourceType']}/{order['id']}"]
    call["context"]["draftOrders"] = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": order}]}
    return call


def toxin_order(planned: dt.date) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": "draft-toxin",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/p-toxin"},
        "medicationCodeableConcept": {"text": "onabotulinumtoxinA 20 units"},
        "dosageInstruction": [{"timing": {"event": [planned.isoformat()]}}],
    }


def test_a_toxin_order_under_the_minimum_interval_warns_with_the_earliest_safe_date(service: Service) -> None:
    story = on_toxin(days_ago_first=60).inject()  # presentation 60 days ago, injected 39 days ago
    last_injection = TODAY - dt.timedelta(days=39)
    by_type = fhir_resources(story.case())
    pid = by_type["Patient"][0]["id"]
    response = service.post(ORDER_SELECT, order_call(pid, prefetch_for(by_type), toxin_order(TODAY)))
    [card] = check_cds_response(response.json())
    earliest = (last_injection + dt.timedelta(days=84)).isoformat()
    assert card["indicator"] == "warning"
    assert earliest in card["summary"]
    assert earliest in card["detail"]
    assert card["overrideReasons"]


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (-5, "5 days before the last injection"),
        (-1, "1 day before the last injection"),
        (0, "the same day as the last injection"),
        (1, "1 day after the last injection"),
        (10, "10 days after the last injection"),
    ],
)
def test_the_interval_card_says_how_the_order_date_stands_to_the_last_injection(
    service: Service, offset: int, words: str
) -> None:
    """An order dated before the last injection (a back-dated or mistyped date) is said to be before it,
    never a negative number of days after it."""
    story = on_toxin(days_ago_first=60).inject()  # injected 39 days ago
    last_injection = TODAY - dt.timedelta(days=39)
    by_type = fhir_resources(story.case())
    pid = by_type["Patient"][0]["id"]
    planned = last_injection + dt.timedelta(days=offset)
    response = service.post(ORDER_SELECT, order_call(pid, prefetch_for(by_type), toxin_order(planned)))
    [card] = check_cds_response(response.json())
    assert f"The order is for {planned.isoformat()}, {words} ({last_injection.isoformat()})" in card["detail"]
    assert "-" + str(abs(offset)) + " day" not in card["detail"]
    assert "1 days" not in card["detail"]
    assert ("Check the order's date" in card["detail"]) == (offset < 0)


def test_a_toxin_order_planned_after_the_interval_needs_no_card(service: Service) -> None:
    story = on_toxin(days_ago_first=60).inject()
    by_type = fhir_resources(story.case())
    pid = by_type["Patient"][0]["id"]
    planned = TODAY + dt.timedelta(days=45)  # 84 days after the injection
    response = service.post(ORDER_SELECT, order_call(pid, prefetch_for(by_type), toxin_order(planned)))
    assert check_cds_response(response.json()) == []


def mvd_order() -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest",
        "id": "draft-mvd",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/p-toxin"},
        "code": {"text": "Referral to neurosurgery for microvascular decompression"},
    }


def test_an_mvd_referral_without_the_checkpoint_is_a_warning_naming_what_is_missing(service: Service) -> None:
    story = (
        on_toxin(300)
        .cycle(peak=80, benefit=90)
        .after(30)
        .cycle(peak=30, benefit=40)
        .after(10)
        .cycle(peak=30, benefit=40)
    )
    by_type = fhir_resources(story.case())
    pid = by_type["Patient"][0]["id"]
    response = service.post(ORDER_SELECT, order_call(pid, prefetch_for(by_type), mvd_order()))
    [card] = check_cds_response(response.json())
    assert card["indicator"] == "warning"
    assert "checkpoint" in card["summary"]
    assert "surgical risk assessment" in card["detail"]


def test_an_mvd_referral_after_a_recent_risk_assessment_asks_only_for_consent(service: Service) -> None:
    story = CaseBuilder("p-checkpoint").on(TODAY - dt.timedelta(days=80)).to_surgical_evaluation()
    story.after(5).risk_assessment()
    by_type = fhir_resources(story.case())
    pid = by_type["Patient"][0]["id"]
    response = service.post(ORDER_SELECT, order_call(pid, prefetch_for(by_type), mvd_order()))
    [card] = check_cds_response(response.json())
    assert card["indicator"] == "info"
    assert "consent" in card["summary"]


def test_order_select_ignores_orders_it_does_not_check(service: Service) -> None:
    story = on_toxin().inject()
    by_type = fhir_resources(story.case())
    pid = by_type["Patient"][0]["id"]
    other = {
        "resourceType": "MedicationRequest",
        "id": "d1",
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {"text": "paracetamol"},
    }
    response = service.post(ORDER_SELECT, order_call(pid, prefetch_for(by_type), other))
    assert check_cds_response(response.json()) == []


def test_feedback_is_recorded_by_card_kind_without_patient_data(service: Service) -> None:
    story = on_toxin().inject().after(60).respond(peak=70, benefit=55).after(10).inject()
    cards = patient_view(service, story)
    warning = next(c for c in cards if c["indicator"] == "warning")
    body = {
        "feedback": [
            {
                "card": warning["uuid"],
                "outcome": "overridden",
                "overrideReason": {"reason": warning["overrideReasons"][0], "userComment": "Mrs Example asked for it"},
                "outcomeTimestamp": "2026-01-01T10:00:00Z",
            },
            {
                "card": str(uuid.uuid4()),
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": str(uuid.uuid4())}],
                "outcomeTimestamp": "2026-01-01T10:01:00Z",
            },
        ]
    }
    response = service.post(PATIENT_VIEW, body, suffix="/feedback")
    assert response.status_code == 200
    assert response.json() == {"recorded": 2}
    entries = service.app.state.records.feedback_rows()[-2:]
    assert entries[0]["topic"] == "reinjection_interval_too_short"
    assert entries[0]["override_code"] == "clinically-assessed"
    assert entries[0]["comment_given"] is True
    assert "Mrs Example" not in repr(entries)
    assert entries[1]["topic"] is None  # a card this service never issued


def test_the_service_logs_no_patient_data(
    service: Service, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    story = CaseBuilder("p-logged-7431").on(TODAY - dt.timedelta(days=3)).presentation(facial_weakness=True)
    by_type = fhir_resources(story.case())
    pid = by_type["Patient"][0]["id"]
    with caplog.at_level("DEBUG"):
        assert service.post(PATIENT_VIEW, hook_call("patient-view", pid, prefetch=prefetch_for(by_type))).is_success
        refused = httpx.post(f"{service.base}/cds-services/{PATIENT_VIEW}", json=hook_call("patient-view", pid))
        assert refused.status_code == 401
    logged = caplog.text + capfd.readouterr().err  # uvicorn's own loggers write to stderr, not to caplog
    assert "refused a call" in logged  # the log was captured
    assert pid not in logged
    assert "p-logged-7431" not in logged


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*prefix, i))
    return found


@pytest.fixture(scope="module")
def typical_prefetch() -> tuple[str, dict[str, Any]]:
    story = on_toxin().inject().after(60).respond(peak=70, benefit=55).after(10).inject()
    by_type = fhir_resources(story.case())
    return by_type["Patient"][0]["id"], prefetch_for(by_type)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_damaged_prefetch_never_breaks_the_service(
    service: Service, typical_prefetch: tuple[str, dict[str, Any]], data: st.DataObject
) -> None:
    """Any one element of a real prefetch replaced by any JSON value: a card answer or a 4xx, never a 5xx."""
    pid, prefetch = typical_prefetch
    damaged = json.loads(json.dumps(prefetch))
    paths = [p for p in _paths(damaged) if p]
    path = data.draw(st.sampled_from(paths))
    target = damaged
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = data.draw(JSON_VALUES)
    response = service.post(PATIENT_VIEW, hook_call("patient-view", pid, prefetch=damaged))
    assert response.status_code in (200, 400, 412, 422), response.text
    if response.status_code == 200:
        check_cds_response(response.json())


def test_the_documented_example_request_gets_cards(service: Service) -> None:
    call = json.loads((Path(__file__).parent.parent / "examples" / "cds" / "patient-view.json").read_text())
    response = service.post(PATIENT_VIEW, call)
    assert response.status_code == 200, response.text
    cards = check_cds_response(response.json())
    assert cards[-1]["source"]["topic"]["code"] == "botulinum_toxin"


def test_orders_are_recognised_by_the_fhir_mappings_codes_or_their_words() -> None:
    from hfs_pathway.cds._orders import classify

    coded_mvd = {
        "resourceType": "ServiceRequest",
        "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "61458"}]},
    }
    coded_toxin = {
        "resourceType": "MedicationRequest",
        "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "M03AX01"}]},
    }
    assert classify(coded_mvd) == "mvd_referral"
    assert classify(coded_toxin) == "toxin"
    assert classify({"resourceType": "ServiceRequest", "code": {"text": "Xeomin 30 units, left face"}}) == "toxin"
    assert classify({"resourceType": "ServiceRequest", "code": {"text": "MRI of the brain"}}) is None
    assert classify({"resourceType": "MedicationRequest", "code": {"text": "microvascular decompression"}}) is None


def test_a_record_the_clinics_guideline_refuses_gets_one_card_saying_why(tmp_path: Path) -> None:
    """The FHIR import reads the record under the default guideline; a clinic whose checkpoint accepts a risk
    assessment for only 30 days refuses a referral made 60 days after it, and says so instead of guessing."""
    guideline = tmp_path / "clinic.toml"
    guideline.write_text('name = "clinic"\nversion = "1"\n[parameters]\nrisk_assessment_validity_days = 30\n')
    story = CaseBuilder("p-clinic").on(TODAY - dt.timedelta(days=150)).to_surgical_evaluation()
    story.risk_assessment().after(60).refer()
    by_type = fhir_resources(story.case())
    port = free_port()
    settings = CdsSettings(public_url=f"http://127.0.0.1:{port}", allow_unauthenticated=True, guideline=guideline)
    with serve(settings, port) as base:
        call = hook_call("patient-view", "p-clinic", prefetch=prefetch_for(by_type))
        response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW}", json=call)
    [card] = check_cds_response(response.json())
    assert card["source"]["topic"]["code"] == "record_not_on_pathway"
    assert "checkpoint_not_satisfied" in card["detail"]


@pytest.mark.parametrize(
    "damage",
    [
        {"medicationCodeableConcept": {"coding": 5}},
        {"medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": {"a": 1}}]}},
        {"medicationCodeableConcept": {"text": ["botox"]}},
        {"dosageInstruction": [{"timing": {"event": 5}}]},
        {"dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": 5}}}]},
        {"dosageInstruction": 5},
        {"occurrencePeriod": {"start": {"a": 1}}},
    ],
)
def test_a_malformed_draft_order_is_a_4xx_or_cards_never_a_server_error(
    service: Service, typical_prefetch: tuple[str, dict[str, Any]], damage: dict[str, Any]
) -> None:
    pid, prefetch = typical_prefetch
    order = {**toxin_order(TODAY), **damage}
    response = service.post(ORDER_SELECT, order_call(pid, prefetch, order))
    assert response.status_code in (200, 400, 422), response.text
    if response.status_code == 200:
        check_cds_response(response.json())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_damaged_draft_order_never_breaks_the_service(
    service: Service, typical_prefetch: tuple[str, dict[str, Any]], data: st.DataObject
) -> None:
    """Any one element of a selected draft order replaced by any JSON value: cards or a 4xx, never a 5xx."""
    pid, prefetch = typical_prefetch
    call = order_call(pid, prefetch, toxin_order(TODAY))
    drafts = call["context"]["draftOrders"]
    path = data.draw(st.sampled_from([p for p in _paths(drafts) if p]))
    target = drafts
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = data.draw(JSON_VALUES)
    response = service.post(ORDER_SELECT, call)
    assert response.status_code in (200, 400, 412, 422), response.text
    if response.status_code == 200:
        check_cds_response(response.json())


def _fhir_call(stub: StubFhirServer, pid: str) -> dict[str, Any]:
    auth = {"access_token": stub.token, "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read"}
    auth["subject"] = "hfs-pathway"
    return hook_call("patient-view", pid, fhirServer=f"{stub.base}/fhir", fhirAuthorization=auth)


def test_without_configured_fhir_servers_no_fhir_server_is_read(stub: StubFhirServer) -> None:
    """fhirServer comes from the caller: reading any URL it names would let a caller make the service send
    requests to hosts of the caller's choosing. With no ``fhir_servers`` configured, none is read: 412."""
    port = free_port()
    settings = CdsSettings(public_url=f"http://127.0.0.1:{port}", allow_unauthenticated=True)
    before = len(stub.requests)
    with serve(settings, port) as base:
        response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW}", json=_fhir_call(stub, "p-unread"), timeout=10)
    assert response.status_code == 412, response.text
    assert "fhir_servers" in response.json()["detail"]
    assert len(stub.requests) == before  # nothing was sent to the named server


def _drip(handler: Any) -> None:
    """A FHIR server that answers one byte at a time, forever (until the client goes away)."""
    import time

    handler.send_response(200)
    handler.send_header("Content-Type", "application/fhir+json")
    handler.end_headers()
    try:
        for _ in range(300):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.1)
    except OSError:
        pass


def test_fhir_reads_are_bounded_in_time_and_size(stub: StubFhirServer) -> None:
    """A FHIR server that drips its answer, or sends more than the limit, gives 412 within the configured
    time instead of holding the call (and the service's memory)."""
    big = searchset([{"resourceType": "Condition", "id": f"c{i}", "note": [{"text": "x" * 100}]} for i in range(100)])
    stub.routes["Patient/p-slow"] = _drip
    stub.routes["Patient/p-big"] = {"resourceType": "Patient", "id": "p-big"}
    for kind in PREFETCH_TYPES.values():
        stub.routes[f"{kind}?patient=p-big"] = big if kind == "Condition" else searchset([])
        stub.routes[f"{kind}?patient=p-slow"] = searchset([])
    port = free_port()
    settings = CdsSettings(
        public_url=f"http://127.0.0.1:{port}",
        allow_unauthenticated=True,
        fhir_servers=(stub.base,),
        fhir_timeout_seconds=1,
        fhir_max_response_bytes=4096,
    )
    with serve(settings, port) as base:
        url = f"{base}/cds-services/{PATIENT_VIEW}"
        slow = httpx.post(url, json=_fhir_call(stub, "p-slow"), timeout=8)
        large = httpx.post(url, json=_fhir_call(stub, "p-big"), timeout=8)
    assert slow.status_code == 412, slow.text
    assert "patient" in slow.json()["detail"]
    assert large.status_code == 412, large.text
    assert "4096 bytes" in large.json()["detail"]


def test_a_fhir_server_url_that_climbs_out_of_the_configured_path_is_refused(stub: StubFhirServer) -> None:
    port = free_port()
    settings = CdsSettings(
        public_url=f"http://127.0.0.1:{port}", allow_unauthenticated=True, fhir_servers=(f"{stub.base}/fhir",)
    )
    before = len(stub.requests)
    with serve(settings, port) as base:
        call = _fhir_call(stub, "p-climb")
        call["fhirServer"] = f"{stub.base}/fhir/../jwks"
        response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW}", json=call, timeout=10)
    assert response.status_code == 400, response.text
    assert "fhirServer" in response.json()["detail"]
    assert len(stub.requests) == before


def test_an_unexpected_failure_is_logged_and_answered_without_patient_data(
    typical_prefetch: tuple[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A bug's exception message may quote the record (pydantic's do): the service logs where it failed, not
    what the message says, and answers a bare 500."""
    from hfs_pathway.cds import _app

    pid, prefetch = typical_prefetch

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError(f"cannot read birthDate 1968-04-12 of patient {pid}")

    monkeypatch.setattr(_app, "patient_view_cards", broken)
    port = free_port()
    settings = CdsSettings(public_url=f"http://127.0.0.1:{port}", allow_unauthenticated=True)
    with caplog.at_level("DEBUG"), serve(settings, port) as base:
        response = httpx.post(
            f"{base}/cds-services/{PATIENT_VIEW}", json=hook_call("patient-view", pid, prefetch=prefetch), timeout=10
        )
    logged = caplog.text + capfd.readouterr().err  # uvicorn's own loggers write to stderr, not to caplog
    assert response.status_code == 500
    assert response.headers["cache-control"] == "no-store"
    assert pid not in response.text
    assert "ValueError" in logged  # what failed, and where, is logged
    assert "_app.py" in logged
    assert pid not in logged
    assert "1968-04-12" not in logged


def test_a_prefetch_key_sent_as_null_means_no_data_not_missing(
    service: Service, typical_prefetch: tuple[str, dict[str, Any]]
) -> None:
    """CDS Hooks: a client with no data for a template sends the key with null (a key it could not satisfy
    is left out). Null is an empty result, so the call is answered without any FHIR server."""
    pid, prefetch = typical_prefetch
    with_nulls = {**prefetch, "medicationStatements": None, "medicationAdministrations": None, "imagingStudies": None}
    response = service.post(PATIENT_VIEW, hook_call("patient-view", pid, prefetch=with_nulls))
    assert response.status_code == 200, response.text
    assert "botulinum_toxin" in topics(check_cds_response(response.json()))
    left_out = {k: v for k, v in prefetch.items() if k != "medicationStatements"}
    response = service.post(PATIENT_VIEW, hook_call("patient-view", pid, prefetch=left_out))
    assert response.status_code == 412
    assert "medicationStatements" in response.json()["detail"]


def test_a_malformed_call_is_told_where_without_its_data_echoed(service: Service) -> None:
    """A 422 names the place and the rule, not the offending value: that value may be a whole patient record,
    and error bodies end up in the logs of proxies and EHRs."""
    patient = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Example-4711", "given": ["Anna"]}]}
    call = hook_call("patient-view", "p1", prefetch=[patient])
    response = service.post(PATIENT_VIEW, call)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "prefetch"]
    assert error["msg"]
    assert "Example-4711" not in response.text


def test_feedback_whose_timestamp_is_not_a_timestamp_is_refused(service: Service) -> None:
    """outcomeTimestamp is kept, so it must be what the specification says (an ISO timestamp), not free text
    that could carry a name."""
    entry = {"card": str(uuid.uuid4()), "outcome": "overridden", "outcomeTimestamp": "Anna Example 1968-04-12"}
    response = service.post(PATIENT_VIEW, {"feedback": [entry]}, suffix="/feedback")
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] == "outcomeTimestamp"
    entry["outcomeTimestamp"] = "2026-01-01T10:00:00+01:00"
    response = service.post(PATIENT_VIEW, {"feedback": [entry]}, suffix="/feedback")
    assert response.status_code == 200, response.text
    stored = service.app.state.records.feedback_rows()[-1]["outcome_timestamp"]
    assert stored.replace(tzinfo=dt.UTC) == dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("suggestions", [None, []])
def test_accepted_feedback_without_accepted_suggestions_is_refused(service: Service, suggestions: Any) -> None:
    """The specification requires acceptedSuggestions for an accepted outcome (and no empty arrays): such an
    entry is a 422 naming the entry and the rule, echoing none of the values, and nothing of the body is kept."""
    before = len(service.app.state.records.feedback_rows())
    good = {"card": str(uuid.uuid4()), "outcome": "overridden", "outcomeTimestamp": "2026-01-01T10:00:00Z"}
    bad: dict[str, Any] = {
        "card": str(uuid.uuid4()),
        "outcome": "accepted",
        "overrideReason": {"userComment": "Anna Example-5813 agreed"},
        "outcomeTimestamp": "2026-01-01T10:00:00Z",
    }
    if suggestions is not None:
        bad["acceptedSuggestions"] = suggestions
    response = service.post(PATIENT_VIEW, {"feedback": [good, bad]}, suffix="/feedback")
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"][:3] == ["body", "feedback", 1]
    assert "acceptedSuggestions" in error["msg"]
    assert "Example-5813" not in response.text
    assert bad["card"] not in response.text
    assert len(service.app.state.records.feedback_rows()) == before


def _example_call_with(inner: str) -> str:
    call = json.loads((Path(__file__).parent.parent / "examples" / "cds" / "patient-view.json").read_text())
    call["prefetch"]["conditions"]["entry"][0]["resource"]["note"] = [{"text": "n", "extension": "@@"}]
    return json.dumps(call).replace('"@@"', inner)


@pytest.mark.parametrize(
    ("body", "statuses"),
    [
        ("{not json", {400, 422}),
        ("[1, 2, 3]", {422}),
        ('"a string"', {422}),
        ("[" * 100_000 + "]" * 100_000, {400, 422}),  # deeper than any parser's recursion
        (_example_call_with('{"a":' * 5000 + "1" + "}" * 5000), {400, 422}),
        (_example_call_with('{"a":' * 500 + "1" + "}" * 500), {200}),  # deep but parseable: read as usual
    ],
    ids=["bad-json", "array", "string", "deep-array", "deep-in-a-resource", "nested-500"],
)
def test_bad_json_is_a_4xx_never_a_server_error(service: Service, body: str, statuses: set[int]) -> None:
    token = service.keys.token(f"{service.public}/cds-services/{PATIENT_VIEW}")
    response = httpx.post(
        f"{service.base}/cds-services/{PATIENT_VIEW}",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code in statuses, response.text[:300]


def test_fhir_paging_stays_on_the_server_and_redirects_are_not_followed(service: Service, stub: StubFhirServer) -> None:
    story = on_toxin().inject().after(30).respond(peak=80, benefit=None)
    by_type = fhir_resources(story.case())
    pid = by_type["Patient"][0]["id"]
    with StubFhirServer(token=stub.token) as elsewhere:
        elsewhere.routes[f"Observation?patient={pid}&page=2"] = searchset([])
        stub.routes[f"Patient/{pid}"] = by_type["Patient"][0]
        for kind in PREFETCH_TYPES.values():
            if kind not in ("Patient", "ImagingStudy"):
                stub.routes[f"{kind}?patient={pid}"] = searchset(by_type.get(kind, []))
        # The diagnosis only on page 2 of the same server: cards show the page was read.
        first = searchset([])
        first["link"] = [{"relation": "next", "url": f"{stub.base}/fhir/Condition?patient={pid}&page=2"}]
        stub.routes[f"Condition?patient={pid}"] = first
        stub.routes[f"Condition?patient={pid}&page=2"] = searchset(by_type["Condition"])
        response = service.post(PATIENT_VIEW, _fhir_call(stub, pid))
        assert response.status_code == 200, response.text
        assert "botulinum_toxin" in topics(check_cds_response(response.json()))
        assert f"/fhir/Condition?patient={pid}&page=2" in stub.requests
        # A next link to another server is not followed: the record would be incomplete, so 412.
        observations = searchset(by_type.get("Observation", []))
        observations["link"] = [{"relation": "next", "url": f"{elsewhere.base}/fhir/Observation?patient={pid}&page=2"}]
        stub.routes[f"Observation?patient={pid}"] = observations
        response = service.post(PATIENT_VIEW, _fhir_call(stub, pid))
        assert response.status_code == 412, response.text
        assert "not on fhirServer" in response.json()["detail"]
        assert elsewhere.requests == []
        stub.routes[f"Observation?patient={pid}"] = searchset(by_type.get("Observation", []))

        # A redirect (here to the other server) is not followed either: the read fails, 412.
        def redirect(handler: Any) -> None:
            handler.send_response(302)
            handler.send_header("Location", f"{elsewhere.base}/fhir/Patient/{pid}")
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        stub.routes[f"Patient/{pid}"] = redirect
        response = service.post(PATIENT_VIEW, _fhir_call(stub, pid))
        assert response.status_code == 412, response.text
        assert "302" in response.json()["detail"]
        assert elsewhere.requests == []
