"""AI triage throughput of one worker process against an OpenAI-compatible server.

Fills a Postgres database with ``--emails`` inbound replies (the triage dev
set's emails, cycled, each in a thread that starts with the rep's sales
email, so prompts carry real history), starts the local chat-completions
server (``tests.ai.fake_openai``) answering in ``--latency-ms``, starts ONE
``inbox worker`` process on Redis with the ``openai`` provider pointed at it,
enqueues every email and times until the database says all are triaged.

Prints one JSON line: emails/s, LLM requests per human-written email (as the
server counted them), prompt tokens per email (median, p95; as the server
counted them with tiktoken), and CPU per email of the worker, the server and
PostgreSQL. Goals: >= 100 emails/s, exactly 1.0 request per human-written
email, median prompt <= 1,200 tokens.

    uv run python -m bench.triage [--emails 2000] [--latency-ms 300] [--threads 64]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import email
import email.policy
import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import redis
import sqlalchemy as sa
from cryptography.fernet import Fernet

from ai.evaluation import LabelledEmail, load_dataset, to_rfc5322
from bench.api import backend_pids, cpu_by_pid, cpu_spent, free_port, stop_server
from inbox.core.db import Database
from inbox.core.migrate import upgrade
from inbox.core.secrets import SecretBox
from inbox.ingest.blobs import LocalBlobStore
from inbox.ingest.store import ingest_messages
from inbox.ingest.types import IncomingMessage
from inbox.mailboxes.models import EmailAccount, MailboxProvider
from inbox.settings import Settings
from inbox.templates.models import EmailTemplate, Tone
from inbox.threads.models import Direction, Email
from inbox.users.models import User

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT.parent / "shared" / "corpus" / "triage" / "dev.jsonl"
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_DB = 14  # a database of its own: the run flushes it
BATCH = 200

SALES_EMAIL = """Hi {first},

{context}.

I work with teams like yours at {company} every week. Most of them were juggling the same
handful of spreadsheets and inboxes before they switched, and the first thing they noticed
was how much time came back to the people doing the work.

Would 20 minutes next week be worth it to see whether it fits how you work today? I can
share a short case study beforehand if that helps.

