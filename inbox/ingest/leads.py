"""Turning a correspondent's address into a contact and an account.

A company account is found or created from the address's domain, except for
free-mail providers, whose users are people, not companies. Machine senders
(no-reply, mailer-daemon, notifications) never become contacts.
"""

from __future__ import annotations

import re

FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "yahoo.co.jp",
        "ymail.com", "rocketmail.com", "hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "outlook.com",
        "outlook.fr", "outlook.de", "live.com", "live.fr", "live.de", "msn.com", "aol.com", "aim.com",
        "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "pm.me", "gmx.com", "gmx.de", "gmx.net",
        "gmx.at", "gmx.ch", "web.de", "t-online.de", "freenet.de", "orange.fr", "wanadoo.fr", "free.fr",
        "laposte.net", "sfr.fr", "libero.it", "virgilio.it", "tiscali.it", "yandex.ru", "yandex.com", "ya.ru",
        "mail.ru", "bk.ru", "inbox.ru", "list.ru", "rambler.ru", "qq.com", "163.com", "126.com", "sina.com",
        "sohu.com", "yeah.net", "naver.com", "hanmail.net", "daum.net", "fastmail.com", "fastmail.fm", "hey.com",
        "tutanota.com", "tuta.io", "zoho.com", "mail.com", "email.com", "usa.com", "comcast.net", "verizon.net",
        "att.net", "sbcglobal.net", "bellsouth.net", "cox.net", "charter.net", "earthlink.net", "btinternet.com",
        "sky.com", "ntlworld.com", "seznam.cz", "wp.pl", "o2.pl", "interia.pl", "onet.pl", "bigpond.com",
        "optusnet.com.au", "rediffmail.com", "uol.com.br", "bol.com.br", "terra.com.br",
    }
)  # fmt: skip

_MACHINE_LOCAL_PART = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]?daemon|postmaster|bounces?|notifications?|"
    r"notify|alerts?|daemon|auto[-_.]?reply|autoresponder|root|listserv|majordomo)(?:[-+._].*)?$",
    re.IGNORECASE,
)
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower()


def is_person_address(address: str | None) -> bool:
    """Whether mail from or to this address is from a person who can be a lead."""
    if not address or len(address) > 320 or not _ADDRESS.match(address):
        return False
    return not _MACHINE_LOCAL_PART.match(address.split("@", 1)[0])


def company_domain(address: str) -> str | None:
    """The domain an account is keyed by, or None for free-mail addresses."""
    domain = domain_of(address)
    return None if domain in FREE_MAIL_DOMAINS else domain


def account_name(domain: str) -> str:
    """A first name for an account created from a domain: ``acme-labs.co.uk`` → ``Acme Labs``."""
    labels = domain.split(".")
    core = labels[-3] if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2 else labels[0]
    if len(labels) >= 2 and core == labels[0] and labels[0] in {"www", "mail", "email", "mx"}:
        core = labels[1]
    return " ".join(part.capitalize() for part in re.split(r"[-_]", core) if part) or domain


def split_name(display_name: str | None) -> tuple[str | None, str | None]:
    """First and last name from a display name (``"Doe, Jane"`` and ``"Jane Doe"``)."""
    if not display_name:
        return None, None
    name = display_name.strip().strip("\"'").strip()
    if not name or "@" in name:
        return None, None
    if "," in name:
        last, _, first = name.partition(",")
        return (first.strip() or None), (last.strip() or None)
    parts = name.split()
    if len(parts) == 1:
        return parts[0][:200], None
    return " ".join(parts[:-1])[:200], parts[-1][:200]
