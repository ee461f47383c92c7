"""The ``inbox`` command.

``inbox serve`` with no settings runs everything embedded: SQLite in the data
folder (migrated on start), the in-process broker and the offline AI model.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from typing import TYPE_CHECKING

import click

from inbox.settings import Settings, get_settings

if TYPE_CHECKING:
    import uuid
    from datetime import date, datetime

    from rich.progress import TaskID


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
        asyncio.run(_triage_waiting_mail(settings))
        click.secho("\nDemo workspace ready. Sign in with:", fg="green", bold=True)
        click.echo(f"  email:    {credentials.email}\n  password: {credentials.password}\n")
    bind_host = host or settings.server.host
    bind_port = port or settings.server.port
    shown_host = "127.0.0.1" if bind_host in ("0.0.0.0", "::", "") else bind_host  # noqa: S104
    if "base_url" not in settings.auth.model_fields_set:
        # Forms and cookie-authenticated changes must come from the base URL's origin: without one
        # configured, it is the address this server answers on (the one printed below).
        os.environ["INBOX_AUTH__BASE_URL"] = f"http://{shown_host}:{bind_port}"
        get_settings.cache_clear()
    click.echo(f"inbox on http://{shown_host}:{bind_port}  (web inbox: /, API docs: /schema)")
    uvicorn.run(
        "api.asgi:app",
        host=bind_host,
        port=bind_port,
        workers=workers or settings.server.workers,
        log_level="info",
        access_log=access_log,
        proxy_headers=settings.auth.trust_forwarded_for,
    )


async def _triage_waiting_mail(settings: Settings) -> None:
    """The demo's mail, read before the first page is shown (the sweeper would, a little later)."""
    from ai.providers import build_providers
    from ai.triage import Triager, untriaged_emails
    from inbox.core.db import Database

    database = Database(settings.resolved_database_url)
    try:
        provider, offline = build_providers(settings.ai)
        triager = Triager(database, settings.ai, provider, offline)
        for email_id in await untriaged_emails(database, older_than_seconds=0, limit=200):
            await triager.triage(email_id)
    finally:
        await database.dispose()


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
@click.option(
    "--threads",
    type=click.IntRange(1, 512),
    default=32,
    show_default=True,
    help="jobs in flight; triage waits on the LLM most of the time, so many threads cost little",
)
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
    """Run the periodic ticks (the triage sweeper; sequence steps and metrics join it)."""
    from api.app import configure_logging

    settings = get_settings()
    if settings.redis_url is None:
        _fail("inbox scheduler needs INBOX_REDIS_URL; the embedded `inbox serve` runs its ticks in-process")
    configure_logging()
    asyncio.run(_scheduler(settings, _stop_on_signal()))


def _stop_on_signal() -> threading.Event:
    """An event that SIGINT or SIGTERM sets: long-running commands finish their work and return."""
    import signal

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


async def _scheduler(settings: Settings, stop: threading.Event) -> None:
    from inbox.core.db import Database
    from workers.broker import install_broker
    from workers.scheduler import run_scheduler

    install_broker(settings)
    database = Database(settings.resolved_database_url, pool_size=2)
    try:
        await run_scheduler(database, settings, stop)
    finally:
        await database.dispose()


@main.command(name="eval")
@click.argument("dataset", type=click.Path(dir_okay=False))
@click.option("--provider", type=click.Choice(["offline", "openai"]), default="offline", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True)
@click.option("--price-in", type=float, default=None, help="USD per million input tokens (default: settings)")
@click.option("--price-out", type=float, default=None, help="USD per million output tokens (default: settings)")
def evaluate(
    dataset: str,
    provider: str,
    as_json: bool,
    concurrency: int,
    price_in: float | None,
    price_out: float | None,
) -> None:
    """Score a triage provider on a labelled JSONL set: accuracy, macro-F1, confusion, latency, cost."""
    from ai.evaluation import main as run

    argv = [dataset, "--provider", provider, "--concurrency", str(concurrency)]
    argv += ["--json"] if as_json else []
    argv += ["--price-in", str(price_in)] if price_in is not None else []
    argv += ["--price-out", str(price_out)] if price_out is not None else []
    sys.exit(run(argv))


@main.command()
def ingest() -> None:
    """Hold the IMAP IDLE connections of every active mailbox (Ctrl-C stops)."""
    from api.app import configure_logging

    settings = get_settings()
    configure_logging()
    if settings.embedded:
        _migrate(settings)
    asyncio.run(_ingest(settings, _stop_on_signal()))


