"""``edom-graphql serve | migrate | seed | import-bills | export-schema | token | personas``,
and ``edom-graphql db status | stop | reset`` for the embedded PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import signal
import sys
import textwrap
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from edom_graphql.settings import Settings

log = logging.getLogger("edom_graphql.server.cli")
DEFAULT_SCHEMA_PATH = Path("schema/schema.graphql")
POSSIBLE_TYPES_NAME = "possible-types.json"

# Data directories whose embedded PostgreSQL this process started: stopped on exit.
_started_embedded: list[Path] = []


class CommandError(Exception):
    """A known failure of a command, told in one line (exit status 1)."""


def database_url(settings: Settings) -> str:
    """``EDOM_DATABASE_URL``, or the embedded PostgreSQL when it is unset."""
    if settings.database_url:
        return settings.database_url
    if settings.environment == "production":
        sys.exit("EDOM_DATABASE_URL is required in production")
    from edom_graphql.server.embedded import EmbeddedError, start

    try:
        embedded = start(settings.data_dir)
    except EmbeddedError as error:
        raise CommandError(str(error)) from error
    if embedded.started_here:
        _started_embedded.append(settings.data_dir)
    return embedded.url


def stop_started_embedded() -> None:
    """Stop the embedded PostgreSQL servers this process started (not ones it reused)."""
    from edom_graphql.server.embedded import EmbeddedError, stop

    while _started_embedded:
        data_dir = _started_embedded.pop()
        try:
            stop(data_dir)
        except EmbeddedError as error:
            print(f"edom-graphql: {error}", file=sys.stderr)


def migrate(url: str) -> None:
    from edom_graphql.server.migrations import upgrade

    upgrade(url)


def seed(settings: Settings, url: str) -> bool:
    from edom_graphql.core.clock import utcnow
    from edom_graphql.core.db import Database
    from edom_graphql.core.s3 import configured_storage
    from edom_graphql.server.demo import load_demo

    async def run() -> bool:
        db = Database(url)
        try:
            return await load_demo(db, configured_storage(settings), now=utcnow())
        finally:
            await db.dispose()

    return asyncio.run(run())


IMPORT_BILLS_FORMAT = """\
FILE is CSV or JSON from the city's billing centre (docs/billing-import.md).
CSV: a header row, then one row per line item of a bill:
  payer_code,building,premise,month,kind,service,amount_kopecks,due_on
  7700000001,,,2026-10,EPD,MAINTENANCE,254300,2026-11-10
JSON: [{"payer_code": "7700000001", "month": "2026-10", "kind": "EPD",
        "due_on": "2026-11-10", "lines": [{"service": "MAINTENANCE",
        "amount_kopecks": 254300}]}]
