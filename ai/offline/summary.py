"""A one-paragraph, extractive summary: who wrote, the sentences that decided the triage, what they want."""

from __future__ import annotations

from ai.offline.rules import Reading
from ai.schemas import Intent, TriageInput

_WHAT = {
    Intent.INTERESTED: "is interested",
    Intent.MEETING_REQUEST: "proposes or accepts a meeting time",
    Intent.QUESTION: "asks a question",
    Intent.OBJECTION: "pushes back but leaves the door open",
    Intent.NOT_INTERESTED: "is not interested",
    Intent.UNSUBSCRIBE: "asks to be removed from our emails",
    Intent.OUT_OF_OFFICE: "is out of office (automatic reply)",
    Intent.REFERRAL: "points to someone else to talk to",
    Intent.BOUNCE: "is a delivery failure notice",
    Intent.AUTO_REPLY: "is an automated reply",
    Intent.SPAM: "looks like spam or phishing, unrelated to our outreach",
    Intent.OTHER: "is not a sales reply",
}
_OTHER_KIND = {
    "legal": "a legal or privacy demand",
    "support": "a customer support problem",
    "billing": "a billing matter",
    "press": "a press enquiry",
    "job": "a job enquiry",
    "partner": "a partnership enquiry",
    "wrong_person": "a message saying we have the wrong person",
    "mail_merge": "a note about a broken mail merge",
    "internal": "an internal note sent to us by mistake",
    "acknowledgement": "an acknowledgement",
    "injection": "text aimed at AI tools rather than a person",
}


def _who(item: TriageInput) -> str:
    name = item.from_name or item.from_address
    company = item.account.name if item.account else None
    if company:
        return f"{name} ({company})"
    domain = item.from_address.rpartition("@")[2]
    return f"{name} ({domain})" if domain and name != item.from_address else name


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def summarise(item: TriageInput, reading: Reading) -> str:
    what = _WHAT[reading.intent]
    if reading.intent is Intent.OTHER and reading.other_kind in _OTHER_KIND:
        what = f"sent {_OTHER_KIND[reading.other_kind]}"
    parts = [f"{_who(item)} {what}."]
    quotes = reading.evidence or reading.key_sentences
    if quotes:
        parts.append("Key point: " + " ".join(f'"{_clip(q, 240)}"' for q in quotes[:2]))
    if reading.intent is Intent.QUESTION and reading.questions:
        asked = [q for q in reading.questions if q not in quotes][:2]
        if asked:
            parts.append("They ask: " + " ".join(f'"{_clip(q, 200)}"' for q in asked))
    if reading.meeting_sentence and reading.meeting_sentence not in quotes:
        parts.append(f'Proposed time: "{_clip(reading.meeting_sentence, 200)}"')
    if reading.return_date:
        parts.append(f"Back on {reading.return_date.isoformat()}.")
    if reading.referral_email:
        parts.append(f"Contact instead or in addition: {reading.referral_email}.")
    if reading.injection_detected:
        parts.append("The email contains text addressed to AI systems; it was ignored.")
    action = {
        "reply": "Reply needed.",
        "meeting": "Confirm or prepare the meeting.",
        "follow_up": "Follow up later.",
        "none": "No action needed.",
    }[reading.next_action.value]
    parts.append(action)
    return _clip(" ".join(parts), 1200)
