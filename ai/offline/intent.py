"""The intent of one email, decided by header signals, lexicon hits and the labelling conventions, in order.

The order is the convention of ``shared/corpus/triage/README.md``:

1. headers first: a delivery report is a bounce; an ``Auto-Submitted`` reply is an
   out-of-office when it says so, else another automated reply (a read receipt, a
   ticket confirmation, "no longer with the company");
2. a calendar notice that accepts a time, or declines and proposes another, is a
   meeting request;
3. spam (unrelated promotion, phishing) before anything a person would write;
4. a removal request beats "not interested", unless taken back for an ask;
5. mail that is not about the sale (press, a job, a legal demand, a customer's
   outage, a partnership) is "other";
6. a concrete time or window, a booking link, or a "booked a slot" is a meeting
   request; "send me some times" is only interest;
7. a named colleague or address to talk to instead is a referral;
8. a plain no is not_interested; pushback with an open door is an objection, even
   with a question; interest (asking for material) beats a question; a question
   with no stance is a question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from ai.offline import dates
from ai.offline import lexicons as lx
from ai.offline.text import QUESTION_MARK, WORD, EmailText, findall, search, sentences_matching, sentences_of, words
from ai.schemas import Intent, TriageInput


@dataclass
class Decision:
    intent: Intent
    confidence: float
    evidence: list[str] = field(default_factory=list)  # sentences of the email that decided it
    other_kind: str | None = None  # for "other": legal, support, press, ...
    booked: bool = False  # a slot already fixed: no answer needed
    declined_calendar: bool = False


@dataclass(frozen=True, slots=True)
class Meeting:
    """A proposed or accepted time, as far as the text tells it."""

    sentence: str | None = None
    day: date | None = None
    hour: int | None = None
    link: bool = False


def header(item: TriageInput, name: str) -> str:
    lowered = name.lower()
    return next((value for key, value in item.headers.items() if key.lower() == lowered), "")


def has_thread(item: TriageInput) -> bool:
    """Whether the email answers something the rep sent."""
    return any(message.direction == "outbound" for message in item.history)


# --- automated mail ---------------------------------------------------------------------------------------------------


def _is_automatic(item: TriageInput, subject: str) -> bool:
    if item.is_auto_reply:
        return True
    reason = (item.classification_reason or "").lower()
    if reason and "delivered" not in reason:
        return True
    auto_submitted = header(item, "Auto-Submitted").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return True
    if header(item, "X-Autoreply") or header(item, "X-Autorespond"):
        return True
    if header(item, "Precedence").strip().lower() in ("auto_reply", "auto-reply"):
        return True
    return bool(search(lx.AUTO_REPLY_SUBJECT, subject))


def _is_bounce(item: TriageInput, subject: str, text: str) -> bool:
    if item.is_bounce or header(item, "X-Failed-Recipients"):
        return True
    content_type = header(item, "Content-Type").lower()
    if "multipart/report" in content_type and "delivery-status" in content_type:
        return True
    from_mailer = bool(lx.MAILER_SENDER.match(item.from_address or ""))
    if from_mailer:
        return bool(search(lx.BOUNCE, subject + "\n" + text[:2000]))
    return (
        bool(search(lx.BOUNCE, subject))
        and bool(search(lx.BOUNCE, text[:3000]))
        and not subject.lower().startswith("re")
    )


def _decide_automated(item: TriageInput, subject: str, text: EmailText, *, answered: bool) -> Decision | None:
    clean = text.clean
    if _is_bounce(item, subject, clean):
        strong = item.is_bounce or bool(lx.MAILER_SENDER.match(item.from_address or ""))
        return Decision(Intent.BOUNCE, 0.99 if strong else 0.85, sentences_matching(text.sentences, lx.BOUNCE)[:1])
    if "read receipt" in (item.classification_reason or "").lower() or (
        search(lx.READ_RECEIPT, subject) and search(lx.READ_RECEIPT, clean)
    ):
        return Decision(Intent.AUTO_REPLY, 0.95, sentences_matching(text.sentences, lx.READ_RECEIPT)[:1])
    all_sentences = sentences_of(clean)
    away = sentences_matching(all_sentences, lx.OUT_OF_OFFICE)
    left = sentences_matching(all_sentences, lx.LEFT_COMPANY)
    automated = sentences_matching(all_sentences, lx.AUTOMATED_TEXT)
    if _is_automatic(item, subject):
        if left and not away:
            return Decision(Intent.AUTO_REPLY, 0.85, left[:1])
        if away:
            return Decision(Intent.OUT_OF_OFFICE, 0.95, away[:2])
        if spam_score(item, clean, answered=answered) >= 3:
            return None
        return Decision(Intent.AUTO_REPLY, 0.9 if automated else 0.75, automated[:1])
    # No header says so: an out-of-office or a confirmation by its words alone, when nothing a person asks is there.
    human = bool(
        QUESTION_MARK.search(text.body)
        or search(lx.INTERESTED, text.body)
        or search(lx.OBJECTION, text.body)
        or search(lx.OPEN_DOOR, text.body)
    )
    if away and not human and (len(away) >= 2 or len(text.body) < 400 or dates.return_date(clean, item.now.date())):
        return Decision(Intent.OUT_OF_OFFICE, 0.7, away[:2])
    if len(automated) >= 2 or (automated and not human and not answered):
        return Decision(Intent.AUTO_REPLY, 0.7, automated[:1])
    return None


def _decide_calendar(subject: str, text: EmailText) -> Decision | None:
    match = lx.CALENDAR_SUBJECT.search(subject)
    if (match is not None and match.group("accepted")) or search(lx.CALENDAR_ACCEPTED, text.clean):
        evidence = sentences_matching(text.sentences, lx.CALENDAR_ACCEPTED)[:1]
        return Decision(Intent.MEETING_REQUEST, 0.95, evidence, booked=True)
    if (match is not None and match.group("declined")) or search(lx.CALENDAR_DECLINED, text.clean):
        evidence = sentences_matching(text.sentences, lx.CALENDAR_DECLINED)[:1]
        return Decision(Intent.MEETING_REQUEST, 0.6, evidence, declined_calendar=True)
    return None


# --- spam -------------------------------------------------------------------------------------------------------------


def _domain(address: str | None) -> str:
    return (address or "").rpartition("@")[2].lower()


def spam_score(item: TriageInput, text: str, *, answered: bool) -> float:
    """Distinct spam phrases, plus a look-alike of the rep's own domain, an "IT helpdesk" name, no thread."""
    score = float(len({phrase.lower() for phrase in findall(lx.SPAM, text)}))
    if search(lx.SPAM_FOOTER, text):
        score += 0.5
    rep_domain = _domain(item.rep.email if item.rep else None) or _domain(
        item.to_addresses[0] if item.to_addresses else ""
    )
    sender_domain = _domain(item.from_address)
    rep_label = rep_domain.split(".")[0] if rep_domain else ""
    # The look-alike is in the sender's name part ("ourco-support.com"), not its top-level domain:
    # a rep at example.com is not imitated by every sender under .example.
    sender_name = sender_domain.rpartition(".")[0]
    if len(rep_label) > 2 and rep_label in sender_name and sender_domain != rep_domain:
        score += 1.5
    if search(lx.IMPERSONATION_NAME, item.from_name or ""):
        score += 0.5
    if not answered:
        score += 0.5
    return score


