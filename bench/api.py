"""API load benchmark: the AI inbox's hot list and contact search on 100,000 contacts.

``uv run python -m bench.api`` creates a PostgreSQL database of its own,
migrates it, fills one workspace (contacts over accounts, owned by its users)
with bulk SQL, starts the real server as a subprocess and drives an open-loop
load at a fixed arrival rate from another process. Latency is measured from
each request's scheduled send time, so time spent queueing (in the client's
connection pool or the server) counts. One JSON line is printed per request
kind and one for all of them; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg  # type: ignore[import-untyped]
import httpx
import uvloop
from cryptography.fernet import Fernet

from inbox.auth.crypto import generate_id, generate_session_token
from inbox.core.migrate import upgrade


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph "
    "Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Margaret Mark Sandra "
    "Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Dorothy "
    "George Melissa Timothy Deborah Ronald Stephanie Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob "
    "Kathleen Gary Amy Nicholas Angela Eric Shirley Jonathan Anna Stephen Brenda Larry Pamela Justin Emma Scott "
    "Nicole Brandon Helen Benjamin Samantha Samuel Katherine Gregory Christine Alexander Debra Frank Rachel Patrick "
    "Carolyn Raymond Janet Jack Catherine Dennis Maria Jerry Heather Tyler Diane Aaron Ruth Jose Julie Adam Olivia "
    "Henry Joyce Nathan Virginia Douglas Victoria Zachary Kelly Peter Lauren Kyle Christina Ethan Joan Walter Evelyn "
    "Noah Judith Jeremy Megan Christian Andrea Keith Cheryl Roger Hannah Terry Jacqueline Gerald Martha Harold "
    "Gloria Sean Teresa Austin Ann Carl Sara Arthur Madison Lawrence Frances Dylan Kathryn Jesse Janice Jordan Jean "
    "Bryan Abigail Billy Alice Joe Judy Bruce Sophia Gabriel Grace Logan Denise Albert Amber Willie Doris Alan "
    "Marilyn Juan Danielle Wayne Beverly Elijah Isabella Randy Theresa Roy Diana Vincent Natalie Ralph Brittany"
)
LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson "
    "Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell "
    "Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris "
    "Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward "
    "Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders "
    "Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes "
    "Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace "
    "Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens"
)
COMPANY_WORDS = _words(
    "Acme Globex Initech Umbrella Stark Wayne Wonka Tyrell Cyberdyne Soylent Hooli Vandelay Pied Piper Aperture "
    "Massive Dynamic Oscorp Gringotts Monarch Nakatomi Virtucon Dunder Prestige Sterling Bluth Krusty Duff Gekko"
)
COMPANY_SUFFIXES = ["Inc", "LLC", "Group", "Labs", "Systems", "Partners", "Holdings", "Works", "Co", "GmbH"]
INDUSTRIES = ["Software", "Retail", "Healthcare", "Finance", "Manufacturing", "Media", "Logistics", "Energy", "Dairy"]
TITLES = ["CEO", "CTO", "VP Sales", "Head of Marketing", "Engineer", "Buyer", "Founder", "Operations Manager", None]
LIFECYCLE = ["new", "contacted", "replied", "interested", "meeting_scheduled", "qualified", "customer"]
MESSAGES = [
    "Thanks for reaching out, can we talk next week?",
    "Please send over the pricing for 50 seats.",
    "Not the right time for us, maybe next quarter.",
    "Who else in your customer base uses this?",
    "Let's set up a demo with my team on Thursday.",
]

EMPTY_PAGE = b'{"items":[]'
KINDS = ("leads_hot", "leads_hot_deep", "contacts_search")
# Not in the default mix: GET /health, which measures the harness itself (client, server loop, no database).
CONTROL_KIND = "health"
DEEP_PAGES = 50
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/0"


# The load's clock: uvloop's loop.time() counts whole milliseconds.
clock = time.perf_counter


def log(message: str) -> None:
    print(f"[bench.api {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- The database ----------------------------------------------------------------------------------------------


def database_url(admin_url: str, name: str, driver: str = "postgresql") -> str:
    return f"{driver}://{admin_url.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"


async def create_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def drop_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@dataclass(frozen=True)
class Filled:
    workspace_id: uuid.UUID
    token: str  # the admin's session token, sent as a Bearer token
    seconds: float


async def fill(url: str, *, contacts: int, accounts: int, users: int) -> Filled:
    """One workspace: ``users`` members (the first an admin), ``accounts`` companies and ``contacts``
    people spread over them, in a handful of INSERT ... SELECT generate_series statements."""
    started = clock()
    workspace_id = uuid.uuid4()
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            await connection.execute(
                "INSERT INTO workspaces (id, name, slug) VALUES ($1, 'Bench Co', $2)",
                workspace_id,
                f"bench-{workspace_id.hex[:12]}",
            )
            # Members are made as sign-up makes them: an invitation, then Better Auth's "user" row,
            # from which the trigger creates the profile in the invited workspace with the invited role.
            await connection.execute(
                """
                INSERT INTO invitations (id, workspace_id, email, role, token_hash, expires_at)
                SELECT gen_random_uuid(), $1::uuid, 'member' || g || '@bench.example',
                       CASE WHEN g = 1 THEN 'admin' WHEN g <= 5 THEN 'manager' ELSE 'sales_rep' END,
                       md5('bench-invitation-' || $1::uuid || '-' || g), now() + interval '1 day'
                  FROM generate_series(1, $2) AS g
                """,
                workspace_id,
                users,
            )
            await connection.execute(
                """
                INSERT INTO "user" (id, name, email, "emailVerified", "createdAt", "updatedAt")
                SELECT substr(md5('bench-user-' || $1::uuid || '-' || g), 1, 32),
                       ($3::text[])[1 + (g * 7) % cardinality($3::text[])] || ' '
                           || ($4::text[])[1 + (g * 11) % cardinality($4::text[])],
                       'member' || g || '@bench.example', true, now(), now()
                  FROM generate_series(1, $2) AS g
                """,
                workspace_id,
                users,
                FIRST_NAMES,
                LAST_NAMES,
            )
            owners: list[uuid.UUID] = [
                row["id"]
                for row in await connection.fetch(
                    "SELECT id FROM users WHERE workspace_id = $1 ORDER BY email", workspace_id
                )
            ]
            assert len(owners) == users, f"the profile trigger made {len(owners)} of {users} users"
            admin_auth_id = await connection.fetchval(
                "SELECT auth_user_id FROM users WHERE workspace_id = $1 AND role = 'admin'", workspace_id
            )
            token = generate_session_token()
            await connection.execute(
                """
                INSERT INTO session (id, token, "userId", "expiresAt", "createdAt", "updatedAt", "userAgent")
                VALUES ($1, $2, $3, now() + interval '7 days', now(), now(), 'bench.api')
                """,
                generate_id(),
                token,
                admin_auth_id,
            )
            await connection.execute(
                """
                INSERT INTO accounts (id, workspace_id, owner_id, name, domain, industry, employee_count)
                SELECT gen_random_uuid(), $1, ($3::uuid[])[1 + g % cardinality($3::uuid[])],
                       ($4::text[])[1 + g % cardinality($4::text[])] || ' '
                           || ($5::text[])[1 + (g / 7) % cardinality($5::text[])] || ' ' || g,
                       'company' || g || '.example',
                       ($6::text[])[1 + (g / 3) % cardinality($6::text[])],
                       (g * 37) % 5000
                  FROM generate_series(1, $2) AS g
                """,
                workspace_id,
                accounts,
                owners,
                COMPANY_WORDS,
                COMPANY_SUFFIXES,
                INDUSTRIES,
            )
            await connection.execute(
                """
                WITH numbered AS (
                    SELECT id, row_number() OVER (ORDER BY id) AS n FROM accounts WHERE workspace_id = $1
                ), people AS (
                    SELECT g,
                           ($4::text[])[1 + floor(random() * cardinality($4::text[]))::int] AS first_name,
                           ($5::text[])[1 + floor(random() * cardinality($5::text[]))::int] AS last_name,
                           1 + g % $6 AS account_n,
                           random() AS r
                      FROM generate_series(1, $2) AS g
                )
                INSERT INTO contacts (
                    id, workspace_id, account_id, owner_id, email, first_name, last_name, title, status,
                    temperature, last_message, ai_suggestion, has_ai_draft, last_contact_at, source
                )
                SELECT gen_random_uuid(), $1, numbered.id, ($3::uuid[])[1 + p.g % cardinality($3::uuid[])],
                       lower(p.first_name || '.' || p.last_name || '.' || p.g
                             || '@company' || p.account_n || '.example'),
                       p.first_name, p.last_name,
                       ($7::text[])[1 + p.g % cardinality($7::text[])],
                       ($8::text[])[1 + (p.g / 5) % cardinality($8::text[])],
                       (ARRAY['hot', 'warm', 'cold'])[1 + floor(p.r * 3)::int],
                       CASE WHEN p.g % 4 = 0 THEN NULL ELSE ($9::text[])[1 + p.g % cardinality($9::text[])] END,
                       CASE WHEN p.g % 6 = 0 THEN 'Reply with the pricing sheet' END,
                       p.g % 6 = 0,
                       -- about 1 in 20 never contacted; the rest spread over the last 180 days
                       CASE WHEN p.g % 20 = 0 THEN NULL
                            ELSE now() - random() * interval '180 days' END,
                       'bench'
                  FROM people AS p
                  JOIN numbered ON numbered.n = p.account_n
                """,
                workspace_id,
                contacts,
                owners,
                FIRST_NAMES,
                LAST_NAMES,
                accounts,
                TITLES,
                LIFECYCLE,
                MESSAGES,
            )
        # VACUUM too: a steady-state table has its visibility map set (autovacuum), which index-only
        # scans need; a freshly bulk-loaded one does not.
        await connection.execute("VACUUM (ANALYZE)")
    finally:
        await connection.close()
    return Filled(workspace_id=workspace_id, token=token, seconds=clock() - started)


async def admin_token(url: str) -> str:
    """A fresh session for the admin of an already filled database (``--database``)."""
    connection = await asyncpg.connect(url)
    try:
        auth_id = await connection.fetchval("SELECT auth_user_id FROM users WHERE role = 'admin' ORDER BY email")
        token = generate_session_token()
        await connection.execute(
            """
            INSERT INTO session (id, token, "userId", "expiresAt", "createdAt", "updatedAt", "userAgent")
            VALUES ($1, $2, $3, now() + interval '7 days', now(), now(), 'bench.api')
            """,
            generate_id(),
            token,
            auth_id,
        )
        return token
    finally:
        await connection.close()


# --- The server --------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    url: str, port: int, workers: int, pool_size: int, data_dir: Path, redis_url: str = REDIS
) -> subprocess.Popen[bytes]:
    """The API as production runs it: with a Redis broker its process only enqueues (nothing does
    in this load), where without one it would also run the embedded worker and IMAP ingestion."""
    env = {
        **os.environ,
        "INBOX_ENVIRONMENT": "production",
        "INBOX_DATABASE_URL": url,
        "INBOX_DATABASE_POOL_SIZE": str(pool_size),
        "INBOX_REDIS_URL": redis_url,
        "INBOX_DATA_DIR": str(data_dir),
        "INBOX_AUTH__SECRET": generate_id(48),
        "INBOX_AUTH__BASE_URL": f"http://127.0.0.1:{port}",
        "INBOX_ENCRYPTION_KEYS": json.dumps([Fernet.generate_key().decode()]),
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.asgi:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
        # uvicorn[standard]'s C event loop and HTTP parser, named so that a missing one fails the run
        # instead of falling back to the pure-Python ones.
        "--loop",
        "uvloop",
        "--http",
        "httptools",
    ]
    return subprocess.Popen(command, env=env)


def wait_healthy(base_url: str, server: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode} before answering /health")
        try:
            if httpx.get(f"{base_url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer /health within {timeout:.0f} s")


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds so far of each of ``pids`` still running (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of ``pids`` so far (0 for a process that is gone)."""
    return sum(cpu_by_pid(pids).values())


