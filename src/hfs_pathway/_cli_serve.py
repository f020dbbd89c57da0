"""``hfs-pathway serve``: run the CDS Hooks service with uvicorn (the ``cds`` extra)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

_CONFIG_VARIABLE = "HFS_PATHWAY_CDS_CONFIG"
_LOG_LEVEL_VARIABLE = "HFS_PATHWAY_CDS_LOG_LEVEL"
_LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def register(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the CDS Hooks service (needs the 'cds' extra)",
        description=(
            "Run the CDS Hooks 2.0 service on HOST:PORT. Without --config it refuses to start, unless the "
            "configuration file sets allow_unauthenticated = true (development only). With --workers N, N "
            'processes share the port; they need a shared store (store = "redis://...") in the configuration.'
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    serve.add_argument("--config", type=Path, metavar="FILE", help="service settings, .toml or .json")
    serve.add_argument(
        "--workers", type=int, default=1, metavar="N", help="worker processes (default 1; more need store = redis)"
    )
    serve.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from .cli import require_extra

    require_extra("cds", "fastapi", "uvicorn", "httpx", "jwt", "fhir.resources", "sqlalchemy")
    import logging

    import uvicorn

    from .cds import CdsSettings, InvalidCdsConfig, create_app

    if args.config is None:
        settings = CdsSettings.from_mapping({}, source="default settings")  # refuses: no trusted issuer
    else:
        settings = CdsSettings.load(args.config)
    if args.workers < 1:
        raise InvalidCdsConfig("--workers must be at least 1")
    if args.workers > 1 and settings.store == "memory":
        raise InvalidCdsConfig(
            f'--workers {args.workers} needs a shared store: set store = "redis://..." in the configuration '
            "(with the in-process store each worker would keep its own replay cache and diagram links)"
        )
    logging.basicConfig(level=args.log_level.upper(), format=_LOG_FORMAT)
    if args.workers == 1:
        app: Any = create_app(settings)
    else:
        # Checked (keys, database schema) once here, so that a bad setting stops start-up, not each worker.
        create_app(settings).state.records.close()
    if settings.allow_unauthenticated:
        print(
            "hfs-pathway serve: DEVELOPMENT MODE, calls are not authenticated. Never use it with real patients.",
            file=sys.stderr,
        )
    print(
        f"hfs-pathway CDS Hooks service on http://{args.host}:{args.port}/cds-services "
        f"(public URL {settings.public_url}; OpenAPI at /openapi.json; {args.workers} worker(s), "
        f"store {'in-process' if settings.store == 'memory' else 'Redis'})",
        file=sys.stderr,
    )
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "access_log": False,
    }
    if args.workers == 1:
        _freeze()
        uvicorn.run(app, **options)
        return 0
    # Each worker builds its own application from the same file.
    os.environ[_CONFIG_VARIABLE] = str(Path(args.config).resolve())
    os.environ[_LOG_LEVEL_VARIABLE] = args.log_level
    import socket

    if not hasattr(socket, "SO_REUSEPORT"):  # pragma: no cover (not Linux or BSD)
        uvicorn.run("hfs_pathway._cli_serve:worker_app", factory=True, workers=args.workers, **options)
        return 0
    return _supervise(args.workers, args.host, args.port, args.log_level)


def _supervise(count: int, host: str, port: int, log_level: str) -> int:
    """Run ``count`` worker processes, each listening on its own socket of one SO_REUSEPORT group, so that the
    kernel spreads new connections over them (with one shared socket, one busy worker tends to accept them all),
    and restart a worker that dies. Stops them all on SIGTERM or SIGINT."""
    import multiprocessing
    import signal
    import time

    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def start(index: int) -> Any:
        process = context.Process(
            target=_worker_main, args=(host, port, log_level), name=f"hfs-pathway-cds-worker-{index}", daemon=False
        )
        process.start()
        return process

    workers = [start(i) for i in range(count)]
    status = 0
    try:
        while not stopping:
            time.sleep(0.2)
            for i, worker in enumerate(workers):
                if worker.is_alive() or stopping:
                    continue
                if worker.exitcode == _STARTUP_FAILURE:
                    print(f"hfs-pathway serve: worker {i} could not start; stopping", file=sys.stderr)
                    status = 1
                    stopping = True
                    break
                print(f"hfs-pathway serve: worker {i} exited ({worker.exitcode}); starting another", file=sys.stderr)
                workers[i] = start(i)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()  # SIGTERM: uvicorn finishes the calls in flight and writes pending records
        for worker in workers:
            worker.join(30)
            if worker.is_alive():
                worker.kill()
    return status


_STARTUP_FAILURE = 3


def _worker_main(host: str, port: int, log_level: str) -> None:
    """One worker of ``serve --workers N``: its own listening socket on the shared port, its own application."""
    import socket

    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        print(f"hfs-pathway serve: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        sys.exit(_STARTUP_FAILURE)
    try:
        app = worker_app()
    except Exception as exc:  # a setting that broke since the parent checked it: say what, not the traceback
        print(f"hfs-pathway serve: the worker could not start: {exc}", file=sys.stderr)
        sys.exit(_STARTUP_FAILURE)
    config = uvicorn.Config(app, log_level=log_level, access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def worker_app() -> Any:
    """The application of one worker of ``serve --workers N`` (settings from the file the parent read)."""
    import logging

    from .cds import CdsSettings, create_app

    logging.basicConfig(level=os.environ.get(_LOG_LEVEL_VARIABLE, "info").upper(), format=_LOG_FORMAT)
    app = create_app(CdsSettings.load(os.environ[_CONFIG_VARIABLE]))
    _freeze()
    return app


def _freeze() -> None:
    # Everything loaded so far lives as long as the process: keep it out of the garbage collector's full
    # passes, which would otherwise walk it again and again under load.
    import gc

    gc.collect()
    gc.freeze()