# --- what a person means ----------------------------------------------------------------------------------------------


def find_meeting(sentences: list[str], today: date, *, day_first: bool) -> Meeting:
    """The first sentence with a concrete time or window for a call.

    A day (weekday, date, "tomorrow") with a scheduling word ("call", "works",
    "available", "how about"), or a day with a clock time, or a clock time with a
    meeting word; a booking link. A day after "by", "until", "back on" is a
    deadline or a return, not a slot; "what we pay today" names no appointment.
    """
    for sentence in sentences:
        if lx.BOOKING_LINK.search(sentence):
            return Meeting(sentence, link=True)
        times = dates.clock_times(sentence)
        mentions = [
            mention
            for mention in dates.find_dates(sentence, today, day_first=day_first)
            if today - timedelta(days=1) <= mention.day <= today + timedelta(days=75)
            and not lx.DEADLINE_BEFORE.search(sentence[max(0, mention.start - 30) : mention.start])
            and (mention.day > today or times)
        ]
        accepted = any(lx.ACCEPT_NEAR.search(sentence[mention.end :]) for mention in mentions) or any(
            lx.ACCEPT_NEAR.search(sentence[end:]) for _, _, end in times
        )
        if not (accepted or (mentions and times) or search(lx.SCHEDULING, sentence)):
            continue
        if mentions:
            return Meeting(sentence, min(mention.day for mention in mentions), times[0][0] if times else None)
        if times and search(lx.MEETING_NOUN, sentence) and not lx.DEADLINE_BEFORE.search(sentence[: times[0][1]]):
            return Meeting(sentence, None, times[0][0])
    return Meeting()