def server_pids(server: subprocess.Popen[bytes]) -> list[int]:
    """The server and its worker processes (uvicorn forks workers when --workers > 1)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    try:
        return [server.pid, *map(int, children.read_text().split())]
    except OSError:
        return [server.pid]


async def backend_pids(admin_url: str, name: str) -> list[int]:
    """The PostgreSQL backends connected to database ``name`` (the server's pools)."""
    connection = await asyncpg.connect(admin_url)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name
        )
        return [row["pid"] for row in rows]
    finally:
        await connection.close()


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the processes used between two ``cpu_by_pid`` readings: one that started
    in between counts from zero; one that ended in between counts up to ``before`` only."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- The load ----------------------------------------------------------------------------------------------------


def deep_cursor(base_url: str, token: str, pages: int) -> str:
    """The next_cursor of the hot list after ``pages`` pages."""
    cursor: str | None = None
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for page in range(pages):
            params = {"status": "hot", **({"cursor": cursor} if cursor else {})}
            response = client.get("/api/leads", params=params)
            response.raise_for_status()
            cursor = response.json()["next_cursor"]
            if cursor is None:
                raise RuntimeError(f"the hot list ended after {page + 1} pages; fill more contacts")
    assert cursor is not None
    return cursor


@dataclass(frozen=True)
class LoadPlan:
    base_url: str
    token: str
    rate: float
    warmup: float
    duration: float
    connections: int
    cursor: str
    kinds: tuple[str, ...] = KINDS
    seed: int = 42
    client: str = "raw"

    def requests(self) -> list[tuple[str, str]]:
        """(kind, path) for every request, in send order: the kinds take turns."""
        rng = random.Random(self.seed)
        total = round((self.warmup + self.duration) * self.rate)
        paths: dict[str, Callable[[], str]] = {
            "leads_hot": lambda: "/api/leads?status=hot",
            "leads_hot_deep": lambda: "/api/leads?" + urlencode({"status": "hot", "cursor": self.cursor}),
            "contacts_search": lambda: "/api/contacts?" + urlencode({"q": rng.choice(FIRST_NAMES)}),
            CONTROL_KIND: lambda: "/health",
        }
        kinds = self.kinds
        return [(kinds[i % len(kinds)], paths[kinds[i % len(kinds)]]()) for i in range(total)]


