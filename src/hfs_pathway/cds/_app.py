"""The FastAPI application: discovery, the two hook services, feedback, and the patient's path diagram."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from hfs_pathway import __version__
from hfs_pathway._case import Case, load_case
from hfs_pathway._errors import PathwayError
from hfs_pathway._guideline import Guideline, default_guideline
from hfs_pathway._pathway import Pathway

from ._cards import finding_card, mvd_checkpoint_card, patient_view_cards, toxin_interval_card, unplaced_card
from ._config import CdsSettings
from ._feedback import FeedbackLog, IssuedCards
from ._limits import BodySizeLimit
from ._models import (
    CdsResponse,
    Discovery,
    ErrorBody,
    Feedback,
    FeedbackReceipt,
    HookRequest,
    OrderSelectRequest,
    PatientViewRequest,
)
from ._orders import selected_orders
from ._security import DEVELOPMENT_CALLER, Caller, TokenVerifier, Unauthorized
from ._shield import ErrorShield
from ._sources import PREFETCH, BadRequest, DataUnavailable, gather_resources

log = logging.getLogger("hfs_pathway.cds")

PATIENT_VIEW = "hfs-pathway-patient-view"
ORDER_SELECT = "hfs-pathway-order-select"

SERVICES: dict[str, dict[str, Any]] = {
    PATIENT_VIEW: {
        "hook": "patient-view",
        "id": PATIENT_VIEW,
        "title": "Hemifacial spasm pathway",
        "description": (
            "Where a patient with hemifacial spasm stands on the treatment pathway, the alerts that matter now, "
            "and the proposed next steps with their rationale and evidence. Proposals only: a clinician decides."
        ),
        "prefetch": {t.key: t.query for t in PREFETCH},
        "usageRequirements": "Read access to the patient's record, or the prefetch above.",
    },
    ORDER_SELECT: {
        "hook": "order-select",
        "id": ORDER_SELECT,
        "title": "Hemifacial spasm order check",
        "description": (
            "When botulinum toxin or a referral for microvascular decompression is being ordered: checks the "
            "minimum reinjection interval (with the earliest safe date) and the surgical risk-benefit checkpoint."
        ),
        "prefetch": {t.key: t.query for t in PREFETCH},
        "usageRequirements": "Read access to the patient's record, or the prefetch above.",
    },
}

_UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "missing or refused bearer token"}
}
_CALL_ERRORS: dict[int | str, dict[str, Any]] = {
    **_UNAUTHORIZED,
    400: {"model": ErrorBody, "description": "malformed call"},
    412: {"model": ErrorBody, "description": "the patient's data is neither prefetched nor readable from fhirServer"},
    413: {"model": ErrorBody, "description": "request body too large"},
}


class _Unplaced(Exception):
    """The patient's record does not replay along the pathway; answered with one card that says why."""

    def __init__(self, error: PathwayError) -> None:
        super().__init__(error.message)
        self.error = error


class DiagramStore:
    """Recent patients' cases behind unguessable, expiring tokens, for the path-diagram link.

    A case is kept as its JSON text, not as objects: thousands of kept pathways would otherwise make
    every full garbage collection walk them, and show as pauses of a hundred milliseconds under load.
    """

    def __init__(self, ttl: float, capacity: int = 10_000) -> None:
        self._ttl = ttl
        self._capacity = capacity
        self._items: OrderedDict[str, tuple[float, str, dt.date]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, case: Case, as_of: dt.date) -> str:
        token = secrets.token_urlsafe(24)
        text = json.dumps(case.to_dict(), separators=(",", ":"))
        with self._lock:
            self._items[token] = (time.monotonic() + self._ttl, text, as_of)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return token

    def get(self, token: str) -> tuple[str, dt.date] | None:
        with self._lock:
            item = self._items.get(token)
        if item is None or item[0] < time.monotonic():
            return None
        return item[1], item[2]


def _diagram_available() -> bool:
    from importlib.util import find_spec

    try:
        return find_spec("hfs_pathway.diagrams") is not None
    except (ImportError, ValueError):
        return False


