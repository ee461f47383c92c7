# ruff: noqa: RUF001  (quote headers in many scripts: look-alike letters are meant)
"""Separating the new text of a reply from quoted history and signature.

The AI reads only what the sender wrote in this message, so everything a mail
client appended below it goes: ``>`` quoted blocks and the attribution line
that introduces them ("On … wrote:", "Am … schrieb …:", "… написал:"), an
Outlook header block ("From: / Sent: / To: / Subject:" in many languages,
optionally after a rule line or "-----Original Message-----") with the
unquoted original under it, and, by default, the signature ("-- " delimiter,
"Sent from my iPhone" and other mobile footers, an underscore rule before a
mailing-list footer).

No library does this well enough here: ``email-reply-parser`` (2020, English
only), ``mail-parser-reply`` (strips every line's indentation and its
signature regex takes seconds on a 2 MB body) and ``quotequail`` (keeps the
attribution, needs lxml 6 where inscriptis pins lxml 5) each failed about
half of the corpus expectations, and ``talon`` is unmaintained and pulls in
scikit-learn. The rules below are line based and linear in the body's size:
the regular expression engine picks out the few lines that can matter (quoted,
rule-like, ending in ":", starting with a From/Date field or a mobile footer),
and every expression run on a line is anchored, bounded, or limited to a window
of at most three short lines. A body with more than 5,000 candidates of one
kind (a pasted log, a table) is only searched up to there.

Forwarded messages are content, not history: a forward marker ("----------
Forwarded message ---------", "Begin forwarded message:") or an Outlook
header block whose subject starts with "Fw:"/"Fwd:"/"TR:"/"WG:" stops the
stripping, so a rep's "FYI, see below" keeps what was forwarded. When
several quoted blocks are each answered below (an inline reply), the quoted
questions stay as context and only the trailing history goes.

:func:`extract_reply_html` does the same on HTML: it removes the quote
containers that clients mark (Gmail ``gmail_quote``, ``blockquote
type=cite``, Yahoo, Outlook's ``divRplyFwdMsg``/``OLK_SRC_BODY_SECTION``,
Hotmail, Zimbra) and then runs the plain-text rules on the rendered lines to
find where unmarked history starts (Outlook desktop, Windows Mail, mail.ru,
Yandex) and cuts the document there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from typing import Literal

from lxml import etree

# --- plain text: what a line can be ---------------------------------------------------------------------------------

_END_OF_ATTRIBUTION = re.compile(r"(?:[:：]|\s-{2,})\s*$")
_BROKEN_ADDRESS_END = re.compile(r">\s*[:：]$")  # "<someone@example.com" + "\n>:": an address wrapped by the client
_LEAD = " \t-–—*_>"  # "--- On …" (Yahoo), "- Le …" (Zimbra)
_VERBS = (
    "wrote", "writes", "schrieb", "écrit", "escribió", "escribio", "escreveu", "scritto", "schreef", "skrev",
    "kirjoitti", "napisał", "napsal", "написал", "написав", "написала", "пише", "yazdı", "írta", "έγραψε", "scris",
    "napisao", "napisala", "rašė", "rakstīja", "kirjutas", "viết", "menulis", "כתב", "كتب", "写道", "寫道", "작성",
    "書きました", "のメッセージ",
)  # fmt: skip
_WROTE = re.compile(
    r"(?<![^\W\d_])(?:wrote|writes|schrieb|a\s+écrit|escribió|escribio|escreveu|ha\s+scritto|schreef|skrev|kirjoitti"
    r"|napisał(?:\(a\)|a)?|napsal(?:\(a\)|a)?|написал(?:\(а\)|а)?|написав|написала|пише|пишет|yazdı|írta"
    r"|έγραψε|a\s+scris|napisao|napisala|rašė|rakstīja|kirjutas|đã\s+viết|menulis|כתב|كتب)(?![^\W\d_])"
    r"|写道|寫道|님이\s*작성|書きました|のメッセージ",
    re.IGNORECASE,
)
_ADDRESS_AT_END = re.compile(r"@[^\s@]{1,255}\s*[>\]»]?\s*[:：]\s*$")
_INTRO = re.compile(
    r"(?:on|le|am|el|em|il|op|den|dne|w\s+dniu|dnia|dana|på|pe|στις|в|vào|în|在|於)(?=[\s\d,])", re.IGNORECASE
)
_EARLY_DIGIT = re.compile(r"\D{0,12}\d")
_NAME_THEN_ADDRESS = re.compile(r"[^\d\s<>@:][^<>@:]{0,60}[<\[(\"]?[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")

_FIELD_NAMES = {
    **dict.fromkeys(
        ("from", "de", "von", "van", "da", "od", "från", "fra", "от", "від", "kimden", "lähettäjä", "feladó", "από",
         "remitente", "mittente", "afzender", "avsändare", "nadawca", "odesílatel", "expéditeur", "发件人", "發件人",
         "寄件者", "差出人", "보낸사람"),
        "from",
    ),
    **dict.fromkeys(
        ("sent", "date", "envoyéle", "envoyé", "gesendet", "datum", "verzonden", "inviato", "data", "wysłano",
         "wysłane", "skickat", "sendt", "enviado", "enviada", "fecha", "отправлено", "дата", "надіслано", "发送时间",
         "發送時間", "日期", "送信日時", "日付", "보낸날짜", "tarih", "lähetetty", "elküldve", "messagedu"),
        "date",
    ),
    **dict.fromkeys(
        ("to", "à", "a", "an", "aan", "para", "do", "till", "til", "кому", "komu", "收件人", "宛先", "받는사람", "kime",
         "vastaanottaja", "címzett"),
        "to",
    ),
    **dict.fromkeys(
        ("subject", "objet", "sujet", "betreff", "onderwerp", "oggetto", "asunto", "assunto", "temat", "ämne",
         "emne", "тема", "主题", "主旨", "件名", "제목", "konu", "aihe", "tárgy"),
        "subject",
    ),
    **dict.fromkeys(("cc", "copieà", "kopie", "kopiean", "copia", "cópia", "dw", "kopia"), "cc"),
}  # fmt: skip
_FORWARD_SUBJECT = re.compile(r"\s*(?:fwd?|tr|wg|rv|enc|vs|doorst|pd|fs|i)\s*:", re.IGNORECASE)

_RULE = re.compile(r"(?:-{5,}|_{5,}|={5,}|~{5,}|\*{5,})$")
_ORIGINAL_MESSAGE = re.compile(
    r"[-_=]{2,}\s*(?:original\s+message|mensaje\s+original|message\s+d'origine|ursprüngliche\s+nachricht"
    r"|originalnachricht|oorspronkelijk\s+bericht|messaggio\s+originale|исходное\s+сообщение|wiadomość\s+oryginalna"
    r"|oprindelig\s+meddelelse|ursprungligt\s+meddelande|opprinnelig\s+melding|alkuperäinen\s+viesti"
    r"|původní\s+zpráva|mensagem\s+original|原始邮件|原始郵件|元のメッセージ|원본\s*메시지|reply\s+message)"
    r"\s*[-_=]{2,}$",
    re.IGNORECASE,
)
_FORWARD = re.compile(
    r"(?:[-_=]{2,}\s*(?:forwarded\s+message|weitergeleitete\s+nachricht|message\s+transféré|mensaje\s+reenviado"
    r"|messaggio\s+inoltrato|doorgestuurd\s+bericht|vidarebefordrat\s+meddelande|videresendt\s+(?:melding|meddelelse)"
    r"|wiadomość\s+przekazana|пересылаемое\s+сообщение|переслане\s+повідомлення|转发的邮件|転送されたメッセージ"
    r"|mensagem\s+encaminhada)\s*[-_=]{2,}"
    r"|(?:begin\s+forwarded\s+message|anfang\s+der\s+weitergeleiteten\s+nachricht|début\s+du\s+message\s+réexpédié"
    r"|inicio\s+del\s+mensaje\s+reenviado)\s*[:：])$",
    re.IGNORECASE,
)
_SIGNATURE_DELIMITER = re.compile(r"--|_{10,}")  # whole line: the "-- " delimiter, or a rule before a list footer
_WORDS = r"(?:[\w'’.+\-]+[ \t]+){0,4}[\w'’.+\-]+"
_LINK = r"(?:\s*(?:<[^>\s]{1,300}>|\([^)\s]{1,300}\)))?"
_MOBILE_FOOTER = re.compile(
    r"(?:"
    rf"sent\s+from\s+my\s+{_WORDS}"
    r"|(?:sent|get|download)\s+(?:from|with|via|using|on|for)?\s*(?:[\w'’.+\-]+\s+){0,4}"
    r"(?:iphone|ipad|android|blackberry|mobile|outlook|mail|gmail|yahoo|samsung|galaxy|smartphone|tablet|sparrow"
    r"|airmail|spark|newton|superhuman|proton\s*mail|windows\s*10|windows|aol|huawei|xiaomi|pixel|phone)"
    r"(?:\s+(?:for|on)\s+(?:ios|android|iphone|ipad|windows|mac))?"
    rf"|envoyé\s+(?:de|depuis)\s+(?:mon|ma)\s+{_WORDS}|von\s+meinem\s+{_WORDS}\s+gesendet"
    rf"|gesendet\s+von\s+(?:meinem|meiner)\s+{_WORDS}|enviado\s+(?:desde|do|de)\s+(?:mi|meu|o\s+meu)\s+{_WORDS}"
    rf"|inviato\s+da(?:l\s+mio)?\s+{_WORDS}|verzonden\s+(?:vanaf|met)\s+(?:mijn\s+)?{_WORDS}"
    rf"|verstuurd\s+vanaf\s+(?:mijn\s+)?{_WORDS}|skickat\s+från\s+(?:min\s+)?{_WORDS}"
    rf"|sendt\s+fra\s+(?:min\s+)?{_WORDS}|lähetetty\s+{_WORDS}|wysłane\s+z\s+{_WORDS}"
    rf"|отправлено\s+(?:с|из)\s+{_WORDS}|надіслано\s+з\s+{_WORDS}|odesláno\s+z\s+{_WORDS}"
    r"|\w{1,20}から送信|从我的\s*\w{1,20}\s*发送|發自我的\s*\w{1,20}"
    rf"){_LINK}[\s.]*$",
    re.IGNORECASE,
)

_ATTRIBUTION_LAST = frozenset(":：-")
_ATTRIBUTION_ENDS = frozenset(":：")
_FOOTER_HEADS = frozenset(
    ("sent", "get ", "down", "envo", "von ", "gese", "envi", "invi", "verz", "vers", "skic", "send", "lähe", "wysł",
     "отпр", "наді", "odes")
)  # fmt: skip
_MAX_FOOTER = 100
_MAX_ATTRIBUTION = 400  # characters of a joined attribution window; longer is prose

# What a line is, as bits; computed once per distinct line text.
_FORWARD_MARK = 1
_ORIGINAL_MARK = 2
_RULE_LINE = 4
_SIGNATURE = 8
_FIELDS_START = 16
_MAY_END_ATTRIBUTION = 32


@dataclass(frozen=True, slots=True)
class _Header:
    end: int  # index of the first line after the header
    needs_quote: bool  # only an attribution when a quoted block follows (no "wrote" verb)


@dataclass(slots=True)
class _Cut:
    """Where the reply ends and which blocks above that point are quoted history."""

    at: int
    kind: Literal["end", "quote", "attribution", "fields", "signature"] = "end"
    drop: list[tuple[int, int]] = field(default_factory=list)


def extract_reply(text: str, *, strip_signature: bool = True) -> str:
    """The new text of a plain-text body: quoted history, and by default the signature, removed.

    With ``strip_signature=False`` only quoted history goes and the author's text is kept byte for
    byte (trailing spaces included); by default the text is also cleaned for reading: signature and
    mobile footers removed, trailing whitespace of every line dropped. Returns the cleaned body
    itself when nothing new would remain (a bare forward, a quote-only message).
    """
    if not text:
        return ""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if strip_signature:
        lines = [line.rstrip() for line in lines]
    cut = _find_cut(lines, strip_signature=strip_signature)
    pieces: list[str] = []
    index = 0
    for start, end in [*sorted(cut.drop), (cut.at, len(lines))]:
        pieces.append(_trim_blank_lines(lines[index:start]))
        index = max(index, end)
    reply = "\n".join(piece for piece in pieces if piece).rstrip()
    if not reply.strip():
        return "\n".join(lines).strip()
    return reply


def _trim_blank_lines(lines: list[str]) -> str:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end])


_QUOTE_RUN = re.compile(r"\n>[^\n]*(?:\n>[^\n]*)*")  # consecutive quoted lines: one candidate per run
_FIRST_CHARACTER = re.compile(r"\n[\-_=~*从發]")
# The heads of _FOOTER_HEADS with their case spelled out: IGNORECASE would make the engine try every position.
_FOOTER_START = re.compile(
    r"\n(?:[Ss](?:ent|end|kic)|[Gg](?:et |ese)|[Dd]own|[Ee]nv[oi]|[Vv](?:on |er[zs])|[Ii]nvi|[Ll]ähe|[Ww]ysł|[Оо]тпр"
    r"|[Нн]аді|[Oo]des)"
)
_MAX_CANDIDATES = 5000  # of each kind per body; past that (a pasted log, a table) the rest of the body is text


def _offsets(pattern: re.Pattern[str], joined: str) -> list[int]:
    return [match.start() for match in islice(pattern.finditer(joined), _MAX_CANDIDATES)]


def _ending_with(joined: str, endings: str) -> list[int]:
    """Offsets of the newline before each line that ends with one of ``endings``."""
    found: list[int] = []
    for ending in endings:
        at = joined.find(ending + "\n")
        for _ in range(_MAX_CANDIDATES):
            if at < 0:
                break
            found.append(joined.rfind("\n", 0, at))
            at = joined.find(ending + "\n", at + 1)
    return found


def _field_lines(joined: str, colon: str) -> list[int]:
    """Offsets of the newline before each line that starts with a From or Date field ("From:", "De :")."""
    found: list[int] = []
    at = joined.find(colon)
    while at >= 0 and len(found) < _MAX_CANDIDATES:
        start = joined.rfind("\n", 0, at)
        if at - start <= 32 and _field(joined[start + 1 : at + 1]) in ("from", "date"):
            found.append(start)
        at = joined.find(colon, joined.find("\n", at))
    return found


class _Lines:
    """A body split into stripped lines, with the lines worth a closer look picked out in one pass."""

    def __init__(self, lines: list[str], *, footers: bool) -> None:
        self.text = text = [line.strip() for line in lines]
        # The scans run on one string so that the regular expression engine, not a Python loop, walks the lines.
        joined = "\n" + "\n".join(text) + "\n"
        found = _offsets(_QUOTE_RUN, joined) + _offsets(_FIRST_CHARACTER, joined) + _ending_with(joined, ":：-信")
        found += _field_lines(joined, ":") + _field_lines(joined, "：")
        if footers:
            found += _offsets(_FOOTER_START, joined)
        self.events = []
        line = previous = 0
        for offset in sorted(set(found)):
            line += joined.count("\n", previous, offset)
            previous = offset
            self.events.append(line)
        self.ends = {
            i
            for i in self.events
            if text[i][-1] in _ATTRIBUTION_ENDS or (text[i][-1] == "-" and text[i].rstrip("-")[-1:].isspace())
        }
        self._attributions: dict[int, tuple[int, _Header] | None] = {}

    def __len__(self) -> int:
        return len(self.text)

    def flags(self, line: int) -> int:
        return _line_flags(self.text[line])

    def next_filled(self, start: int) -> int:
        while start < len(self.text) and not self.text[start]:
            start += 1
        return start

    def block_end(self, start: int) -> int:
        """One past the last quoted line of the block at ``start``; a client's re-wrapped tail between two
        quoted lines belongs to the block."""
        text = self.text
        last = len(text) - 1
        end = j = start
        while j <= last:
            line = text[j]
            if line[:1] == ">":
                end = j + 1
            elif line and not (0 < j < last and text[j - 1][:1] == ">" and text[j + 1][:1] == ">"):
                break
            j += 1
        return end

    def attribution_at(self, line: int, floor: int) -> tuple[int, _Header] | None:
        """An attribution ("On <date>, <name> wrote:", up to three lines) covering ``line``, as (start, header)."""
        for end in range(line, min(line + 3, len(self.text))):
            if end not in self.ends:
                continue
            found = self._attribution_ending_at(end)
            if found is not None and floor <= found[0] <= line:
                return found
        return None

    def _attribution_ending_at(self, end: int) -> tuple[int, _Header] | None:
        if end in self._attributions:
            return self._attributions[end]
        found = None
        if self.text[end] and self.flags(end) & _MAY_END_ATTRIBUTION:
            for size in (3, 2, 1):
                start = end - size + 1
                window = self.text[start : end + 1]
                if start < 0 or any(not line or line[0] == ">" for line in window[:-1]):
                    continue
                needs_quote = _attribution(tuple(window))
                if needs_quote is not None:
                    found = (start, _Header(end=end + 1, needs_quote=needs_quote))
                    break
        self._attributions[end] = found
        return found


def _line_flags(text: str) -> int:
    """What a stripped, non-empty line is, as a set of the bits above (short lines are cached: mail repeats them)."""
    return _short_line_flags(text) if len(text) <= _MAX_ATTRIBUTION else _compute_line_flags(text)


@lru_cache(maxsize=4096)
def _short_line_flags(text: str) -> int:
    return _compute_line_flags(text)


def _compute_line_flags(text: str) -> int:
    flags = 0
    first = text[0]
    if first in "-_=" or text[-1] in ":：":
        flags |= _FORWARD_MARK if _FORWARD.match(text) else 0
    if first in "-_=":
        flags |= _ORIGINAL_MARK if _ORIGINAL_MESSAGE.match(text) else 0
        flags |= _SIGNATURE if _SIGNATURE_DELIMITER.fullmatch(text) else 0
    if first in "-_=~*":
        flags |= _RULE_LINE if _RULE.match(text) else 0
    if len(text) <= _MAX_FOOTER and (text[:4].lower() in _FOOTER_HEADS or first in "从發" or text[-1] == "信"):
        flags |= _SIGNATURE if _MOBILE_FOOTER.match(text) else 0
    if _field(text) in ("from", "date"):
        flags |= _FIELDS_START
    if (
        text[-1] in _ATTRIBUTION_LAST
        and len(text) <= _MAX_ATTRIBUTION
        and _END_OF_ATTRIBUTION.search(text)
        and (first != ">" or _BROKEN_ADDRESS_END.fullmatch(text))
    ):
        flags |= _MAY_END_ATTRIBUTION
    return flags


def _find_cut(lines: list[str], *, strip_signature: bool) -> _Cut:
    """Scan top-down for the first line where history starts, noting quoted blocks on the way."""
    body = _Lines(lines, footers=strip_signature)
    n = len(body)
    blocks: list[tuple[int, int]] = []
    cut = _Cut(at=n)
    floor = 0
    for line in body.events:
        if line < floor:
            continue
        flags = body.flags(line)
        if flags & _FORWARD_MARK:
            break
        ends = body.ends
        found = body.attribution_at(line, floor) if line in ends or line + 1 in ends or line + 2 in ends else None
        if found is not None:
            start, header = found
            after = body.next_filled(header.end)
            if after < n and body.text[after][0] == ">":
                floor = body.block_end(after)
                blocks.append((start, floor))
                continue
            if not header.needs_quote:
                cut = _Cut(at=start, kind="attribution")
                break
        if body.text[line][0] == ">":
            floor = body.block_end(line)
            blocks.append((line, floor))
            continue
        if flags & (_RULE_LINE | _ORIGINAL_MARK | _FIELDS_START):
            fields = _outlook_header_at(body, line)
            if fields == "forward":
                break
            if fields == "reply" or flags & _ORIGINAL_MARK:
                cut = _Cut(at=line, kind="fields")
                break
        if strip_signature and flags & _SIGNATURE:
            forward = next((j for j in body.events if j > line and body.flags(j) & _FORWARD_MARK), None)
            if forward is None:
                cut = _Cut(at=line, kind="signature")
            else:
                cut.drop.append((line, forward))
            break
    return _settle_blocks(cut, blocks, body.text)


def _settle_blocks(cut: _Cut, blocks: list[tuple[int, int]], text: list[str]) -> _Cut:
    """Trailing quoted blocks join the cut; a single answered block goes, several answered blocks stay."""
    skipped = sorted([*blocks, *cut.drop])
    last_text = cut.at - 1
    while last_text >= 0:
        while skipped and skipped[-1][0] > last_text:
            skipped.pop()
        if skipped and skipped[-1][1] > last_text:
            last_text = skipped[-1][0] - 1
        elif text[last_text]:
            break
        else:
            last_text -= 1
    trailing = [block for block in blocks if last_text < block[0] < cut.at]
    if trailing:
        cut.at = trailing[0][0]
        cut.kind = "quote"
    answered = [block for block in blocks if block[0] < last_text]
    if len(answered) == 1:
        cut.drop.append(answered[0])
    return cut


def _attribution(window: tuple[str, ...]) -> bool | None:
    """Whether stripped lines ``window`` are an attribution: a start ("On", a date), a date or address, and
    "wrote:" in one of many languages (False), or, without a verb, an address right before the final colon (True:
    an attribution only when a quoted block follows). None when they are not."""
    if sum(map(len, window)) > _MAX_ATTRIBUTION:
        return None
    return _short_attribution(window)


@lru_cache(maxsize=1024)
def _short_attribution(window: tuple[str, ...]) -> bool | None:
    if not _END_OF_ATTRIBUTION.search(window[-1]) or any(line[-1:] in ".!?" for line in window[:-1]):
        return None
    if not _starts_attribution(window[0]) or not any(_has_date_or_address(line) for line in window):
        return None
    joined = " ".join(window)
    if any(_has_verb(line) for line in window) and _WROTE.search(joined):
        return False
    if _ADDRESS_AT_END.search(joined):
        return True
    return None


def _starts_attribution(line: str) -> bool:
    first = line.lstrip(_LEAD)
    return (
        _INTRO.match(first) is not None
        or _EARLY_DIGIT.match(first) is not None
        or ("@" in first and _NAME_THEN_ADDRESS.match(first) is not None)
    )


def _has_date_or_address(line: str) -> bool:
    return "@" in line or any(ch.isdigit() for ch in line)


def _has_verb(line: str) -> bool:
    lowered = line.lower()
    return any(verb in lowered for verb in _VERBS)


def _field(line: str) -> str | None:
    """The kind of header field (from, date, to, subject, cc) a stripped line starts with, as in "*Objet :* …"."""
    colon = _field_colon(line)
    return _field_kind(line[:colon]) if colon > 0 else None


@lru_cache(maxsize=1024)
def _field_kind(name: str) -> str | None:
    return _FIELD_NAMES.get("".join(name.strip("*_ \t").split()).lower())


def _field_colon(line: str) -> int:
    colon = line.find(":", 0, 32)
    wide = line.find("：", 0, 32)
    return wide if wide >= 0 and (colon < 0 or wide < colon) else colon


def _outlook_header_at(body: _Lines, start: int) -> Literal["reply", "forward"] | None:
    """Whether an Outlook-style header block ("From:", "Sent:", "To:", "Subject:") starts at ``start``.

    The block may sit under a rule line or an "Original Message" marker, up to three blank lines above it.
    """
    text = body.text
    first = start
    if body.flags(start) & (_RULE_LINE | _ORIGINAL_MARK):
        first = body.next_filled(start + 1)
        if first > start + 4:
            return None
    if first >= len(text) or not body.flags(first) & _FIELDS_START:
        return None
    kinds: set[str] = set()
    forward = False
    for index in range(first, min(first + 8, len(text))):
        line = text[index]
        if not line:
            break
        kind = _field(line)
        if kind is not None:
            kinds.add(kind)
            if kind == "subject" and _FORWARD_SUBJECT.match(line, _field_colon(line) + 1):
                forward = True
    if "from" not in kinds or len(kinds) < 3:
        return None
    return "forward" if forward else "reply"


# --- HTML -----------------------------------------------------------------------------------------------------------

_QUOTE_CLASSES = frozenset({"gmail_quote", "yahoo_quoted", "protonmail_quote", "zmail_extra"})
_HISTORY_IDS = frozenset({"divRplyFwdMsg", "x_divRplyFwdMsg", "OLK_SRC_BODY_SECTION", "appendonsend"})
_HISTORY_RULE_IDS = frozenset({"stopSpelling", "x_stopSpelling", "zwchr"})
_HISTORY_MARKERS = frozenset({"__QUOTED_TEXT__", "__HEADERS__"})  # Zimbra's data-marker
_ATTRIBUTION_CLASSES = ("gmail_attr", "moz-cite-prefix")
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dir", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html",
    "li", "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "ul",
})  # fmt: skip
_HIDDEN_TAGS = frozenset({"head", "script", "style", "title", "template", "noscript", "xml"})
_VOID_CONTENT = frozenset({"img", "video", "audio", "object", "embed", "iframe", "svg", "canvas"})
_RULE_TEXT = "----------"
_MAX_LEAD_IN = 40  # characters of a one-line lead-in (a name, a sign-off) that shares the separator's block

_Position = tuple[Literal["before", "text", "tail"], etree._Element, int]


def extract_reply_html(html: str) -> str:
    """The HTML of a reply with quoted history removed; the input itself when it holds no history.

    The result is a whole document (``<html><head>…</head><body>…</body></html>``) meant for
    :func:`inbox.ingest.html.sanitize_html` or :func:`inbox.ingest.html.html_to_text`, never shown raw.
    """
    if not html.strip():
        return html
    try:
        # A plain libxml2 parser: lxml.html's element classes cost a Python call for every node touched.
        document = etree.fromstring(html.encode("utf-8", "replace"), etree.HTMLParser(encoding="utf-8"))
    except (etree.LxmlError, ValueError):
        return html
    if document is None:
        return html
    changed = _remove_quote_containers(document)
    changed = _cut_marked_history(document) or changed
    changed = _cut_unmarked_history(document) or changed
    if not changed:
        return html
    _trim_trailing_empties(document)
    if not _has_readable_content(document):
        return html
    if document.find("head") is None:
        document.insert(0, document.makeelement("head"))
    return etree.tostring(document, method="html", encoding="unicode")


def _remove_quote_containers(document: etree._Element) -> bool:
    """Drop the quote containers mail clients mark, with the attribution line just above each."""
    removed: set[etree._Element] = set()
    for element in [element for element in document.iter("div", "blockquote") if _is_quote_container(element)]:
        if element.getparent() is None or any(ancestor in removed for ancestor in element.iterancestors()):
            continue
        if _FORWARD.match(_first_text_line(element)):
            continue
        _remove_attribution_before(element)
        _remove_keeping_tail(element)
        removed.add(element)
    return bool(removed)


def _is_quote_container(element: etree._Element) -> bool:
    if element.tag == "blockquote" and (element.get("type") or "").lower() == "cite":
        return True
    return bool(_QUOTE_CLASSES.intersection((element.get("class") or "").split())) or (
        element.tag == "div" and (element.get("id") or "").startswith("yahoo_quoted")
    )


def _cut_marked_history(document: etree._Element) -> bool:
    """Cut everything from the first element a client uses to start the quoted history (Outlook, Hotmail, Zimbra)."""
    for element in document.iter("div", "span", "hr"):
        marked = element.get("id") in (_HISTORY_RULE_IDS if element.tag == "hr" else _HISTORY_IDS)
        if not marked and element.get("data-marker") not in _HISTORY_MARKERS:
            continue
        rendered = _Renderer()
        rendered.walk(element)
        lines = [text for text, _ in rendered.lines]
        if lines and _outlook_header_at(_Lines(lines, footers=False), 0) == "forward":
            return False
        _truncate(("before", element, 0))
        return True
    return False


def _cut_unmarked_history(document: etree._Element) -> bool:
    """Render the document to lines, find the cut with the plain-text rules and truncate the tree there."""
    rendered = _Renderer()
    rendered.walk(document)
    lines = [("> " if quoted else "") + text for text, quoted in rendered.lines]
    cut = _find_cut(lines, strip_signature=False)
    if cut.at >= len(lines):
        return False
    position = rendered.positions[cut.at]
    if position is None:
        return False
    if cut.kind == "fields":
        position = _widen_to_lead_in(position, rendered, cut.at)
    _truncate(position)
    return True


def _widen_to_lead_in(position: _Position, rendered: _Renderer, line: int) -> _Position:
    """Start the cut at the enclosing div when the separator shares it with at most one short line (a name)."""
    kind, element, _ = position
    anchor = element.getparent() if kind == "tail" else element
    division = next((e for e in _self_and_ancestors(anchor) if e.tag == "div"), None)
    if division is None or division not in rendered.block_starts:
        return position
    first = rendered.block_starts[division]
    lead_in = [text for text, _ in rendered.lines[first:line] if text.strip()]
    text_before = any(text.strip() for text, _ in rendered.lines[:first])
    if text_before and len(lead_in) <= 1 and all(len(text) <= _MAX_LEAD_IN for text in lead_in):
        return ("before", division, 0)
    return position


class _Renderer:
    """Block-structured text of a document, one entry per line with the tree position where the line starts."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, bool]] = []
        self.positions: list[_Position | None] = []
        self.block_starts: dict[etree._Element, int] = {}
        self._parts: list[str] = []
        self._position: _Position | None = None
        self._quoted = False
        self._quote_depth = 0
        self._pre_depth = 0

    def walk(self, document: etree._Element) -> None:
        hidden = 0  # depth inside head, script, style…: their text is not shown
        for event, element in etree.iterwalk(document, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if not isinstance(tag, str):
                    continue
                if tag in _HIDDEN_TAGS:
                    hidden += 1
                    continue
                if hidden:
                    continue
                if tag in _BLOCK_TAGS or tag == "br":
                    self._open(element, tag)
                text = element.text
            elif not isinstance(tag, str):  # comment or processing instruction: only its tail is text
                if hidden:
                    continue
                text = element.tail
            elif tag in _HIDDEN_TAGS:
                hidden -= 1
                if hidden:
                    continue
                text = element.tail
            else:
                if hidden:
                    continue
                if tag in _BLOCK_TAGS:
                    self._close(element, tag)
                text = element.tail
            if not text:
                continue
            if self._pre_depth:
                self._text(text, "text" if event == "start" else "tail", element)
            elif self._position is not None:
                self._parts.append(text)
            else:
                self._add(text, 0, "text" if event == "start" else "tail", element)
        self._break()

    def _open(self, element: etree._Element, tag: str) -> None:
        if tag == "br":
            self._break(blank_line=True)
            return
        self._break()
        if tag == "div":
            self.block_starts[element] = len(self.lines)
        elif tag == "hr":
            self.lines.append((_RULE_TEXT, self._quote_depth > 0))
            self.positions.append(("before", element, 0))
        elif tag == "blockquote" and not _is_indent(element):
            self._quote_depth += 1
        elif tag == "pre":
            self._pre_depth += 1

    def _close(self, element: etree._Element, tag: str) -> None:
        self._break()
        if tag == "blockquote" and not _is_indent(element):
            self._quote_depth -= 1
        elif tag == "pre":
            self._pre_depth -= 1

    def _text(self, text: str | None, kind: Literal["text", "tail"], element: etree._Element) -> None:
        if not text:
            return
        if not self._pre_depth:
            self._add(text, 0, kind, element)
            return
        offset = 0
        for piece in text.split("\n"):
            if offset:
                self._break(blank_line=True)
            self._add(piece, offset, kind, element)
            offset += len(piece) + 1

    def _add(self, text: str, offset: int, kind: Literal["text", "tail"], element: etree._Element) -> None:
        if self._position is None:
            stripped = text.lstrip()
            if not stripped:
                return
            self._position = (kind, element, offset + len(text) - len(stripped))
            self._quoted = self._quote_depth > 0
        self._parts.append(text)

    def _break(self, *, blank_line: bool = False) -> None:
        if self._position is not None:
            self.lines.append((" ".join("".join(self._parts).split()), self._quoted))
            self.positions.append(self._position)
        elif blank_line:
            self.lines.append(("", self._quote_depth > 0))
            self.positions.append(None)
        self._parts = []
        self._position = None


def _is_indent(blockquote: etree._Element) -> bool:
    """Gmail's "indent" button makes a border-less blockquote: layout, not a quote."""
    style = (blockquote.get("style") or "").replace(" ", "").lower()
    return (
        "border:none" in style and not blockquote.get("type") and "gmail_quote" not in (blockquote.get("class") or "")
    )


def _truncate(position: _Position) -> None:
    """Remove everything from ``position`` to the end of the document."""
    kind, element, offset = position
    anchor: etree._Element | None
    if kind == "before":
        parent = element.getparent()
        if parent is None:
            return
        _drop_following(element)
        parent.remove(element)
        anchor = parent
    elif kind == "text":
        element.text = element.text[:offset] if element.text else None
        for child in list(element):
            element.remove(child)
        element.tail = None
        _drop_following(element)
        anchor = element.getparent()
    else:
        element.tail = element.tail[:offset] if element.tail else None
        _drop_following(element)
        anchor = element.getparent()
    while anchor is not None and anchor.getparent() is not None:
        _drop_following(anchor)
        anchor.tail = None
        anchor = anchor.getparent()


def _drop_following(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    following = element.getnext()
    while following is not None:
        parent.remove(following)
        following = element.getnext()


def _remove_keeping_tail(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _remove_attribution_before(element: etree._Element) -> None:
    """Remove the "On … wrote:" that introduces a quote container, be it an element or loose text."""
    previous = element.getprevious()
    while (
        previous is not None and isinstance(previous.tag, str) and previous.tag == "br" and not _filled(previous.tail)
    ):
        previous = previous.getprevious()
    if previous is not None and _filled(previous.tail):
        previous.tail = _without_trailing_attribution(previous.tail or "")
        return
    if previous is None:
        parent = element.getparent()
        if parent is not None and _filled(parent.text):
            parent.text = _without_trailing_attribution(parent.text or "")
        return
    if not isinstance(previous.tag, str):
        return
    classes = (previous.get("class") or "").split()
    text = " ".join("".join(previous.itertext()).split())
    if any(name in classes for name in _ATTRIBUTION_CLASSES) or (
        len(text) <= _MAX_ATTRIBUTION and _attribution((text,)) is not None
    ):
        _remove_keeping_tail(previous)


def _without_trailing_attribution(text: str) -> str:
    lines = text.rstrip().split("\n")
    for size in (3, 2, 1):
        if len(lines) >= size and _attribution(tuple(line.strip() for line in lines[-size:])) is not None:
            return "\n".join(lines[:-size]) + "\n"
    return text


def _filled(text: str | None) -> bool:
    return bool(text and text.strip())


def _first_text_line(element: etree._Element) -> str:
    for text in element.itertext():
        if text.strip():
            return text.strip()
    return ""


def _trim_trailing_empties(document: etree._Element) -> None:
    """Drop the line breaks, rules and empty wrappers a cut leaves at the end of the body."""
    element = document.find("body")
    if element is None:
        element = document
    while len(element):
        last = element[-1]
        if _filled(last.tail):
            return
        if isinstance(last.tag, str) and (last.tag in ("br", "hr") or not _has_content(last)):
            element.remove(last)
            continue
        if not isinstance(last.tag, str):
            element.remove(last)
            continue
        element = last


def _has_content(element: etree._Element) -> bool:
    if element.tag in _VOID_CONTENT or any(True for _ in element.iter(*_VOID_CONTENT)):
        return True
    return any(text.strip() for text in element.itertext())


def _has_readable_content(document: etree._Element) -> bool:
    body = document.find("body")
    if body is None:
        return False
    for event, element in etree.iterwalk(body, events=("start",)):
        del event
        if not isinstance(element.tag, str):
            if _filled(element.tail):
                return True
            continue
        if element.tag in _VOID_CONTENT:
            return True
        if element.tag not in _HIDDEN_TAGS and _filled(element.text):
            return True
        if element is not body and _filled(element.tail):
            return True
    return False


def _self_and_ancestors(element: etree._Element | None) -> Iterator[etree._Element]:
    while element is not None:
        yield element
        element = element.getparent()
