"""Bounce and auto-reply classification on the corpus's labelled rows and on known values read in them."""

from __future__ import annotations

import pytest

from inbox.ingest.classify import bounce_kind, parse_delivery_status
from inbox.ingest.parser import parse_message
from inbox.ingest.types import BouncedRecipient, BounceKind
from tests.ingest.corpus import CorpusEntry, corpus_message, corpus_messages

# No database here: the SQLite pass of scripts/test skips these (they would only run twice).
pytestmark = pytest.mark.no_db


@pytest.mark.parametrize("entry", corpus_messages("bounce"), ids=lambda entry: entry.path)
def test_every_bounce_is_recognised(entry: CorpusEntry) -> None:
    parsed = parse_message(entry.data)

    assert parsed.is_bounce, parsed.classification_reason
    assert not parsed.is_auto_reply
    assert parsed.classification_reason


@pytest.mark.parametrize(
    "entry", [entry for entry in corpus_messages() if entry.category != "bounce"], ids=lambda entry: entry.path
)
def test_nothing_else_is_a_bounce(entry: CorpusEntry) -> None:
    parsed = parse_message(entry.data)

    assert not parsed.is_bounce, parsed.classification_reason
    assert parsed.bounced_recipients == []


@pytest.mark.parametrize("entry", corpus_messages("autoreply"), ids=lambda entry: entry.path)
def test_every_auto_reply_is_recognised(entry: CorpusEntry) -> None:
    parsed = parse_message(entry.data)

    assert parsed.is_auto_reply
    assert not parsed.is_bounce
    assert parsed.classification_reason


def test_auto_replies_are_only_where_expected() -> None:
    flagged = {entry.path for entry in corpus_messages() if parse_message(entry.data).is_auto_reply}

    assert flagged == {entry.path for entry in corpus_messages("autoreply")}


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("flanker/complaints/aol.eml", "feedback report (ARF)"),
        ("sisimai-set-of-emails/bsd/arf-01.eml", "feedback report (ARF)"),
        ("mimekit/feedback-report.txt", "feedback report (ARF)"),
        ("flanker/disposition-notification.eml", "read receipt (MDN)"),
        ("mimekit/disposition-notification.txt", "read receipt (MDN)"),
    ],
)
def test_reports_are_neither_bounce_nor_auto_reply(path: str, reason: str) -> None:
    parsed = parse_message(corpus_message(path))

    assert not parsed.is_bounce and not parsed.is_auto_reply
    assert parsed.classification_reason == reason


# --- known values read in the corpus files ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "sisimai-set-of-emails/bsd/lhost-postfix-02.eml",
            [("filtered@example.co.jp", BounceKind.HARD, "failed", "5.2.1"),
             ("userunknown@example.co.jp", BounceKind.HARD, "failed", "5.1.1")],
        ),
        (
            "enmime/dsn/testdata/multi_recipient_dsn.raw",
            [("arathib@vnet.ibm.com", BounceKind.HARD, "failed", "5.0.0"),
             ("johnh@hpnjld.njd.hp.com", BounceKind.SOFT, "delayed", "4.0.0"),
             ("wsnell@sdcc13.ucsd.edu", BounceKind.HARD, "failed", "5.0.0")],
        ),
        (
            "chatwoot/bounced_with_no_from.eml",
            [("noreply@example-service.com", BounceKind.POLICY, "failed", "5.7.1")],
        ),
        # A message/delivery-status as the whole message, fields with MIME headers mixed in.
        ("flanker/bounce/delayed-broken.eml", [("demo@example.com", BounceKind.SOFT, "failed", "4.2.2")]),
        # multipart/report whose boundary parameter is missing: the fields are read from the text.
        ("cpython/msg_25.txt", [("scoffman@wellpartner.com", BounceKind.HARD, "failed", "5.4.6")]),
        (
            "sisimai-set-of-emails/bsd/rfc3464-04.eml",
            [("kijitora@mailx-53.neko.example.edu", BounceKind.HARD, "failed", "5.5.0")],
        ),
    ],
)  # fmt: skip
def test_delivery_status_reports(path: str, expected: list[tuple[str, BounceKind, str, str]]) -> None:
    parsed = parse_message(corpus_message(path))

    assert parsed.is_bounce
    assert [(r.address, r.kind, r.action, r.status) for r in parsed.bounced_recipients] == expected


