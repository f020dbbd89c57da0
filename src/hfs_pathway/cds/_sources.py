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
from urllib.parse import unquote, urlsplit

MAX_PAGES = 20
"""The most pages of one search read from a FHIR server (a longer result is not read: 412)."""


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


class IncompleteData(Exception):
    """The client said it could not supply some of the patient's data (an OperationOutcome in their place, or
    a paged result whose further pages cannot be read). Answered with a card naming them, never with a
    silent empty answer: no pathway advice is given from part of a record."""

    def __init__(self, keys: list[str], why: str) -> None:
        super().__init__(why)
        self.keys = keys
        self.why = why


def is_outcome(value: Any) -> bool:
    """Whether a prefetch value is an OperationOutcome, or a Bundle holding nothing but OperationOutcomes
    (the client's way of saying the query failed)."""
    if not isinstance(value, Mapping):
        return False
    if value.get("resourceType") == "OperationOutcome":
        return True
    if value.get("resourceType") != "Bundle":
        return False
    entries = value.get("entry")
    if not isinstance(entries, list) or not entries:
        return False
    return all(
        isinstance(e, Mapping)
        and isinstance(e.get("resource"), Mapping)
        and e["resource"].get("resourceType") == "OperationOutcome"
        for e in entries
    )


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


_BASE_URL = re.compile(r"^https?://[^/?#@\\]+(/[^?#\\]*)?$")


def has_dot_segment(path: str) -> bool:
    """Whether a URL path has a ``.`` or ``..`` segment, written out or percent-encoded (``%2e%2e``), or an
    encoded slash that would make one after decoding."""
    lowered = path.lower()
    if "%2f" in lowered or "%5c" in lowered:
        return True
    decoded = unquote(path)
    return any(segment in (".", "..") for segment in decoded.split("/"))