@dataclass(frozen=True)
class Sample:
    kind: str
    latency_ms: float
    status: int
    ok: bool
    measured: bool  # sent after the warm-up
    scheduled_s: float  # when it was due, from the start of the load


def run_load(plan: LoadPlan, results: Connection) -> None:
    """The load process: its own interpreter and event loop, so its CPU is not the server's.
    uvloop's loop, as the server's: the load takes less of the CPU the server shares."""
    started = time.process_time()  # not the interpreter's start and imports
    samples = uvloop.run(_drive(plan))
    results.send((samples, time.process_time() - started))
    results.close()


class RawConnection:
    """One keep-alive HTTP/1.1 connection that sends GETs and reads Content-Length (or chunked)
    answers: the load without an HTTP client library's per-request work, which on a shared machine
    is CPU taken from the server being measured (httpx spends a few ms per request)."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.head = f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\nAccept: */*\r\n\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        try:
            self.writer.write(b"GET " + path.encode() + b" HTTP/1.1\r\n" + self.head)
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(b":") for line in head.split(b"\r\n")[1:] if line)
            }
            if b"content-length" in headers:
                body = await self.reader.readexactly(int(headers[b"content-length"]))
            elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
                body = await self._chunked()
            else:
                raise ConnectionError("an answer without a length")
            if headers.get(b"connection", b"").lower() == b"close":
                self.close()
            return status, body
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            self.close()
            raise

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        parts = []
        while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await self.reader.readexactly(size + 2))
        await self.reader.readuntil(b"\r\n")
        return b"".join(part[:-2] for part in parts)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _drive(plan: LoadPlan) -> list[Sample]:
    if plan.client == "raw":
        return await _drive_raw(plan)
    return await _drive_httpx(plan)


def _ok(status: int, body: bytes) -> bool:
    # Non-empty without parsing 30 kB of JSON in the client: an empty page starts '{"items":[]'.
    return status == 200 and body[:1] == b"{" and not body.startswith(EMPTY_PAGE)


async def _drive_raw(plan: LoadPlan) -> list[Sample]:
    """As _drive_httpx, each sender holding one RawConnection."""
    host, port = plan.base_url.split("://", 1)[1].rsplit(":", 1)
    requests = plan.requests()
    due: asyncio.Queue[tuple[str, str, float, bool] | None] = asyncio.Queue()
    samples: list[Sample] = []
    start = clock() + 0.1

    async def sender() -> None:
        connection = RawConnection(host, int(port), plan.token)
        while (item := await due.get()) is not None:
            kind, path, scheduled, measured = item
            status, ok = 0, False
            try:
                status, body = await connection.get(path)
                ok = _ok(status, body)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                pass
            samples.append(Sample(kind, (clock() - scheduled) * 1000, status, ok, measured, scheduled - start))
        connection.close()

    senders = [asyncio.create_task(sender()) for _ in range(plan.connections)]
    for index, (kind, path) in enumerate(requests):
        scheduled = start + index / plan.rate
        delay = scheduled - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        due.put_nowait((kind, path, scheduled, index / plan.rate >= plan.warmup))
    for _ in senders:
        due.put_nowait(None)
    await asyncio.gather(*senders)
    return samples


async def _drive_httpx(plan: LoadPlan) -> list[Sample]:
    """Requests are due at a fixed rate whatever the answers do (open loop). Due requests wait in a
    FIFO for one of ``connections`` senders, each holding one keep-alive connection: that wait is a
    client-side connection pool's, without httpx's pool bookkeeping growing with the backlog."""
    limits = httpx.Limits(max_connections=plan.connections, max_keepalive_connections=plan.connections)
    headers = {"Authorization": f"Bearer {plan.token}"}
    requests = plan.requests()
    due: asyncio.Queue[tuple[str, str, float, bool] | None] = asyncio.Queue()
    samples: list[Sample] = []
    start = clock() + 0.1

    async def sender(client: httpx.AsyncClient) -> None:
        while (item := await due.get()) is not None:
            kind, path, scheduled, measured = item
            status, ok = 0, False
            try:
                response = await client.get(path)
                status = response.status_code
                ok = _ok(status, response.content)
            except httpx.HTTPError:
                pass
            samples.append(Sample(kind, (clock() - scheduled) * 1000, status, ok, measured, scheduled - start))

    async with httpx.AsyncClient(base_url=plan.base_url, headers=headers, limits=limits, timeout=60) as client:
        senders = [asyncio.create_task(sender(client)) for _ in range(plan.connections)]
        for index, (kind, path) in enumerate(requests):
            scheduled = start + index / plan.rate
            delay = scheduled - clock()
            if delay > 0:
                await asyncio.sleep(delay)
            due.put_nowait((kind, path, scheduled, index / plan.rate >= plan.warmup))
        for _ in senders:
            due.put_nowait(None)
        await asyncio.gather(*senders)
    return samples


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return float("nan")
    rank = max(1, min(len(values), round(fraction * len(values) + 0.5)))
    return values[rank - 1]


def summarize(samples: list[Sample], kind: str, extra: dict[str, Any]) -> dict[str, Any]:
    """Percentiles of latency from the scheduled send time; ``rps`` is the rate answers came back at
    (below the offered rate when the server falls behind)."""
    latencies = sorted(sample.latency_ms for sample in samples)
    first = min((sample.scheduled_s for sample in samples), default=0.0)
    last = max((sample.scheduled_s + sample.latency_ms / 1000 for sample in samples), default=0.0)
    return {
        "bench": "api",
        "kind": kind,
        "requests": len(samples),
        "rps": round(len(samples) / (last - first), 1) if last > first else None,
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p90_ms": round(percentile(latencies, 0.90), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(latencies[-1], 2) if latencies else None,
        "errors": sum(not sample.ok for sample in samples),
        **extra,
    }


# --- The command -------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second (open loop)")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds, after the warm-up")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring")
    # Two: on 2 cores one Python process is the limit before the machine is (see README).
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--pool-size", type=int, default=10, help="database pool size per worker")
    parser.add_argument("--connections", type=int, default=64, help="client connections (senders)")
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="raw: a minimal keep-alive HTTP/1.1 sender (little client CPU); httpx: httpx.AsyncClient",
    )
    parser.add_argument("--postgres", default=POSTGRES_ADMIN, help="a database to connect to as admin")
    parser.add_argument("--redis", default=REDIS, help="the server's broker (INBOX_REDIS_URL), as in production")
    parser.add_argument(
        "--kinds",
        default=",".join(KINDS),
        help=f"comma-separated request kinds, taking turns (default: all three; {CONTROL_KIND} measures the harness)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is logged)")
    parser.add_argument("--database", help="reuse a database a --keep run left (skips create, migrate and fill)")
    args = parser.parse_args(argv)
    kinds = tuple(kind for kind in args.kinds.split(",") if kind)
    unknown = set(kinds) - {*KINDS, CONTROL_KIND}
    if unknown or not kinds:
        parser.error(f"unknown kinds {sorted(unknown)}; choose from {[*KINDS, CONTROL_KIND]}")

    name = args.database or f"inbox_bench_{uuid.uuid4().hex[:8]}"
    url = database_url(args.postgres, name)
    asyncpg_url = database_url(args.postgres, name, "postgresql+asyncpg")
    created = args.database is None
    server: subprocess.Popen[bytes] | None = None
    try:
        if created:
            asyncio.run(create_database(args.postgres, name))
            log(f"database {name} created; migrating")
            upgrade(asyncpg_url)
            filled = asyncio.run(fill(url, contacts=args.contacts, accounts=args.accounts, users=args.users))
            log(f"filled {args.contacts} contacts, {args.accounts} accounts, {args.users} users")
            log(f"fill took {filled.seconds:.1f} s (with VACUUM ANALYZE)")
            token = filled.token
        else:
            token = asyncio.run(admin_token(url))

        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory(prefix="inbox-bench-") as data_dir:
            server = start_server(asyncpg_url, port, args.workers, args.pool_size, Path(data_dir), args.redis)
            wait_healthy(base_url, server)
            log(f"server up on {base_url} ({args.workers} worker(s)); following {DEEP_PAGES} pages of hot leads")
            plan = LoadPlan(
                base_url=base_url,
                token=token,
                rate=args.rate,
                warmup=args.warmup,
                duration=args.duration,
                connections=args.connections,
                client=args.client,
                cursor=deep_cursor(base_url, token, DEEP_PAGES),
                kinds=kinds,
            )
            log(f"load: {args.rate:g} req/s for {args.warmup:g} s warm-up + {args.duration:g} s")
            receiver, sender = multiprocessing.get_context("spawn").Pipe(duplex=False)
            loader = multiprocessing.get_context("spawn").Process(target=run_load, args=(plan, sender))
            watched_server = server_pids(server)
            server_cpu = cpu_seconds(watched_server)
            postgres_before = cpu_by_pid(asyncio.run(backend_pids(args.postgres, name)))
            loader.start()
            sender.close()
            samples: list[Sample]
            client_cpu: float
            samples, client_cpu = receiver.recv()
            loader.join()
            # Includes the warm-up, like client_cpu_ms.
            server_cpu = cpu_seconds(watched_server) - server_cpu
            postgres_after = cpu_by_pid(asyncio.run(backend_pids(args.postgres, name)))
            postgres_cpu = cpu_spent(postgres_before, postgres_after)
    finally:
        if server is not None:
            stop_server(server)
        if created and not args.keep:
            asyncio.run(drop_database(args.postgres, name))
            log(f"database {name} dropped")
        elif created:
            log(f"database {name} kept: rerun with --database {name}")

    measured = [sample for sample in samples if sample.measured]
    extra = {
        "contacts": args.contacts,
        "accounts": args.accounts,
        "users": args.users,
        "offered_rps": args.rate,
        "duration_s": args.duration,
        "workers": args.workers,
        "client": args.client,
        # CPU the load process used per request sent (it shares the machine with the server).
        "client_cpu_ms": round(client_cpu / len(samples) * 1000, 2),
        # CPU the server (all workers) and the PostgreSQL backends serving its database used per request
        # sent: the other databases of a shared server (tests running beside the bench) are left out.
        "server_cpu_ms": round(server_cpu / len(samples) * 1000, 2),
        "postgres_cpu_ms": round(postgres_cpu / len(samples) * 1000, 2),
    }
    for kind in kinds:
        print(json.dumps(summarize([s for s in measured if s.kind == kind], kind, extra)))
    print(json.dumps(summarize(measured, "all", extra)))
    statuses = sorted({sample.status for sample in measured if not sample.ok})
    if statuses:
        log(f"failed requests had statuses {statuses} (0: no answer)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