def has_question(body: str, sentences: list[str]) -> bool:
    if QUESTION_MARK.search(body):
        asked = any(
            QUESTION_MARK.search(sentence)
            and (search(lx.QUESTION_WORDS, sentence) or search(lx.PRODUCT_TOPIC, sentence) or words(sentence) >= 3)
            for sentence in sentences
        )
        return asked or (bool(search(lx.PRODUCT_TOPIC, body)) and words(body) > 2)
    return bool(search(lx.QUESTION_WITHOUT_MARK, body))


_NEGATED = re.compile(
    r"\b(?:not|never|no\s+longer|hardly|isn't|aren't|wasn't|n't)\s+(?:\w+\s+)?$|n't\s+$", re.IGNORECASE
)


def interest_in(body: str) -> re.Match[str] | None:
    """The first sign of interest that is not negated ("not keen", "never interested")."""
    if search(lx.INTERESTED, body) is None:
        return None
    for match in lx.INTERESTED.finditer(body):
        if not _NEGATED.search(body[max(0, match.start() - 20) : match.start()]):
            return match
    return None


def _customer_thread(item: TriageInput) -> bool:
    return any(search(lx.ENGAGED_CONTEXT, message.text) for message in item.history)


def _other_kind(body: str, item: TriageInput) -> str | None:
    for kind, pattern in lx.OTHER_TOPIC.items():
        hits = len(findall(pattern, body))
        if not hits:
            continue
        if kind == "support" and hits < 2 and not search(lx.CUSTOMER_TEXT, body) and not _customer_thread(item):
            continue  # one "not working" is often about the tool they have now
        if kind == "internal" and not item.cc_addresses:
            continue
        return kind
    return None


def _after_retraction(body: str) -> str | None:
    """The ask that follows a removal request taken back ("remove me... actually, what does it cost?")."""
    unsubscribe = search(lx.UNSUBSCRIBE, body)
    if unsubscribe is None:
        return None
    retraction = lx.RETRACTION.search(body, unsubscribe.end())
    if retraction is None:
        return None
    rest = body[retraction.end() :]
    return rest if QUESTION_MARK.search(rest) or search(lx.INTERESTED, rest) else None