def _readable_server(fhir_server: str | None, allowed_servers: tuple[str, ...]) -> tuple[str | None, str]:
    """The base URL to read (or None) and, when none, why not."""
    if fhir_server is None:
        return None, "the call gives no fhirServer to read them from"
    base = fhir_server.rstrip("/")
    if not _BASE_URL.match(base) or has_dot_segment(urlsplit(base).path):
        raise BadRequest("fhirServer must be an http(s) base URL without query, fragment, user or dot segments")
    # fhirServer is named by the caller: only the servers of the configuration are ever read.
    prefixes = [s.rstrip("/") for s in allowed_servers]
    if not prefixes:
        return None, "this service reads no FHIR server (none is configured in fhir_servers)"
    if not any(base == p or base.startswith(p + "/") for p in prefixes):
        return None, "fhirServer is not one of the FHIR servers this service is configured to read"
    return base, ""


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
    ``allowed_servers``, within ``timeout`` seconds in all and ``max_bytes`` per answer).

    A template left out of the prefetch is read from the server; so is one the client answered with an
    OperationOutcome, and the further pages of a paged prefetch result. What cannot be read is a
    :class:`DataUnavailable` (left out) or an :class:`IncompleteData` (reported failed, or pages missing).
    """
    prefetch = prefetch or {}
    resources: list[Mapping[str, Any]] = []
    missing: list[Template] = []
    failed: list[Template] = []
    pages: list[tuple[Template, str]] = []
    for template in PREFETCH:
        if template.key not in prefetch:
            missing.append(template)  # the client did not satisfy this template
        elif prefetch[template.key] is None:
            continue  # null: the client has no data for it
        elif is_outcome(prefetch[template.key]):
            failed.append(template)  # the client tried, and its query failed
        else:
            value = prefetch[template.key]
            resources.extend(resources_of(value, template.key))
            link = _next_link(value)
            if link is not None:
                pages.append((template, link))
    if not (missing or failed or pages):
        _check_patient(resources, pid)
        return resources
    base, why_not = _readable_server(fhir_server, allowed_servers)
    needed = [t for t in missing if t.required]
    if base is None:
        if needed:
            names = ", ".join(t.key for t in needed)
            raise DataUnavailable(f"the prefetch lacks {names}, and {why_not}")
        incomplete = [t.key for t in failed if t.required] + [t.key for t, _ in pages if t.required]
        if incomplete:
            raise IncompleteData(incomplete, why_not)
        _check_patient(resources, pid)
        return resources
    token = authorization.get("access_token") if authorization else None
    if authorization is not None and not isinstance(token, str):
        raise BadRequest("fhirAuthorization.access_token must be a string")
    prefixes = [p.rstrip("/") for p in allowed_servers]
    confine = next(p for p in prefixes if base == p or base.startswith(p + "/"))
    jobs = [(t, f"{base}/{t.query.replace('{{context.patientId}}', pid)}") for t in (*missing, *failed)]
    for template, link in pages:
        if not within(link, base) or not within(link, confine):
            raise IncompleteData([template.key], "the link to the next page of the prefetch leaves fhirServer")
        jobs.append((template, link))
    try:
        async with asyncio.timeout(timeout):
            fetched = await _fetch_all(base, confine, jobs, token, timeout=timeout, max_bytes=max_bytes)
    except TimeoutError:
        raise DataUnavailable(f"reading the patient's data from fhirServer took longer than {timeout:g} s") from None
    resources.extend(fetched)
    _check_patient(resources, pid)
    return resources


def within(url: str, base: str) -> bool:
    """Whether ``url`` is under ``base`` (same scheme and host, path below it, no dot segments)."""
    parts = urlsplit(url)
    if "\\" in url or "@" in parts.netloc or has_dot_segment(parts.path):
        return False
    return url.startswith((base + "/", base + "?"))


def _next_link(data: Any) -> str | None:
    if not isinstance(data, Mapping) or data.get("resourceType") != "Bundle":
        return None
    for link in data.get("link") or ():
        if isinstance(link, Mapping) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return str(link["url"])
    return None


async def _fetch_all(
    base: str, confine: str, jobs: list[tuple[Template, str]], token: str | None, *, timeout: float, max_bytes: int
) -> list[Mapping[str, Any]]:
    import httpx

    headers = {"Accept": "application/fhir+json, application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(timeout=timeout, headers=headers, follow_redirects=False) as client:
        results = await asyncio.gather(
            *(_fetch(client, base, confine, t, url, max_bytes=max_bytes) for t, url in jobs), return_exceptions=True
        )
    resources: list[Mapping[str, Any]] = []
    for (template, _url), result in zip(jobs, results, strict=True):
        if isinstance(result, DataUnavailable):
            if template.required:
                raise result
            continue
        if isinstance(result, BaseException):
            raise result
        resources.extend(result)
    return resources


async def _fetch(
    client: Any, base: str, confine: str, template: Template, url: str, *, max_bytes: int
) -> list[Mapping[str, Any]]:
    import httpx

    from ._http import TooLarge, get_json

    next_url: str | None = url
    found: list[Mapping[str, Any]] = []
    pages = 0
    try:
        while next_url is not None:
            pages += 1
            status, data = await get_json(client, next_url, max_bytes)
            if status != 200:
                raise DataUnavailable(f"reading {template.key} from fhirServer gave HTTP {status}")
            if is_outcome(data):
                raise DataUnavailable(f"fhirServer answered the query for {template.key} with an OperationOutcome")
            found.extend(resources_of(data, template.key))
            next_url = _next_link(data)
            # Paging is followed only while it stays under the call's server and the configured path.
            if next_url is not None and not (within(next_url, base) and within(next_url, confine)):
                raise DataUnavailable(f"the next page of {template.key} is not on fhirServer")
            if next_url is not None and pages >= MAX_PAGES:
                raise DataUnavailable(f"{template.key} has more than {MAX_PAGES} pages")
    except httpx.HTTPError as exc:
        raise DataUnavailable(f"reading {template.key} from fhirServer failed ({type(exc).__name__})") from None
    except TooLarge:
        raise DataUnavailable(f"fhirServer's answer for {template.key} is larger than {max_bytes} bytes") from None
    except (ValueError, BadRequest):
        raise DataUnavailable(f"fhirServer's answer for {template.key} is not a FHIR resource or Bundle") from None
    return found
