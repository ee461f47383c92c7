"""Every field of a triage result but the draft and summary, from the intent and a few more signals.

:func:`read_email` prepares the text (:mod:`ai.offline.text`), decides the intent
(:mod:`ai.offline.intent`) and derives the rest by the labelling conventions:

- temperature: automated mail, spam, a no or a removal request are cold; a
  meeting is hot; late-stage signals (an MSA or order form, legal review, a
  pilot's results, a competitive decision with a deadline) are hot whatever the
  intent; "other" is warm for a customer or an engaged prospect, else cold;
- urgency is how soon the rep should act: a meeting today or tomorrow, a
  deadline within days, a legal or privacy demand, a customer's outage are high;
  a deferral ("ping me in January") is low;
- a reply is needed except for automated mail, spam, a plain no or removal, a
  slot already booked, and internal or misdirected mail; a privacy demand that
  asks for confirmation needs one;
- the return date is the first day back; the referral address one in the
  sender's own words (or their Cc when they hand over) that is not theirs, the
  rep's or the quoted thread's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from ai.offline import dates
from ai.offline import lexicons as lx
from ai.offline.intent import Decision, Meeting, decide
from ai.offline.text import (
    QUESTION_MARK,
    QUOTE_CHARS,
    EmailText,
    findall,
    prepare_text,
    search,
    sentences_matching,
    words,
)
from ai.schemas import Intent, NextAction, Sentiment, TriageInput, Urgency
from inbox.contacts.models import Temperature

_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
# A calendar notice's list of invitees names people, not someone to contact.
_ATTENDEES = re.compile(
    r"^\s*(?:who|attendees|guests|invitees|organi[sz]er|wer|teilnehmer|participants|invités)\s*:[^\n]*$", re.I | re.M
)
_NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|mailer-daemon|postmaster|notifications?|bounces?)\b", re.I)

AUTOMATED = frozenset({Intent.OUT_OF_OFFICE, Intent.BOUNCE, Intent.AUTO_REPLY})
COLD_INTENTS = frozenset({*AUTOMATED, Intent.SPAM, Intent.UNSUBSCRIBE, Intent.NOT_INTERESTED})
_RETURN_DATE_INTENTS = frozenset(
    {Intent.OUT_OF_OFFICE, Intent.OBJECTION, Intent.OTHER, Intent.REFERRAL, Intent.INTERESTED, Intent.QUESTION}
)
_OTHER_NO_REPLY = frozenset(
    {"heads_up", "job", "wrong_person", "mail_merge", "internal", "acknowledgement", "injection"}
)
_OTHER_HIGH = frozenset({"legal", "support"})
_OTHER_MEDIUM = frozenset({"press", "billing", "partner"})
_ENGAGED_STATUSES = frozenset({"customer", "active", "won", "opportunity", "engaged", "negotiation"})


@dataclass
class Reading:
    """Everything the rules decided for one email, with why."""

    intent: Intent
    intent_confidence: float
    sentiment: Sentiment
    sentiment_score: float
    sentiment_confidence: float
    urgency: Urgency
    urgency_confidence: float
    temperature: Temperature
    temperature_confidence: float
    evidence: list[str]
    needs_reply: bool
    needs_reply_confidence: float
    next_action: NextAction
    next_action_due: datetime | None
    next_action_confidence: float
    return_date: date | None
    referral_email: str | None
    injection_detected: bool
    language: str
    key_sentences: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    meeting_sentence: str | None = None
    other_kind: str | None = None
    formal: bool = False
    casual: bool = False


# --- referral address ------------------------------------------------------------------------------------------------


def _excluded_addresses(item: TriageInput) -> set[str]:
    """The sender, the rep, the recipients, and every address of the thread and the quoted history."""
    excluded = {item.from_address.lower(), *(address.lower() for address in item.to_addresses)}
    if item.rep and item.rep.email:
        excluded.add(item.rep.email.lower())
    for message in item.history:
        excluded |= {address.lower() for address in _ADDRESS.findall(message.text)}
        if message.from_address:
            excluded.add(message.from_address.lower())
    body, own = item.body_text or "", item.new_text or ""
    quoted = body.replace(own, "") if own and own in body else ""
    quoted += "\n".join(line for line in (body + "\n" + own).split("\n") if line.lstrip().startswith(">"))
    excluded |= {address.lower() for address in _ADDRESS.findall(quoted)}
    return excluded


def find_referral(item: TriageInput, text: EmailText, intent: Intent | None = None) -> str | None:
    """An address to contact instead or as well: in the sender's own words (one near "contact", "cc",
    "colleague" first; none named for removal), else the Cc when they say they add someone or when they
    hand over to the one person in copy."""
    excluded = _excluded_addresses(item)
    clean = text.clean
    candidates: list[tuple[int, str]] = []
    for match in _ADDRESS.finditer(clean):
        address = match.group(0).lower().rstrip(".")
        if address in excluded or _NO_REPLY.match(address):
            continue
        before = clean[max(0, match.start() - 80) : match.start()]
        if search(lx.REMOVAL_CONTEXT, before) or _ATTENDEES.search(before):
            continue
        near = before + clean[match.end() : match.end() + 40]
        candidates.append((2 if search(lx.REFERRAL_CUE, near) else 1, address))
    if candidates:
        return max(candidates, key=lambda candidate: candidate[0])[1]
    cc = [address.lower() for address in item.cc_addresses if address.lower() not in excluded]
    cc = [address for address in cc if not _NO_REPLY.match(address)]
    if cc and search(lx.CC_CUE, clean):
        return cc[0]
    if len(cc) == 1 and intent is Intent.REFERRAL:
        return cc[0]
    return None


# --- sentiment --------------------------------------------------------------------------------------------------------


def _sentiment(decision: Decision, text: EmailText) -> tuple[Sentiment, float, float]:
    """(label, score -1..1, confidence): each intent has its usual tone, shifted by what the words say."""
    body = text.body
    intent = decision.intent
    positives = len(findall(lx.POSITIVE, body))
    angry = len(findall(lx.ANGRY, body))
    negatives = len(findall(lx.NEGATIVE, body)) + 2 * angry
    if intent in AUTOMATED:
        return Sentiment.NEUTRAL, 0.0, 0.8
    if intent is Intent.SPAM:
        if search(lx.SPAM_PRIZE, body):
            return Sentiment.POSITIVE, 0.3, 0.5
        if search(lx.SPAM_THREAT, body):
            return Sentiment.NEGATIVE, -0.4, 0.5
        return Sentiment.NEUTRAL, 0.0, 0.6
    if intent is Intent.UNSUBSCRIBE:
        curt = words(body) <= 10 and not angry and not body.strip().isupper()
        if curt or (search(lx.POLITE, body) and not angry):
            return Sentiment.NEUTRAL, -0.2, 0.6
        return Sentiment.NEGATIVE, -0.6, 0.7
    if intent is Intent.NOT_INTERESTED:
        if angry or negatives > positives + 1:
            return Sentiment.NEGATIVE, -0.6, 0.65
        if search(lx.FRIENDLY_NO, body):
            return Sentiment.POSITIVE, 0.3, 0.5
        return Sentiment.NEUTRAL, -0.2, 0.6
    if intent is Intent.OTHER:
        if decision.other_kind in _OTHER_HIGH or angry:
            return Sentiment.NEGATIVE, -0.5, 0.65
        if decision.other_kind in ("job", "partner", "personal", "event"):
            return Sentiment.POSITIVE, 0.4, 0.5
        return Sentiment.NEUTRAL, 0.0, 0.55
    if intent is Intent.OBJECTION:
        if negatives >= 2 and negatives > positives:
            return Sentiment.NEGATIVE, -0.5, 0.55
        if search(lx.WARM_PUSHBACK, body):
            return Sentiment.POSITIVE, 0.3, 0.5
        return Sentiment.NEUTRAL, -0.1, 0.6
    if intent is Intent.QUESTION:
        return Sentiment.NEUTRAL, 0.0, 0.65
    if intent is Intent.REFERRAL:
        if search(lx.FRIENDLY_REFERRAL, body):
            return Sentiment.POSITIVE, 0.4, 0.5
        return Sentiment.NEUTRAL, 0.0, 0.6
    # interested, meeting_request
    if decision.booked:
        return Sentiment.POSITIVE, 0.4, 0.55
    if (
        intent is Intent.MEETING_REQUEST
        and positives <= 1
        and (search(lx.RESCHEDULE, body) or decision.declined_calendar)
    ):
        return Sentiment.NEUTRAL, 0.1, 0.5
    if positives or intent is Intent.MEETING_REQUEST:
        return Sentiment.POSITIVE, min(0.9, 0.4 + 0.1 * positives), 0.6
    dry = bool(search(lx.FORMAL_GREETING, text.clean)) or words(body) < 6 or bool(search(lx.SKEPTICAL, body))
    return (Sentiment.NEUTRAL, 0.1, 0.5) if dry else (Sentiment.POSITIVE, 0.3, 0.5)


# --- urgency ----------------------------------------------------------------------------------------------------------


def _business_days_between(start: date, end: date) -> int:
    days = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days += 1
    return days


def _deadline_soon(text: EmailText, today: date) -> bool:
    """Whether the text sets a deadline within days: "this week", "ASAP", "by <a day three business days away>"."""
    if search(lx.DEADLINE_SOON, text.body):
        return True
    for mention in dates.find_dates(text.body, today, day_first=text.day_first):
        before = text.body[max(0, mention.start - 25) : mention.start]
        if lx.BY_DATE.search(before) and 0 <= _business_days_between(today, mention.day) <= 3:
            return True
    return False


def _urgency(
    decision: Decision, text: EmailText, meeting: Meeting, item: TriageInput, *, needs_reply: bool
) -> tuple[Urgency, float]:
    intent = decision.intent
    body = text.body
    today = item.now.date()
    if intent in AUTOMATED or intent is Intent.SPAM:
        return Urgency.LOW, 0.85
    if intent is Intent.UNSUBSCRIBE:
        if search(lx.PRIVACY_DEMAND, body):
            return Urgency.HIGH, 0.7
        if search(lx.ESCALATED, body + "\n" + (item.from_name or "")):
            return Urgency.MEDIUM, 0.6
        return Urgency.LOW, 0.7
    if intent is Intent.NOT_INTERESTED:
        return Urgency.LOW, 0.8
    if intent is Intent.OTHER:
        if decision.other_kind in _OTHER_HIGH:
            return Urgency.HIGH, 0.7
        if decision.other_kind in _OTHER_MEDIUM:
            return Urgency.MEDIUM, 0.6
        return Urgency.LOW, 0.6
    if intent is Intent.MEETING_REQUEST:
        soon = meeting.day is not None and today <= meeting.day and _business_days_between(today, meeting.day) <= 1
        soon = soon or bool(search(lx.SAME_OR_NEXT_DAY, body))
        if decision.booked:
            return (Urgency.MEDIUM, 0.5) if soon else (Urgency.LOW, 0.6)
        return (Urgency.HIGH, 0.6) if soon else (Urgency.MEDIUM, 0.65)
    if _deadline_soon(text, today):
        return Urgency.HIGH, 0.55
    if intent is Intent.OBJECTION and (search(lx.DEFERRAL, body) or search(lx.PARKED, body)):
        return Urgency.LOW, 0.6
    if intent is Intent.REFERRAL and (not needs_reply or search(lx.DEFERRAL, body)):
        return Urgency.LOW, 0.5
    return Urgency.MEDIUM, 0.6


# --- temperature ------------------------------------------------------------------------------------------------------


def _is_engaged(item: TriageInput) -> bool:
    """An existing customer, or a thread that is past the first pitch (a proposal, a pilot, a demo invite)."""
    if item.contact and (item.contact.status or "").lower() in _ENGAGED_STATUSES:
        return True
    context = (item.subject or "") + "\n" + "\n".join(message.text for message in item.history)
    return bool(search(lx.ENGAGED_CONTEXT, context))


def _temperature(decision: Decision, text: EmailText, item: TriageInput) -> tuple[Temperature, float, list[str]]:
    intent = decision.intent
    if intent in COLD_INTENTS:
        return Temperature.COLD, 0.9 if intent in AUTOMATED or intent is Intent.SPAM else 0.8, decision.evidence
    if intent is Intent.MEETING_REQUEST:
        return Temperature.HOT, 0.85, decision.evidence
    late = sentences_matching(text.sentences, lx.LATE_STAGE)
    if late:
        return Temperature.HOT, 0.7, (late + decision.evidence)[:3]
    if intent is Intent.OTHER:
        # A partner, a customer with a problem or a bill, a prospect already in talks.
        customer_matter = decision.other_kind in ("partner", "support") or search(lx.CUSTOMER_TEXT, text.body)
        if customer_matter or _is_engaged(item):
            return Temperature.WARM, 0.6, decision.evidence
        return Temperature.COLD, 0.6, decision.evidence
    return Temperature.WARM, 0.75, decision.evidence


# --- reply and next action --------------------------------------------------------------------------------------------


def _needs_reply(decision: Decision, text: EmailText) -> tuple[bool, float]:
    intent = decision.intent
    body = text.body
    if intent in AUTOMATED or intent is Intent.SPAM:
        return False, 0.95
    if intent is Intent.UNSUBSCRIBE:
        return (True, 0.7) if search(lx.CONFIRMATION_ASK, body) else (False, 0.85)
    if intent is Intent.NOT_INTERESTED:
        return (True, 0.5) if QUESTION_MARK.search(body) and not search(lx.ANGRY, body) else (False, 0.8)
    if intent is Intent.MEETING_REQUEST:
        return (False, 0.75) if decision.booked else (True, 0.85)
    if intent is Intent.OTHER:
        if decision.other_kind in _OTHER_NO_REPLY:
            return False, 0.6
        if decision.other_kind == "unclear":
            return bool(QUESTION_MARK.search(body)), 0.45
        return True, 0.65
    if intent is Intent.REFERRAL and search(lx.REDIRECT_ONLY, body):
        return False, 0.5
    return True, 0.8


def _next_action(
    decision: Decision,
    meeting: Meeting,
    item: TriageInput,
    *,
    needs_reply: bool,
    urgency: Urgency,
    returning: date | None,
) -> tuple[NextAction, datetime | None, float]:
    """What to do and by when, in UTC, counted from ``item.now``."""
    now = (item.now if item.now.tzinfo else item.now.replace(tzinfo=UTC)).astimezone(UTC)
    intent = decision.intent
    if intent is Intent.OUT_OF_OFFICE:
        if returning is not None:
            return NextAction.FOLLOW_UP, datetime.combine(returning, time(9, 0), tzinfo=UTC), 0.8
        return NextAction.FOLLOW_UP, dates.add_business_days(now, 5), 0.6
    if intent is Intent.MEETING_REQUEST:
        hour = meeting.hour if meeting.hour is not None else 9
        meeting_at = datetime.combine(meeting.day, time(hour, 0), tzinfo=UTC) if meeting.day else None
        if not needs_reply:
            return NextAction.MEETING, meeting_at, 0.7
        due = now + timedelta(hours=2) if urgency is Urgency.HIGH else dates.add_business_days(now, 1)
        if meeting_at is not None and now < meeting_at - timedelta(hours=1) < due:
            due = meeting_at - timedelta(hours=1)  # confirm before the proposed time
        return NextAction.MEETING, due, 0.75
    if not needs_reply:
        if intent is Intent.REFERRAL:  # write to the person they named, not back to them
            return NextAction.FOLLOW_UP, dates.add_business_days(now, 1), 0.5
        return NextAction.NONE, None, 0.8
    if urgency is Urgency.HIGH:
        return NextAction.REPLY, now + timedelta(hours=4), 0.7
    return NextAction.REPLY, dates.same_or_next_business_day(now), 0.75


# --- everything -------------------------------------------------------------------------------------------------------


def _quoted(evidence: list[str], text: EmailText) -> list[str]:
    """Evidence as it stands in the email's own text, at most three quotes of at most 400 characters."""
    quotes: list[str] = []
    for sentence in evidence:
        quote = text.quote(sentence)
        if quote and quote not in quotes:
            quotes.append(quote if len(quote) <= 400 else quote[:397].rstrip() + "...")
        if len(quotes) == 3:
            break
    return quotes