Best,
{rep}
Account Executive | OurCo
"""


def log(message: str) -> None:
    print(f"[bench.triage {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record), flush=True)


def database_url(name: str, driver: str = "postgresql+asyncpg") -> str:
    return f"{driver}://postgres@127.0.0.1:5432/{name}"


def _admin(statement: str) -> None:
    subprocess.run(
        ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", statement],
        check=True,
        stdout=subprocess.DEVNULL,
    )


# --- The mail -------------------------------------------------------------------------------------------------


def conversation(record: LabelledEmail, n: int, copy: int, rep_address: str) -> tuple[bytes | None, bytes]:
    """The rep's sales email (None for cold inbound) and the record's reply to it, with fresh Message-IDs.

    The ``n``-th copy of a record comes from a company of its own (``acme-3.example``): 2,000 emails are
    2,000 leads in as many threads, as in a real inbox, not a dozen threads of the same people."""
    if copy:
        sender = re.sub(r"@([\w-]+)\.", lambda m: f"@{m.group(1)}-{copy}.", record.sender, count=1)
        record = dataclasses.replace(record, sender=sender)
    reply = email.message_from_bytes(to_rfc5322(record), policy=email.policy.default)
    assert isinstance(reply, EmailMessage)
    for name in ("Message-ID", "In-Reply-To", "References", "To"):
        del reply[name]
    reply["To"] = rep_address
    reply["Message-ID"] = f"<reply-{n}@bench.invalid>"
    if record.outbound_context is None:
        return None, reply.as_bytes()
    sent = EmailMessage()
    first = (record.sender.split("<")[0].strip().split() or ["there"])[0].strip('"')
    company = record.sender.rsplit("@", 1)[-1].split(".")[0].rstrip(">").title()
    sent["From"] = f"Dana Whitfield <{rep_address}>"
    sent["To"] = record.sender
    sent["Subject"] = record.subject.removeprefix("Re: ").removeprefix("RE: ")
    sent["Date"] = format_datetime(record.date.replace(day=max(1, record.date.day - 1)))
    sent["Message-ID"] = outbound_id = f"<sent-{n}@bench.invalid>"
    sent.set_content(
        SALES_EMAIL.format(first=first, context=record.outbound_context, company=company, rep="Dana Whitfield")
    )
    reply["In-Reply-To"] = outbound_id
    reply["References"] = outbound_id
    return sent.as_bytes(), reply.as_bytes()


async def fill(url: str, count: int, data_dir: Path, key: str) -> tuple[uuid.UUID, int]:
    """A workspace, its rep and mailbox, templates, and ``count`` replies: (workspace id, human-written count)."""
    await asyncio.to_thread(upgrade, url)
    database = Database(url)
    records = load_dataset(DATASET)
    blobs = LocalBlobStore(data_dir / "blobs")
    try:
        async with database.transaction() as session:
            user = await _rep(session)
            workspace_id = user.workspace_id
            mailbox = EmailAccount(
                workspace_id=workspace_id,
                user_id=user.id,
                email_address="dana.whitfield@ourco.example",
                display_name="Dana Whitfield",
                provider=MailboxProvider.IMAP,
                imap_host="127.0.0.1",
                imap_port=143,
                username="dana",
                encrypted_password=SecretBox([key]).encrypt("unused"),
            )
            session.add(mailbox)
            for category, subject, body in TEMPLATES:
                session.add(
                    EmailTemplate(
                        workspace_id=workspace_id,
                        name=category.title(),
                        category=category,
                        subject=subject,
                        body=body,
                        tone=Tone.PROFESSIONAL,
                    )
                )
        for start in range(0, count, BATCH):
            sent: list[IncomingMessage] = []
            replies: list[IncomingMessage] = []
            for n in range(start, min(count, start + BATCH)):
                record = records[n % len(records)]
                outbound, inbound = conversation(record, n, n // len(records), mailbox.email_address)
                if outbound is not None:
                    sent.append(IncomingMessage(raw=outbound, outbound=True, folder="Sent"))
                replies.append(IncomingMessage(raw=inbound, folder="INBOX"))
            async with database.transaction() as session:
                account = await session.get(EmailAccount, mailbox.id)
                assert account is not None
                await ingest_messages(session, account, sent, blobs=blobs)
            async with database.transaction() as session:
                account = await session.get(EmailAccount, mailbox.id)
                assert account is not None
                await ingest_messages(session, account, replies, blobs=blobs)
        async with database.read_sessionmaker() as session:
            human = await session.scalar(
                sa.select(sa.func.count())
                .select_from(Email)
                .where(
                    Email.workspace_id == workspace_id,
                    Email.direction == Direction.INBOUND,
                    Email.is_bounce.is_(False),
                    Email.is_auto_reply.is_(False),
                )
            )
        return workspace_id, int(human or 0)
    finally:
        await database.dispose()


TEMPLATES = [
    (
        "meeting",
        "Re: {{subject|our call}}",
        "Hi {{first_name|there}},\n\nThanks! That time works; I'll send an invite.\n",
    ),
    ("pricing", "Re: pricing", "Hi {{first_name|there}},\n\nHappy to walk you through pricing.\n"),
    ("objection", "Re: {{subject|your note}}", "Hi {{first_name|there}},\n\nThat makes sense. One thought...\n"),
]


async def _rep(session: Any) -> User:
    """Dana, the rep: a signed-up user founds the workspace."""
    from inbox.auth.models import AuthUser
    from inbox.users.provisioning import ensure_profile

    now = datetime.now(UTC)
    auth_user = AuthUser(
        id=uuid.uuid4().hex,
        name="Dana Whitfield",
        email=f"dana-{uuid.uuid4().hex[:6]}@ourco.example",
        email_verified=False,
        created_at=now,
        updated_at=now,
    )
    session.add(auth_user)
    await session.flush()
    user: User = await ensure_profile(session, auth_user)
    user.first_name, user.last_name = "Dana", "Whitfield"
    return user


# --- The processes --------------------------------------------------------------------------------------------


def start_fake(port: int, latency_ms: float) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "tests.ai.fake_openai", "--port", str(port), "--latency-ms", str(latency_ms)]
    process = subprocess.Popen(command, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the fake OpenAI server did not start")


def fake_stats(port: int) -> dict[str, Any]:
    stats: dict[str, Any] = httpx.get(f"http://127.0.0.1:{port}/_fake/stats", timeout=5).json()
    return stats


def start_worker(
    url: str, redis_url: str, fake_port: int, threads: int, pool_size: int, data_dir: Path, key: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "INBOX_ENVIRONMENT": "production",
        "INBOX_DATABASE_URL": url,
        "INBOX_DATABASE_POOL_SIZE": str(pool_size),
        "INBOX_REDIS_URL": redis_url,
        "INBOX_DATA_DIR": str(data_dir),
        "INBOX_AUTH__SECRET": uuid.uuid4().hex * 2,
        "INBOX_ENCRYPTION_KEYS": json.dumps([key]),
        "INBOX_AI__PROVIDER": "openai",
        "INBOX_AI__BASE_URL": f"http://127.0.0.1:{fake_port}/v1",
        "INBOX_AI__API_KEY": "bench",
        # Checked for every email, as in production, but high enough for 2,000 emails in one day.
        "INBOX_AI__DAILY_TOKEN_BUDGET": "1000000000",
    }
    command = [sys.executable, "-m", "inbox.cli", "worker", "--threads", str(threads)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)


async def enqueue_all(url: str, redis_url: str, workspace_id: uuid.UUID) -> int:
    from workers.broker import install_broker
    from workers.queue import enqueue_triage

    database = Database(url)
    try:
        async with database.read_sessionmaker() as session:
            ids = list(
                await session.scalars(
                    sa.select(Email.id).where(Email.workspace_id == workspace_id, Email.direction == Direction.INBOUND)
                )
            )
    finally:
        await database.dispose()
    broker = install_broker(Settings(database_url=url, redis_url=redis_url))
    enqueue_triage(ids)
    broker.close()
    return len(ids)


async def wait_triaged(url: str, workspace_id: uuid.UUID, total: int, limit_seconds: float) -> float:
    database = Database(url)
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < limit_seconds:
            async with database.read_sessionmaker() as session:
                done = await session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Email)
                    .where(
                        Email.workspace_id == workspace_id,
                        Email.direction == Direction.INBOUND,
                        Email.triaged_at.is_not(None),
                    )
                )
            if done == total:
                return time.perf_counter()
            await asyncio.sleep(0.05)
        raise RuntimeError(f"only {done} of {total} emails triaged after {limit_seconds:.0f} s")
    finally:
        await database.dispose()


def percentile(values: list[int], fraction: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]) if ordered else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=300.0, help="how long the server takes per answer")
    parser.add_argument("--threads", type=int, default=64, help="worker threads of the one worker process")
    parser.add_argument("--pool-size", type=int, default=20, help="database pool of the worker")
    parser.add_argument("--redis", default=f"redis://127.0.0.1:6379/{REDIS_DB}")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)

    name = f"inbox_bench_triage_{uuid.uuid4().hex[:8]}"
    url = database_url(name)
    data_dir = Path(f"/tmp/{name}")
    data_dir.mkdir(parents=True)
    key = Fernet.generate_key().decode()
    _admin(f'CREATE DATABASE "{name}"')
    fake = worker = None
    try:
        log(f"filling {name} with {args.emails} replies and their sales emails")
        workspace_id, human = asyncio.run(fill(url, args.emails, data_dir, key))
        redis.Redis.from_url(args.redis).flushdb()
        fake_port = free_port()
        fake = start_fake(fake_port, args.latency_ms)
        worker = start_worker(url, args.redis, fake_port, args.threads, args.pool_size, data_dir, key)
        time.sleep(3)  # the worker's start-up (imports, broker connection) is not triage
        backends = asyncio.run(backend_pids(POSTGRES_ADMIN, name))
        watched = [worker.pid, fake.pid, *backends]
        before = cpu_by_pid(watched)
        log(f"enqueueing {args.emails} triage jobs; {human} are human-written")
        started = time.perf_counter()
        total = asyncio.run(enqueue_all(url, args.redis, workspace_id))
        finished = asyncio.run(wait_triaged(url, workspace_id, total, args.timeout))
        seconds = finished - started
        backends = asyncio.run(backend_pids(POSTGRES_ADMIN, name))
        after = cpu_by_pid([worker.pid, fake.pid, *backends])
        stats = fake_stats(fake_port)
        prompts = [int(tokens) for tokens in stats["prompt_tokens"]]
        emit(
            {
                "bench": "triage",
                "emails": total,
                "human_written": human,
                "seconds": round(seconds, 2),
                "emails_per_s": round(total / seconds, 1),
                "llm_requests": stats["chat_requests"],
                "llm_requests_per_human_email": round(stats["chat_requests"] / human, 3) if human else None,
                "prompt_tokens_median": statistics.median(prompts) if prompts else None,
                "prompt_tokens_p95": percentile(prompts, 0.95),
                "server_latency_ms": args.latency_ms,
                "worker_threads": args.threads,
                "cpu_ms_per_email": {
                    "worker": round(
                        cpu_spent({worker.pid: before.get(worker.pid, 0.0)}, {worker.pid: after.get(worker.pid, 0.0)})
                        * 1000
                        / total,
                        2,
                    ),
                    "fake_server": round(
                        cpu_spent({fake.pid: before.get(fake.pid, 0.0)}, {fake.pid: after.get(fake.pid, 0.0)})
                        * 1000
                        / total,
                        2,
                    ),
                    "postgres": round(
                        cpu_spent({p: before.get(p, 0.0) for p in backends}, {p: after.get(p, 0.0) for p in backends})
                        * 1000
                        / total,
                        2,
                    ),
                },
            }
        )
        return 0
    finally:
        for process in (worker, fake):
            if process is not None:
                stop_server(process)
        if not args.keep:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            log(f"database {name} kept")


if __name__ == "__main__":
    sys.exit(main())
