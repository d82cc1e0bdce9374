"""``edom-graphql serve | migrate | seed | import-bills | export-schema | token | personas``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from pathlib import Path
from typing import Any

from edom_graphql.settings import Settings

log = logging.getLogger("edom_graphql.server.cli")
DEFAULT_SCHEMA_PATH = Path("schema/schema.graphql")


def database_url(settings: Settings) -> str:
    """``EDOM_DATABASE_URL``, or the embedded PostgreSQL when it is unset."""
    if settings.database_url:
        return settings.database_url
    if settings.environment == "production":
        sys.exit("EDOM_DATABASE_URL is required in production")
    from edom_graphql.server.embedded import start_embedded_postgres

    print(f"Starting the embedded PostgreSQL in {settings.data_dir / 'pg'} …", file=sys.stderr)
    return start_embedded_postgres(settings.data_dir)


def migrate(url: str) -> None:
    from edom_graphql.server.migrations import upgrade

    upgrade(url)


def seed(settings: Settings, url: str) -> bool:
    from edom_graphql.core.clock import utcnow
    from edom_graphql.core.db import Database
    from edom_graphql.core.storage import LocalStorage
    from edom_graphql.server.demo import load_demo

    async def run() -> bool:
        db = Database(url)
        try:
            return await load_demo(db, LocalStorage(settings.uploads_path), now=utcnow())
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
    from collections.abc import Callable

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


def serve(args: argparse.Namespace, settings: Settings) -> None:

    from edom_graphql.core.logs import configure_logging
    from edom_graphql.server.app import create_app
    from edom_graphql.server.companions import demo_companions

    configure_logging(level=settings.log_level, json_format=settings.log_json)
    url = database_url(settings)
    migrate(url)
    host = args.host or settings.host
    port = args.port or settings.port
    if args.demo:
        if settings.environment != "development":
            sys.exit("--demo needs EDOM_ENVIRONMENT=development")
        created = seed(settings, url)
        log.info("demo data %s", "loaded" if created else "already present")
        print_personas(settings, host, port)
    app = create_app(settings, database_url=url)
    with contextlib.ExitStack() as stack:
        if args.demo:
            for line in stack.enter_context(
                demo_companions(settings, database_url=url, host=host, port=port)
            ):
                print(f"  started {line}", flush=True)
        _run(app, settings, host=host, port=port)


def _run(app: Any, settings: Settings, *, host: str, port: int) -> None:
    import uvicorn

    from edom_graphql.server.http import MAX_MESSAGE_BYTES

    uvicorn.run(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_per_message_deflate=settings.websocket_compression,
        # a little above the app's own limit, which answers with close code 1009
        ws_max_size=MAX_MESSAGE_BYTES + 4096,
        access_log=False,
        log_config=None,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


def export_schema(output: Path) -> None:
    from edom_graphql.schema import build_schema

    sdl = build_schema(Settings(introspection=True)).as_str() + "\n"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(sdl, encoding="utf-8")
    print(f"wrote {output}")


def token(settings: Settings, persona_key: str, ttl: int | None) -> None:
    from edom_graphql.core.auth import issue_dev_token
    from edom_graphql.server.demo import PERSONA_BY_KEY

    if settings.environment != "development":
        sys.exit(DEVELOPMENT_ONLY)
    persona = PERSONA_BY_KEY.get(persona_key)
    if persona is None:
        sys.exit(f"unknown persona {persona_key!r}; one of: {', '.join(PERSONA_BY_KEY)}")
    print(issue_dev_token(settings, subject=persona.subject, name=persona.name, ttl_seconds=ttl))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="edom-graphql", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="apply migrations and serve the API")
    serve_parser.add_argument("--demo", action="store_true", help="load demo data, print tokens")
    serve_parser.add_argument("--host", default=None)
    serve_parser.add_argument("--port", type=int, default=None)
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
    export = commands.add_parser("export-schema", help="write the SDL")
    export.add_argument("--output", type=Path, default=DEFAULT_SCHEMA_PATH)
    token_parser = commands.add_parser("token", help="print a development token for a persona")
    token_parser.add_argument("persona")
    token_parser.add_argument("--ttl", type=int, default=None, help="lifetime in seconds")
    commands.add_parser("personas", help="list demo personas with fresh tokens")
    args = parser.parse_args(argv)
    settings = Settings()

    if args.command == "serve":
        serve(args, settings)
    elif args.command == "migrate":
        migrate(database_url(settings))
        print("migrations applied")
    elif args.command == "seed":
        url = database_url(settings)
        migrate(url)
        print("demo data loaded" if seed(settings, url) else "demo data already present")
    elif args.command == "import-bills":
        sys.exit(import_bills(settings, args.file, progress=not args.no_progress))
    elif args.command == "export-schema":
        export_schema(args.output)
    elif args.command == "token":
        token(settings, args.persona, args.ttl)
    elif args.command == "personas":
        print_personas(settings, settings.host, settings.port)


if __name__ == "__main__":
    main()