def read_email(item: TriageInput) -> Reading:
    """Every field of a triage result but the draft and the summary."""
    subject = (item.subject or "").translate(QUOTE_CHARS)
    text = prepare_text(item)
    decision, meeting = decide(item, subject, text, has_address=find_referral(item, text) is not None)
    intent = decision.intent
    referral = None if intent in (Intent.BOUNCE, Intent.SPAM, Intent.UNSUBSCRIBE) else find_referral(item, text, intent)
    returning = None
    if intent in _RETURN_DATE_INTENTS and (intent is Intent.OUT_OF_OFFICE or search(lx.RETURN_CUE, text.body)):
        returning = dates.return_date(text.clean, item.now.date(), day_first=text.day_first)

    sentiment, score, sentiment_confidence = _sentiment(decision, text)
    needs_reply, reply_confidence = _needs_reply(decision, text)
    urgency, urgency_confidence = _urgency(decision, text, meeting, item, needs_reply=needs_reply)
    temperature, temperature_confidence, evidence = _temperature(decision, text, item)
    next_action, due, action_confidence = _next_action(
        decision, meeting, item, needs_reply=needs_reply, urgency=urgency, returning=returning
    )
    return Reading(
        intent=intent,
        intent_confidence=decision.confidence,
        sentiment=sentiment,
        sentiment_score=score,
        sentiment_confidence=sentiment_confidence,
        urgency=urgency,
        urgency_confidence=urgency_confidence,
        temperature=temperature,
        temperature_confidence=min(temperature_confidence, max(decision.confidence, 0.5)),
        evidence=_quoted(evidence, text),
        needs_reply=needs_reply,
        needs_reply_confidence=reply_confidence,
        next_action=next_action,
        next_action_due=due,
        next_action_confidence=action_confidence,
        return_date=returning,
        referral_email=referral,
        injection_detected=text.injection,
        language=text.language,
        key_sentences=decision.evidence[:2] or text.sentences[:1],
        questions=[sentence for sentence in text.sentences if QUESTION_MARK.search(sentence)][:3],
        meeting_sentence=meeting.sentence,
        other_kind=decision.other_kind,
        formal=bool(search(lx.FORMAL, text.clean)),
        casual=words(text.body) < 25 and text.body[:1].islower(),
    )
