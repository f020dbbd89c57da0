"""The FastAPI application: discovery, the two hook services, feedback, and the patient's path diagram."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from hfs_pathway import __version__
from hfs_pathway._case import Case, load_case
from hfs_pathway._errors import PathwayError
from hfs_pathway._guideline import Guideline, default_guideline
from hfs_pathway._pathway import Pathway

from ._cards import (
    finding_card,
    incomplete_card,
    mvd_checkpoint_card,
    patient_view_cards,
    toxin_interval_card,
    unplaced_card,
)
from ._config import CdsSettings
from ._feedback import record_feedback
from ._limits import BodySizeLimit, ResponseHeaders
from ._logs import quiet_request_logs
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
from ._orders import proposals, selected_orders
from ._records import Records
from ._security import DEVELOPMENT_CALLER, Caller, TokenVerifier, Unauthorized
from ._shield import ErrorShield
from ._sources import PREFETCH, BadRequest, DataUnavailable, IncompleteData, gather_resources
from ._store import Store, StoreUnavailable, open_store

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


def _service_of(request: Request) -> str:
    return ORDER_SELECT if request.url.path.endswith(ORDER_SELECT) else PATIENT_VIEW


class _Incomplete(Exception):
    """Part of the patient's data could not be had; answered with one card that names it."""

    def __init__(self, incomplete: IncompleteData) -> None:
        super().__init__(incomplete.why)
        self.incomplete = incomplete


class _Unplaced(Exception):
    """The patient's record does not replay along the pathway; answered with one card that says why."""

    def __init__(self, error: PathwayError) -> None:
        super().__init__(error.message)
        self.error = error


DIAGRAM_PATIENT_LABEL = "(not shown)"
"""What a diagram link's case holds instead of the patient's id: the link and its image name nobody."""


def _diagram_available() -> bool:
    from importlib.util import find_spec

    try:
        return find_spec("hfs_pathway.diagrams") is not None
    except (ImportError, ValueError):
        return False


