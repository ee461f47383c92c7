"""Which opens and clicks a machine made, not the recipient.

A machine event is stored (``email_events.is_machine``) and never counts as
engagement: it moves no counter and no delivery status. The rules, first match
wins:

- ``head_request``: a HEAD request. Browsers and mail clients fetch with GET;
  link checkers probe with HEAD.
- ``too_soon``: within ``MACHINE_WINDOW`` (10 s) of the send, or before the send
  was even recorded. Security gateways (Mimecast, Proofpoint, Defender Safe
  Links, Barracuda) fetch images and follow links as the message arrives; a
  person is rarely that fast.
- ``privacy_proxy``: an open fetched by Apple Mail Privacy Protection, which
  downloads every image of every message on delivery whether or not it is read.
  Recognised by Apple's own network (17.0.0.0/8, where its proxies fetch from)
  and by the bare ``Mozilla/5.0`` user agent of the prefetch.
- ``scanner``: a user agent that says it is a bot, crawler, scanner or HTTP
  library, or none at all (every browser and mail client sends one).
- ``burst`` (clicks): a different link of the same email was clicked within
  ``BURST_WINDOW`` (2 s): a scanner follows every link at once, a person one.
  The earlier clicks of the burst are marked too, and their counts taken back.

Gmail's ``GoogleImageProxy`` and Yahoo's ``YahooMailProxy`` are counted as
opens by people: Gmail and Yahoo fetch through their proxy when the message is
displayed, not on delivery, so a fetch does stand for an open. What they hide
is the reader's address and repeat views (the proxy caches the image), so
those opens are counted once per cache fill, not per view. The 10 s rule still
applies to them.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

MACHINE_WINDOW = timedelta(seconds=10)
BURST_WINDOW = timedelta(seconds=2)

HEAD_REQUEST = "head_request"
TOO_SOON = "too_soon"
PRIVACY_PROXY = "privacy_proxy"
SCANNER = "scanner"
BURST = "burst"

# Apple Inc.'s network: Mail Privacy Protection fetches remote content from here.
APPLE_NETWORKS = (ipaddress.ip_network("17.0.0.0/8"),)
# The user agent of Apple Mail Privacy Protection's prefetch: nothing but this.
APPLE_PREFETCH_AGENT = "Mozilla/5.0"
_SCANNER_AGENT = re.compile(
    r"bot\b|bot/|spider|crawl|scan|preview|python-|python/|curl/|wget/|go-http-client|java/|okhttp|"
    r"libwww|httpclient|headless|phantomjs|barracuda|mimecast|proofpoint|urldefense|safelinks|"
    r"symantec|forcepoint|trendmicro|zscaler|fireeye|sophos|cisco|ironport|microsoft office existence",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Hit:
    """One request to a tracking link, as the endpoint saw it."""

    method: str
    at: datetime
    ip_address: str | None = None
    user_agent: str | None = None


def _in_apple_network(address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in APPLE_NETWORKS)


def _scanner_agent(user_agent: str | None) -> bool:
    agent = (user_agent or "").strip()
    return not agent or _SCANNER_AGENT.search(agent) is not None


def _too_soon(hit: Hit, sent_at: datetime | None) -> bool:
    # No send time yet: the message is being delivered right now (the gateway was faster than our commit).
    return sent_at is None or hit.at - sent_at < MACHINE_WINDOW


def open_machine_reason(hit: Hit, sent_at: datetime | None) -> str | None:
    """Why an open is a machine's, or None for a person's."""
    if hit.method.upper() == "HEAD":
        return HEAD_REQUEST
    if _too_soon(hit, sent_at):
        return TOO_SOON
    if _in_apple_network(hit.ip_address) or (hit.user_agent or "").strip() == APPLE_PREFETCH_AGENT:
        return PRIVACY_PROXY
    if _scanner_agent(hit.user_agent):
        return SCANNER
    return None


def click_machine_reason(hit: Hit, sent_at: datetime | None) -> str | None:
    """Why a click is a machine's, from the request alone (the burst rule needs the email's other clicks)."""
    if hit.method.upper() == "HEAD":
        return HEAD_REQUEST
    if _too_soon(hit, sent_at):
        return TOO_SOON
    if _scanner_agent(hit.user_agent):
        return SCANNER
    return None
