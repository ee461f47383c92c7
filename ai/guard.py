"""Text in an email that tries to instruct an AI system, flagged whatever the model says.

Email text is data: the prompt fences it and the writes never obey it. This
check is ours, not the model's, so an email that talks a model into saying
"no injection here" is still flagged (and then can neither warm the lead nor
create contacts, stop sequences or unsubscribe anyone: see :mod:`ai.apply`).

It uses the offline rules' reading (a sentence that addresses an AI and orders
it about, in several languages) and adds the shapes that
only matter to an LLM: chat-template tokens, role headers and requests to leak
the prompt or the workspace's data.
"""

from __future__ import annotations

import re

from ai.offline.injection import neutralise

_LLM_ONLY = re.compile(
    "|".join(
        (
            # "AI: ...", "Assistant: ..." opening a line or a sentence, "[LLM: ...]".
            r"(?:^|[\[(<{]|[.!?;]\s)\s*(?:ai|llm|gpt|chatgpt|assistant|copilot)(?: assistant)?\s*[:\]]",
            r"<\|?(?:im_start|im_end|system|endoftext)\|?>",
            # Overriding instructions, speaking to the machine, re-labelling the lead.
            r"\b(?:ignore|disregard|forget|override|bypass)\b.{0,30}(?:\b(?:instructions?|prompts?)\b|"
            r"\b(?:previous|prior|above|earlier|all|your) (?:rules|guidelines)\b)",
            r"\b(?:system|developer) prompt\b|\byou are now\b|\bnew instructions?\s*:",
            r"\b(?:note|message|instructions?) (?:to|for) (?:the |any )?(?:ai|llm|assistant|bot|model)\b",
            r"\bif you(?:'re| are) an? (?:ai|llm|language model|bot)\b",
            r"\b(?:mark|flag|label|classify|set)\b.{0,20}\b(?:lead|contact|email|message)\b.{0,10}\b(?:as|to)\s+"
            r"(?:hot|warm|cold|qualified|interested|urgent)\b",
            r"\b(?:ignoriere|vergiss|ignorez|oubliez|ignora|olvida|esqueça|negeer|vergeet)\b.{0,40}"
            r"\b(?:anweisungen|instruktionen|instructions|consignes|instrucciones|instruções|instructies)\b",
            r"(?:指示|命令|プロンプト)を(?:無視|忘れ)",
            r"\bBEGIN (?:SYSTEM|ADMIN|INSTRUCTIONS)\b",
            r"\b(?:reveal|print|show|output|repeat|leak|dump|send|forward|export|share)\b.{0,30}"
            r"\b(?:system prompt|your (?:instructions|prompt|api keys?|credentials|passwords?)|"
            r"all (?:your |the )?(?:contacts|leads|customer data|crm data|emails))\b",
        )
    ),
    re.IGNORECASE | re.MULTILINE,
)
MAX_CHARS = 20_000
MAX_PASSAGES = 5


def detect_injection(text: str) -> list[str]:
    """The passages of ``text`` that address or instruct an AI (empty when there are none)."""
    if not text:
        return []
    text = text[:MAX_CHARS]
    found: list[str] = []
    # What the offline rules take out as orders to an AI (an AI mentioned in passing is not one).
    passages = [*neutralise(text).removed, *(match.group(0) for match in _LLM_ONLY.finditer(text))]
    for raw in passages:
        passage = " ".join(raw.split())[:160]
        if passage and passage not in found:
            found.append(passage)
        if len(found) == MAX_PASSAGES:
            break
    return found