def create_app(settings: CdsSettings) -> FastAPI:
    """The CDS Hooks service for ``settings`` (see :class:`CdsSettings`)."""
    guideline: Guideline = Guideline.load(settings.guideline) if settings.guideline else default_guideline()
    verifier = None if settings.allow_unauthenticated else TokenVerifier(settings)
    issued = IssuedCards()
    feedback_log = FeedbackLog(issued, settings.feedback_file)
    diagrams = DiagramStore(settings.diagram_ttl_seconds) if _diagram_available() else None

    app = FastAPI(
        title="hfs-pathway CDS Hooks service",
        version=__version__,
        description=(
            "CDS Hooks 2.0 services for the hemifacial spasm treatment pathway. Every card is a proposal; "
            f"a clinician decides. Guide: {settings.docs_url}/cds-hooks/"
        ),
    )
    app.state.settings = settings
    app.state.feedback = feedback_log
    app.state.verifier = verifier
    if settings.allow_unauthenticated:
        announce_development_mode()

    def caller_for(service_id: str, *, feedback: bool = False) -> Callable[[Request], Awaitable[Caller]]:
        url = settings.service_url(service_id)
        audiences = (url, f"{url}/feedback") if feedback else (url,)

        async def authenticate(request: Request) -> Caller:
            if verifier is None:
                return DEVELOPMENT_CALLER
            try:
                return await verifier.verify(request.headers.get("authorization"), audiences)
            except Unauthorized as refused:
                log.warning("refused a call to %s: %s", service_id, refused.reason)
                raise HTTPException(
                    401, refused.reason, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
                ) from None

        return authenticate

    @app.get("/cds-services", response_model=Discovery, tags=["discovery"])
    async def discovery() -> JSONResponse:
        """The services offered, with their hooks and prefetch templates (no authentication needed)."""
        return JSONResponse({"services": list(SERVICES.values())})

    async def evaluate_call(service_id: str, call: HookRequest) -> tuple[Pathway, Any, dt.date, Any] | None:
        if call.hook != SERVICES[service_id]["hook"]:
            raise HTTPException(400, f"this service answers the {SERVICES[service_id]['hook']!r} hook")
        if call.fhirAuthorization is not None and call.fhirServer is None:
            raise HTTPException(400, "fhirAuthorization is given without fhirServer")
        try:
            resources = await gather_resources(
                pid=call.context.patientId,
                prefetch=call.prefetch,
                fhir_server=call.fhirServer,
                authorization=None if call.fhirAuthorization is None else call.fhirAuthorization.model_dump(),
                allowed_servers=settings.fhir_servers,
                timeout=settings.fhir_timeout_seconds,
                max_bytes=settings.fhir_max_response_bytes,
            )
        except BadRequest as bad:
            raise HTTPException(400, str(bad)) from None
        except DataUnavailable as missing:
            raise HTTPException(412, str(missing)) from None
        from hfs_pathway.fhir import NoHfsDiagnosis, import_resources

        try:
            imported = import_resources(resources)
        except NoHfsDiagnosis:
            return None
        except PathwayError as error:
            raise HTTPException(400, f"the patient's FHIR data cannot be read: {error.message}") from None
        case = imported.case
        try:
            pathway = Pathway.replay(case, guideline=guideline)
        except PathwayError as error:
            raise _Unplaced(error) from None
        today = dt.datetime.now(dt.UTC).date()
        last = case.events[-1].date if case.events else today
        as_of = max(today, last)
        return pathway, case, as_of, imported

    def links_for(case: Case, as_of: dt.date) -> list[dict[str, str]]:
        if diagrams is None:
            return []
        token = diagrams.put(case, as_of)
        url = f"{settings.public_url}/diagrams/{token}"
        return [{"label": "The patient's path on the pathway", "url": url, "type": "absolute"}]

    @app.post(
        f"/cds-services/{PATIENT_VIEW}",
        response_model=CdsResponse,
        responses=_CALL_ERRORS,
        tags=["services"],
        dependencies=[Depends(caller_for(PATIENT_VIEW))],
    )
    async def patient_view(call: PatientViewRequest) -> JSONResponse:
        """``patient-view``: the patient's stage, current alerts and proposed next steps as cards."""
        result = await evaluate_call(PATIENT_VIEW, call)
        if result is None:
            return JSONResponse({"cards": []})
        pathway, case, as_of, imported = result
        evaluation = pathway.evaluate(as_of)
        from hfs_pathway.fhir import proposed_orders

        orders = proposed_orders(evaluation, case)
        cards = [
            finding_card(finding, evaluation.stage, docs_url=settings.docs_url)
            for finding in getattr(imported, "findings", ())
        ]
        cards += patient_view_cards(evaluation, docs_url=settings.docs_url, orders=orders, links=links_for(case, as_of))
        issued.add(PATIENT_VIEW, cards)
        return JSONResponse({"cards": cards})

    @app.post(
        f"/cds-services/{ORDER_SELECT}",
        response_model=CdsResponse,
        responses=_CALL_ERRORS,
        tags=["services"],
        dependencies=[Depends(caller_for(ORDER_SELECT))],
    )
    async def order_select(call: OrderSelectRequest) -> JSONResponse:
        """``order-select``: checks selected toxin orders against the minimum reinjection interval and MVD
        referrals against the risk-benefit checkpoint."""
        try:
            orders = selected_orders(call.context.selections, call.context.draftOrders)
        except BadRequest as bad:
            raise HTTPException(400, str(bad)) from None
        if not orders:
            return JSONResponse({"cards": []})
        result = await evaluate_call(ORDER_SELECT, call)
        if result is None:
            return JSONResponse({"cards": []})
        pathway, _case, as_of, _imported = result
        evaluation = pathway.evaluate(as_of)
        cards: list[dict[str, Any]] = []
        if any(o.kind == "toxin" for o in orders):
            planned = min(o.planned or as_of for o in orders if o.kind == "toxin")
            card = toxin_interval_card(
                evaluation,
                planned,
                min_interval_days=guideline.min_reinjection_interval_days,
                docs_url=settings.docs_url,
            )
            if card is not None:
                cards.append(card)
        if any(o.kind == "mvd_referral" for o in orders):
            card = mvd_checkpoint_card(pathway, evaluation, as_of=as_of, docs_url=settings.docs_url)
            if card is not None:
                cards.append(card)
        issued.add(ORDER_SELECT, cards)
        return JSONResponse({"cards": cards})

    for service_id in SERVICES:
        _add_feedback_route(app, service_id, caller_for(service_id, feedback=True), feedback_log)

    if diagrams is not None:
        _add_diagram_route(app, diagrams, guideline)

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Where and which rule, never the offending value: it may be a patient's whole record.
        errors = [
            {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
            | ({"ctx": {k: str(v) for k, v in e["ctx"].items()}} if e.get("ctx") else {})
            for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(_Unplaced)
    async def unplaced(request: Request, exc: _Unplaced) -> JSONResponse:
        return JSONResponse({"cards": [unplaced_card(exc.error, docs_url=settings.docs_url)]})

    _install_middleware(app, settings)
    return app


def _add_feedback_route(
    app: FastAPI, service_id: str, authenticate: Callable[[Request], Awaitable[Caller]], feedback_log: FeedbackLog
) -> None:
    async def feedback(body: Feedback) -> FeedbackReceipt:
        return FeedbackReceipt(recorded=feedback_log.record(service_id, body.feedback))

    feedback.__doc__ = f"Feedback on the cards of {service_id}, recorded by card kind and outcome without patient data."
    app.post(
        f"/cds-services/{service_id}/feedback",
        response_model=FeedbackReceipt,
        responses={**_UNAUTHORIZED, 413: {"model": ErrorBody, "description": "request body too large"}},
        tags=["feedback"],
        name=f"feedback_{service_id}",
        dependencies=[Depends(authenticate)],
    )(feedback)


def _add_diagram_route(app: FastAPI, diagrams: DiagramStore, guideline: Guideline) -> None:
    @app.get(
        "/diagrams/{token}",
        responses={200: {"content": {"image/svg+xml": {}, "text/plain": {}}}, 404: {"model": ErrorBody}},
        tags=["diagrams"],
    )
    async def diagram(token: str) -> Response:
        """The patient's path on the pathway, behind the link of a card (the link expires)."""
        found = diagrams.get(token)
        if found is None:
            raise HTTPException(404, "no such diagram, or its link has expired")
        text, as_of = found
        from hfs_pathway import diagrams as render

        pathway = Pathway.replay(load_case(text), guideline=guideline)
        if render.dot_program() is not None:
            return Response(render.diagram("svg", pathway=pathway, as_of=as_of), media_type="image/svg+xml")
        # Without Graphviz, the Mermaid source: a page that loads Mermaid from a CDN would make the
        # clinician's browser call a third party from a clinical link.
        return Response(render.diagram("mermaid", pathway=pathway, as_of=as_of), media_type="text/plain")


def _install_middleware(app: FastAPI, settings: CdsSettings) -> None:
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    app.add_middleware(ErrorShield)  # added last: the outermost of the service's own middleware


def announce_development_mode() -> None:
    """Say, as loudly as a log can, that the service accepts unauthenticated calls."""
    banner = "!" * 78
    log.warning(
        "\n%s\n!!  DEVELOPMENT MODE: allow_unauthenticated = true. Calls are NOT authenticated.\n"
        "!!  Anyone who can reach this port can call the services. Never use it with real patients.\n%s",
        banner,
        banner,
    )