def test_a_report_keeps_the_diagnostic() -> None:
    parsed = parse_message(corpus_message("enmime/dsn/testdata/multi_recipient_dsn.raw"))

    assert parsed.bounced_recipients[2].diagnostic == "smtp; 550 user unknown"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # Exim: addresses and SMTP errors in plain text, X-Failed-Recipients lists them.
        (
            "sisimai-set-of-emails/bsd/lhost-exim-02.eml",
            [("kijitora@example.jp", BounceKind.HARD, "5.1.1"), ("sabatora@example.jp", BounceKind.HARD, "5.2.1")],
        ),
        # Exim refusing our sender: 5.7.0 is a policy block.
        ("sisimai-set-of-emails/bsd/lhost-exim-01.eml", [("kijitora@example.ed.jp", BounceKind.POLICY, "5.7.0")]),
        # qmail: "<addr>:" then "(#5.5.0)".
        ("sisimai-set-of-emails/bsd/lhost-qmail-01.eml", [("kijitora@example.ne.jp", BounceKind.HARD, "5.5.0")]),
        # Gmail's plain-text notice.
        ("flanker/bounce/gmail-invalid-address.eml", [("awfawfawfawfawfaw@someserverhere.com", BounceKind.HARD, "5.1.0")]),
        # Postfix notice inside multipart/related.
        ("postal/postfix-bounce.msg", [("bob@nutty.tk", BounceKind.HARD, "5.1.1")]),
        # "kijitora@example.co.jp [User unknown]": no status, a failure, so HARD.
        ("sisimai-set-of-emails/bsd/lhost-x1-01.eml", [("kijitora@example.co.jp", BounceKind.HARD, None)]),
        # Apache James names the sender too ("From: shironeko@..."): only RCPT TO is the recipient.
        ("sisimai-set-of-emails/bsd/lhost-apachejames-01.eml", [("000000000000@vtext.example.com", BounceKind.HARD, None)]),
        # The Japanese Google Groups notice names nobody: the returned message's To is the recipient.
        ("sisimai-set-of-emails/bsd/lhost-googlegroups-01.eml", [("libsisimai@googlegroups.com", BounceKind.HARD, None)]),
        # A plain-text postmaster notice kept under "not/" upstream.
        ("sisimai-set-of-emails/not/rb-issue-368-bug.eml", [("xxxx@yyyyyy.net", BounceKind.HARD, None)]),
        # "421 ... Deferred": the only code is transient.
        ("sisimai-set-of-emails/bsd/lhost-v5sendmail-01.eml", [("kijitora@example.com", BounceKind.SOFT, None)]),
    ],
)  # fmt: skip
def test_non_standard_bounces(path: str, expected: list[tuple[str, BounceKind, str | None]]) -> None:
    parsed = parse_message(corpus_message(path))

    assert parsed.is_bounce
    assert parsed.classification_reason is not None and parsed.classification_reason.startswith("bounce notice from")
    assert [(r.address, r.kind, r.status) for r in parsed.bounced_recipients] == expected


def test_a_bounce_marked_auto_submitted_is_a_bounce_not_an_auto_reply() -> None:
    raw = corpus_message("chatwoot/bounced_gmail.eml")
    assert b"Auto-Submitted: auto-replied" in raw

    parsed = parse_message(raw)

    assert parsed.is_bounce and not parsed.is_auto_reply


@pytest.mark.parametrize(
    "path",
    [
        "sisimai-set-of-emails/not/is-not-bounce-01.eml",
        "sisimai-set-of-emails/not/is-not-bounce-02.eml",
        # From a mailer-daemon with a DSN subject, but the text reports no failure and returns nothing.
        "enmime/testdata/mail/multipart-wo-boundary.raw",
        # "Mail Delivery Subsystem" forwarding a message, with no failure in it.
        "cpython/msg_42.txt",
        # A person whose address is postmaster@.
        "flanker/long-links.eml",
    ],
)
def test_negative_controls(path: str) -> None:
    parsed = parse_message(corpus_message(path))

    assert not parsed.is_bounce and not parsed.is_auto_reply


# --- rules on synthetic headers ---------------------------------------------------------------------------


