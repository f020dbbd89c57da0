"""Where a call's patient data comes from: the prefetch the client sent, else the client's FHIR server.

The prefetch templates are published in discovery. As the specification says, a key the client left out
is a template it did not satisfy, and a key sent as ``null`` one for which it has no data. For each key
left out the service reads the same query from ``fhirServer`` with the ``fhirAuthorization`` token. When
a required one can be had from neither, the call cannot be answered (HTTP 412).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

_MAX_PAGES = 20


class Template(NamedTuple):
    key: str
    query: str
    required: bool = True


PREFETCH: tuple[Template, ...] = (
    Template("patient", "Patient/{{context.patientId}}"),
    Template("conditions", "Condition?patient={{context.patientId}}"),
    Template("observations", "Observation?patient={{context.patientId}}"),
    Template("procedures", "Procedure?patient={{context.patientId}}"),
    Template("medicationStatements", "MedicationStatement?patient={{context.patientId}}"),
    Template("medicationAdministrations", "MedicationAdministration?patient={{context.patientId}}"),
    Template("medicationRequests", "MedicationRequest?patient={{context.patientId}}"),
    Template("diagnosticReports", "DiagnosticReport?patient={{context.patientId}}"),
    Template("serviceRequests", "ServiceRequest?patient={{context.patientId}}"),
    Template("imagingStudies", "ImagingStudy?patient={{context.patientId}}", required=False),
)
"""The prefetch templates of both services: the patient and every kind of resource the FHIR mapping reads."""


class BadRequest(Exception):
    """The call is malformed (HTTP 400); the message says what and where."""


class DataUnavailable(Exception):
    """The patient's data can be had neither from the prefetch nor from the FHIR server (HTTP 412)."""


def resources_of(value: Any, key: str) -> Iterator[Mapping[str, Any]]:
    """The resources in one prefetch value: a resource, or a Bundle whose entries hold resources."""
    if not isinstance(value, Mapping) or not isinstance(value.get("resourceType"), str):
        raise BadRequest(f"prefetch.{key} must be a FHIR resource or Bundle")
    if value["resourceType"] != "Bundle":
        yield value
        return
    entries = value.get("entry") or []
    if not isinstance(entries, list):
        raise BadRequest(f"prefetch.{key}.entry must be a list")
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping) or not isinstance(resource.get("resourceType"), str):
            raise BadRequest(f"prefetch.{key}.entry[{i}] has no resource")
        if resource["resourceType"] == "OperationOutcome":
            continue  # a search's warnings, not patient data
        yield resource


def _check_patient(resources: list[Mapping[str, Any]], pid: str) -> None:
    for resource in resources:
        if resource.get("resourceType") == "Patient" and resource.get("id") not in (None, pid):
            raise BadRequest("the prefetched Patient is not the patient named by context.patientId")