async def _ingest(settings: Settings, stop: threading.Event) -> None:
    from inbox.core.db import Database
    from inbox.ingest.blobs import LocalBlobStore
    from inbox.ingest.runner import run_ingest
    from workers.broker import install_broker
    from workers.queue import enqueue_triage

    install_broker(settings)
    database = Database(settings.resolved_database_url, pool_size=settings.database_pool_size)
    try:
        await run_ingest(
            database, settings, blobs=LocalBlobStore(settings.blob_dir), stop=stop, on_stored=enqueue_triage
        )
    finally:
        await database.dispose()


@main.command()
@click.argument("mailbox")
def sync(mailbox: str) -> None:
    """Sync one IMAP mailbox once (MAILBOX: its id or address), with a progress bar."""
    settings = get_settings()
    if settings.embedded:
        _migrate(settings)
    asyncio.run(_sync(settings, mailbox))


async def _sync(settings: Settings, mailbox: str) -> None:
    import uuid

    import sqlalchemy as sa
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from inbox.core.db import Database
    from inbox.ingest.blobs import LocalBlobStore
    from inbox.ingest.imap import ImapError
    from inbox.ingest.imap_sync import MailboxUnavailable, sync_mailbox
    from inbox.mailboxes.models import EmailAccount
    from workers.broker import install_broker
    from workers.queue import enqueue_triage

    install_broker(settings)
    database = Database(settings.resolved_database_url)
    try:
        async with database.transaction() as session:
            try:
                condition = EmailAccount.id == uuid.UUID(mailbox)
            except ValueError:
                condition = sa.func.lower(EmailAccount.email_address) == mailbox.lower()
            found = list(await session.scalars(sa.select(EmailAccount.id).where(condition)))
        if not found:
            _fail(f"no mailbox {mailbox!r} (give its id or email address; see GET /api/email-accounts)")
        if len(found) > 1:
            _fail(f"{mailbox!r} is a mailbox of {len(found)} workspaces: give its id")
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns) as bar:
            bars: dict[str, TaskID] = {}

            def progress(folder: str, done: int, total: int) -> None:
                if folder not in bars:
                    bars[folder] = bar.add_task(folder, total=total)
                bar.update(bars[folder], completed=done, total=total)

            try:
                report = await sync_mailbox(
                    database,
                    found[0],
                    settings,
                    blobs=LocalBlobStore(settings.blob_dir),
                    on_stored=enqueue_triage,
                    progress=progress,
                )
            except (ImapError, MailboxUnavailable, OSError) as exc:
                _fail(f"sync of {mailbox} failed: {exc}")
        for folder in report.folders:
            note = " (UIDVALIDITY changed: resynced)" if folder.resynced else ""
            click.echo(
                f"{folder.folder}: {folder.stored} new, {folder.duplicates} already stored, "
                f"{folder.parse_errors} unparseable (kept raw){note}"
            )
    finally:
        await database.dispose()


@main.group()
def metrics() -> None:
    """The team's performance figures (performance_metrics)."""


@metrics.command("rollup")
@click.option(
    "--from",
    "start",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="first UTC day, YYYY-MM-DD",
)
@click.option(
    "--to",
    "end",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="last UTC day, included, YYYY-MM-DD",
)
@click.option("--workspace", default=None, help="a workspace id (default: every workspace)")
def metrics_rollup(start: datetime, end: datetime, workspace: str | None) -> None:
    """Recompute the figures of every user for every day from --from to --to (safe to rerun)."""
    import uuid
    from datetime import date

    first, last = start.date(), end.date()
    if first > last:
        _fail(f"--from ({first}) is after --to ({last})")
    if last >= date.max:
        _fail(f"--to must be before {date.max}")
    workspace_id = None
    if workspace is not None:
        try:
            workspace_id = uuid.UUID(workspace)
        except ValueError:
            _fail(f"--workspace {workspace!r} is not a workspace id (a UUID)")
    settings = get_settings()
    if settings.embedded:
        _migrate(settings)
    written = asyncio.run(_metrics_rollup(settings, workspace_id, first, last))
    days = (last - first).days + 1
    click.echo(f"rolled up {days} day(s) from {first} to {last}: {written} row(s) written")


async def _metrics_rollup(settings: Settings, workspace_id: uuid.UUID | None, first: date, last: date) -> int:
    import sqlalchemy as sa

    from inbox.core.db import Database
    from inbox.metrics.rollup import rollup
    from inbox.workspaces.models import Workspace

    database = Database(settings.resolved_database_url)
    try:
        if workspace_id is not None:
            async with database.read_sessionmaker() as session:
                found = await session.scalar(sa.select(Workspace.id).where(Workspace.id == workspace_id))
            if found is None:
                _fail(f"no workspace {workspace_id}")
        return (await rollup(database, workspace_id, first, last)).rows_written
    finally:
        await database.dispose()


if __name__ == "__main__":  # pragma: no cover
    main()