def _message(headers: str, body: str = "Hello") -> bytes:
    return f"From: someone@example.com\r\nTo: rep@ours.example\r\n{headers}\r\n\r\n{body}\r\n".encode()


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("Subject: Away\r\nAuto-Submitted: auto-replied", "Auto-Submitted: auto-replied"),
        ("Subject: Away\r\nAuto-Submitted: auto-generated (vacation)", "Auto-Submitted: auto-generated"),
        ("Subject: Away\r\nX-Autoreply: yes", "X-Autoreply: yes"),
        ("Subject: Away\r\nX-Autorespond: Away", "X-Autorespond: Away"),
        ("Subject: Away\r\nPrecedence: auto_reply", "Precedence: auto_reply"),
        ("Subject: Automatic reply: Your offer", "subject: Automatic reply:"),
        ("Subject: Out of Office: Your offer", "subject: Out of Office:"),
        ("Subject: Abwesenheitsnotiz: Ihr Angebot", "subject: Abwesenheitsnotiz:"),
        ("Subject: Réponse automatique : Votre offre", "subject: Réponse automatique :"),
        ("Subject: Your offer\r\nReturn-Path: <>", "empty Return-Path"),
    ],
)
def test_auto_reply_rules(headers: str, reason: str) -> None:
    parsed = parse_message(_message(headers))

    assert parsed.is_auto_reply and not parsed.is_bounce
    assert parsed.classification_reason == reason


@pytest.mark.parametrize(
    "headers",
    [
        "Subject: Weekly digest\r\nPrecedence: bulk\r\nList-Id: <news.example.com>",
        "Subject: Spam\r\nPrecedence: junk",
        "Subject: Thread\r\nPrecedence: list",
        "Subject: Quote\r\nAuto-Submitted: no",
        "Subject: Quote\r\nX-Auto-Response-Suppress: All",
        "Subject: Re: Automatic reply: Your offer",
        "Subject: Out of office next week, shall we meet before?",
        "Subject: Quote\r\nReturn-Path: <someone@example.com>",
    ],
)
def test_not_auto_replies(headers: str) -> None:
    parsed = parse_message(_message(headers))

    assert not parsed.is_auto_reply and not parsed.is_bounce
    assert parsed.classification_reason is None


def test_a_delivered_report_is_not_a_bounce() -> None:
    raw = (
        b"From: postmaster@mx.example.com\r\nTo: rep@ours.example\r\nSubject: Delivery Status Notification (Success)\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nYour message was delivered.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
        b"Final-Recipient: rfc822; lead@customer.example\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n--b--\r\n"
    )

    parsed = parse_message(raw)

    assert not parsed.is_bounce and not parsed.is_auto_reply
    assert parsed.classification_reason == "delivery report: delivered"


def test_a_person_writing_about_an_undeliverable_parcel_is_not_a_bounce() -> None:
    parsed = parse_message(_message("Subject: Undeliverable parcel", "The parcel could not be delivered, sorry."))

    assert not parsed.is_bounce


def test_parse_delivery_status_without_blank_lines_between_recipients() -> None:
    text = (
        "Reporting-MTA: dns; mx.example.com\n"
        "Final-Recipient: rfc822; <One@Example.com>\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 no such\n user here\n"
        "Final-Recipient: rfc822; two@example.com\nAction: delayed\nStatus: 4.4.1\n"
        "Final-Recipient: rfc822; three@example.com\nAction: delivered\nStatus: 2.0.0\n"
    )

    assert parse_delivery_status(text) == [
        BouncedRecipient("one@example.com", BounceKind.HARD, "failed", "5.1.1", "smtp; 550 5.1.1 no such user here"),
        BouncedRecipient("two@example.com", BounceKind.SOFT, "delayed", "4.4.1", None),
    ]


@pytest.mark.parametrize(
    ("status", "action", "kind"),
    [
        ("5.7.1", "failed", BounceKind.POLICY),
        ("5.1.1", "failed", BounceKind.HARD),
        ("4.4.7", "failed", BounceKind.SOFT),
        ("4.7.0", "delayed", BounceKind.SOFT),
        (None, "failed", BounceKind.HARD),
        (None, "delayed", BounceKind.SOFT),
        (None, None, BounceKind.HARD),
    ],
)
def test_bounce_kind(status: str | None, action: str | None, kind: BounceKind) -> None:
    assert bounce_kind(status, action) is kind