A premise is named by payer_code, or by building (its address or id) and premise
(its number). kind: EPD or ELECTRICITY; amounts in kopecks; due_on empty: the 10th
of the next month. Every row is checked first: with any error nothing is imported
(exit 1, each error with its line). Bills are matched by premise, month and kind:
new ones are created, changed unpaid ones corrected, the same left unchanged, and
changed ones already paid kept as they were (reported).
"""


def import_bills(settings: Settings, path: Path, *, progress: bool) -> int:
    from edom_graphql.billing.service.importing import (
        PROGRESS_THRESHOLD,
        ImportRefused,
        ImportReport,
        ProgressBar,
    )
    from edom_graphql.billing.service.importing import import_bills as run_import
    from edom_graphql.core.clock import utcnow
    from edom_graphql.core.db import Database

    try:
        data = path.read_bytes()
    except OSError as error:
        print(f"import-bills: cannot read {path}: {error.strerror}", file=sys.stderr)
        return 2
    url = database_url(settings)

    def bar(total: int) -> Callable[[int], None]:
        if not progress or total < PROGRESS_THRESHOLD:
            return lambda count: None
        return ProgressBar(total, f"importing {total} bills").advance

    async def run() -> ImportReport:
        db = Database(url)
        try:
            return await run_import(db, data, name=path.name, now=utcnow(), progress=bar)
        finally:
            await db.dispose()

    try:
        report = asyncio.run(run())
    except ImportRefused as refused:
        errors = refused.errors
        print(f"import-bills: {path}: {len(errors)} errors, nothing imported", file=sys.stderr)
        for row_error in errors[:200]:
            print(f"  {row_error}", file=sys.stderr)
        if len(errors) > 200:
            print(f"  … and {len(errors) - 200} more", file=sys.stderr)
        return 1
    for kept in report.kept:
        print(f"kept {kept}")
    print(report.summary())
    return 0


DEVELOPMENT_ONLY = "tokens are issued only in development (EDOM_ENVIRONMENT=development)"


def print_personas(settings: Settings, host: str, port: int) -> None:
    from edom_graphql.core.auth import issue_dev_token
    from edom_graphql.server.demo import PERSONAS

    if settings.environment != "development":
        sys.exit(DEVELOPMENT_ONLY)

    print("\nDemo personas (paste a token into GraphiQL's headers as")
    print('  {"Authorization": "Bearer <token>"}):\n')
    for persona in PERSONAS:
        token = issue_dev_token(settings, subject=persona.subject, name=persona.name)
        print(f"  {persona.key:<20} {persona.description}")
        print(f"  {'':<20} {token}\n")
    print(f"GraphiQL: http://{host}:{port}/graphql\n", flush=True)


def check_port(host: str, port: int) -> None:
    """Fail at once, in one line, when ``host:port`` cannot be listened on."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            sock.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"port {port} on {host} is in use; pick another with --port"
                ) from error
            raise CommandError(f"cannot listen on {host}:{port}: {error.strerror}") from error


def persona_keys() -> str:
    from edom_graphql.server.demo import PERSONAS

    return ", ".join(persona.key for persona in PERSONAS)


def banner(settings: Settings, *, host: str, port: int, demo: bool, embedded: bool) -> str:
    """What a developer needs after ``serve``: where, how to sign in, where the data is."""
    base = f"http://{host}:{port}"
    where = f"{settings.data_dir} (embedded PostgreSQL)" if embedded else "EDOM_DATABASE_URL"
    lines = [
        f"edom-graphql {'(demo) ' if demo else ''}— development",
        f"  GraphiQL   {base}/graphql",
        f"  Dashboard  {base}/dashboard",
        "  Token      edom-graphql token NAME, then the header",
        '             {"Authorization": "Bearer <token>"}',
        *textwrap.wrap(
            persona_keys(), 88, initial_indent="  Names      ", subsequent_indent=" " * 13
        ),
        f"  Data       {where}",
    ]
    if not demo:
        lines.append(
            "  Next       no demo data? edom-graphql seed, or serve --demo (tokens work either way)"
        )
    stop = "Ctrl-C"
    if embedded:
        stop += " (stops the PostgreSQL it started); edom-graphql db status | stop | reset --yes"
    lines.append(f"  Stop       {stop}")
    return "\n".join(lines)


# Start-up chatter the development banner replaces (their warnings still show).
QUIET_IN_DEVELOPMENT = (
    "uvicorn.error",
    "alembic",
    "fontTools",
    "httpx",
    "edom_graphql.pubsub",
    "edom_graphql.embedded",
    "edom_graphql.core.auth",
    "edom_graphql.server.cli",
)


