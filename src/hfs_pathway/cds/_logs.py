"""Third-party request logs without the patient: httpx logs every request's URL at INFO, and the service's
FHIR reads name the patient in theirs (``Condition?patient=<id>``).

:func:`quiet_request_logs` puts a filter on the HTTP client's loggers that keeps a record's level and the
fact of the request but replaces its URL with the origin (scheme, host, port), and drops httpcore's
debug traces, which quote request lines and headers.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

_CLIENT_LOGGERS = ("httpx", "httpcore")
_HTTPCORE_PARTS = ("connection", "connection_pool", "http11", "http2", "proxy", "socks")


def _origin(url: object) -> str:
    parts = urlsplit(str(url))
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}" if parts.scheme else "(url not shown)"


class RedactRequests(logging.Filter):
    """Keeps httpx's request lines as method, origin and status; drops httpcore's traces."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("httpcore"):
            return record.levelno >= logging.WARNING
        if record.msg == 'HTTP Request: %s %s "%s %d %s"' and isinstance(record.args, tuple) and len(record.args) == 5:
            method, url, _version, status, _reason = record.args
            record.msg = "HTTP Request: %s %s (path and query not shown) %s"
            record.args = (method, _origin(url), status)
            return True
        # Any other message of the client may quote a URL too: keep its level and logger, not its text.
        record.msg = "%s message (not shown: it may quote a request URL)"
        record.args = (record.name,)
        return True


_FILTER = RedactRequests()


def quiet_request_logs() -> None:
    """Install the filter on the HTTP client's loggers (idempotent)."""
    names = [*_CLIENT_LOGGERS, *(f"httpcore.{part}" for part in _HTTPCORE_PARTS)]
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
