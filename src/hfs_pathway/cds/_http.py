"""Reading JSON from another server (the client's FHIR server, an issuer's key set) within a size limit."""

from __future__ import annotations

import json
from typing import Any


class TooLarge(Exception):
    """The answer is larger than the limit; it was not read to the end."""


async def get_json(client: Any, url: str, max_bytes: int) -> tuple[int, Any]:
    """GET ``url`` with the httpx ``client``: the status and, for a 200, the parsed JSON body (else None).

    The body is read as it streams and refused once it passes ``max_bytes`` (:class:`TooLarge`); a body
    that is not JSON raises ``ValueError``. Transport failures are httpx's own errors.
    """
    async with client.stream("GET", url) as response:
        if response.status_code != 200:
            return response.status_code, None
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise TooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge
            chunks.append(chunk)
    try:
        return 200, json.loads(b"".join(chunks))
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