def serve(args: argparse.Namespace, settings: Settings) -> None:

    from edom_graphql.server.app import create_app
    from edom_graphql.server.companions import demo_companions
    from edom_graphql.server.workers import (
        WorkerError,
        Workers,
        default_workers,
        shared_settings,
    )

    host = args.host or settings.host
    port = args.port or settings.port
    if args.demo and settings.environment != "development":
        raise CommandError("--demo needs EDOM_ENVIRONMENT=development")
    check_port(host, port)
    workers = args.workers or default_workers(settings)
    configure_logs(settings)
    development = settings.environment == "development"
    url = database_url(settings)
    migrate(url)
    if args.demo:
        created = seed(settings, url)
        log.info("demo data %s", "loaded" if created else "already present")
    shared = shared_settings(settings, url, workers)
    via_database = shared.pubsub_url != settings.pubsub_url
    if via_database:
        log.info("%d workers: live events go through PostgreSQL LISTEN/NOTIFY", workers)
    settings = shared
    with contextlib.ExitStack() as stack:
        companions: list[str] = []
        if args.demo:
            companions = list(
                stack.enter_context(
                    demo_companions(settings, database_url=url, host=host, port=port)
                )
            )
        if development:
            print(
                banner(
                    settings,
                    host=host,
                    port=port,
                    demo=args.demo,
                    embedded=not settings.database_url,
                ),
                flush=True,
            )
            for line in companions:
                print(f"  Started    {line}", flush=True)

            if workers > 1:
                note = " (live events via PostgreSQL LISTEN/NOTIFY)" if via_database else ""
                print(f"  Workers    {workers} processes on one port{note}", flush=True)

        def ready() -> None:
            if development:
                print(f"ready on http://{host}:{port}/graphql", flush=True)
            else:
                log.info("serving on %s:%d with %d worker(s)", host, port, workers)

        if workers == 1:
            _run(create_app(settings, database_url=url), settings, host, port, ready)
        else:
            run = Workers(settings, url, host, port, workers, partial(configure_logs, settings))
            try:
                run.run(ready)
            except WorkerError as error:
                raise CommandError(str(error)) from error


def configure_logs(settings: Settings) -> None:
    """Human logs in development (the banner and "ready" say what uvicorn's start-up
    lines would), JSON lines in production."""
    from edom_graphql.core.logs import configure_logging

    configure_logging(level=settings.log_level, json_format=settings.log_json)
    if settings.environment == "development" and not settings.log_json:
        logging.captureWarnings(True)
        for chatty in QUIET_IN_DEVELOPMENT:
            logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))
        logging.getLogger("py.warnings").setLevel(logging.ERROR)


def _run(app: Any, settings: Settings, host: str, port: int, on_ready: Callable[[], None]) -> None:
    from edom_graphql.server.workers import serve_here

    if not serve_here(app, settings, host=host, port=port, on_ready=on_ready):
        raise CommandError(f"the server did not start on {host}:{port}")


def export_schema(output: Path, possible_types: Path | None = None) -> None:
    """The SDL to ``output`` and the abstract types' concrete types (a client cache's
    ``possibleTypes``) to ``possible_types``, by default ``possible-types.json`` beside it."""
    from edom_graphql.schema import build_schema
    from edom_graphql.server.possible_types import possible_types_json

    schema = build_schema(Settings(introspection=True))
    sdl = schema.as_str() + "\n"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(sdl, encoding="utf-8")
    print(f"wrote {output}")
    possible_types = possible_types or output.with_name(POSSIBLE_TYPES_NAME)
    possible_types.parent.mkdir(parents=True, exist_ok=True)
    possible_types.write_text(possible_types_json(schema._schema), encoding="utf-8")
    print(f"wrote {possible_types}")


def token(settings: Settings, persona_key: str, ttl: int | None) -> None:
    from edom_graphql.core.auth import issue_dev_token
    from edom_graphql.server.demo import PERSONA_BY_KEY

    if settings.environment != "development":
        sys.exit(DEVELOPMENT_ONLY)
    persona = PERSONA_BY_KEY.get(persona_key)
    if persona is None:
        sys.exit(f"unknown persona {persona_key!r}; one of: {', '.join(PERSONA_BY_KEY)}")
    print(issue_dev_token(settings, subject=persona.subject, name=persona.name, ttl_seconds=ttl))


