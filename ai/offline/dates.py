# ruff: noqa: RUF001  (Japanese full-width punctuation is meant)
"""Dates and times written in mail, in English, German, French, Spanish, Portuguese, Dutch and Japanese.

:func:`find_dates` reads every calendar day an email names ("Monday the 12th",
"14 Oct", "3. November", "le 5 novembre", "9 de noviembre", "16/11", "2026-11-02",
"11月5日", "tomorrow", "Thursday") as :class:`DateMention` with its place in the
text; a day without a year is the next one on or after ``today`` (give or take
a few days), and a numeric date that reads both ways ("09/11") is the reading
closest ahead of ``today``. :func:`return_date` picks the first day back from
an out-of-office or a person saying they are away ("back on", "until", "zurück
am", "de retour le", "retorno no dia", "より"). Everything is compiled once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan januar jänner janvier janv enero ene janeiro januari",
        "february feb februar février fevrier févr fevr febrero fevereiro fev februari",
        "march mar märz maerz mär mars marzo março marco maart mrt",
        "april apr avril avr abril abr",
        "may mai mayo maio mei",
        "june jun juni juin junio junho",
        "july jul juli juillet juil julio julho",
        "august aug août aout agosto ago augustus",
        "september sept sep septembre septiembre setiembre setembro",
        "october oct oktober okt octobre octubre outubro",
        "november nov novembre noviembre novembro",
        "december dec dezember dez décembre decembre déc diciembre dic dezembro",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_WEEKDAYS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "monday montag lundi lunes segunda segunda-feira maandag",
        "tuesday tues dienstag mardi martes terça terca terça-feira terca-feira dinsdag",
        "wednesday mittwoch mercredi miércoles miercoles quarta quarta-feira woensdag",
        "thursday thurs donnerstag jeudi jueves quinta quinta-feira donderdag",
        "friday freitag vendredi viernes sexta sexta-feira vrijdag",
        "saturday samstag sonnabend samedi sábado sabado zaterdag",
        "sunday sonntag dimanche domingo zondag",
    ]
):
    for _name in _names.split():
        _WEEKDAYS[_name] = _number
# Short forms only as written with a capital (so "sat through", "wed to" are not days).
_WEEKDAY_ABBREVIATIONS = {"Mon": 0, "Tue": 1, "Tues": 1, "Wed": 2, "Thu": 3, "Thur": 3, "Thurs": 3, "Fri": 4}
_JA_WEEKDAYS = {"月": 0, "火": 1, "水": 2, "木": 3, "金": 4, "土": 5, "日": 6}

_MONTH_NAMES = "|".join(sorted((re.escape(name) for name in _MONTHS), key=len, reverse=True))
_WEEKDAY_NAMES = "|".join(sorted((re.escape(name) for name in _WEEKDAYS), key=len, reverse=True))
_ORDINAL = r"(?:st|nd|rd|th|er|e|º|°|\.)?"
_YEAR = r"(?P<year>20\d\d)"

_ISO = re.compile(r"(?<![\d.])(?P<year>20\d\d)-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?![\d])")
_DAY_MONTH = re.compile(
    rf"(?<![\w.:/])(?P<day>[0-3]?\d){_ORDINAL}\s*(?:de\s+|of\s+)?(?P<month>{_MONTH_NAMES})\b\.?"
    rf"(?:,?\s*(?:de\s+)?{_YEAR})?",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(
    rf"\b(?P<month>{_MONTH_NAMES})\.?\s+(?:the\s+)?(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\b(?![:.]\d)(?:,?\s*{_YEAR})?",
    re.IGNORECASE,
)
_DOTTED = re.compile(r"(?<![\d.])(?P<day>[0-3]?\d)\.(?P<month>[01]?\d)\.(?:(?P<year>20\d\d|\d\d)(?![\d.])|(?!\d))")
_SLASHED = re.compile(r"(?<![\d/.])(?P<a>[0-3]?\d)/(?P<b>[0-3]?\d)(?:/(?P<year>20\d\d|\d\d))?(?![\d/])")
_JA_DATE = re.compile(
    r"(?:(?P<year>20\d\d)年)?(?P<month>1[0-2]|0?[1-9])月(?P<day>[0-3]?\d)日(?:\s*[（(](?P<wd>[月火水木金土日])[)）])?"
)
_WEEKDAY = re.compile(
    rf"\b(?:(?P<next>next|this|coming|nächsten|kommenden|prochain|próximo|proximo|próxima|proxima|volgende)\s+)?"
    rf"(?P<name>{_WEEKDAY_NAMES})\b"
    r"(?:,?\s+(?:the\s+|den\s+|der\s+|le\s+|el\s+|dia\s+)?(?P<day>[0-3]?\d)(?!\d)(?:st|nd|rd|th|er|\.)?(?![\d:/.]\d))?",
    re.IGNORECASE,
)
_WEEKDAY_SHORT = re.compile(
    r"\b(?P<name>Mon|Tues?|Wed|Thu(?:rs?)?|Fri)\b\.?(?:,?\s+(?:the\s+)?(?P<day>[0-3]?\d)(?!\d)(?:st|nd|rd|th)?(?![\d:/.]\d))?"
    # in any case when a time or date follows ("fri 11am")
    r"|\b(?P<lower>(?i:mon|tues?|wed|thu(?:rs?)?|fri))\b\.?(?=,?\s*\d)"
)
_WEEKDAY_BEFORE_DATE = re.compile(r"(?:Mon|Tues?|Wed|Thu(?:rs?)?|Fri)(?=\s*[/,]?\s*\d)")
_ORDINAL_DAY = re.compile(r"\bthe\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)\b", re.IGNORECASE)
_RELATIVE = re.compile(
    r"\b(?P<word>today|tonight|tomorrow|tmrw|tmr|tomorow|heute|demain|aujourd'hui|hoy|hoje|amanhã|amanha|vandaag"
    # "morgen", but not the greeting "Guten Morgen"
    r"|(?<!guten\s)morgen(?!\s*(?:früh|vormittag|nachmittag|abend)?\s*(?:um|gegen)?\s*\d)?)\b|(?P<ja>今日|本日|明日)",
    re.IGNORECASE,
)
_TOMORROW_WORDS = frozenset({"tomorrow", "tmrw", "tmr", "tomorow", "demain", "amanhã", "amanha", "morgen", "明日"})
_MANANA = re.compile(r"\bmañana\b(?!\s+(?:o|y)\s+tarde)", re.IGNORECASE)
_POR_LA_MANANA = re.compile(r"\b(?:la|por la|de la|esta)\s+mañana\b", re.IGNORECASE)

_CLOCK = re.compile(
    r"(?<![\d.:/])(?:(?P<h1>[01]?\d|2[0-3])(?:[:.h](?P<m1>[0-5]\d))?\s*(?P<ampm>a\.?m\.?|p\.?m\.?)(?!\w)"
    r"|(?P<h2>[01]?\d|2[0-3])[:h](?P<m2>[0-5]\d)(?![\d])"
    r"|(?P<h3>[01]?\d|2[0-3])\s*(?:uhr|h(?!\w)|heures?|horas?|uur|時)"
    r"|(?P<h5>[01]?\d|2[0-3])(?::[0-5]\d)?\s*(?:[-–]\s*[01]?\d(?::[0-5]\d)?\s*)?"
    r"(?:et|est|edt|ct|cst|cdt|pt|pst|pdt|mt|gmt|bst|cet|cest|utc|eastern|central|pacific)\b"
    r"|\b(?:at|um|à|a las|às|as|om|around|after|before|gegen|vers|hacia|por volta das)\s+"
    r"(?P<h4>[01]?\d|2[0-3])(?![\d:/.%\w]))",
    re.IGNORECASE,
)
_NOON = re.compile(r"\b(?:noon|midday|mittag|midi|mediodía|meio-dia|middag)\b|正午", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DateMention:
    day: date
    start: int
    end: int
    explicit_year: bool = False
    relative: bool = False  # today / tomorrow
    weekday_only: bool = False  # "Thursday", resolved to the next one


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _ahead(month: int, day: int, today: date, *, slack: int = 7) -> date | None:
    """The date with this month and day on or after ``today - slack`` days, this year or next."""
    for year in (today.year, today.year + 1):
        found = _safe_date(year, month, day)
        if found is not None and found >= today - timedelta(days=slack):
            return found
    return None


def _with_year(year: str | None, month: int, day: int, today: date) -> tuple[date | None, bool]:
    if year:
        number = int(year) + (2000 if len(year) == 2 else 0)
        return _safe_date(number, month, day), True
    return _ahead(month, day, today), False


def next_weekday(today: date, weekday: int, *, strictly_after: bool = True) -> date:
    days = (weekday - today.weekday()) % 7
    if days == 0 and strictly_after:
        days = 7
    return today + timedelta(days=days)


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < e and s < end for s, e in spans)


_DAY_WORDS = frozenset(
    [
        *_WEEKDAYS,
        *(name.lower() for name in _WEEKDAY_ABBREVIATIONS),
        *("today", "tonight", "tomorrow", "tmrw", "tmr", "tomorow", "heute", "morgen", "demain", "aujourd"),
        *("hoy", "mañana", "hoje", "amanhã", "amanha", "vandaag"),
    ]
)
_TOKEN = re.compile(r"[^\W\d_]+(?:-feira)?")
_CJK = re.compile(r"[\u3040-\u9fff]")
_DIGIT = re.compile(r"\d")


def _may_name_a_day(text: str) -> bool:
    """A cheap first look: digits, a weekday or "tomorrow" in some language, or Japanese."""
    return (
        _DIGIT.search(text) is not None
        or not _DAY_WORDS.isdisjoint(_TOKEN.findall(text.lower()))
        or bool(_CJK.search(text))
    )


def find_dates(text: str, today: date, *, day_first: bool = False) -> list[DateMention]:
    """Every day the text names, in order of position. ``day_first`` prefers 16/11 readings in ties."""
    if not _may_name_a_day(text):
        return []
    return list(_find_dates(text, today, day_first))


@lru_cache(maxsize=2048)
def _find_dates(text: str, today: date, day_first: bool) -> tuple[DateMention, ...]:
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def add(mention: DateMention | None) -> None:
        if mention is not None and not _overlaps(taken, mention.start, mention.end):
            found.append(mention)
            taken.append((mention.start, mention.end))

    for match in _ISO.finditer(text):
        day = _safe_date(int(match["year"]), int(match["month"]), int(match["day"]))
        add(DateMention(day, match.start(), match.end(), explicit_year=True) if day else None)
    for match in _JA_DATE.finditer(text):
        resolved, explicit = _with_year(match["year"], int(match["month"]), int(match["day"]), today)
        add(DateMention(resolved, match.start(), match.end(), explicit_year=explicit) if resolved else None)
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        for match in pattern.finditer(text):
            month = _MONTHS.get(match["month"].lower().rstrip("."))
            if month is None:
                continue
            resolved, explicit = _with_year(match["year"], month, int(match["day"]), today)
            start = match.start()
            # "Tuesday Sept 22nd", "Monday, 26 October": the weekday belongs to the date.
            before = _WEEKDAY.search(text[max(0, start - 24) : start] + "\x00")
            if before and before.end() >= len(text[max(0, start - 24) : start]) - 2:
                start = max(0, start - 24) + before.start()
            add(DateMention(resolved, start, match.end(), explicit_year=explicit) if resolved else None)
    for match in _DOTTED.finditer(text):
        resolved, explicit = _with_year(match["year"], int(match["month"]), int(match["day"]), today)
        add(DateMention(resolved, match.start(), match.end(), explicit_year=explicit) if resolved else None)
    for match in _SLASHED.finditer(text):
        add(_slashed(match, today, day_first=day_first))
    dated = list(taken)

    def add_weekday(mention: DateMention | None) -> None:
        # "Montag, 26.10.": the weekday only names the date that follows it.
        if mention is not None and mention.weekday_only and any(0 <= s - mention.end <= 8 for s, _ in dated):
            return
        add(mention)

    for match in _WEEKDAY.finditer(text):
        add_weekday(_weekday_mention(match, _WEEKDAYS[match["name"].lower()], today))
    for match in _WEEKDAY_SHORT.finditer(text):
        short = match["name"] or match["lower"].capitalize()
        add_weekday(_weekday_mention(match, _WEEKDAY_ABBREVIATIONS[short], today))
    for match in _ORDINAL_DAY.finditer(text):
        add(_day_of_month(int(match["day"]), today, match.start(), match.end()))
    for match in _RELATIVE.finditer(text):
        word = (match["word"] or match["ja"] or "").lower()
        offset = 1 if word in _TOMORROW_WORDS else 0
        add(DateMention(today + timedelta(days=offset), match.start(), match.end(), relative=True))
    for match in _MANANA.finditer(text):
        if not _POR_LA_MANANA.search(text[max(0, match.start() - 12) : match.end()]):
            add(DateMention(today + timedelta(days=1), match.start(), match.end(), relative=True))
    return tuple(sorted(found, key=lambda mention: mention.start))


def _slashed(match: re.Match[str], today: date, *, day_first: bool) -> DateMention | None:
    a, b = int(match["a"]), int(match["b"])
    readings: list[tuple[date, bool]] = []
    for month, day, is_day_first in ((a, b, False), (b, a, True)):
        if not (1 <= month <= 12):
            continue
        resolved, _ = _with_year(match["year"], month, day, today)
        if resolved is not None:
            readings.append((resolved, is_day_first))
    if not readings:
        return None
    if len(readings) == 2 and readings[0][0] != readings[1][0]:
        # The reading nearest ahead of today; a tie (or both far behind) goes to the language's order.
        def distance(reading: tuple[date, bool]) -> tuple[int, int]:
            delta = (reading[0] - today).days
            return (delta if delta >= -3 else 10_000 - delta, 0 if reading[1] == day_first else 1)

        readings.sort(key=distance)
    return DateMention(readings[0][0], match.start(), match.end(), explicit_year=bool(match["year"]))


_NEXT_WEEK = re.compile(
    r"\bnext\s+week\b|\bnächste\s+woche\b|\bsemaine\s+prochaine\b|\bpróxima\s+semana\b|\bsemana\s+que\s+vem\b"
    r"|\bvolgende\s+week\b|来週",
    re.IGNORECASE,
)


def _weekday_mention(match: re.Match[str], weekday: int, today: date) -> DateMention | None:
    if match["day"]:
        mention = _day_of_month(int(match["day"]), today, match.start(), match.end())
        if mention is not None:
            return mention
    strictly = (match.groupdict().get("next") or "").lower() not in ("this",)
    day = next_weekday(today, weekday, strictly_after=strictly)
    if (match.groupdict().get("next") or "").lower() == "next" and (day - today).days < 3:
        day += timedelta(days=7)
    text = match.string
    near = text[max(0, match.start() - 16) : match.end() + 16]
    this_monday = today - timedelta(days=today.weekday())
    if _NEXT_WEEK.search(near) and day < this_monday + timedelta(days=7):
        day += timedelta(days=7)
    return DateMention(day, match.start(), match.end(), weekday_only=True)


def _day_of_month(day: int, today: date, start: int, end: int) -> DateMention | None:
    """The day of "the 12th": this month's if still ahead, else next month's."""
    for months_ahead in (0, 1, 2):
        month = (today.month - 1 + months_ahead) % 12 + 1
        year = today.year + (today.month - 1 + months_ahead) // 12
        found = _safe_date(year, month, day)
        if found is not None and found >= today - timedelta(days=1):
            return DateMention(found, start, end)
    return None


def has_clock_time(text: str) -> bool:
    return bool(_CLOCK.search(text) or _NOON.search(text))


def clock_times(text: str) -> list[tuple[int, int, int]]:
    """(hour 0-23, start, end) of each clock time; "3pm" is 15, a bare "at 3" is read as afternoon when < 8."""
    times: list[tuple[int, int, int]] = []
    for match in _CLOCK.finditer(text):
        hour = int(match["h1"] or match["h2"] or match["h3"] or match["h4"] or match["h5"])
        ampm = (match["ampm"] or "").lower().replace(".", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        elif not ampm and match["h4"] and hour < 8:
            hour += 12
        times.append((hour, match.start(), match.end()))
    return times


# --- return dates ------------------------------------------------------------------------------------------------

# A cue right before a date says it is the first day back ("back on", "returning", "ab Montag wieder").
_BACK_BEFORE = re.compile(
    r"(?:\bback(?:\s+in\s+the\s+office)?|\breturn(?:ing)?(?:\s+to\s+the\s+office)?|\bwill\s+return|\bI\s+return"
    r"|\bin\s+the\s+office\s+(?:again|from)|\breachable\s+(?:again\s+)?from|\bavailable\s+(?:again\s+)?from"
    r"|\bzurück|\bwieder\s+(?:im\s+büro|erreichbar|da|zurück)|\bab\b|\bde\s+retour|\bretour|\bde\s+regreso|\bregreso"
    r"|\bregresaré|\bvuelvo|\bvolveré|\bretorno|\bretornarei|\bestarei\s+de\s+volta|\bvolto|\bterug"
    r"|\bweer\s+(?:aanwezig|op\s+kantoor|bereikbaar)|\bvanaf|\ba\s+partir\s+d[eu]|\bdès\s+le|\bdesde\s+el"
    r")[^.!?\n]{0,28}$",
    re.IGNORECASE,
)
# A cue after a date: "Ab Montag, 26.10.2026, bin ich wieder erreichbar", "11月5日より".
_BACK_AFTER = re.compile(
    r"^[^.!?。！？\n]{0,30}?(?:\bwieder\s+(?:im\s+büro|erreichbar|da|für\s+sie\s+erreichbar)|\bweer\b|より|から順次|以降)",
    re.IGNORECASE,
)
# "until X" means back on X; "until X inclusive" / "through X" / "to X" of a leave mean back the day after.
_UNTIL_BEFORE = re.compile(
    r"(?:\buntil|\btill|\bthrough|\bthru|\bbis(?:\s+(?:einschließlich|einschl\.|inklusive|inkl\.|zum))?"
    r"|\bjusqu['’]\s*(?:au|à)|\bhasta(?:\s+el)?|\baté(?:\s+o\s+dia|\s+dia)?|\btot\s+en\s+met|\btot"
    r"|\bout\b|\baway\b|\boff\b)[^.!?\n]{0,24}$",
    re.IGNORECASE,
)
_INCLUSIVE = re.compile(
    r"\bthrough\b|\bthru\b|einschließlich|einschl|inklusive|inkl\.|\binclusive\b|\btot\s+en\s+met\b|\bto\s*$"
    r"|\bup\s+to\s+and\s+including\b|\(incl",
    re.IGNORECASE,
)
_UNTIL_AFTER = re.compile(r"^\s*,?\s*(?:まで|\(?inclusive\)?|\(?einschließlich\)?|\(?inclus\)?)", re.IGNORECASE)
_BACK_WORD_RELATIVE = re.compile(
    r"\b(?:back|return(?:ing)?|zurück|de\s+retour|de\s+regreso|retorno|terug)\s+(?:on\s+|am\s+|le\s+|el\s+|no\s+|op\s+)?"
    r"(?P<name>" + _WEEKDAY_NAMES + r")\b(?!\s*,?\s*(?:the\s+)?\d)",
    re.IGNORECASE,
)


_RANGE_END = re.compile(
    r"(?:\bbis|\bto|\btill|\buntil|\bau|\bal|\ba|\baté|\btot|[-–—~〜])\s*(?:einschließlich\s+|zum\s+|le\s+|el\s+|o\s+dia\s+)?$",
    re.IGNORECASE,
)


def _next_business_day(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def return_date(text: str, today: date, *, day_first: bool = False) -> date | None:
    """The first day the writer says they are back, or None when no exact day is given."""
    mentions = [m for m in find_dates(text, today, day_first=day_first) if not m.relative]
    back: list[date] = []
    until: list[date] = []
    for mention in mentions:
        if mention.day < today - timedelta(days=1):
            continue
        before = text[max(0, mention.start - 60) : mention.start]
        after = text[mention.end : mention.end + 40]
        if _BACK_BEFORE.search(before) or _BACK_AFTER.search(after):
            back.append(mention.day)
        elif _UNTIL_BEFORE.search(before) or _UNTIL_AFTER.search(after) or _RANGE_END.search(before):
            # "from 19.10. to 30.10.": a leave given as a range ends on its last day.
            in_range = any(0 < mention.start - other.end <= 12 for other in mentions) and _RANGE_END.search(before)
            inclusive = _INCLUSIVE.search(before[-30:]) or _UNTIL_AFTER.search(after) or in_range
            until.append(_next_business_day(mention.day) if inclusive else mention.day)
    if back:
        return min(back)
    for match in _BACK_WORD_RELATIVE.finditer(text):
        return next_weekday(today, _WEEKDAYS[match["name"].lower()])
    if until:
        return min(until)
    return None


# --- business time -----------------------------------------------------------------------------------------------


def add_business_days(moment: datetime, days: int) -> datetime:
    current = moment
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def end_of_business_day(day: date, moment: datetime) -> datetime:
    """17:00 on ``day`` in the zone of ``moment``."""
    return datetime.combine(day, time(17, 0), tzinfo=moment.tzinfo)


def same_or_next_business_day(now: datetime) -> datetime:
    """Today at 17:00 when it is a weekday morning, else the next business day at 17:00."""
    if now.weekday() < 5 and now.hour < 12:
        return end_of_business_day(now.date(), now)
    return end_of_business_day(_next_business_day(now.date()), now)
