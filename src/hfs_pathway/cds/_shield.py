"""The last line: an unexpected failure is answered with a bare 500 and logged without its message.

An exception's message may quote the data it choked on (pydantic's validation errors do), and the data
here is a patient's record; the default handlers would log it with the traceback. This middleware logs
only the exception's type and where it was raised (file, line and function of each frame).
"""

from __future__ import annotations

import json
import logging
import traceback

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("hfs_pathway.cds")

_BODY = json.dumps({"detail": "internal error: the service could not answer this call; it has been logged"}).encode()


class ErrorShield:
    """Outermost middleware: turns an unhandled exception into a 500 and a log line without patient data."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:  # nothing unhandled may reach the server's own logs
            frames = " < ".join(
                f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} {frame.name}"
                for frame in list(reversed(traceback.extract_tb(exc.__traceback__)))[:8]
            )
            # The path's first two segments only: the rest may be a diagram link's token.
            where = "/".join(str(scope.get("path", "")).split("/")[:3])
            log.error("internal error on %s %s: %s at %s", scope.get("method"), where, type(exc).__name__, frames)
            if not started:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", b"%d" % len(_BODY)),
                            (b"cache-control", b"no-store"),
                            (b"x-content-type-options", b"nosniff"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": _BODY})