ENVIRONMENT_HELP = """\
environment (each setting is EDOM_<NAME>; see the README for all):
  EDOM_ENVIRONMENT    development (default: tokens, demo, GraphiQL) or production
  EDOM_DATABASE_URL   PostgreSQL URL; unset: an embedded PostgreSQL in EDOM_DATA_DIR
  EDOM_DATA_DIR       embedded PostgreSQL, signing key, uploads (default: {data_dir})
  EDOM_HOST, EDOM_PORT  where serve listens (default: 127.0.0.1, 8000)
  EDOM_WORKERS        serve's processes (default: 1 in development, CPU count in production)
  EDOM_PUBSUB_URL     memory:// (default), postgres://… or redis://…
  EDOM_CORS_ORIGINS   JSON list of allowed browser origins
  EDOM_LOG_JSON       JSON log lines (default: in production only)

An embedded PostgreSQL started by a command is stopped when that command exits;
one that was already running is left running (edom-graphql db status | stop | reset).
"""


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def db_command(settings: Settings, action: str, *, yes: bool) -> int:
    from edom_graphql.server import embedded

    state = embedded.status(settings.data_dir)
    if settings.database_url:
        print(f"EDOM_DATABASE_URL is set: the embedded PostgreSQL ({state.pgdata}) is not used")
    if action == "status":
        if state.pid is not None:
            print(f"running (pid {state.pid}), data in {state.pgdata}")
        elif state.initialised:
            print(f"stopped, data in {state.pgdata}")
        else:
            print(f"not created yet; it will live in {state.pgdata}")
        return 0
    if action == "stop":
        try:
            stopped = embedded.stop(settings.data_dir)
        except embedded.EmbeddedError as error:
            raise CommandError(str(error)) from error
        print(f"stopped PostgreSQL on {state.pgdata}" if stopped else "not running")
        return 0
    extra = (
        settings.uploads_path,
        settings.dev_key_path,
        settings.vapid_key_path,
    )
    if not yes:
        print(
            f"db reset stops the embedded PostgreSQL and deletes {state.pgdata}, "
            f"{settings.uploads_path} and the development keys in {settings.data_dir}; "
            "run it again with --yes",
            file=sys.stderr,
        )
        return 1
    try:
        removed = embedded.reset(settings.data_dir, extra)
    except (embedded.EmbeddedError, OSError) as error:
        raise CommandError(f"db reset: {error}") from error
    for path in removed:
        print(f"deleted {path}")
    print("nothing to delete" if not removed else "the next start begins afresh")
    return 0


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edom-graphql",
        description=__doc__,
        epilog=ENVIRONMENT_HELP.format(data_dir=settings.data_dir),
        formatter_class=_Formatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser(
        "serve",
        help="apply migrations and serve the API",
        description="Apply migrations and serve GraphQL (GraphiQL at /graphql in development).",
        epilog=ENVIRONMENT_HELP.format(data_dir=settings.data_dir),
        formatter_class=_Formatter,
    )
    serve_parser.add_argument(
        "--demo", action="store_true", help="load the demo data set (once) and its simulators"
    )
    serve_parser.add_argument("--host", default=settings.host, help="listen address (EDOM_HOST)")
    serve_parser.add_argument(
        "--port", type=int, default=settings.port, help="listen port (EDOM_PORT)"
    )
    serve_parser.add_argument(
        "--workers",
        type=_positive,
        default=None,
        help="worker processes on the port (EDOM_WORKERS; unset: 1 in development, "
        "the CPU count in production)",
    )
    commands.add_parser("migrate", help="apply migrations to the database")
    commands.add_parser("seed", help="load the demo data set (once)")
    bills_parser = commands.add_parser(
        "import-bills",
        help="import bills from the city's billing centre (CSV or JSON)",
        description="Import bills from the city's billing centre, all or nothing.",
        epilog=IMPORT_BILLS_FORMAT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bills_parser.add_argument("file", type=Path, help="the CSV or JSON file")
    bills_parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar on stderr"
    )
    export = commands.add_parser("export-schema", help="write the SDL", formatter_class=_Formatter)
    export.add_argument("--output", type=Path, default=DEFAULT_SCHEMA_PATH, help="SDL file")
    export.add_argument(
        "--possible-types",
        type=Path,
        default=None,
        help=f"possibleTypes JSON file (default: {POSSIBLE_TYPES_NAME} beside the SDL)",
    )
    keys = persona_keys()
    token_parser = commands.add_parser(
        "token",
        help=f"print a development token for a persona ({keys})",
        description="Print a development token (development only) for one demo persona.",
        epilog=f"personas: {keys}",
        formatter_class=_Formatter,
    )
    token_parser.add_argument("persona", metavar="NAME", help="a persona (see below)")
    token_parser.add_argument(
        "--ttl",
        type=int,
        default=None,
        help=f"lifetime in seconds (default: {settings.dev_token_ttl_seconds})",
    )
    personas_parser = commands.add_parser(
        "personas", help="list demo personas with fresh tokens", formatter_class=_Formatter
    )
    personas_parser.add_argument(
        "--host", default=settings.host, help="the server's address, for the GraphiQL URL"
    )
    personas_parser.add_argument(
        "--port", type=int, default=settings.port, help="the server's port, for the GraphiQL URL"
    )
    db_parser = commands.add_parser(
        "db",
        help="the embedded PostgreSQL: status | stop | reset",
        description=f"The embedded PostgreSQL in {settings.data_dir / 'pg'} "
        "(used when EDOM_DATABASE_URL is unset).",
        formatter_class=_Formatter,
    )
    db_parser.add_argument(
        "action",
        choices=["status", "stop", "reset"],
        help="status: is it running; stop: stop it; reset: stop it and delete its data",
    )
    db_parser.add_argument("--yes", action="store_true", help="confirm reset")
    return parser


