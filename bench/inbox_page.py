"""Web inbox benchmark: the inbox page and a thread page for a workspace with 100,000 threads.

``uv run python -m bench.inbox_page`` creates a PostgreSQL database of its own, migrates it, fills one
workspace (bench.api's users, companies and contacts, then one mailbox, ``--threads`` threads of one to
three emails each, a share of them waiting for a reply, hot, unread or holding a draft, as triage leaves
them) with bulk SQL, starts the real server (uvicorn, as production) and loads pages one after another,
as a rep clicking through does: the inbox's first page as a manager and as a sales rep, the inbox
filtered to what needs a reply, a search, the next page by cursor, and thread pages of random threads.
One JSON line per page kind with p50/p99 in ms; progress on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx

from bench.api import (
    POSTGRES_ADMIN,
    create_database,
    database_url,
    drop_database,
    fill,
    free_port,
    log,
    percentile,
    start_server,
    stop_server,
    wait_healthy,
)
from inbox.auth.crypto import generate_id, generate_session_token
from inbox.core.migrate import upgrade

BODY = (
    "Hi {name}, thanks for the note about the rollout. We looked at the proposal with the team and have a few "
    "questions about onboarding, the data import and how pricing works once we pass fifty seats. Could you "
    "send over the security questionnaire as well? Best, {name}"
)


async def fill_threads(url: str, workspace_id: uuid.UUID, threads: int) -> dict[str, Any]:
    """One mailbox of a sales rep, ``threads`` threads over the contacts, 1-3 emails each, inbox state set."""
    started = time.monotonic()
    connection = await asyncpg.connect(url)
    try:
        rep_id = await connection.fetchval(
            "SELECT id FROM users WHERE workspace_id = $1 AND role = 'sales_rep' ORDER BY email LIMIT 1", workspace_id
        )
        mailbox_id = uuid.uuid4()
        await connection.execute(
            """
            INSERT INTO email_accounts (id, workspace_id, user_id, email_address, provider, imap_host, is_active)
            VALUES ($1, $2, $3, 'rep@ourco.example', 'imap', '127.0.0.1', false)
            """,
            mailbox_id,
            workspace_id,
            rep_id,
        )
        async with connection.transaction():
            await connection.execute(
                """
                WITH numbered AS (
                    SELECT id, email, first_name, row_number() OVER (ORDER BY id) AS n
                      FROM contacts WHERE workspace_id = $1
                ), total AS (SELECT count(*) AS c FROM numbered)
                INSERT INTO email_threads (
                    id, workspace_id, email_account_id, contact_id, subject, normalized_subject, thread_identifier,
                    status, last_message_at, message_count, unread_count, needs_reply, has_draft, attention,
                    intent, urgency
                )
                SELECT gen_random_uuid(), $1, $2, c.id, 'Re: Proposal ' || g, 'proposal ' || g,
                       'bench-' || g || '@bench.example',
                       CASE WHEN g % 10 = 0 THEN 'archived' ELSE 'active' END,
                       now() - (g * interval '97 seconds'), 1 + g % 3,
                       CASE WHEN g % 7 = 0 THEN 1 ELSE 0 END,
                       g % 9 = 0, g % 12 = 0,
                       CASE WHEN g % 9 = 0 AND g % 5 = 0 THEN 3 WHEN g % 9 = 0 AND g % 4 = 0 THEN 2
                            WHEN g % 9 = 0 OR g % 12 = 0 THEN 1 ELSE 0 END,
                       (ARRAY['interested', 'question', 'objection', 'meeting_request', 'other'])[1 + g % 5],
                       (ARRAY['low', 'medium', 'high'])[1 + g % 3]
                  FROM generate_series(1, $3) AS g
                  JOIN numbered AS c ON c.n = 1 + g % (SELECT c FROM total)
                """,
                workspace_id,
                mailbox_id,
                threads,
            )
            await connection.execute(
                """
                INSERT INTO emails (
                    id, workspace_id, thread_id, email_account_id, contact_id, direction, from_address, from_name,
                    to_addresses, subject, body_text, reply_text, message_id, inbox_status, delivery_status,
                    received_at, sent_at, triaged_at
                )
                SELECT gen_random_uuid(), t.workspace_id, t.id, t.email_account_id, t.contact_id,
                       CASE WHEN k = 2 THEN 'outbound' ELSE 'inbound' END,
                       CASE WHEN k = 2 THEN 'rep@ourco.example' ELSE c.email END,
                       CASE WHEN k = 2 THEN 'Rita Rep' ELSE c.first_name || ' ' || c.last_name END,
                       CASE WHEN k = 2 THEN json_build_array(c.email) ELSE '["rep@ourco.example"]'::json END,
                       t.subject, replace($2, '{name}', c.first_name), replace($2, '{name}', c.first_name),
                       t.thread_identifier || '-' || k,
                       CASE WHEN k = 2 THEN NULL WHEN t.unread_count > 0 THEN 'unread' ELSE 'read' END,
                       CASE WHEN k = 2 THEN 'sent' END,
                       CASE WHEN k = 2 THEN NULL ELSE t.last_message_at - (3 - k) * interval '1 hour' END,
                       CASE WHEN k = 2 THEN t.last_message_at - interval '1 hour' END,
                       CASE WHEN k = 2 THEN NULL ELSE now() END
                  FROM email_threads AS t
                  JOIN contacts AS c ON c.id = t.contact_id
                  CROSS JOIN LATERAL generate_series(1, t.message_count) AS k
                 WHERE t.workspace_id = $1
                """,
                workspace_id,
                BODY,
            )
        await connection.execute("VACUUM (ANALYZE)")
        emails = await connection.fetchval("SELECT count(*) FROM emails WHERE workspace_id = $1", workspace_id)
        rep_auth = await connection.fetchval("SELECT auth_user_id FROM users WHERE id = $1", rep_id)
        manager_auth = await connection.fetchval(
            "SELECT auth_user_id FROM users WHERE workspace_id = $1 AND role = 'manager' ORDER BY email LIMIT 1",
            workspace_id,
        )
        tokens = {}
        for name, auth_id in (("rep", rep_auth), ("manager", manager_auth)):
            tokens[name] = generate_session_token()
            await connection.execute(
                """
                INSERT INTO session (id, token, "userId", "expiresAt", "createdAt", "updatedAt", "userAgent")
                VALUES ($1, $2, $3, now() + interval '7 days', now(), now(), 'bench.inbox_page')
                """,
                generate_id(),
                tokens[name],
                auth_id,
            )
        sample = [
            str(row["id"])
            for row in await connection.fetch(
                "SELECT id FROM email_threads WHERE workspace_id = $1 ORDER BY random() LIMIT 500", workspace_id
            )
        ]
    finally:
        await connection.close()
    return {"emails": emails, "tokens": tokens, "threads": sample, "seconds": time.monotonic() - started}


def measure(client: httpx.Client, token: str, paths: list[str], rounds: int, check: str) -> list[float]:
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}"}
    for i in range(rounds):
        path = paths[i % len(paths)]
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200 or check not in response.text:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:300]}")
    return latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=300, help="requests per page kind")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)

    name = f"inbox_bench_pages_{uuid.uuid4().hex[:8]}"
    asyncio.run(create_database(POSTGRES_ADMIN, name))
    url = database_url(POSTGRES_ADMIN, name)
    server = None
    try:
        log(f"migrating {name}")
        upgrade(database_url(POSTGRES_ADMIN, name, "postgresql+asyncpg"))
        filled = asyncio.run(fill(url, contacts=args.contacts, accounts=max(1, args.contacts // 10), users=12))
        log(f"filled contacts in {filled.seconds:.1f}s; adding {args.threads} threads")
        made = asyncio.run(fill_threads(url, filled.workspace_id, args.threads))
        log(f"{args.threads} threads, {made['emails']} emails in {made['seconds']:.1f}s")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as data_dir:
            server = start_server(database_url(POSTGRES_ADMIN, name, "postgresql+asyncpg"), port, 1, 10, Path(data_dir))
            wait_healthy(base, server)
            with httpx.Client(base_url=base, timeout=10.0) as client:
                rep, manager = made["tokens"]["rep"], made["tokens"]["manager"]
                first = client.get("/", headers={"Authorization": f"Bearer {manager}"}).text
                cursor = re.search(r"cursor=([\w-]+)", first)
                assert cursor is not None, "the first page has no next page"
                kinds: dict[str, tuple[str, list[str], str]] = {
                    "inbox (manager)": (manager, ["/"], "thread-list"),
                    "inbox (sales rep)": (rep, ["/"], "thread-list"),
                    "inbox needs reply": (manager, ["/?needs_reply=1"], "thread-list"),
                    "inbox hot leads": (manager, ["/?temperature=hot"], "thread-list"),
                    "inbox search": (manager, ["/?q=security+questionnaire", "/?q=proposal+4711"], "thread-list"),
                    "inbox next page": (manager, [f"/?cursor={cursor.group(1)}"], "thread-list"),
                    "thread page": (rep, [f"/threads/{t}" for t in made["threads"]], "conversation"),
                }
                for token, paths, check in (kinds["inbox (manager)"], kinds["thread page"]):  # warm up
                    measure(client, token, paths, 20, check)
                everything: list[float] = []
                for kind, (token, paths, check) in kinds.items():
                    random.shuffle(paths)
                    latencies = measure(client, token, paths, args.rounds, check)
                    everything += latencies
                    print(
                        json.dumps(
                            {
                                "bench": "inbox_page",
                                "kind": kind,
                                "threads": args.threads,
                                "emails": made["emails"],
                                "requests": len(latencies),
                                "p50_ms": round(percentile(sorted(latencies), 0.5), 2),
                                "p99_ms": round(percentile(sorted(latencies), 0.99), 2),
                                "max_ms": round(max(latencies), 2),
                            }
                        ),
                        flush=True,
                    )
                print(
                    json.dumps(
                        {
                            "bench": "inbox_page",
                            "kind": "all",
                            "threads": args.threads,
                            "requests": len(everything),
                            "p50_ms": round(percentile(sorted(everything), 0.5), 2),
                            "p99_ms": round(percentile(sorted(everything), 0.99), 2),
                            "goal_p99_ms": 100,
                        }
                    ),
                    flush=True,
                )
    finally:
        if server is not None:
            stop_server(server)
        if not args.keep:
            asyncio.run(drop_database(POSTGRES_ADMIN, name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