def create_app(settings: CdsSettings) -> FastAPI:
    """The CDS Hooks service for ``settings`` (see :class:`CdsSettings`)."""
    quiet_request_logs()
    guideline: Guideline = Guideline.load(settings.guideline) if settings.guideline else default_guideline()
    store: Store = open_store(settings.store)
    verifier = None if settings.allow_unauthenticated else TokenVerifier(settings, store)
    records = Records(settings.database_url)
    diagrams = _diagram_available()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await asyncio.to_thread(records.flush)
        await store.close()

    app = FastAPI(
        title="hfs-pathway CDS Hooks service",
        version=__version__,
        description=(
            "CDS Hooks 2.0 services for the hemifacial spasm treatment pathway. Every card is a proposal; "
            f"a clinician decides. Guide: {settings.docs_url}/cds-hooks/"
        ),
        # No interactive pages: FastAPI's load their scripts from a CDN, and the service must work offline
        # and make no clinician's browser call a third party. The schema stays at /openapi.json.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.records = records
    app.state.store = store
    app.state.verifier = verifier
    if settings.development_mode:
        announce_development_mode(settings)

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
        except IncompleteData as incomplete:
            raise _Incomplete(incomplete) from None
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

    def diagram_for(case: Case, as_of: dt.date) -> tuple[list[dict[str, str]], tuple[str, str, int] | None]:
        if not diagrams:
            return [], None
        token = secrets.token_urlsafe(24)
        data = case.to_dict()
        data["patient"]["id"] = DIAGRAM_PATIENT_LABEL
        payload = json.dumps({"case": data, "as_of": as_of.isoformat()}, separators=(",", ":"))
        url = f"{settings.public_url}/diagrams/{token}"
        link = {"label": "The patient's path on the pathway", "url": url, "type": "absolute"}
        return [link], (token, payload, settings.diagram_ttl_seconds)

    async def issue(
        service_id: str, cards: list[dict[str, Any]], diagram: tuple[str, str, int] | None = None
    ) -> JSONResponse:
        await store.remember(service_id, [(c["uuid"], c["source"]["topic"]["code"]) for c in cards], diagram)
        records.served(service_id, cards)
        return JSONResponse({"cards": cards})

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

        orders = proposals(proposed_orders(evaluation, case), as_of)
        cards = [
            finding_card(finding, evaluation.stage, docs_url=settings.docs_url)
            for finding in getattr(imported, "findings", ())
        ]
        links, diagram = diagram_for(case, as_of)
        cards += patient_view_cards(evaluation, docs_url=settings.docs_url, orders=orders, links=links)
        return await issue(PATIENT_VIEW, cards, diagram)

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
        return await issue(ORDER_SELECT, cards)

    for service_id in SERVICES:
        _add_feedback_route(app, service_id, caller_for(service_id, feedback=True), store, records)

    if diagrams:
        _add_diagram_route(app, store, guideline)

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
        return await issue(_service_of(request), [unplaced_card(exc.error, docs_url=settings.docs_url)])

    @app.exception_handler(_Incomplete)
    async def incomplete(request: Request, exc: _Incomplete) -> JSONResponse:
        card = incomplete_card(exc.incomplete.keys, exc.incomplete.why, docs_url=settings.docs_url)
        return await issue(_service_of(request), [card])

    @app.exception_handler(StoreUnavailable)
    async def store_down(request: Request, exc: StoreUnavailable) -> JSONResponse:
        log.error("the shared store is unavailable (%s)", exc)
        return JSONResponse({"detail": "the service's shared store is unavailable; try again"}, status_code=503)

    _install_middleware(app, settings)
    return app


def _add_feedback_route(
    app: FastAPI,
    service_id: str,
    authenticate: Callable[[Request], Awaitable[Caller]],
    store: Store,
    records: Records,
) -> None:
    async def feedback(body: Feedback) -> FeedbackReceipt:
        return FeedbackReceipt(recorded=await record_feedback(store, records, service_id, body.feedback))

    feedback.__doc__ = f"Feedback on the cards of {service_id}, recorded by card kind and outcome without patient data."
    app.post(
        f"/cds-services/{service_id}/feedback",
        response_model=FeedbackReceipt,
        responses={**_UNAUTHORIZED, 413: {"model": ErrorBody, "description": "request body too large"}},
        tags=["feedback"],
        name=f"feedback_{service_id}",
        dependencies=[Depends(authenticate)],
    )(feedback)


def _add_diagram_route(app: FastAPI, store: Store, guideline: Guideline) -> None:
    @app.get(
        "/diagrams/{token}",
        responses={200: {"content": {"image/svg+xml": {}, "text/plain": {}}}, 404: {"model": ErrorBody}},
        tags=["diagrams"],
    )
    async def diagram(token: str) -> Response:
        """The patient's path on the pathway, behind the link of a card (the link expires; it names nobody)."""
        found = await store.diagram(token) if len(token) <= 64 else None
        if found is None:
            raise HTTPException(404, "no such diagram, or its link has expired")
        # Replaying and Graphviz take tens of milliseconds: in a worker thread, not on the event loop.
        body, media_type = await asyncio.to_thread(_render, found, guideline)
        return Response(body, media_type=media_type)


def _render(payload: str, guideline: Guideline) -> tuple[str, str]:
    from hfs_pathway import diagrams as render

    data = json.loads(payload)
    pathway = Pathway.replay(load_case(data["case"]), guideline=guideline)
    as_of = dt.date.fromisoformat(data["as_of"])
    if render.dot_program() is not None:
        return str(render.diagram("svg", pathway=pathway, as_of=as_of)), "image/svg+xml"
    # Without Graphviz, the Mermaid source: a page that loads Mermaid from a CDN would make the
    # clinician's browser call a third party from a clinical link.
    return str(render.diagram("mermaid", pathway=pathway, as_of=as_of)), "text/plain"


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
    app.add_middleware(ResponseHeaders)
    app.add_middleware(ErrorShield)  # added last: the outermost of the service's own middleware


def announce_development_mode(settings: CdsSettings) -> None:
    """Say, as loudly as a log can, that the service runs in development mode."""
    banner = "!" * 78
    if settings.allow_unauthenticated:
        what = "allow_unauthenticated = true. Calls are NOT authenticated.\n!!  Anyone who can reach this port"
    else:
        what = "development = true. Published test keys are trusted.\n!!  Anyone with the sandbox's key"
    log.warning(
        "\n%s\n!!  DEVELOPMENT MODE: %s can call the services. Never use it with real patients.\n%s",
        banner,
        what,
        banner,
    )