def _positive(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 64:
        raise argparse.ArgumentTypeError("must be between 1 and 64")
    return number


def _known_errors() -> tuple[type[BaseException], ...]:
    from sqlalchemy.exc import SQLAlchemyError

    from edom_graphql.server.embedded import EmbeddedError

    return (OSError, SQLAlchemyError, EmbeddedError)


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    try:
        settings = Settings()
    except ValueError as error:
        sys.exit(f"edom-graphql: bad settings: {error}")
    args = build_parser(settings).parse_args(argv)
    # SIGTERM ends the command like Ctrl-C does, through the clean-up below (uvicorn
    # re-raises the signal it caught once it has shut down)
    signal.signal(signal.SIGTERM, _terminated)
    try:
        status = _dispatch(args, settings)
    except CommandError as error:
        print(f"edom-graphql: {error}", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        status = 130
    except _known_errors() as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        print(f"edom-graphql {args.command}: {type(error).__name__}: {first}", file=sys.stderr)
        status = 1
    finally:
        stop_started_embedded()
    sys.exit(status)


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        serve(args, settings)
    elif args.command == "migrate":
        migrate(database_url(settings))
        print("migrations applied")
    elif args.command == "seed":
        url = database_url(settings)
        migrate(url)
        print("demo data loaded" if seed(settings, url) else "demo data already present")
        if settings.environment == "development":
            print("sign in with: edom-graphql token NAME (edom-graphql token --help lists them)")
    elif args.command == "import-bills":
        return import_bills(settings, args.file, progress=not args.no_progress)
    elif args.command == "export-schema":
        export_schema(args.output, args.possible_types)
    elif args.command == "token":
        token(settings, args.persona, args.ttl)
    elif args.command == "personas":
        print_personas(settings, args.host, args.port)
    elif args.command == "db":
        return db_command(settings, args.action, yes=args.yes)
    return 0


if __name__ == "__main__":
    main()