def _decide_person(item: TriageInput, text: EmailText, meeting: Meeting, *, has_address: bool) -> Decision:
    # "Reply STOP to unsubscribe" and the like are a sender's footer, not a request.
    body = "\n".join(line for line in text.body.split("\n") if not search(lx.SPAM_FOOTER, line))
    sentences = sentences_of(body)

    def quotes(*patterns: lx.Matcher) -> list[str]:
        return sentences_matching(sentences, *patterns)[:2]

    if not WORD.search(body):
        if text.injection:
            return Decision(Intent.OTHER, 0.6, other_kind="injection")
        return Decision(Intent.OTHER, 0.5, sentences[:1], other_kind="unclear")

    retracted = _after_retraction(body)
    if retracted is None and search(lx.UNSUBSCRIBE, body):
        return Decision(Intent.UNSUBSCRIBE, 0.9, quotes(lx.UNSUBSCRIBE))
    if retracted is not None:
        body, sentences = retracted, sentences_of(retracted)

    other = _other_kind(body, item)
    if other == "wrong_person" and (has_address or search(lx.HANDOFF_STRONG, body)):
        other = None  # "wrong person, talk to X" is a referral
    if other is not None:
        return Decision(Intent.OTHER, 0.7, quotes(lx.OTHER_TOPIC[other]), other_kind=other)

    if meeting.sentence is not None:
        booked = bool(search(lx.BOOKED, body)) and not QUESTION_MARK.search(body)
        confidence = 0.85 if meeting.day or meeting.link else 0.7
        return Decision(Intent.MEETING_REQUEST, confidence, [meeting.sentence], booked=booked)

    handoff = search(lx.HANDOFF_STRONG, body)
    referral = search(lx.REFERRAL, body)
    material = search(lx.REQUEST_MATERIAL, body)
    wants_times = search(lx.TIMES_WANTED, body)
    interested = interest_in(body)
    interest = interested or material or wants_times
    if handoff or (referral and has_address and not interest):
        return Decision(Intent.REFERRAL, 0.85 if handoff and referral else 0.7, quotes(lx.HANDOFF_STRONG, lx.REFERRAL))

    no = search(lx.NOT_INTERESTED, body)
    door = search(lx.OPEN_DOOR, body)
    if no and not door and not material:
        confidence = 0.85 if len(findall(lx.NOT_INTERESTED, body)) > 1 else 0.75
        return Decision(Intent.NOT_INTERESTED, confidence, quotes(lx.NOT_INTERESTED))
    pushback = search(lx.OBJECTION, body) or (no and door)
    # A later time alone ("next year", "in Q1") is a deferral only when nothing says they want it now.
    deferred = search(lx.DEFERRAL, body) and not interested
    if (pushback or deferred) and not material:
        evidence = quotes(lx.OBJECTION, lx.NOT_INTERESTED, lx.OPEN_DOOR)
        return Decision(Intent.OBJECTION, 0.75 if door else 0.65, evidence)
    if len(findall(lx.ANGRY, body)) >= 2 and not interest:
        return Decision(Intent.NOT_INTERESTED, 0.6, quotes(lx.ANGRY))
    asks = has_question(body, sentences)
    if interest and (material or wants_times or interested or not asks):
        return Decision(Intent.INTERESTED, 0.75 if material else 0.65, quotes(lx.INTERESTED, lx.REQUEST_MATERIAL))
    if asks:
        return Decision(Intent.QUESTION, 0.7, [s for s in sentences if QUESTION_MARK.search(s)][:2] or sentences[:1])
    if search(lx.ANGRY, body):
        return Decision(Intent.NOT_INTERESTED, 0.55, quotes(lx.ANGRY))
    if search(lx.ACKNOWLEDGEMENT, body):
        return Decision(Intent.OTHER, 0.55, quotes(lx.ACKNOWLEDGEMENT), other_kind="acknowledgement")
    if referral:
        return Decision(Intent.REFERRAL, 0.5, quotes(lx.REFERRAL))
    if text.injection and words(body) < 40:
        return Decision(Intent.OTHER, 0.55, other_kind="injection")
    if has_thread(item):
        leaning = fallback(body, sentences)
        if leaning is not None:
            return leaning
    return Decision(Intent.OTHER, 0.4, sentences[:1], other_kind="unclear")


_FALLBACK_INTENTS = {
    "interested": Intent.INTERESTED,
    "objection": Intent.OBJECTION,
    "not_interested": Intent.NOT_INTERESTED,
}


def fallback(body: str, sentences: list[str]) -> Decision | None:
    """When no rule decided a reply to the rep: the intent whose weak cues clearly outnumber the others'.

    Needs at least two cues for the winner and a lead of two over the runner-up;
    otherwise nothing (the email stays "other"). The confidence stays low.
    """
    counts = {name: len(findall(pattern, body)) for name, pattern in lx.WEAK_CUES.items()}
    ranked = sorted(counts.items(), key=lambda pair: pair[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < 2 or top - second < 2:
        return None
    return Decision(_FALLBACK_INTENTS[best], 0.35, sentences[:1])


def decide(item: TriageInput, subject: str, text: EmailText, *, has_address: bool) -> tuple[Decision, Meeting]:
    """The intent and, for a meeting, the time it names."""
    today = item.now.date()
    answered = has_thread(item)
    decision = _decide_automated(item, subject, text, answered=answered)
    if decision is not None:
        return decision, Meeting()
    decision = _decide_calendar(subject, text)
    if decision is not None:
        meeting = find_meeting(
            text.sentences if decision.declined_calendar else sentences_of(text.clean), today, day_first=text.day_first
        )
        if decision.declined_calendar:
            if meeting.sentence is None:  # declined, no other time offered
                return Decision(Intent.OTHER, 0.5, decision.evidence, other_kind="declined"), meeting
            decision.evidence, decision.confidence = [meeting.sentence], 0.85
        return decision, meeting
    if spam_score(item, text.clean, answered=answered) >= (3 if answered else 2):
        return Decision(Intent.SPAM, 0.8, sentences_matching(text.sentences, lx.SPAM)[:2]), Meeting()
    meeting = find_meeting(text.sentences, today, day_first=text.day_first)
    return _decide_person(item, text, meeting, has_address=has_address), meeting
