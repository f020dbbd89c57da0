"""``hfs-pathway serve``: run the CDS Hooks service with uvicorn (the ``cds`` extra)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the CDS Hooks service (needs the 'cds' extra)",
        description=(
            "Run the CDS Hooks 2.0 service on HOST:PORT. Without --config it refuses to start, unless the "
            "configuration file sets allow_unauthenticated = true (development only)."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    serve.add_argument("--config", type=Path, metavar="FILE", help="service settings, .toml or .json")
    serve.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from .cli import require_extra

    require_extra("cds", "fastapi", "uvicorn", "httpx", "jwt", "fhir.resources")
    import logging

    import uvicorn

    from .cds import CdsSettings, create_app

    if args.config is None:
        settings = CdsSettings.from_mapping({}, source="default settings")  # refuses: no trusted issuer
    else:
        settings = CdsSettings.load(args.config)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    app = create_app(settings)
    if settings.allow_unauthenticated:
        print(
            "hfs-pathway serve: DEVELOPMENT MODE, calls are not authenticated. Never use it with real patients.",
            file=sys.stderr,
        )
    print(
        f"hfs-pathway CDS Hooks service on http://{args.host}:{args.port}/cds-services "
        f"(public URL {settings.public_url}; OpenAPI at /openapi.json)",
        file=sys.stderr,
    )
    # Everything loaded so far lives as long as the process: keep it out of the garbage collector's full
    # passes, which would otherwise walk it again and again under load.
    import gc

    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
    return 0