async def gather_resources(
    *,
    pid: str,
    prefetch: Mapping[str, Any] | None,
    fhir_server: str | None,
    authorization: Mapping[str, Any] | None,
    allowed_servers: tuple[str, ...],
    timeout: float,
    max_bytes: int,
) -> list[Mapping[str, Any]]:
    """Every resource of the patient the templates name, from the prefetch or the FHIR server (only one of
    ``allowed_servers``, within ``timeout`` seconds in all and ``max_bytes`` per answer)."""
    prefetch = prefetch or {}
    resources: list[Mapping[str, Any]] = []
    missing: list[Template] = []
    for template in PREFETCH:
        if template.key not in prefetch:
            missing.append(template)  # the client did not satisfy this template
        elif prefetch[template.key] is not None:  # null: the client has no data for it
            resources.extend(resources_of(prefetch[template.key], template.key))
    needed = [t for t in missing if t.required]
    names = ", ".join(t.key for t in needed)
    if missing and fhir_server is None:
        if needed:
            raise DataUnavailable(f"the prefetch lacks {names} and the call gives no fhirServer to read them from")
        missing = []
    if missing and fhir_server is not None:
        base = fhir_server.rstrip("/")
        if not re.match(r"^https?://[^/?#@\\]+(/[^?#]*)?$", base) or {".", ".."} & set(base.split("/")[3:]):
            raise BadRequest("fhirServer must be an http(s) base URL without query, fragment, user or dot segments")
        # fhirServer is named by the caller: only the servers of the configuration are ever read.
        prefixes = [s.rstrip("/") for s in allowed_servers]
        if not prefixes:
            if needed:
                raise DataUnavailable(
                    f"the prefetch lacks {names}, and this service reads no FHIR server (none is configured in "
                    "fhir_servers)"
                )
            missing = []
        elif not any(base == p or base.startswith(p + "/") for p in prefixes):
            if needed:
                raise DataUnavailable(
                    f"the prefetch lacks {names}, and fhirServer is not one of the FHIR servers this service is "
                    "configured to read"
                )
            missing = []
    if missing and fhir_server is not None:
        token = authorization.get("access_token") if authorization else None
        if authorization is not None and not isinstance(token, str):
            raise BadRequest("fhirAuthorization.access_token must be a string")
        try:
            async with asyncio.timeout(timeout):
                fetched = await _fetch_all(
                    fhir_server.rstrip("/"), missing, pid, token, timeout=timeout, max_bytes=max_bytes
                )
        except TimeoutError:
            raise DataUnavailable(
                f"reading the patient's data from fhirServer took longer than {timeout:g} s"
            ) from None
        resources.extend(fetched)
    _check_patient(resources, pid)
    return resources


async def _fetch_all(
    base: str, templates: list[Template], pid: str, token: str | None, *, timeout: float, max_bytes: int
) -> list[Mapping[str, Any]]:
    import httpx

    headers = {"Accept": "application/fhir+json, application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(timeout=timeout, headers=headers, follow_redirects=False) as client:
        results = await asyncio.gather(
            *(_fetch(client, base, t, pid, max_bytes) for t in templates), return_exceptions=True
        )
    resources: list[Mapping[str, Any]] = []
    for template, result in zip(templates, results, strict=True):
        if isinstance(result, DataUnavailable):
            if template.required:
                raise result
            continue
        if isinstance(result, BaseException):
            raise result
        resources.extend(result)
    return resources


async def _fetch(client: Any, base: str, template: Template, pid: str, max_bytes: int) -> list[Mapping[str, Any]]:
    import httpx

    from ._http import TooLarge, get_json

    url: str | None = f"{base}/{template.query.replace('{{context.patientId}}', pid)}"
    found: list[Mapping[str, Any]] = []
    pages = 0
    try:
        while url is not None:
            pages += 1
            status, data = await get_json(client, url, max_bytes)
            if status != 200:
                raise DataUnavailable(f"reading {template.key} from fhirServer gave HTTP {status}")
            found.extend(resources_of(data, template.key))
            url = _next_page(data, base) if pages < _MAX_PAGES else None
    except httpx.HTTPError as exc:
        raise DataUnavailable(f"reading {template.key} from fhirServer failed ({type(exc).__name__})") from None
    except TooLarge:
        raise DataUnavailable(f"fhirServer's answer for {template.key} is larger than {max_bytes} bytes") from None
    except (ValueError, BadRequest):
        raise DataUnavailable(f"fhirServer's answer for {template.key} is not a FHIR resource or Bundle") from None
    return found


def _next_page(data: Any, base: str) -> str | None:
    if not isinstance(data, Mapping) or data.get("resourceType") != "Bundle":
        return None
    for link in data.get("link") or ():
        target = link.get("url") if isinstance(link, Mapping) else None
        if isinstance(link, Mapping) and link.get("relation") == "next" and isinstance(target, str):
            # Paging is followed only while it stays on the client's own server.
            return target if target.startswith((base + "/", base + "?")) else None
    return None
