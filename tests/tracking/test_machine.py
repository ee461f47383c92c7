"""The request-level rules that tell a machine's open or click from a person's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inbox.core.db import utcnow
from inbox.tracking.machine import (
    HEAD_REQUEST,
    PRIVACY_PROXY,
    SCANNER,
    TOO_SOON,
    Hit,
    click_machine_reason,
    open_machine_reason,
)

pytestmark = pytest.mark.no_db

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
GMAIL_PROXY = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"


@pytest.mark.parametrize(
    ("method", "after", "ip", "agent", "reason"),
    [
        ("GET", 3600, "203.0.113.9", FIREFOX, None),
        ("GET", 3600, "66.102.8.1", GMAIL_PROXY, None),  # Gmail fetches on display: an open
        ("HEAD", 3600, "203.0.113.9", FIREFOX, HEAD_REQUEST),
        ("GET", 3, "203.0.113.9", FIREFOX, TOO_SOON),
        ("GET", 3, "66.102.8.1", GMAIL_PROXY, TOO_SOON),
        ("GET", None, "203.0.113.9", FIREFOX, TOO_SOON),  # not even recorded as sent yet
        ("GET", 3600, "17.58.101.20", FIREFOX, PRIVACY_PROXY),  # Apple's network
        ("GET", 3600, "::ffff:17.58.101.20", FIREFOX, PRIVACY_PROXY),
        ("GET", 3600, "203.0.113.9", "Mozilla/5.0", PRIVACY_PROXY),  # Apple's prefetch agent
        ("GET", 3600, "203.0.113.9", "python-requests/2.32", SCANNER),
        ("GET", 3600, "203.0.113.9", "", SCANNER),
        ("GET", 3600, "203.0.113.9", None, SCANNER),
    ],
)
def test_opens(method: str, after: int | None, ip: str, agent: str | None, reason: str | None) -> None:
    now = utcnow()
    sent_at = None if after is None else now - timedelta(seconds=after)
    assert open_machine_reason(Hit(method, now, ip, agent), sent_at) == reason


@pytest.mark.parametrize(
    ("method", "after", "agent", "reason"),
    [
        ("GET", 3600, FIREFOX, None),
        ("GET", 11, FIREFOX, None),
        ("HEAD", 3600, FIREFOX, HEAD_REQUEST),
        ("GET", 9, FIREFOX, TOO_SOON),
        ("GET", 3600, "Mozilla/5.0 (compatible; Barracuda Sentinel)", SCANNER),
        ("GET", 3600, "Mozilla/5.0 (compatible; bingbot/2.0)", SCANNER),
        ("GET", 3600, "Microsoft Office Existence Discovery", SCANNER),
    ],
)
def test_clicks(method: str, after: int, agent: str, reason: str | None) -> None:
    now = utcnow()
    assert click_machine_reason(Hit(method, now, "203.0.113.9", agent), now - timedelta(seconds=after)) == reason
