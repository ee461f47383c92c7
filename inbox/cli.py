"""The ``inbox`` command.

``inbox serve`` with no settings runs everything embedded: SQLite in the data
folder (migrated on start), the in-process broker and the offline AI model.
"""

from __future__ import annotations

import asyncio
import sys

import click

from inbox.settings import Settings, get_settings


def _fail(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """AI-assisted inbox triage for sales teams."""


@main.command()
@click.option("--host", default=None, help="bind address (default: settings, 127.0.0.1)")
@click.option("--port", type=int, default=None, help="port (default: settings, 8000)")
@click.option("--demo", is_flag=True, help="create a demo workspace and print its sign-in")
@click.option("--workers", type=int, default=None, help="worker processes (production)")
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="log every request (costs CPU under load; a proxy in front may log them already)",
)
def serve(host: str | None, port: int | None, demo: bool, workers: int | None, access_log: bool) -> None:
    """Run the web app (API, web inbox, webhooks)."""
    import uvicorn

    from api.app import configure_logging

    settings = get_settings()
    configure_logging()
    if settings.embedded:
        _migrate(settings)
    if demo:
        from inbox.demo import seed_demo

        credentials = asyncio.run(seed_demo(settings))
        click.secho("\nDemo workspace ready. Sign in with:", fg="green", bold=True)
        click.echo(f"  email:    {credentials.email}\n  password: {credentials.password}\n")
    bind_host = host or settings.server.host
    bind_port = port or settings.server.port
    click.echo(f"inbox on http://{bind_host}:{bind_port}  (API docs: /schema)")
    uvicorn.run(
        "api.asgi:app",
        host=bind_host,
        port=bind_port,
        workers=workers or settings.server.workers,
        log_level="info",
        access_log=access_log,
        proxy_headers=settings.auth.trust_forwarded_for,
    )


@main.command()
@click.option("--revision", default="head", show_default=True)
def migrate(revision: str) -> None:
    """Bring the database schema up to date (Alembic)."""
    settings = get_settings()
    _migrate(settings, revision)
    click.echo(f"database at {revision}")


@main.command("rotate-keys")
def rotate_keys() -> None:
    """Re-encrypt stored mailbox credentials under the newest INBOX_ENCRYPTION_KEYS key.

    Put the new key first in INBOX_ENCRYPTION_KEYS, keep the old ones after it,
    run this, then drop the old keys.
    """
    settings = get_settings()
    rewritten = asyncio.run(_rotate_keys(settings))
    click.echo(f"re-encrypted {rewritten} stored credential(s) under the newest key")


async def _rotate_keys(settings: Settings) -> int:
    from inbox.core.db import Database
    from inbox.core.secrets import SecretBox
    from inbox.mailboxes.service import rotate_mailbox_secrets

    database = Database(settings.resolved_database_url)
    try:
        async with database.transaction() as session:
            return await rotate_mailbox_secrets(session, SecretBox.from_settings(settings))
    finally:
        await database.dispose()


def _migrate(settings: Settings, revision: str = "head") -> None:
    from inbox.core.migrate import upgrade

    upgrade(settings.resolved_database_url, revision)


@main.command()
@click.option("--threads", type=int, default=8, show_default=True)
def worker(threads: int) -> None:
    """Run the Dramatiq workers (triage, send, sync, metrics rollup)."""
    from api.app import configure_logging
    from workers.run import run_worker

    settings = get_settings()
    if settings.redis_url is None:
        _fail("inbox worker needs INBOX_REDIS_URL; the embedded `inbox serve` runs its jobs in-process")
    configure_logging()
    run_worker(settings, threads)


@main.command()
def scheduler() -> None:
    """Run the periodic ticks (due sequence steps, sweeper, polling, metrics)."""
    _not_yet("scheduler", "the ticks arrive with the sequence and ingestion issues")


@main.command()
def ingest() -> None:
    """Hold the IMAP IDLE connections of every active mailbox."""
    _not_yet("ingest", "IMAP ingestion arrives with the ingestion issue")


def _not_yet(name: str, why: str) -> None:
    click.secho(f"inbox {name}: nothing to run yet ({why}).", fg="yellow", err=True)
    sys.exit(3)


if __name__ == "__main__":  # pragma: no cover
    main()
