# ruff: noqa: RUF001  (full-width colons of reply prefixes are meant)
"""Reply drafts for the offline provider: the workspace's template for the intent when one renders,
else a short reply of our own, signed by the rep.

A template is picked by category (the intent's categories in order of fit, e.g. a
meeting request tries ``meeting`` then ``scheduling``) and then by tone (formal
mail gets the formal or professional template, a two-word reply the casual or
friendly one). It is rendered with the service's one template syntax
(:mod:`inbox.templates.rendering`); a template that needs a value we do not have
is skipped, never sent with a hole in it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ai.offline.rules import Reading
from ai.schemas import DraftReply, Intent, TemplateInfo, TriageInput
from inbox.templates.rendering import MissingVariable, render_all

CATEGORIES: dict[Intent, tuple[str, ...]] = {
    Intent.MEETING_REQUEST: ("meeting", "meeting_request", "scheduling", "calendar", "demo"),
    Intent.INTERESTED: ("interested", "positive", "next_steps", "meeting", "general"),
    Intent.QUESTION: ("question", "questions", "pricing", "faq", "answer", "general"),
    Intent.OBJECTION: ("objection", "objections", "pushback", "general"),
    Intent.REFERRAL: ("referral", "referrals", "thank_you", "general"),
    Intent.NOT_INTERESTED: ("not_interested", "breakup", "general"),
    Intent.UNSUBSCRIBE: ("unsubscribe", "compliance", "privacy"),
    Intent.OTHER: ("other", "general"),
    Intent.OUT_OF_OFFICE: ("follow_up",),
}
_NEIGHBOUR_TONES = {"formal": "professional", "professional": "formal", "friendly": "casual", "casual": "friendly"}
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|vs|ref|rif|r|res|antw|wg|fwd?|tr|rv)\s*(?:\[\d+\])?\s*[:：]\s*)+", re.I)

_GENERIC: dict[Intent, str] = {
    Intent.MEETING_REQUEST: (
        "Thanks for getting back to me. {time}I'll send a calendar invitation shortly; if anything changes on your "
        "side, just let me know."
    ),
    Intent.INTERESTED: (
        "Thanks for your reply, glad this is relevant. I'll send over what you asked for shortly. If it helps, we "
        "could also go through it together in a 20-minute call; happy to work around your calendar."
    ),
    Intent.QUESTION: (
        "Thanks for the question. I want to give you a precise answer rather than a generic one, so I'll come back to "
        "you shortly with the details. If it's easier, we can also cover it in a short call."
    ),
    Intent.OBJECTION: (
        "Thanks for being straight with me, that's genuinely helpful. I understand where you're coming from. {later}"
    ),
    Intent.REFERRAL: (
        "Thank you for pointing me in the right direction{to}. I'll reach out and mention that you suggested it."
    ),
    Intent.NOT_INTERESTED: "Understood, and thanks for letting me know. I won't follow up further.",
    Intent.UNSUBSCRIBE: (
        "Understood. Your address has been removed from our mailing lists and you will not receive further marketing "
        "email from us. We will confirm in writing how your request has been handled within the required time frame."
    ),
    Intent.OTHER: "Thanks for your message. I'll look into it and get back to you shortly.",
    Intent.OUT_OF_OFFICE: "Thanks, I'll follow up once you're back.",
}


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def _first_name(full: str | None) -> str | None:
    """The name to greet: "Dana" of "Dana Whitfield" or "Whitfield, Dana"; a Japanese name whole (family name first)."""
    if not full:
        return None
    if _CJK.search(full):
        return full.strip()
    name = full.split(",")[-1].strip() if "," in full else full.strip()
    return name.split()[0] if name.split() else None


def draft_context(item: TriageInput) -> dict[str, object]:
    contact = item.contact
    first = (contact.first_name if contact else None) or _first_name(item.from_name)
    last = contact.last_name if contact else None
    if last is None and item.from_name and len(item.from_name.split()) > 1 and "," not in item.from_name:
        last = item.from_name.split()[-1]
    rep = item.rep
    sender = {
        "first_name": _first_name(rep.name) if rep else None,
        "last_name": rep.name.split()[-1] if rep and len(rep.name.split()) > 1 else None,
        "name": rep.name if rep else None,
        "email": rep.email if rep else None,
        "signature": rep.signature if rep else None,
    }
    account = {"name": item.account.name, "domain": item.account.domain} if item.account else {}
    return {
        "first_name": first,
        "last_name": last,
        "name": item.from_name,
        "email": item.from_address,
        "title": contact.title if contact else None,
        "company": item.account.name if item.account else None,
        "contact": {"first_name": first, "last_name": last, "email": item.from_address},
        "account": account,
        "sender": sender,
        "rep": sender,
    }


def _wanted_tone(reading: Reading, asked: str | None = None) -> str:
    if asked:
        return asked
    if reading.formal or reading.intent in (Intent.UNSUBSCRIBE,) or reading.other_kind == "legal":
        return "formal"
    if reading.casual:
        return "casual"
    if reading.sentiment.value == "positive":
        return "friendly"
    return "professional"


def pick_templates(templates: list[TemplateInfo], reading: Reading, tone: str | None = None) -> list[TemplateInfo]:
    """Templates that fit the intent, best first: by category order, then by tone (``tone``, else the email's)."""
    order = CATEGORIES.get(reading.intent, ("general",))
    tone = _wanted_tone(reading, tone)

    def rank(template: TemplateInfo) -> tuple[int, int]:
        category = template.category.strip().lower().replace("-", "_").replace(" ", "_")
        tone_fit = 0 if template.tone == tone else 1 if _NEIGHBOUR_TONES.get(tone) == template.tone else 2
        return order.index(category), tone_fit

    fitting = [t for t in templates if t.category.strip().lower().replace("-", "_").replace(" ", "_") in order]
    return sorted(fitting, key=rank)


def reply_subject(subject: str) -> str:
    base = _REPLY_PREFIX.sub("", subject or "").strip()
    return f"Re: {base}" if base else "Re: your message"


_CLOSINGS = {"formal": "Kind regards", "casual": "Cheers", "friendly": "Thanks so much", "professional": "Best regards"}


def _signed(body: str, item: TriageInput, tone: str | None = None) -> str:
    rep = item.rep
    if rep is None:
        return body
    tail = "\n".join(body.strip().split("\n")[-3:])
    signature = (rep.signature or "").strip()
    if signature and signature.split("\n")[0] not in body:
        return f"{body.rstrip()}\n\n{signature}"
    first = _first_name(rep.name) or rep.name
    if rep.name in tail or (first and re.search(rf"(?m)^\s*{re.escape(first)}\b", tail)):
        return body
    return f"{body.rstrip()}\n\n{_CLOSINGS.get(tone or '', 'Best regards')},\n{rep.name}"


def _from_template(item: TriageInput, reading: Reading, context: Mapping[str, object]) -> DraftReply | None:
    for template in pick_templates(item.templates, reading, item.tone):
        try:
            subject, body = render_all([template.subject, template.body], context)
        except MissingVariable:
            continue
        if not body.strip():
            continue
        return DraftReply(
            subject=reply_subject(item.subject) if item.subject else subject[:300], body=_signed(body, item)[:6000]
        )
    return None


def _generic(item: TriageInput, reading: Reading, context: Mapping[str, object]) -> DraftReply:
    first = context.get("first_name")
    tone = item.tone  # asked for by the rep; without it, the greeting follows the email's register
    if (tone == "formal" or (tone is None and reading.formal)) and item.from_name:
        greeting = f"Dear {item.from_name},"
    elif tone == "formal":
        greeting = "Dear Sir or Madam,"
    elif tone == "casual":
        greeting = f"Hey {first}," if first else "Hey,"
    elif tone == "friendly":
        greeting = f"Hi {first}!" if first else "Hi there!"
    else:
        greeting = f"Hi {first}," if first else "Hello,"
    text = _GENERIC.get(reading.intent, _GENERIC[Intent.OTHER])
    time_note = "The time you suggested works for me. " if reading.meeting_sentence else ""
    later = (
        "I'll make a note to get back in touch then, and in the meantime I won't crowd your inbox."
        if reading.return_date or reading.urgency.value == "low"
        else "If it's useful, I can put together a short comparison for your situation; no pressure either way."
    )
    to = f" ({reading.referral_email})" if reading.referral_email else ""
    body = text.format(time=time_note, later=later, to=to)
    return DraftReply(subject=reply_subject(item.subject), body=_signed(f"{greeting}\n\n{body}", item, tone))


def draft_reply(item: TriageInput, reading: Reading) -> DraftReply | None:
    """A reply for the rep to review when one is needed, else None."""
    if not reading.needs_reply:
        return None
    context = draft_context(item)
    return _from_template(item, reading, context) or _generic(item, reading, context)
