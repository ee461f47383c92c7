"""The MIME parser over the whole mail corpus and on the traps the corpus README lists."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbox.ingest.parser import decode_bytes, decode_header_text, parse_message
from inbox.ingest.types import ParsedMessage
from tests.ingest.corpus import CorpusEntry, corpus_message, corpus_messages

# No database here: the SQLite pass of scripts/test skips these (they would only run twice).
pytestmark = pytest.mark.no_db

_EVENT_HANDLER = re.compile(r"<[^>]*\son\w+\s*=", re.IGNORECASE)
# Files with no header block at all: a mailing-list digest body and a non-RFC 822 text.
_NO_HEADERS = {"cpython/msg_19.txt", "enmime/testdata/mail/erroneous.raw"}


def _texts(parsed: ParsedMessage) -> list[str]:
    values = [parsed.subject, parsed.from_name, parsed.body_text, parsed.body_html, parsed.reply_text]
    values += [parsed.message_id, parsed.in_reply_to, parsed.list_unsubscribe, *parsed.references]
    values += [attachment.filename for attachment in parsed.attachments]
    return [value for value in values if value is not None]


@pytest.mark.parametrize("entry", corpus_messages(), ids=lambda entry: entry.path)
def test_every_corpus_message_parses(entry: CorpusEntry) -> None:
    parsed = parse_message(entry.data)

    assert parsed.raw_size == len(entry.data)
    if entry.path in _NO_HEADERS:
        assert parsed.parse_error == "no header block"
    else:
        assert parsed.parse_error is None
    for text in _texts(parsed):
        text.encode("utf-8")  # no lone surrogates: PostgreSQL takes the text as it is
        assert "\x00" not in text
    for address in [parsed.from_address, parsed.reply_to, *parsed.to_addresses, *parsed.cc_addresses]:
        if address is not None:
            assert address == address.lower() and "@" in address and not re.search(r"[\s<>]", address)
    assert parsed.date is None or parsed.date.tzinfo is UTC
    for attachment in parsed.attachments:
        assert isinstance(attachment.content, bytes) and "/" in attachment.content_type
    if parsed.body_html is not None:
        assert "<script" not in parsed.body_html.lower()
        assert not _EVENT_HANDLER.search(parsed.body_html)
    if parsed.body_text:
        # The new text is never longer than the body it comes from (HTML-only mail: its text).
        assert parsed.reply_text is not None
        assert len(parsed.reply_text) <= len(parsed.body_text)


def test_the_corpus_is_all_there() -> None:
    messages = corpus_messages()
    assert len(messages) == 336
    assert {entry.category for entry in messages} >= {"bounce", "autoreply", "charset", "attachment", "malformed"}


# --- charsets and encoded words -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "subject", "words"),
    [
        ("mikel-mail/multi_charset/japanese_iso_2022.eml", "まみむめも", None),
        ("mikel-mail/multi_charset/japanese_shift_jis.eml", "test", "このメールはテスト用のメールです"),
        ("mikel-mail/multi_charset/ks_c_5601-1987.eml", "test", "스티해"),
        ("mikel-mail/plain_emails/raw_email.eml", "NOTE: 한국말로 하는 것", None),
        ("mimekit/japanese.txt", "日本語メールテスト (testing Japanese emails)", None),
        ("spamscope-mail-parser/mail_test_12", "代开各地增值税发票", "我公司可代开各类增值税发票"),
        ("mikel-mail/rfc6532/utf8_headers.eml", "Säying Hello", None),
        ("chatwoot/non_utf_encoded_mail.eml", "أهلين عميلنا الكريم", "أنا أحتاجها فقط"),
        ("mikel-mail/error_emails/invalid_subject_characters.eml", None, None),
        # Unknown charsets: X-UNKNOWN, fakescii and "charset=us-askey" fall back instead of failing.
        ("mikel-mail/plain_emails/raw_email10.eml", None, "Envoyé par le service de messagerie texte de Bell Mobilité"),
        ("enmime/testdata/low-quality/unk-charset-part.raw", "Attachment", "A text section"),
        ("enmime/testdata/mail/html-mime-bad-unknown-charset-inline.raw", "MIME test 1", "Test of text section"),
        ("php-mime-mail-parser/issue230", "Scientific conferences, Bulgaria 2019", "ACADEMIC NEWSLETTER #11"),
    ],
)
def test_charsets_decode_to_their_words(path: str, subject: str | None, words: str | None) -> None:
    parsed = parse_message(corpus_message(path))

    if subject is not None:
        assert (parsed.subject or "").startswith(subject)
    if words is not None:
        assert words in (parsed.body_text or "")
    assert "\ufffd" not in (parsed.subject or "")


def test_raw_utf8_headers_give_the_addresses_as_written() -> None:
    parsed = parse_message(corpus_message("mikel-mail/rfc6532/utf8_headers.eml"))

    assert parsed.from_address == "jdöe@mächine.example"


def test_an_encoded_word_that_decodes_to_a_line_break_does_not_break_the_header() -> None:
    parsed = parse_message(corpus_message("enmime/testdata/mail/qp-utf8-header-recursed.raw"))

    assert parsed.parse_error is None
    assert parsed.from_address == "jamehi03@jamehi03lx.noa.com"
    assert parsed.subject == "MIME UTF8 Test ¢ More Text"


def test_decode_header_text_joins_a_character_split_across_encoded_words() -> None:
    # "é" is C3 A9 in UTF-8; each word carries one byte.
    assert decode_header_text("=?utf-8?q?caf=C3?= =?utf-8?q?=A9?= ok") == "café ok"
    assert decode_header_text("=?utf-8?b?w6k=?=\r\n =?iso-8859-1?q?=E9?=") == "éé"
    assert decode_header_text("=?x-unknown?q?caf=E9?=") == "café"
    assert decode_header_text("=?utf-8?b?broken!?=") == "=?utf-8?b?broken!?="
    assert decode_header_text("   ") is None


def test_decode_bytes_never_fails() -> None:
    assert decode_bytes("Grüße".encode(), "iso-8859-1") == "Grüße"  # the common lie: UTF-8 labelled Latin-1
    assert decode_bytes("Grüße".encode("cp1252"), "us-ascii") == "Grüße"
    assert decode_bytes("日本".encode("shift_jis"), "shift_jis") == "日本"
    assert decode_bytes(b"caf\xe9", "base64") == "café"  # a bytes-to-bytes codec is no charset
    assert decode_bytes(b"\xff\xfe", "utf-8") == "\ufffd\ufffd"


# --- structure ------------------------------------------------------------------------------------


def test_rfc2231_filename() -> None:
    # filename*=ISO-8859-1''Eelanal%FC%FCsi%20p%E4ring.jpg
    parsed = parse_message(corpus_message("mikel-mail/attachment_emails/attachment_with_quoted_filename.eml"))

    assert [attachment.filename for attachment in parsed.attachments] == ["Eelanalüüsi päring.jpg"]
    assert parsed.attachments[0].content.startswith(b"\xff\xd8")  # JPEG


def test_encoded_word_filename_of_a_long_japanese_name() -> None:
    parsed = parse_message(corpus_message("mikel-mail/multi_charset/japanese_attachment_long_name.eml"))

    assert [attachment.filename for attachment in parsed.attachments] == ["かきくけこ" * 5 + ".txt"]


def test_inline_cid_image_keeps_its_bytes_and_the_html_its_reference() -> None:
    parsed = parse_message(corpus_message("enmime/testdata/mail/html-mime-bad-unknown-charset-inline.raw"))

    (image,) = parsed.attachments
    assert image.content_id == "8B8481A2-25CA-4886-9B5A-8EB9115DD064@skynet"
    assert image.is_inline and image.content_type == "image/png" and image.filename == "favicon.png"
    assert image.content.startswith(b"\x89PNG") and len(image.content) == 687
    assert f'src="cid:{image.content_id}"' in (parsed.body_html or "")


def test_a_message_with_328_attachments() -> None:
    parsed = parse_message(corpus_message("php-mime-mail-parser/issue408.eml"))

    assert len(parsed.attachments) == 328
    assert all(attachment.content for attachment in parsed.attachments)


def test_html_only_mail_gets_its_text_from_the_html() -> None:
    parsed = parse_message(corpus_message("chatwoot/only_html.eml"))

    assert parsed.body_text == "This is html only mail"
    assert parsed.body_html is not None and "<h1>" in parsed.body_html


def test_alternative_prefers_the_plain_text_and_keeps_the_html() -> None:
    parsed = parse_message(corpus_message("enmime/testdata/mail/html-mime-bad-unknown-charset-inline.raw"))

    assert parsed.body_text == "Test of text section"
    assert "Test of HTML section" in (parsed.body_html or "")


def test_forwarded_message_is_kept_as_eml_and_its_text_joins_the_body() -> None:
    parsed = parse_message(corpus_message("flanker/enclosed.eml"))

    (forwarded,) = parsed.attachments
    assert forwarded.filename == "thanks.eml" and forwarded.content_type == "message/rfc822"
    assert b"Subject: Thanks!" in forwarded.content
    assert parse_message(forwarded.content).subject == "Thanks!"
    body = parsed.body_text or ""
    assert body.startswith("Hello")
    assert "From: Kirk Douglas <dan@example.com>" in body
    assert "чтобы я без вас делал, дорогие мои!!!" in body


@pytest.mark.parametrize(
    ("path", "method", "summary", "starts_at", "organizer"),
    [
        (
            "php-mime-mail-parser/m0020",
            "REQUEST",
            "1",
            datetime(2014, 3, 28, 9, 3, tzinfo=UTC),
            "newsletter@finntack.com",
        ),
        (
            "ccs-calendarserver/good_reply",
            "REPLY",
            "New Event",
            datetime(2008, 8, 12, 17, 0, tzinfo=UTC),
            "ical-living-on+d7cdf68d-8b73-4df1-ad3b-f08002fb285f@example.com",
        ),
    ],
)
def test_calendar_invite(path: str, method: str, summary: str, starts_at: datetime, organizer: str) -> None:
    parsed = parse_message(corpus_message(path))

    assert parsed.calendar is not None
    assert parsed.calendar.method == method
    assert parsed.calendar.summary == summary
    assert parsed.calendar.starts_at == starts_at
    assert parsed.calendar.organizer == organizer
    assert any(attachment.content_type == "text/calendar" for attachment in parsed.attachments)


def test_html_is_sanitised() -> None:
    raw = (
        b"From: a@example.com\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b'<p onclick="steal()">Hi <a href="javascript:alert(1)">there</a></p><script>alert(1)</script>'
        b'<img src="x" onerror="alert(2)">'
    )

    parsed = parse_message(raw)

    html = parsed.body_html or ""
    assert "<script" not in html and "alert" not in html and "onclick" not in html and "onerror" not in html
    assert "<p>Hi" in html
    assert parsed.body_text == "Hi there"


# --- headers ------------------------------------------------------------------------------------------


def test_headers_are_normalised() -> None:
    raw = (
        b"From: =?utf-8?q?Ren=C3=A9e?= <Renee@Example.COM>\r\n"
        b'To: team: A@x.com, "Doe, John" <B@Y.com>;, undisclosed-recipients:;\r\n'
        b"Cc: c@z.org (a comment)\r\n"
        b"Reply-To: <Reply@Example.com>\r\n"
        b"Message-ID: <abc@host.example>\r\n"
        b"In-Reply-To: <parent@host.example> (sent by someone)\r\n"
        b"References: <root@host.example>\r\n <parent@host.example>\r\n"
        b"Date: Tue, 7 Apr 2026 10:00:00 +0200\r\n"
        b"List-Unsubscribe: <mailto:leave@list.example>, <https://list.example/u>\r\n"
        b"Subject: hello\r\n\tworld\r\n\r\nbody\r\n"
    )

    parsed = parse_message(raw)

    assert (parsed.from_name, parsed.from_address) == ("Renée", "renee@example.com")
    assert parsed.to_addresses == ["a@x.com", "b@y.com"]
    assert parsed.cc_addresses == ["c@z.org"]
    assert parsed.reply_to == "reply@example.com"
    assert parsed.message_id == "abc@host.example"
    assert parsed.in_reply_to == "parent@host.example"
    assert parsed.references == ["root@host.example", "parent@host.example"]
    assert parsed.date == datetime(2026, 4, 7, 8, 0, tzinfo=UTC)
    assert parsed.list_unsubscribe == "<mailto:leave@list.example>, <https://list.example/u>"
    assert parsed.subject == "hello world"
    assert parsed.body_text == "body"


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Fri, 21 Nov 1997 09:55:06 -0600", datetime(1997, 11, 21, 15, 55, 6, tzinfo=UTC)),
        ("Fri, 21 Nov 1997 09:55:06 -0000", datetime(1997, 11, 21, 9, 55, 6, tzinfo=UTC)),
        ("yesterday, around noon", None),
        ("Mon, 32 Foo 99999 99:99:99 +9999", None),
    ],
)
def test_dates_are_aware_utc_or_none(date: str, expected: datetime | None) -> None:
    parsed = parse_message(f"From: a@example.com\r\nDate: {date}\r\n\r\nx".encode())

    assert parsed.date == expected


def test_groups_in_to_do_not_break_the_headers() -> None:
    # "To: unlisted-recipients:; (no To-header on input)" raises under policy.default.
    parsed = parse_message(corpus_message("mimekit/delivery-status.txt"))

    assert parsed.to_addresses == []
    assert parsed.from_address == "postmaster@mm1.sprynet.com"


def test_a_2700_line_to_header() -> None:
    parsed = parse_message(corpus_message("mimekit/stack-overflow.txt"))

    assert parsed.parse_error is None
    assert parsed.to_addresses == ["test@test.com"]
    assert parsed.subject == "Message Subject"


def test_a_thousand_groups_are_read_linearly() -> None:
    header = ", ".join(f"group{n}: user{n}@example.com;" for n in range(3000))
    parsed = parse_message(f"From: a@example.com\r\nTo: {header}\r\n\r\nx".encode())

    assert len(parsed.to_addresses) == 3000


# --- the stdlib's trap files -------------------------------------------------------------------------


def test_a_bom_before_the_headers() -> None:
    parsed = parse_message(corpus_message("mimekit/feedback-report.txt"))

    assert parsed.parse_error is None
    assert parsed.subject == "FW: Earn money"
    assert parsed.from_address == "abusedesk@example.com"


def test_cr_only_line_endings() -> None:
    parsed = parse_message(corpus_message("sisimai-set-of-emails/mac/lhost-postfix-01.eml"))

    assert parsed.subject == "Undelivered Mail Returned to Sender"
    assert parsed.is_bounce
    assert "\r" not in (parsed.body_text or "")


def test_obsolete_space_before_the_colon() -> None:
    parsed = parse_message(corpus_message("mikel-mail/rfc2822/example13.eml"))

    assert parsed.parse_error is None
    assert parsed.from_address == "jdoe@machine.example"


def test_a_leading_blank_line() -> None:
    parsed = parse_message(corpus_message("flanker/iphone.eml"))

    assert parsed.parse_error is None
    assert parsed.from_address == "someone@somewhere.com"


# --- bytes that are not mail -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "error"),
    [(b"", "empty message"), (b"  \r\n ", "empty message"), (b"\xff\xfe\x00garbage", "no header block")],
)
def test_garbage_is_flagged_not_raised(raw: bytes, error: str) -> None:
    parsed = parse_message(raw)

    assert parsed.parse_error == error
    assert parsed.raw_size == len(raw)


def test_a_truncated_message_keeps_its_headers() -> None:
    raw = corpus_message("php-mime-mail-parser/issue408.eml")

    parsed = parse_message(raw[: len(raw) // 2])

    assert parsed.subject == "test mail with more than 300 attachments"
    assert 0 < len(parsed.attachments) < 328


def test_nesting_beyond_reason_is_cut_and_flagged() -> None:
    depth = 60
    head = "".join(f'Content-Type: multipart/mixed; boundary="b{n}"\r\n\r\n--b{n}\r\n' for n in range(depth))
    tail = "".join(f"\r\n--b{n}--\r\n" for n in reversed(range(depth)))
    raw = f"From: a@example.com\r\nSubject: deep\r\n{head}Content-Type: text/plain\r\n\r\ninnermost{tail}".encode()

    parsed = parse_message(raw)

    assert parsed.subject == "deep"
    assert parsed.parse_error == "MIME nesting too deep"


def test_a_structure_that_defeats_the_stdlib_parser_keeps_the_headers() -> None:
    # 1,200 nested message/rfc822 parts exhaust the recursion of the stdlib's feed parser.
    nested = "Content-Type: message/rfc822\r\n\r\n" * 1200
    raw = f"From: A@Example.com\r\nSubject: deep\r\nMessage-ID: <d@x>\r\n{nested}Subject: in\r\n\r\nx".encode()

    parsed = parse_message(raw)

    assert (parsed.subject, parsed.message_id, parsed.from_address) == ("deep", "d@x", "a@example.com")
    assert parsed.parse_error == "MIME structure unreadable (RecursionError)"


def test_deeply_nested_boundaries_are_refused_before_the_quadratic_parse() -> None:
    head = "".join(f'Content-Type: multipart/mixed; boundary="b{n}"\r\n\r\n--b{n}\r\n' for n in range(1500))
    raw = f"From: a@example.com\r\nSubject: deep\r\n{head}Content-Type: text/plain\r\n\r\ninnermost".encode()

    started = time.perf_counter()
    parsed = parse_message(raw)

    assert time.perf_counter() - started < 1.0  # the stdlib alone needs seconds here
    assert parsed.subject == "deep"
    assert parsed.parse_error == "MIME nesting too deep"


def test_many_boundaries_side_by_side_are_parsed() -> None:
    # A digest: 100 multipart messages one after the other, each closing its boundary.
    inner = "".join(
        f'--outer\r\nContent-Type: message/rfc822\r\n\r\nSubject: m{n}\r\nContent-Type: multipart/mixed; boundary="i{n}"'
        f"\r\n\r\n--i{n}\r\nContent-Type: text/plain\r\n\r\nbody {n}\r\n--i{n}--\r\n"
        for n in range(100)
    )
    raw = f'From: a@example.com\r\nSubject: digest\r\nContent-Type: multipart/digest; boundary="outer"\r\n\r\n{inner}--outer--\r\n'

    parsed = parse_message(raw.encode())

    assert parsed.parse_error is None
    assert len(parsed.attachments) == 100
    assert "body 99" in (parsed.body_text or "")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_without_raising(raw: bytes) -> None:
    parsed = parse_message(raw)

    assert parsed.raw_size == len(raw)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_any_mangled_corpus_message_parses_without_raising(data: st.DataObject) -> None:
    entry = data.draw(st.sampled_from(corpus_messages()))
    raw = bytearray(entry.data[:4000])
    for _ in range(data.draw(st.integers(1, 8))):
        if raw:
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))

    parsed = parse_message(bytes(raw))

    assert parsed.raw_size == len(raw)
