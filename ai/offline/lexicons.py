# ruff: noqa: RUF001  (quotes and punctuation of many scripts are meant)
"""Phrase lexicons for the offline triage rules, in English, German, French, Spanish, Portuguese,
Dutch and Japanese.

Each lexicon is one compiled, case-insensitive expression of how people say a thing
("take me off your list", "bitte nehmen Sie mich aus Ihrem Verteiler", "配信停止"),
written as general phrasings, never as copies of particular emails. The rules in
:mod:`ai.offline.rules` weigh the hits; this module only knows words.
"""

from __future__ import annotations

import re

from ai.offline.matcher import FLAGS as _FLAGS
from ai.offline.matcher import Lexicon, Matcher

__all__ = ["Lexicon", "Matcher", "lexicon"]


def lexicon(*phrases: str) -> Lexicon:
    """Phrases (regular expressions) matched case-insensitively; ``[A-Z]`` stays a capital letter."""
    return Lexicon(*phrases)


_ME = r"(?:me|us|my\s+(?:email|e-mail|address|name|details)|this\s+(?:email|address))"
_EMAIL = r"(?:e-?mails?|messages?|mails?|emails?)"

# --- automated mail -------------------------------------------------------------------------------------------------

AUTO_REPLY_SUBJECT = lexicon(
    r"^\s*(?:automatic\s+reply|auto(?:matic)?[- ]?(?:reply|response|antwort)|autoreply|out\s+of\s+(?:the\s+)?office"
    r"|ooo\b|abwesenheit|automatische\s+antwort|réponse\s+automatique|absence|respuesta\s+automática"
    r"|fuera\s+de\s+la\s+oficina|resposta\s+automática|ausência|automatisch\s+antwoord|afwezig|自動応答|自動返信|不在)",
    r"^\s*(?:we(?:'ve|\s+have)?\s+received\s+your|thank(?:s|\s+you)\s+for\s+(?:contacting|reaching\s+out|your\s+(?:email|message)))",
    r"\[?(?:ticket|case|request)\s*#?\s*[A-Z]*-?\d{3,}\]?",
    r"^\s*(?:ontvangstbevestiging|eingangsbestätigung|accusé\s+de\s+réception|acuse\s+de\s+recibo|confirmação\s+de\s+recebimento)",
)

OUT_OF_OFFICE = lexicon(
    # English
    r"\bout\s+of\s+(?:the\s+)?office\b",
    r"\b(?:on|taking)\s+(?:annual|parental|maternity|paternity|sick|medical|bereavement|family|study|garden)\s+leave\b",
    r"\b(?:i\s+am|i'm|i\s+will\s+be|i'll\s+be)\s+(?:currently\s+)?(?:away|out|off|travell?ing|on\s+(?:vacation|holiday|"
    r"leave|pto|sabbatical|a\s+business\s+trip))\b",
    r"\bon\s+(?:vacation|holiday|pto|sabbatical)\b",
    r"\b(?:limited|no|intermittent|restricted)\s+access\s+to\s+(?:my\s+)?e-?mails?\b",
    r"\bchecking\s+(?:my\s+)?e-?mail\s+(?:only\s+)?(?:occasionally|intermittently|sporadically)",
    r"\bupon\s+my\s+return\b",
    r"\bresponses?\s+will\s+be\s+delayed\b",
    r"\breplies\s+will\s+be\s+(?:slow|delayed)\b",
    r"\bwill\s+(?:respond|reply|get\s+back\s+to\s+you)\s+(?:to\s+your\s+(?:message|email)\s+)?(?:when|once|as\s+soon\s+as)\s+(?:i'm|i\s+am|i\s+get)\s+back",
    r"\baway\s+from\s+(?:my\s+desk|the\s+office)\b",
    r"\baway\s+(?:at|on|until|till|through)\b|\b(?:at|attending)\s+(?:a|an|the)\s+(?:conference|summit|trade\s+show|offsite|event)\b",
    r"\bback\s+(?:in\s+the\s+office\s+)?on\b|\b(?:returning|will\s+return)\s+(?:on|to\s+the\s+office)\b",
    # German
    r"\bnicht\s+im\s+(?:büro|hause?|office)\b",
    r"\babwesend\b",
    r"\b(?:im|in)\s+urlaub\b",
    r"\baußer\s+haus\b",
    r"\bkeinen\s+zugriff\s+auf\s+(?:meine\s+)?e-?mails?\b",
    r"\b(?:elternzeit|mutterschutz|dienstreise)\b",
    r"\bwieder\s+(?:im\s+büro|erreichbar|für\s+sie\s+erreichbar)\b",
    # French
    r"\bje\s+suis\s+(?:actuellement\s+)?(?:absente?|en\s+congés?|en\s+vacances|en\s+déplacement)\b",
    r"\ben\s+congés?\b",
    r"\bhors\s+du\s+bureau\b",
    r"\bpas\s+(?:d')?accès\s+à\s+(?:ma\s+)?messagerie\b",
    r"\bde\s+retour\s+(?:le|au\s+bureau)\b",
    # Spanish
    r"\bfuera\s+de\s+la\s+oficina\b",
    r"\b(?:estoy|me\s+encuentro)\s+(?:de\s+vacaciones|fuera|ausente|de\s+viaje)\b",
    r"\bsin\s+acceso\s+al?\s+correo\b",
    # Portuguese
    r"\bfora\s+do\s+escritório\b",
    r"\b(?:estou|me\s+encontro|estarei)\s+(?:de\s+férias|ausente|fora|em\s+viagem|de\s+licença)\b",
    r"\bestaré\s+(?:ausente|fuera|de\s+vacaciones)\b|\bje\s+serai\s+(?:absente?|en\s+congés?)\b",
    r"\bsem\s+acesso\s+(?:ao|a)\s+(?:meu\s+)?e-?mail\b",
    r"\bnão\s+terei\s+acesso\b",
    # Dutch
    r"\b(?:ik\s+ben\s+)?(?:afwezig|met\s+vakantie|op\s+vakantie|niet\s+op\s+kantoor)\b",
    r"\bweer\s+(?:aanwezig|op\s+kantoor|bereikbaar)\b",
    # Japanese
    r"休暇|不在|出張中|外出中|休みを(?:いただ|頂)|夏季休業|年末年始",
)

LEFT_COMPANY = lexicon(
    r"\bno\s+longer\s+(?:with|at|works?\s+(?:at|for)|employed|part\s+of)\b",
    r"\bhas\s+left\s+(?:the\s+(?:company|organi[sz]ation|firm)|[A-Z])",
    r"\b(?:i|she|he)\s+(?:left|have\s+left|has\s+left)\s+[A-Z]\w+",
    r"\bmailbox\s+is\s+(?:no\s+longer|not)\s+(?:monitored|active)\b",
    r"\bnicht\s+mehr\s+(?:im\s+unternehmen|bei|für|tätig)\b",
    r"\ba\s+quitté\b",
    r"\bya\s+no\s+(?:trabaja|forma\s+parte)\b",
    r"\bnão\s+(?:trabalha|faz)\s+mais\s+parte\b",
    r"\bniet\s+(?:meer\s+)?(?:werkzaam|in\s+dienst)\b",
    r"退職",
)

AUTOMATED_TEXT = lexicon(
    r"\bthis\s+is\s+an?\s+(?:automated|automatic|auto-generated)\s+(?:response|message|reply|e-?mail|notification)\b",
    r"\b(?:automatically\s+generated|auto-generated)\b",
    r"\bdo\s+not\s+reply\s+to\s+this\s+(?:e-?mail|message)\b",
    r"\bthis\s+mailbox\s+(?:is\s+not\s+monitored|does\s+not\s+accept\s+replies|is\s+unattended)\b",
    r"\bwe(?:'ve|\s+have)?\s+received\s+your\s+(?:message|e-?mail|request|inquiry|enquiry)\b",
    r"\byour\s+(?:request|ticket|case|message)\s*(?:\(?#?\s*[\w-]*\d+\)?\s*)?has\s+been\s+(?:received|created|logged|opened)\b",
    r"\ba\s+member\s+of\s+our\s+team\s+will\s+(?:be\s+in\s+touch|get\s+back|respond|contact)",
    r"\bplease\s+type\s+your\s+reply\s+above\s+this\s+line\b",
    r"\b(?:due\s+to\s+high\s+volume|responses?\s+may\s+take)\b",
    r"\b(?:being\s+held|is\s+held)\s+until\s+you\s+(?:confirm|verify)\b",
    r"\bconfirm\s+you\s+are\s+a\s+(?:real\s+)?(?:person|human)\b",
    r"\bmessages?\s+that\s+are\s+not\s+invoices\s+are\s+not\b",
    r"\bautomatisch\s+(?:erstellte|generierte)\b",
    r"\bwir\s+haben\s+ihre\s+(?:nachricht|anfrage|e-?mail)\s+erhalten\b",
    r"\bmessage\s+automatique\b",
    r"\bnous\s+avons\s+bien\s+reçu\b",
    r"\bmensaje\s+automático\b",
    r"\bhemos\s+recibido\s+su\b",
    r"\bmensagem\s+automática\b",
    r"\brecebemos\s+(?:a\s+)?sua\b",
    r"\bautomatisch\s+gegenereerd\b",
    r"\bin\s+goede\s+orde\s+ontvangen\b",
    r"\bticketnummer\b",
    r"自動送信|自動返信|自動応答|受け付けました|受付いたしました",
)

READ_RECEIPT = lexicon(r"^\s*(?:read|gelesen|lu|leído|lida|gelezen)\s*:", r"\bwas\s+read\s+on\b")

CALENDAR_SUBJECT = re.compile(
    r"^\s*(?:(?P<accepted>accepted|tentatively\s+accepted|angenommen|accepté|aceptado|aceito|geaccepteerd|承諾)"
    r"|(?P<declined>declined|abgelehnt|refusé|rechazado|recusado|geweigerd|辞退)"
    r"|invitation|updated\s+invitation|einladung|convite|invitación|uitnodiging)\s*:",
    _FLAGS,
)
CALENDAR_ACCEPTED = lexicon(
    r"\bhas\s+accepted\s+(?:this|your)\s+invitation\b",
    r"\baccepted\s+your\s+invitation\b",
    r"\bhat\s+(?:die|ihre)\s+einladung\s+angenommen\b",
    r"\ba\s+accepté\s+(?:cette|votre)\s+invitation\b",
)
CALENDAR_DECLINED = lexicon(
    r"\bhas\s+declined\s+(?:this|your)\s+invitation\b",
    r"\bhat\s+(?:die|ihre)\s+einladung\s+abgelehnt\b",
    r"\ba\s+refusé\s+(?:cette|votre)\s+invitation\b",
)

BOUNCE = lexicon(
    r"\b(?:undeliverable|undelivered\s+mail|delivery\s+status\s+notification|returned\s+mail|mail\s+delivery\s+"
    r"(?:failed|failure|subsystem|system))\b",
    r"\b(?:delivery\s+has\s+failed|could\s+not\s+be\s+delivered|couldn't\s+be\s+delivered|wasn't\s+delivered"
    r"|was\s+not\s+delivered|permanent\s+fatal\s+errors?)\b",
    r"\b(?:address\s+not\s+found|user\s+unknown|mailbox\s+(?:unavailable|full|disabled)|recipient\s+address\s+rejected)\b",
    r"\b55[0-4][ -]5\.\d\.\d+\b",
    r"\bunzustellbar\b|\bkonnte\s+nicht\s+(?:zugestellt|übermittelt)\s+werden\b",
    r"\bnon\s+remis\b|\bn'a\s+pas\s+pu\s+être\s+(?:remis|distribué)\b",
    r"\bno\s+se\s+(?:pudo|ha\s+podido)\s+entregar\b|\bnão\s+(?:foi\s+)?(?:entregue|pôde\s+ser\s+entregue)\b",
    r"\bonbestelbaar\b|\bkon\s+niet\s+worden\s+bezorgd\b",
    r"配信不能|配信できませんでした",
)
MAILER_SENDER = re.compile(
    r"^(?:mailer-daemon|postmaster|mail-daemon|microsoftexchange[0-9a-f]*|bounces?|mail\.delivery)@", re.IGNORECASE
)

# --- unwanted mail ----------------------------------------------------------------------------------------------------

SPAM = lexicon(
    r"\bguest\s+post(?:s|ing)?\b",
    r"\bdo-?follow\b",
    r"\bback-?links?\b",
    r"\b(?:seo|search\s+engine)\b.{0,80}\b(?:rank|ranking|page\s*#?\s*1|first\s+page|packages?|traffic)\b",
    r"\bpage\s*#\s*1\b",
    r"\bfirst\s+page\s+of\s+(?:google|search)",
    r"\bgift\s+card\b",
    r"\bcongratulations\b.{0,60}\b(?:selected|won|winner|chosen)\b",
    r"\b(?:you(?:'ve|\s+have)\s+been|randomly)\s+selected\b",
    r"\bclaim\s+(?:my|your)\s+(?:reward|prize|gift)\b",
    r"\b(?:shipping\s*(?:&|and)\s*handling|processing)\s+fee\b",
    r"\bpassword\s+(?:is\s+set\s+to\s+|will\s+)?expires?\b",
    r"\bkeep\s+(?:my\s+|your\s+)?(?:current\s+)?password\b",
    r"\bverify\s+your\s+(?:account|mailbox|identity|login)\b",
    r"\bsuspension\s+of\s+your\s+(?:mailbox|account)\b",
    r"\benable\s+content\b",
    r"\.(?:docm|xlsm|exe|scr|zip|iso|html?)\b(?=.{0,40}(?:attach|open|download))|attachment:\s*\S+\.(?:docm|xlsm|exe|scr|iso)\b",
    r"\b(?:verified|targeted|opt-in)\s+(?:attendee|contact|email|leads?|b2b)\s+(?:list|database|data)\b",
    r"\battendee\s+list\b",
    r"\b(?:total\s+)?contacts?:\s*[\d,.]{3,}",
    r"\b(?:triple|double|10x)\s+your\s+(?:pipeline|sales|revenue|traffic|leads)\b",
    r"\bfree\s+(?:credits|trial\s+credits|strategy\s+(?:session|call)|audit|consultation)\b",
    r"\b(?:limited[- ]time|act\s+now|offer\s+expires)\b",
    r"\b(?:crypto(?:currency)?|bitcoin|forex|wire\s+transfer|lottery|inheritance|beneficiary)\b",
    r"\bdear\s+(?:valued\s+)?(?:customer|user|member|friend|beneficiary|sir/madam|account\s+holder)\b",
    r"\b(?:website|web\s+design|app\s+development|mobile\s+app|lead\s+generation|outsourcing)\s+(?:services?|agency|team|company)\b",
    r"\bwe\s+(?:help|helped)\s+(?:b2b\s+)?(?:saas\s+)?(?:companies|businesses|brands|teams)\s+(?:like\s+yours\s+)?(?:to\s+)?"
    r"(?:triple|double|grow|scale|get|generate|increase|book)",
    r"\b(?:sales\s+teams|companies|clients)\s+trust\s+(?:our|us)\b",
    r"\bprice\s+list\b",
    r"\bwhite\s+hat\b",
    r"\bavoid\s+(?:\w+\s+)?(?:late\s+fees|interruption|suspension|closure|deactivation|termination)\b",
    r"\bcontribute\s+a\s+(?:high-quality\s+)?(?:guest\s+)?(?:post|article)\b",
    r"\b(?:\d+(?:-\d+)?\+?\s+)?(?:qualified\s+|sales\s+)+(?:meetings|appointments|leads|demos)\s+(?:a|per|every)\s+(?:month|week)\b"
    r"|\bpay\s+per\s+(?:meeting|lead|appointment)\b",
    r"\bfree\s+(?:sample|list|batch)\b|\b(?:companies|businesses|brands|teams)\s+like\s+yours\b",
    r"\b(?:we|i)\s+(?:can|will)\s+(?:get|bring|book|generate|send)\s+you\s+(?:more\s+)?(?:\d+\s+)?(?:leads|meetings|traffic|customers|clients)\b",
    r"\b(?:our|my)\s+(?:agency|platform|team|company|service)\s+(?:helps|can\s+help|specializes|specialises)\b",
    r"\b(?:you|your\s+(?:e-?mail|address))\s+(?:have\s+|has\s+)?won\b|\blucky\s+winner\b|\bdear\s+winner\b",
    r"\bclaim\s+your\s+\w+\s+now\b|\b(?:confirm|update|verify)(?:ing)?\s+your\s+(?:bank|card|account|payment|billing)\s+(?:details|information|info)\b",
    r"\bupdate\s+your\s+(?:card|payment\s+method)\b|\bpayment\s+(?:has\s+)?failed\b",
    r"\bteam\s+of\s+\d+\+?\s+(?:developers|professionals|experts|designers|engineers|marketers)\b",
    r"\b(?:very\s+)?(?:affordable|competitive|cheap|lowest)\s+(?:rates|prices|pricing|cost)\b|\bour\s+portfolio\b",
    r"\bweb\s+(?:and|&)\s+mobile\s+app\s+development\b",
    r"\b\d{1,2}\s*%\s+off\b|\bshop\s+now\b|\bsave\s+big\b|\b(?:this\s+)?weekend\s+only\b|\bhuge\s+sale\b",
    r"\btop\s+of\s+google\b|\bmissing\s+(?:important\s+|key\s+)?keywords\b|\bnoticed\s+your\s+(?:site|website)\b",
    r"\b(?:mailbox|storage|quota)\s+(?:is\s+)?(?:full|almost\s+full|exceeded)\b|\bunless\s+you\s+(?:upgrade|verify|confirm|update)\b",
    r"\bwithin\s+\d+\s+hours\b.{0,20}https?://",
    r"\bguaranteed\s+(?:returns?|profits?|income|results)\b|\bearn\s+\d+\s*%|\binvest\s+\$?\d+|\bhello\s+friend\b",
    r"\b(?:this\s+)?link\s+(?:expires|will\s+expire)\s+in\s+\d+\s+hours\b",
    r"\byou\s+have\s+received\s+(?:a|an)\s+(?:document|fax|voicemail|secure\s+message)\b",
    r"\breview\s+document\b|\bshared\s+a\s+(?:file|document)\s+with\s+you\b",
    r"\bpre-?qualif\w+\b|\bworking\s+capital\b|\bno\s+credit\s+check\b|\bfunds?\s+in\s+\d+\s+hours\b|\breply\s+yes\s+to\b",
    r"\bregister\s+now\b|\bseats\s+are\s+limited\b|\byou're\s+invited\b|\bjoin\s+[\d,]+\+?\s+\w+\s+(?:leaders|professionals|executives)\b",
    r"\bfree\s+(?:virtual\s+|online\s+)?(?:summit|webinar|event|conference|masterclass)\b",
    r"\b(?:rank|ranking|hit|get\s+you\s+(?:to|on))\b.{0,30}\bpage\s*#?\s*(?:1|one)\b|\b(?:rank|ranking)\s+for\b.{0,40}\bkeywords\b",
    r"\bhelped\s+\d+\+?\s+(?:\w+\s+)?(?:companies|businesses|brands|clients|startups|firms)\b",
    r"\b(?:list|database)\s+of\s+[\d,.]+k?\+?\s+(?:verified\s+|targeted\s+)?\w+|\bdirect\s+dials\b",
    r"\bbook\s+now\b|\bonly\s+\d+\s+(?:booths|seats|spots|places)\s+left\b|\bexhibitor\s+packages?\b|\bsecure\s+your\s+(?:spot|seat|booth)\b"
    r"|\bdecision[- ]makers\b",
    r"\bfree\s+(?:quote|estimate|proposal)\b|\bstarting\s+(?:at|from)\s+[$€£]\s?\d|\b(?:app|website|startup)\s+idea\b",
    r"\b(?:been\s+)?chosen\s+to\s+receive\b|\bvoucher\b|\bclaim\s+(?:it|now|yours)\b|\bcustomer\s+appreciation\b",
)
SPAM_FOOTER = lexicon(
    r"\bto\s+unsubscribe,?\s+(?:click|reply|visit)\b",
    r"\breply\s+[\"'“]?(?:remove|stop|unsubscribe|not\s+interested)[\"'”]?\s+"
    r"to\s+(?:opt[- ]out|unsubscribe|be\s+removed)\b",
    r"\bif\s+you\s+(?:don't|do\s+not)\s+(?:want|wish)\s+to\s+(?:receive|hear)\b",
    r"\b(?:click|tap)\s+here\s+to\s+(?:unsubscribe|opt\s+out)\b",
    r"\bunsubscribe\s+(?:here|link|below)\b",
    r"\byou\s+are\s+receiving\s+this\s+(?:email|message)\s+because\b",
)
IMPERSONATION_NAME = lexicon(
    r"\b(?:it\s+(?:help\s*desk|support|service\s+desk)|helpdesk|security\s+team|mail\s+admin|"
    r"e-?mail\s+administrator|account\s+team|billing\s+department|accounts\s+department)\b"
)

UNSUBSCRIBE = lexicon(
    # English
    r"^\s*(?:unsubscribe|remove|stop|opt[- ]?out|remove\s+me)\s*[.!]*\s*(?:\n|$)",
    r"\bstop\W{1,3}(?:e-?mailing|contacting|messaging|spamming|writing)\W{1,3}me\b",
    r"\bplease\s+stop\b(?!\s+(?:by|in|at|over))",
    r"\bdo[- ]not[- ](?:contact|e-?mail|call|mail)\b|\bsuppression\s+list\b",
    r"\b(?:retir|remov|tir|elimin|borr|quit)\w*\s+(?:o\s+|el\s+)?(?:meu|mi|my)\s+"
    r"(?:contacto|contato|e-?mail|endereço|correo|dirección)\b",
    r"\b(?:d[ae]|from)\s+(?:vossa|sua|tu|su|vuestra)\s+(?:lista|base)\b",
    r"\bunsubscribe\s+(?:me|us)\b",
    r"\b(?:please\s+)?unsubscribe\b(?!\s+(?:here|link|below|click))",
    rf"\bremove\s+{_ME}\b",
    r"\bremove\s+[\w.+-]+@[\w.-]+",
    rf"\btake\s+{_ME}\s+off\b",
    r"\b(?:take|get)\s+(?:me|us)\s+off\s+(?:of\s+)?(?:this|your|the)\b",
    r"\b(?:stop|quit|cease)\s+(?:e-?mailing|contacting|messaging|spamming|writing\s+to|sending\s+(?:me|us))\b",
    r"\b(?:don't|do\s+not|never)\s+(?:e-?mail|contact|message|write\s+to)\s+(?:me|us)\b",
    r"\b(?:e-?mail|contact|message)\s+me\s+again\b",
    r"\b(?:off|from)\s+(?:your|this|the|all)\s+(?:future\s+)?(?:mailing\s+|e-?mail\s+|distribution\s+|contact\s+|marketing\s+|"
    r"sales\s+|call\s+)?(?:lists?|sequences?|cadences?|correspondence|campaigns?)\b",
    r"\bopt\s+(?:me|us)\s+out\b",
    rf"\bno\s+(?:more|further)\s+(?:{_EMAIL}|marketing|contact)\b",
    r"\berase\s+(?:all\s+)?(?:my\s+|the\s+)?personal\s+data\b|\bdelete\s+(?:all\s+)?(?:of\s+)?my\s+(?:details|data|information|contact\s+details|address)\b",
    r"\bobject\s+to\s+(?:any\s+|the\s+)?processing\b",
    r"\b(?:my|all\s+my|our)\s+(?:personal\s+)?(?:data|details|information|contact\s+details)\s+(?:deleted|erased|removed|purged)\b",
    r"\b(?:right\s+to\s+erasure|article\s+(?:17|21)(?:\(\d\))?\s+(?:of\s+the\s+)?gdpr)\b",
    r"\bi\s+(?:did\s+not|never)\s+(?:consent|opt(?:ed)?\s+in|sign(?:ed)?\s+up)\b",
    # German
    r"\b(?:aus|von)\s+(?:ihrem|ihrer|dem|der|diesem|dieser)\s+(?:verteiler|mailingliste|e-?mail-?liste|liste|newsletter)\b",
    r"\b(?:abmelden|austragen)\b",
    r"\bkeine\s+(?:weiteren\s+)?(?:werbe-?)?(?:e-?mails|nachrichten|zusendungen|werbung)\b",
    r"\b(?:kontaktieren|schreiben)\s+sie\s+mich\s+nicht\b",
    r"\blöschen\s+sie\s+(?:meine|alle)\b",
    r"\bmich\s+(?:bitte\s+)?(?:aus|von)\b.{0,40}\b(?:entfernen|streichen|austragen|nehmen|löschen)\b",
    # French
    r"\bdésinscri(?:re|vez|ption|s)\b",
    r"\b(?:retirez|supprimez|enlevez|rayez)[- ]moi\b",
    r"\bne\s+(?:plus\s+)?me\s+(?:contacter|recontacter|écrire|solliciter)\s+(?:plus|à\s+nouveau)?\b",
    r"\bne\s+plus\s+(?:recevoir|être\s+contacté)\b|\bne\s+plus\s+m['’](?:écrire|envoyer|contacter)\b",
    r"\bcessez\s+de\s+m['’](?:écrire|envoyer|contacter)\b",
    r"\b(?:retirer|supprimer)\s+(?:mon\s+adresse|mes\s+coordonnées)\b",
    r"\bme\s+(?:retirer|désinscrire|supprimer|rayer|désabonner)\b|\bm['’]enlever\b|\bme\s+désabonner\b",
    # Spanish
    r"\bdar(?:me|nos)?\s+de\s+baja\b|\bden(?:me)?\s+de\s+baja\b",
    r"\b(?:elimínenme|elimíname|bórrenme|bórrame|sáquenme|sácame|quítenme|quítame)\b",
    r"\bno\s+me\s+(?:escriba|envíe|contacte|escribas|envíes|contactes)n?(?:\s+más)?\b",
    r"\bdej(?:e|en|a)\s+de\s+(?:escribirme|enviarme|contactarme)\b",
    r"\b(?:sacarme|quitarme|eliminarme|borrarme)\s+de\b",
    # Portuguese
    r"\bdescadastr(?:ar|e|em|o)\b",
    r"\b(?:remova|retire|tire)(?:-me|m-me)\b|\bme\s+(?:remova|retire|tire)m?\s+da\s+lista\b",
    r"\b(?:parem|pare)\s+de\s+(?:me\s+)?(?:enviar|mandar|contatar|escrever)\b",
    r"\bnão\s+(?:me\s+)?(?:envie|mande|contate)m?\s+mais\b",
    r"\bme\s+(?:retirar|remover|tirar|descadastrar)\s+d[aeo]\b",
    # Dutch
    r"\buitschrijven\b|\bschrijf\s+(?:me|mij)\s+uit\b",
    r"\b(?:haal|verwijder)\s+(?:me|mij|mijn\s+(?:e-?mail)?adres)\b",
    r"\bgeen\s+(?:e-?mails|berichten|mails)\s+meer\b",
    r"\bstop\s+met\s+(?:mailen|e-?mailen)\b",
    r"\b(?:mij|me)\s+(?:van|uit)\s+(?:de|uw|jullie|deze)\s+(?:lijst|mailinglijst|verzendlijst)\b",
    # Japanese
    r"配信停止|配信を停止|送らないで|今後(?:の)?(?:ご)?(?:連絡|案内|メール)は(?:不要|結構)|連絡しないで",
)
RETRACTION = lexicon(
    r"\b(?:actually|on\s+second\s+thought|scratch\s+that|wait|before\s+you\s+do|having\s+said\s+that)\b",
    r"\beigentlich\b|\ben\s+fait\b|\ben\s+realidad\b|\bna\s+verdade\b|\beigenlijk\b",
)
ANGRY = lexicon(
    r"\b(?:third|fourth|fifth|sixth|\d+(?:st|nd|rd|th))\s+(?:time|e-?mail|message)\b",
    r"\b(?:report|flag)\s+(?:you|your|this)\b",
    r"\b(?:ftc|can-spam|spamhaus|abuse\s+desk|complaint|lawyer|attorney|sue)\b",
    r"\b(?:unsolicited|harass\w*|spam(?:ming)?)\b",
    r"\b(?:immediately|never\s+again|again\s+and\s+again|how\s+many\s+times|already\s+(?:asked|told))\b",
    r"\b(?:asked|told\s+you|said\s+so)\s+(?:you\s+)?(?:twice|three\s+times|several\s+times|before|already)\b",
    r"\bwhy\s+am\s+i\s+(?:getting|receiving|still)\b",
    r"\bdoes\s+this\s+(?:cadence|approach|ever)\s+(?:actually\s+)?work\b",
    r"\brobot\b",
    r"\bi\s+told\s+(?:you|your\s+colleague)\b",
    r"^\s*(?:STOP|NO)\s*[.!]*\s*$",
    r"^\s*still\s+no\b",
    r"!{2,}",
    r"\bwünsche\s+keine\b|\bbelästig\w*\b|\bharcèlement\b|\bacoso\b|\bassédio\b",
)
POLITE = lexicon(
    r"\b(?:thank\s+you|thanks|thx|cheers|appreciate|cooperation|kind\s+regards|best\s+regards|good\s+luck|best\s+of\s+luck)\b",
    r"\bdanke\b|\bmerci\b|\bgracias\b|\bobrigad[oa]\b|\bbedankt\b|ありがとう",
    r"\bpor\s+favor\b|\bbitte\b|\bs['’]il\s+vous\s+pla[iî]t\b|\balstublieft\b|\bpor\s+gentileza\b|恐縮|恐れ入り",
)

# --- how a person answers a sales email ----------------------------------------------------------------------------

NOT_INTERESTED = lexicon(
    r"\bnot\s+interested\b",
    r"\bno\s+(?:thanks|thank\s+you|thx)\b",
    r"\b(?:we're|we\s+are|i'm|i\s+am)\s+(?:good|all\s+set|covered|sorted|fine)\b(?!\s+(?:with\s+(?:a|the)\s+call|to))",
    r"\bnot\s+(?:for\s+us|a\s+(?:good\s+)?fit|relevant\s+(?:to|for)\s+(?:us|me)|something\s+we\s+need)\b",
    r"\b(?:this|it|that)\s+(?:isn't|is\s+not|'s\s+not)\s+(?:for\s+us|a\s+fit|relevant)\b",
    r"\b(?:we'll|we\s+will|i'll|i\s+will)\s+pass\b",
    r"^\s*(?:pass|no|nope|nah|not\s+now,?\s+not\s+ever|nein|non|nee|não)\s*[.!]*\s*(?:\n|$)",
    r"\b(?:please\s+)?close\s+(?:it|the\s+file|my\s+file|this\s+(?:out|file)?|the\s+loop|out\s+the\s+file|(?:us|me)\s+out)\b",
    r"\b(?:isn't|is\s+not|not)\s+(?:something|anything)\s+(?:we|i)(?:'d|'ll|\s+would|\s+will)?\s+(?:be\s+)?"
    r"(?:ever\s+|really\s+|actually\s+)?(?:need|buy|use|want|consider\w*|look\w*\s+(?:at|into)|pursu\w+|do)\b",
    r"\b(?:not|won't\s+be|will\s+not\s+be)\s+(?:going\s+to\s+|gonna\s+)?(?:move|moving|go|going)\s+(?:forward|ahead)\b"
    r"|\bdecided\s+(?:not\s+to|against)\s+(?:proceed\w*|pursu\w+|mov\w+\s+forward|go\w*\s+ahead|buy\w*|this|it)\b",
    r"\band\s+(?:won't|never\s+will)\s+be\b",
    r"\b(?:please\s+)?(?:don't|do\s+not)\s+follow\s+up\b|\bno\s+appetite\b",
    r"\bpas\s+d['’]actualité\b|\bne\s+(?:nous\s+)?correspond\s+pas\b|\bpas\s+pertinent\b",
    r"\b(?:have|has|had)\s+no\s+(?:need|use|interest)\b|\bno\s+need\s+for\s+(?:this|it|that|such)\b",
    r"\bno\s+(?:es|son)\s+algo\s+que\s+necesit\w+\b|\bno\s+creo\s+que\s+cambie\b|\bnão\s+é\s+algo\s+que\s+precis\w+\b",
    r"\bnon\s+merci\b|\bce\s+n['’]est\s+pas\s+(?:pour\s+nous|un\s+besoin)\b|\bniet\s+nodig\b",
    r"\bno\s+way\s+(?:we|i)(?:'d|\s+would)\b|\b(?:doesn't|does\s+not|wouldn't|would\s+not|won't)\s+(?:apply|make\s+sense|work)\s+(?:to|for)\s+(?:us|me)\b",
    r"\bnot\s+(?:applicable|relevant)\s+(?:to|for)\s+(?:us|me|our\s+business)\b",
    r"\b(?:we're|we\s+are)\s+(?:too\s+small|a\s+(?:one|two|three|small)[- ]person)\b",
    r"\b(?:we(?:'ve|\s+have)\s+)?outsourced\s+(?:all\s+(?:of\s+)?)?(?:our\s+)?(?:bookkeeping|accounting|ap|accounts\s+payable|finance)\b",
    r"\byou\s+can\s+close\b",
    r"\bstill\s+(?:no\b(?=\s*[.!,;]|\s*$)|not\s+interested\b)",
    r"\b(?:no|have\s+no)\s+(?:plans?|intention|need)\s+to\s+(?:change|switch|replace|look|move|evaluate)\b",
    r"\b(?:we're|we\s+are|i'm|i\s+am)\s+(?:very\s+)?(?:satisfied|happy|content)\s+with\s+(?:our|the|what)\b",
    r"\b(?:there's|there\s+is)\s+nothing\s+(?:for\s+us\s+)?(?:to\s+(?:buy|evaluate|automate|do|decide)|left\s+to)\b",
    r"\bnothing\s+(?:for\s+us\s+)?to\s+(?:buy|evaluate|automate)\b",
    r"\bno\s+(?:software\s+|buying\s+)?decision\s+to\s+be\s+made\b",
    r"\bfor\s+the\s+foreseeable\s+future\b",
    r"\bthanks?,?\s+but\s+no\b|\bbut\s+no\s+thanks\b|\baucun\s+besoin\b|\bn['’]avons\s+(?:pas|aucun)\s+besoin\b",
    r"\b(?:isn't|is\s+not|not)\s+(?:a\s+direction|the\s+(?:route|direction|path))\s+we\b",
    r"\b(?:we|i)\s+(?:really\s+)?(?:don't|do\s+not)\s+need\s+(?:an?\s+|any\s+)?(?:ap|expense|invoice|new|more|another|automation|software|tool|system)\b",
    r"\b(?:be\s+)?passing\s+on\s+(?:this|it|that)\b|\bpass\s+on\s+(?:this|it|that)\b|\bstop\s+following\s+up\b",
    r"\b(?:it's|it\s+is|that's|that\s+is|the\s+answer\s+is|answer's)\s+(?:a\s+)?(?:no|hard\s+no|pass|firm\s+no)\b(?!\s+for\s+now)",
    r"\bkeep(?:ing)?\s+things\s+as\s+(?:they\s+are|is)\b|\bstick(?:ing)?\s+with\s+what\s+we\s+(?:have|know)\b",
    r"\b(?:will|would|'ll)\s+never\s+(?:buy|use|sign|work\s+with|do\s+business)\b",
    r"\bniets\s+voor\s+ons\b|\bnichts\s+für\s+uns\b|\brien\s+pour\s+nous\b|\bnada\s+para\s+(?:nós|nosotros)\b",
    r"\b(?:winding\s+down|shutting\s+down|closing\s+(?:the\s+business|down|our\s+doors)|going\s+out\s+of\s+business)\b",
    r"\b(?:we\s+)?(?:don't|do\s+not)\s+(?:have|need)\s+(?:an?\s+|any\s+)?(?:need|use|ap\s+function|budget\s+line)\s*(?:for|here)?\b",
    r"\b(?:we|i)\s+(?:don't|do\s+not)\s+need\s+(?:this|it|that|anything)\b",
    r"\bnot\s+(?:looking|in\s+the\s+market)\b(?!\s+right\s+now)",
    r"\bwe(?:'ve|\s+have)\s+(?:already\s+)?(?:decided|chosen|gone\s+with|selected|signed)\b",
    r"\bwe\s+(?:just\s+)?signed\s+(?:a|an|with)\b",
    r"\bnot\s+(?:the\s+)?(?:right|a)\s+(?:time|fit)\s*,?\s*(?:and|or)\s+never\b",
    # German
    r"\bkein(?:e|en)?\s+(?:interesse|bedarf)\b|\bnicht\s+interessiert\b|\bbrauchen\s+wir\s+nicht\b|\bnein,?\s+danke\b",
    r"\b(?:sind|bin)\s+(?:mit\s+\w+\s+\w+\s+\w+\s+)?(?:sehr\s+)?zufrieden\b|\bsatisfaits?\b|\bsatisfechos\b|\bsatisfeitos\b|\btevreden\b",
    r"\bfür\s+uns\s+nicht\s+(?:relevant|interessant)\b",
    # French
    r"\b(?:ne|n['’])\s*(?:nous|me)\s+intéresse\s+pas\b|\bpas\s+intéressée?s?\b|\bnon\s+merci\b",
    r"\bnous\s+n['’]avons\s+pas\s+besoin\b|\bpas\s+pour\s+nous\b",
    # Spanish
    r"\bno\s+(?:nos|me)\s+interesa\b|\bno\s+estamos\s+interesados\b|\bno,?\s+gracias\b|\bno\s+necesitamos\b",
    r"\bno\s+es\s+para\s+nosotros\b",
    # Portuguese
    r"\bnão\s+(?:temos|tenho)\s+interesse\b|\bnão\s+(?:nos|me)\s+interessa\b|\bnão,?\s+obrigad[oa]\b|\bnão\s+precisamos\b",
    # Dutch
    r"\bgeen\s+interesse\b|\bniet\s+geïnteresseerd\b|\bnee,?\s+(?:bedankt|dank\s+je)\b|\bhebben\s+(?:we\s+)?geen\s+behoefte\b",
    r"\bniet\s+voor\s+ons\b",
    # Japanese
    r"興味(?:は|が)?(?:ありません|ございません)|必要(?:は)?(?:ありません|ございません)|結構です|見送らせ|不要です|検討しておりません",
)

# Pushback: price, timing, an incumbent, a missing feature, a policy.
OBJECTION = lexicon(
    # timing
    r"\bnot\s+(?:right\s+)?now\b",
    r"\bnot\s+(?:a\s+)?(?:priority|the\s+right\s+time|a\s+good\s+time)\b",
    r"\b(?:no|low|not\s+a)\s+priority\b",
    r"\b(?:hiring|spending|budget)\s+freeze\b",
    r"\bno\s+budget\b|\bbudget\s+(?:is\s+)?(?:gone|spent|allocated|exhausted|frozen|closed)\b",
    r"\b(?:can't|cannot|can\s+not)\s+take\s+on\s+anything\b",
    r"\bmid-?(?:erp\s+)?(?:migration|implementation|rollout|reorg|audit)\b",
    r"\b(?:too\s+busy|no\s+bandwidth|bandwidth|on\s+my\s+list|#\d+\s+on)\b",
    r"\b(?:park|shelve)\s+(?:this|it)\b",
    r"\bno\s+room\s+(?:for|in)\b|\bwon't\s+let\s+us\b|\bnot\s+allowed\s+to\b|\bnon-?starter\b|\bno-?go\b|\bshow-?stopper\b",
    r"\bfor\s+now\b|\bchoosing\s+between\b|\bdeciding\s+between\b|\b(?:match|beat)\s+(?:their|the|that)\s+(?:price|offer|quote|pricing)\b",
    r"\b(?:bad|wrong|poor)\s+timing\b",
    # incumbent
    r"\b(?:we\s+)?already\s+(?:use|using|have|work\s+with|working\s+with|pay\s+for|paying\s+for|run|running|rely\s+on|invested\s+in)\b",
    r"\b(?:does|do)\s+the\s+job\b|\bnot\s+sure\s+what\s+you(?:'d|\s+would)\s+add\b|\bworks\s+(?:fine|well)\s+for\s+us\b",
    r"\b(?:just\s+)?renewed\s+(?:with|for|our)\b",
    r"\b(?:just|recently|only\s+just)\s+(?:went\s+live|switched|moved|signed|implemented|rolled\s+out|migrated|onboarded|bought|deployed)\b"
    r"|\bwent\s+live\s+(?:with|on)\b|\banother\s+(?:change|migration|switch|new\s+tool)\b",
    r"\b(?:in|under|locked\s+into)\s+an?\s+(?:\w+[- ]year\s+|multi-?year\s+)?contract\b",
    r"\bbuilt\s+(?:our\s+own|it\s+in-?house|something\s+in-?house)\b|\bin-?house\b",
    r"\b(?:about|going)\s+to\s+sign\s+with\b",
    r"\bours\s+works\b|\bcurrent\s+(?:vendor|provider|tool|solution|system)\s+(?:works|is\s+fine|does\s+the\s+job)\b",
    r"\btool\s+fatigue\b|\bhard\s+sell\b",
    # price
    r"\btoo\s+(?:expensive|pricey|costly|steep|high)\b",
    r"\b(?:pricing|price|cost|fees?)\s+(?:is|are)\s+(?:the|a|our)\s+(?:main\s+|real\s+)?(?:problem|issue|sticking\s+point|blocker)\b",
    r"\bwe(?:'d|\s+would)\s+need\s+(?:something|it|a\s+price)\s+(?:under|below|cheaper|closer)\b",
    r"\b(?:don't|do\s+not)\s+see\s+(?:why|how)\s+we(?:'d|\s+would)?\s+(?:pay|switch|need|change|justify)\b|\bconvince\s+me\b",
    r"\b(?:gives|give|get)\s+(?:us\s+)?(?:\w+\s+)?for\s+free\b|\btied\s+(?:in|into|up)\b",
    r"\b(?:price|pricing|cost|fee)s?\s+(?:is|was|are|were|seems?)\s+(?:\w+\s+)?(?:too\s+high|high|steep|out\s+of\s+line|way\s+off)\b",
    r"\broi\b.{0,20}\b(?:wasn't|isn't|was\s+not|is\s+not|not)\s+there\b",
    r"\bshelfware\b|\bwhy\s+should\s+(?:i|we)\s+(?:believe|trust|think)\b|\b(?:like|than)\s+every\s+other\b",
    r"\b(?:don't|do\s+not)\s+think\s+(?:it|this|that)\s+(?:makes\s+sense|would\s+work|is\s+worth)\b",
    r"\b(?:double|twice|triple)\s+what\s+we\s+pay\b|\b(?:half|a\s+fraction|a\s+third)\s+of\s+what\s+you\b",
    r"\bquoted\s+us\b|\bhard\s+to\s+(?:see|justify)\b|\b(?:works?|compete|competing|lose|losing|win|winning|beat)\s+on\s+price\b|\b(?:cheaper|lower)\s+(?:quote|price|offer|option)\b",
    r"\bcan't\s+justify\b|\bout\s+of\s+(?:our\s+)?budget\b|\bcheaper\b|\bprice\s+is\s+lower\b",
    r"\bunless\s+you\s+can\b",
    r"\b(?:higher|more|steeper)\s+than\s+(?:we\s+|i\s+)?(?:expected|budgeted|hoped|anticipated|planned|can\s+afford)\b"
    r"|\b(?:any\s+)?flexibility\s+(?:on|in|with)\s+(?:the\s+)?(?:\w+\s+)?(?:price|pricing|cost|fee)|\bcloser\s+to\s+half\b",
    r"\bwe\s+tried\b.{0,80}\b(?:didn't|never|disaster|failed|nightmare|waste)\b|\byou(?:'d|\s+would)\s+have\s+to\s+(?:show|prove|convince)\b",
    r"\b(?:isn't|is\s+not|not)\s+going\s+to\s+happen\s+(?:this\s+year|now|right\s+now|any\s*time\s+soon|before)\b",
    r"\bno\s+tenemos\s+tiempo\b|\bkeine\s+zeit\b|\bpas\s+le\s+temps\b|\bnão\s+temos\s+tempo\b|\bgeen\s+tijd\b",
    r"\b\d+\s*%\s+(?:lower|cheaper|less)\b|\bwhy\s+(?:should|would)\s+(?:i|we)\s+(?:pay|switch|spend|choose|change)\b|\bquote\s+from\b.{0,40}\b(?:lower|cheaper|less)\b",
    r"\b(?:don't|do\s+not|doesn't)\s+(?:really\s+|currently\s+)?have\s+(?:the\s+)?(?:headcount|bandwidth|capacity|time|resources|people|budget|staff)\b",
    r"\b(?:double|twice|triple|more\s+than|way\s+(?:over|above)|well\s+(?:over|above))\s+(?:what\s+we(?:'ve)?\s+(?:budgeted|pay|spend"
    r"|had\s+in\s+mind|expected|planned)|our\s+budget)\b|\b(?:tough|hard|difficult)\s+sell\b|\b(?:over|above|beyond|exceeds?)\s+(?:our|the)\s+budget\b",
    r"\bnew\s+line\s+item\b",
    # gaps, policy, scepticism
    r"\bno\s+native\s+(?:connector|integration)\b|\b(?:doesn't|does\s+not|can't|cannot|won't)\s+(?:support|integrate|connect|handle|cover|allow|do)\b",
    r"\b(?:won't|will\s+not|wouldn't|would\s+not)\s+(?:sign\s+off|approve|allow|accept)\b|\b(?:main|big|biggest|real|key)\s+concern\b",
    r"\bwon't\s+approve\b|\bblocker\b|\bdeal-?breaker\b|\bnon-?negotiable\b|\bfull\s+stop\b",
    r"\bwe\s+(?:don't|do\s+not)\s+sign\b",
    r"\bwe\s+need\s+(?:single-tenant|on-?prem|a\s+private)\b",
    r"\b(?:heard\s+(?:that|this)\s+before|promised\s+the\s+same|another\s+ai\s+tool|marketing\s+fluff)\b",
    r"\bshow\s+me\s+(?:real\s+)?(?:numbers|proof|references)\b",
    r"\byou'd\s+have\s+to\s+be\s+(?:a\s+lot\s+)?better\b",
    r"\bdidn't\s+work\s+(?:for\s+us|last\s+time)\b",
    # German
    r"\bkein\s+budget\b|\bderzeit\s+(?:keine?|nicht)\b|\baktuell\s+(?:keine?|nicht)\b|\bzu\s+teuer\b",
    r"\b(?:nutzen|verwenden|arbeiten|setzen)\s+(?:\w+\s+)?(?:bereits|schon)\b|\bhaben\s+(?:bereits|schon)\s+(?:eine|ein)\b|\bplanung\s+für\s+\d{4}\s+ist\s+(?:bereits\s+)?abgeschlossen\b",
    r"\bkeine\s+priorität\b",
    # French
    r"\bpas\s+(?:le\s+bon\s+moment|maintenant|de\s+budget|prioritaire|une\s+priorité)\b|\btrop\s+cher\b",
    r"\bnous\s+(?:utilisons|avons)\s+déjà\b",
    # Spanish
    r"\bno\s+tenemos\s+presupuesto\b|\b(?:ahora|por\s+ahora|de\s+momento)\s+no\b|\bno\s+es\s+(?:el\s+momento|prioridad)\b",
    r"\bya\s+(?:usamos|tenemos|trabajamos\s+con)\b|\b(?:muy|demasiado)\s+caro\b",
    # Portuguese
    r"\b(?:sem|não\s+temos)\s+orçamento\b|\b(?:agora|no\s+momento)\s+não\b|\bnão\s+é\s+prioridade\b",
    r"\bjá\s+(?:usamos|temos|utilizamos)\b|\bmuito\s+caro\b",
    # Dutch
    r"\bgeen\s+(?:budget|prioriteit)\b|\b(?:nu|op\s+dit\s+moment)\s+niet\b|\bte\s+duur\b|\bmidden\s+in\s+een\b",
    r"\b(?:we\s+)?(?:gebruiken|hebben)\s+al\b",
    # Japanese
    r"予算(?:が|は)?(?:ない|ありません|確保できない|取れない)|今は(?:難しい|検討できない)|時期を改めて|既に.{0,10}(?:導入|利用)|高すぎ",
)

# The door stays open: a later time ...
DEFERRAL = lexicon(
    r"\b(?:reach\s+out|check\s+back|circle\s+back|follow\s+up|ping\s+me|try\s+(?:me|us)\s+again|get\s+back\s+to\s+me"
    r"|come\s+back|revisit|reconnect|touch\s+base|contact\s+(?:me|us)|pick\s+this\s+up|write|e-?mail\s+(?:me|us))"
    r"(?:\s+(?:to\s+)?(?:her|him|them|me|us))?\s+(?:again\s+)?(?:in|after|next|around|later|once|early|late|when)\b",
    r"\b(?:maybe|perhaps|possibly)\s+(?:after|once|when)\b",
    r"\b(?:maybe|perhaps|possibly)\s+(?:in\s+)?(?:q[1-4]|next\s+(?:year|quarter|month)|january|february|march|april|may"
    r"|june|july|august|september|october|november|december|spring|summer|autumn|fall|winter|later)\b",
    r"\b(?:next|after)\s+(?:year|quarter|year-?end|the\s+new\s+year|the\s+holidays|summer|spring|fall|autumn|winter)\b",
    r"\bfeel\s+free\s+to\s+(?:check\s+in|reach\s+out|try\s+(?:me|us)|follow\s+up|get\s+back)\b|\bcheck\s+in\s+(?:again\s+)?(?:in|next|after|later)\b",
    r"\b(?:after|until|till|from)\s+(?:january|february|march|april|june|july|august|september|october|november"
    r"|december|q[1-4]|spring|summer|autumn|the\s+fall)\b",
    r"\bin\s+(?:q[1-4]|the\s+(?:spring|summer|autumn|fall|new\s+year))\b",
    r"\b(?:until|till|after)\s+(?:late|early|mid)?[- ]?20\d\d\b|\bin\s+(?:late|early|mid)[- ]20\d\d\b",
    r"\b(?:hear\s+from\s+you|talk|speak|revisit\s+it)\s+then\b",
    r"\bnächste[sn]?\s+jahr\b|\bim\s+nächsten\s+jahr\b|\bnoch\s+einmal\s+anzusehen\b|\bspäter\s+(?:noch\s+einmal|wieder)\b",
    r"\bcheck\s+back\b|\bping\s+me\b|\bbefore\s+then\b|\bafter\s+that\b|\bthrough\s+(?:the\s+end\s+of\s+)?(?:the\s+year|20\d\d)\b",
    r"\bcan\s+we\s+pick\s+this\s+up\b|\bi'll\s+at\s+least\s+reply\b|\bnot\s+much\s+point\b.{0,30}\buntil|before\s+then\b",
    r"\bmelden\s+sie\s+sich\s+(?:gerne\s+)?(?:im|in|nach|wieder|noch)\b|\b(?:im|ab)\s+(?:frühjahr|sommer|herbst|januar|neuen\s+jahr)\b",
    r"\brecontactez|\brevenez\s+vers\b|\bl['’]an(?:née)?\s+prochaine?\b|\bplus\s+tard\b",
    r"\b(?:escríbeme|escríbanos|escríbenos|contáctame|contáctenos|vuelve\s+a\s+escribirme)\b.{0,20}\b(?:en|después|a\s+partir)\b",
    r"\bmás\s+adelante\b|\bel\s+(?:próximo\s+año|año\s+que\s+viene)\b|\bescríbeme\s+en\b",
    r"\bmais\s+para\s+frente\b|\b(?:ano\s+que\s+vem|próximo\s+ano)\b",
    r"\bstuur\s+(?:in|na)\b|\b(?:in|na)\s+(?:januari|februari|maart|april|het\s+voorjaar)\b|\bvolgend\s+jaar\b",
    r"来年|改めて|落ち着いたら",
    r"\bif\s+(?:anything|something|that|this)\s+(?:ever\s+)?changes\b|\bmocht\s+er\s+iets\s+veranderen\b|\bfalls\s+sich\s+(?:etwas|das|daran)\s+ändert\b"
    r"|\bsi\s+(?:cela|ça|quelque\s+chose)\s+change\b|\bsi\s+algo\s+cambia\b|\bse\s+algo\s+mudar\b|\bsi\s+(?:en\s+algún\s+momento\s+)?cambia\b",
)
# ... or a condition.
CONDITION = lexicon(
    r"\bif\s+(?:that|it|this)\s+(?:ships|changes|is\s+ever|ever)\b|\bunless\b|\bi'm\s+in\b|\blet\s+me\s+know\s+if\b",
    r"\bmaybe\s+we'll\s+talk\b|\bwe'll\s+see\b|\bi\s+need\s+to\s+see\s+it\s+by\b|\bchanges?\s+the\s+math\b",
    r"\bif\s+(?:you\s+can|there's\s+something|the\s+numbers)\b",
    r"\bwenn\s+sie\b.{0,50}\bkönnen\b|\bsi\s+vous\s+pouvez\b|\bsi\s+(?:puede|pueden|puedes)\b|\bse\s+(?:vocês\s+)?(?:puder|puderem|conseguir)\b"
    r"|\bals\s+(?:u|jullie|je)\b.{0,40}\bkunnen\b",
)
OPEN_DOOR = lexicon(DEFERRAL.pattern, CONDITION.pattern)

REFERRAL = lexicon(
    r"\b(?:i'm|i\s+am)\s+not\s+the\s+(?:right|best|correct)\s+(?:person|contact|one)\b",
    r"\bnot\s+(?:my\s+(?:area|department|call|decision|remit)|the\s+right\s+person)\b",
    r"\byou(?:'ll)?\s+(?:want|need|should)\s+(?:to\s+)?(?:speak|talk|reach\s+out|contact|get\s+in\s+touch|connect|write)\b(?!\s*[-–—,.!?;:]|\s*$)",
    r"\byou(?:'ll|\s+will)?\s+want\s+[A-Z]",
    r"\bforwarding\s+(?:this\s+)?to\b|\bcan\s+you\s+take\s+this(?:\s+one)?\b|\bje\s+vous\s+invite\s+à\s+contacter\b",
    r"\bniet\s+mijn\s+afdeling\b|\bnicht\s+(?:meine|mein)\s+(?:abteilung|bereich)\b",
    r"\b(?:talk|speak)\s+(?:to|with)\s+(?!you\b|me\b|us\b)",
    r"\b(?:reach\s+out\s+to|get\s+in\s+touch\s+with|contact)\s+(?:my\s+colleague|our|her|him|them|[A-Z][a-z]+)",
    r"\b(?:he|she|they)\s+(?:owns|handles|runs|manages|leads|decides|evaluates|is\s+responsible|would\s+be\s+the)\b",
    r"\b(?:evaluates|owns|handles|runs)\s+(?:all\s+)?(?:our\s+)?(?:finance|ap|accounts\s+payable|software|vendor|procurement)\b",
    r"\b(?:looping|loop)\s+in\b|\badding\s+[A-Z]\w*\b|\bcc['’]?(?:ing|d)\b|\(cc\)|\bin\s+cc\b|\bcop(?:ied|ying)\s+in\b",
    r"\bover\s+to\s+you\b|\bwho\s+(?:runs|owns|handles|leads|manages|looks\s+after|is\s+responsible\s+for)\b",
    r"\bcopying\s+(?:in\s+)?[A-Z]|\b(?:she's|he's|she\s+is|he\s+is|they're)\s+the\s+(?:one|ones|person|right\s+person)\b",
    r"\b(?:is|are|would\s+be)\s+the\s+(?:right|best|correct|proper)\s+(?:contact|person|people|one)\b|\bright\s+contact\s+for\b",
    r"\bbelongs\s+with\b|\blet\s+(?:her|him|them)\s+know\s+(?:you'll|you\s+will|to\s+expect)\b",
    r"\b(?:moet|moeten)\s+(?:je|u|jullie)\s+bij\b|\btake\s+it\s+from\s+here\b",
    r"\bnow\s+(?:looks\s+after|handles|owns|runs|manages)\b|\bmoved\s+(?:to\s+a\s+)?(?:different|new|another)\s+(?:role|team|job)\b",
    r"\b(?:sits|lies|rests)\s+with\b|\bbest\s+to\s+(?:reach|contact|talk|speak|email|ask)\b|\breach\s+(?:him|her|them)\s+at\b",
    r"\b(?:his|her|their)\s+(?:e-?mail|address)\s+is\b|\be-?mail\s+(?:him|her|them)\s+(?:at|directly)\b",
    r"\b(?:handles|owns|runs|manages|looks\s+after)\s+(?:ap|accounts\s+payable|payables|finance|invoic\w+|this|that|procurement|purchasing)\b",
    r"\b(?:took|has\s+taken|taking)\s+over\s+(?:my|the|his|her)\s+(?:role|position|job|responsibilities)\b",
    r"\bmy\s+(?:successor|replacement)\b|\breplaced\s+me\b",
    r"\bthe\s+(?:person|one|people|man|woman)\s+you(?:'re|\s+are)?\s+(?:looking\s+for|after|need|want)\b",
    r"\bquem\s+cuida\s+diss[oa]\b|\bpode\s+(?:escrever|falar)\s+(?:para|com)\s+(?:ela|ele)\b|\bquien\s+(?:lleva|se\s+encarga\s+de)\s+(?:esto|eso)\b"
    r"|\bpuedes?\s+escribirle\b|\bwer\s+(?:das|dafür)\s+zuständig\b|\bqui\s+s['’]occupe\s+de\b",
    r"\b(?:handled|managed|owned|run|covered|decided|looked\s+after)\s+by\s+(?:our|my|the)\b|\byou\s+can\s+(?:reach|contact|e-?mail|write\s+to)\s+(?:him|her|them)\b",
    r"\bgérée?s?\s+par\b|\bvous\s+pouvez\s+(?:lui|la|le|les)\s+(?:écrire|contacter|joindre)\b|\b(?:gestionad|llevad|manejad)[oa]s?\s+por\b"
    r"|\b(?:gerid|cuidad)[oa]s?\s+por\b|\bwird\s+(?:von|bei\s+uns\s+von)\s+\w+\s+(?:betreut|verantwortet)\b",
    r"\b(?:please\s+)?(?:direct|send|forward|route|address)\s+(?:any\s+|all\s+)?(?:further\s+)?(?:correspondence|proposals?|inquiries"
    r"|enquiries|questions|this|it|your\s+(?:e-?mail|proposal|request))\s+(?:to|there)\b",
    r"\bmust\s+go\s+through\s+(?:our\s+)?(?:procurement|purchasing|vendor\s+management)\b",
    r"\btell\s+(?:him|her|them)\s+(?:that\s+)?I\s+sent\s+you\b",
    r"\b(?:i've|i\s+have)\s+forwarded\s+(?:this|your)\b|\bforwarding\s+(?:this|your)\s+(?:e-?mail|note|message)?\s*to\b",
    r"\b(?:the\s+(?:right|best)\s+person|the\s+one\s+to\s+talk\s+to)\s+(?:is|would\s+be)\b",
    r"\bfollow\s+up\s+with\s+[A-Z]",
    r"\b(?:please\s+)?take\s+a\s+look\s+and\b",
    # German
    r"\bnicht\s+(?:der|die)\s+richtige\s+ansprechpartner(?:in)?\b|\bwenden\s+sie\s+sich\s+(?:bitte\s+)?an\b|\bzuständig\s+(?:ist|sind|wäre)\b",
    r"\bansprechpartner(?:in)?\s+(?:ist|wäre|für)\b|\b(?:ist|sind|wäre)\b.{0,60}\bzuständig\b|\bschreiben\s+sie\s+(?:ihm|ihr)\b|\bwenden\s+sie\s+sich\b",
    # French
    r"\b(?:je\s+ne\s+suis|ce\s+n['’]est)\s+pas\s+la\s+bonne\s+personne\b|\badressez-vous\s+à\b|\b(?:s['’]occupe|est\s+en\s+charge|gère)\s+(?:de|des|du)\b",
    r"\b(?:contactez|voyez\s+avec)\s+(?:mon|ma|notre)\b",
    # Spanish
    r"\bno\s+soy\s+la\s+persona\s+(?:indicada|adecuada|correcta)\b|\b(?:habla|hable|contacta|contacte|escribe|escriba)\s+(?:con|a)\s+[A-Z]",
    r"\b(?:las|los|lo|la)\s+(?:lleva|maneja|gestiona)n?\b|\b(?:te|le)\s+dejo\s+su\s+correo\b|\bde\s+mi\s+parte\b",
    # Portuguese
    r"\bnão\s+sou\s+a\s+pessoa\s+(?:certa|indicada|correta)\b|\b(?:fale|falar|entre\s+em\s+contato)\s+com\b|\bé\s+(?:a|o)\s+responsável\b",
    # Dutch
    r"\bniet\s+de\s+juiste\s+persoon\b|\bneem\s+contact\s+op\s+met\b|\b(?:spreek|bel|mail)\s+met\b|\bis\s+verantwoordelijk\b",
    # Japanese
    r"担当(?:者)?(?:は|が)|担当しております|ご連絡(?:いただけますと|ください)",
)
HANDOFF_STRONG = lexicon(
    r"\b(?:i'm|i\s+am)\s+not\s+the\s+(?:right|best|correct)\s+(?:person|contact|one)\b",
    r"\bnot\s+my\s+(?:area|department|call|decision|remit)\b",
    r"\b(?:took|has\s+taken)\s+over\s+my\b|\bmy\s+(?:successor|replacement)\b|\b(?:taking|took|has\s+taken)\s+over\b.{0,40}\bfrom\s+me\b",
    r"\b(?:te|le)\s+paso\s+su\s+(?:correo|contacto|e-?mail)\b|\blo\s+(?:ve|lleva)\s+(?:nuestr[oa]|mi)\b",
    r"\b(?:is|are)\s+now\s+(?:run|handled|owned|managed|looked\s+after|covered)\s+by\b",
    r"\b(?:i've|i\s+have|i)\s+moved\s+(?:over\s+)?(?:to|into)\s+(?:the|a|another|our)\s+(?:\w+\s+)?(?:team|role|department|position|side)\b",
    r"\bthe\s+(?:person|one|people)\s+you(?:'re|\s+are)\s+(?:looking\s+for|after)\b",
    r"\byou(?:'ll)?\s+(?:want|need|should)\s+(?:to\s+)?(?:speak|talk|reach\s+out|contact|get\s+in\s+touch|connect|write|e-?mail)\b"
    r"(?!\s*[-–—,.!?;:]|\s*$)",
    r"\b(?:go|goes|going|run|runs|has\s+to\s+go)\s+through\s+(?:our\s+)?(?:procurement|purchasing|vendor\s+management|sourcing)\b"
    r"|\b(?:copied|cc['’]?d|cc['’]?ed)\s+(?:in\s+)?(?:here|on\s+this)\b",
    r"\byou(?:'ll|\s+will)?\s+want\s+[A-Z]",
    r"\b(?:talk|speak)\s+(?:to|with)\s+[A-Z]",
    r"\bforwarding\s+(?:this\s+)?to\b|\bcan\s+you\s+take\s+this(?:\s+one)?\b|\bnot\s+me\b\s*[-–—,:]",
    r"\bce\s+n['’]est\s+pas\s+moi\s+qui\b|\bje\s+vous\s+invite\s+à\s+contacter\b|\bno\s+soy\s+yo\s+quien\b|\bnão\s+sou\s+eu\s+quem\b",
    r"\bcopying\s+(?:in\s+)?[A-Z]|\b(?:she's|he's|she\s+is|he\s+is)\s+the\s+one\b|\bnow\s+(?:looks\s+after|handles|owns|runs)\b",
    r"\bniet\s+mijn\s+afdeling\b|\bnicht\s+(?:meine|mein)\s+(?:abteilung|bereich)\b|\bpas\s+mon\s+domaine\b|\bno\s+es\s+mi\s+área\b",
    r"\b(?:is|are|would\s+be)\s+the\s+(?:right|best|correct)\s+(?:contact|person|people)\b|\b(?:moet|moeten)\s+(?:je|u)\s+bij\b",
    r"\btake\s+it\s+from\s+here\b|\bbelongs\s+with\b",
    r"\bmust\s+go\s+through\b|\bdirect\s+(?:any\s+)?(?:further\s+)?correspondence\b",
    r"\bshe'll\s+be\s+in\s+touch\b|\bhe'll\s+be\s+in\s+touch\b|\btheir\s+call\b|\byour\s+call\b|\bher\s+call\b|\bhis\s+call\b",
    r"\btell\s+(?:him|her|them)\s+I\s+sent\s+you\b|\bde\s+mi\s+parte\b",
    r"\bno\s+soy\s+la\s+persona\b|\bnão\s+sou\s+a\s+pessoa\b|\bnicht\s+(?:der|die)\s+richtige\b|\bpas\s+la\s+bonne\s+personne\b"
    r"|\bniet\s+de\s+juiste\s+persoon\b",
    r"\bfollow\s+up\s+with\s+[A-Z]",
    r"\bover\s+to\s+you\b|\b(?:sits|lies)\s+with\b|\bbest\s+to\s+(?:reach|contact|talk|speak|email)\b|\breach\s+(?:him|her|them)\s+at\b",
    r"\bwrong\s+person\b.{0,80}\b(?:handles|owns|runs|is|contact|reach|talk)\b",
)
REFERRAL_CUE = lexicon(  # words near an address that make it a contact to use
    r"\b(?:contact|reach|talk|speak|write|e-?mail|cc|adding|looping|loop|introduc|successor|colleague|covering|urgent|instead"
    r"|procurement|purchasing|direct|correspondence|took\s+over|replacement|owns|handles|runs|charge|responsible|address"
    r"|inquiries|enquiries|matters)\w*",
    r"\bkolleg\w*|\bwenden\b|\bansprech\w*|\bcollègue\b|\bcontactez\b|\bcolega\b|\bcorreo\b|\bcontatar\b|\bcontato\b|\bcollega\b|担当|連絡",
)

INTERESTED = lexicon(
    r"\b(?:very\s+|quite\s+|definitely\s+|genuinely\s+)?interested\b(?!\s+in\s+(?:acquiring|buying))",
    r"\bi'm\s+listening\b|\ball\s+ears\b|\bup\s+and\s+running\b|\bhow\s+(?:fast|quickly|soon)\s+(?:could|can)\s+we\b",
    r"\b(?:open\s+to|up\s+for)\s+a\s+(?:demo|trial|pilot|look)\b|\bboard\s+approved\b|\bapproved\s+the\s+budget\b",
    r"\bsounds\s+(?:interesting|good|great|promising|relevant|useful)\b",
    r"\b(?:this|that|it)\s+(?:is|looks|sounds|seems)\s+(?:\w+\s+)?(?:timely|relevant|interesting|great|useful|promising)\b",
    r"\b(?:good|funny|perfect|great)\s+timing\b|\btiming\s+is\s+(?:uncanny|perfect|great|good)\b|\byour\s+timing\b",
    r"\blet's\s+(?:revisit|talk|chat|explore|discuss|do\s+(?:it|this)|set\s+(?:it|something)\s+up|connect)\b",
    r"\b(?:we'd|i'd|we\s+would|i\s+would)\s+(?:like|love)\s+to\s+(?:learn|hear|see|understand|know|explore|get\s+a\s+look)\b",
    r"\b(?:want|like|love)\s+to\s+(?:learn|hear)\s+more\b|\btell\s+me\s+more\b|\blearn\s+more\b|\bhear\s+more\b",
    r"\b(?:please\s+)?send\s+(?:me\s+|us\s+|over\s+|along\s+)?(?:the\s+|a\s+|an\s+|your\s+|some\s+|whatever\s+|more\s+)?"
    r"(?:deck|one-?pager|info|information|details|materials?|brochure|case\s+stud(?:y|ies)|video|slides?|presentation"
    r"|pricing|proposal|overview|demo|sandbox|trial|ballpark|quote|offer|references|order\s+form|msa|two-minute|short)",
    r"\b(?:can|could)\s+you\s+(?:please\s+)?send\b",
    r"\bhappy\s+to\s+(?:have\s+a\s+|jump\s+on\s+a\s+|hop\s+on\s+a\s+)?(?:chat|talk|call|take\s+a\s+look|learn|hear|listen|hop\s+on)\b",
    r"\b(?:could|might|may|would)\s+(?:well\s+)?be\s+(?:useful|helpful|interesting|relevant|a\s+(?:good\s+)?fit|worth\s+(?:a\s+look|exploring))\b",
    r"\b(?:been\s+meaning\s+to|been\s+looking\s+(?:at|for|into)|looking\s+for\s+something\s+like)\b",
    r"\bup\s+for\s+(?:a|an)?\s*(?:quick\s+|short\s+)?(?:chat|call|conversation|demo|look)\b|\bkeen\s+to\b|\bsee\s+it\s+in\s+action\b",
    r"\btell\s+me\s+more\b|\b(?:go\s+ahead\s+and\s+)?send\s+(?:it|them|that)\s+(?:over|along|through)\b|\bgo\s+ahead\s+and\s+send\b",
    r"\ben\s+savoir\s+plus\b|\bje\s+veux\s+bien\b|\bmehr\s+(?:dazu\s+)?erfahren\b|\bsaber\s+más\b|\bmeer\s+over\s+weten\b",
    r"\btake\s+(?:it|this)\s+to\s+(?:my|our)\s+(?:manager|boss|team|cfo|director|controller|vp|head)\b",
    r"\b(?:share|forward)\s+(?:a|an|the|some|more|your)?\s*(?:short\s+|quick\s+|brief\s+)?(?:overview|info|information|details|deck"
    r"|materials?|pricing|one-?pager|case\s+stud(?:y|ies)|brochure|demo\s+video)\b",
    r"\bopen\s+to\s+(?:a\s+)?(?:chat|call|conversation|learning|exploring)\b",
    r"\b(?:keen|excited|we're\s+serious|serious\s+about|count\s+me\s+in|worth\s+a\s+(?:look|conversation|chat))\b",
    r"^\s*(?:yes|yep|yeah|sure|ok|okay|definitely|absolutely)\b",
    r"\b(?:yes|sure),?\s+(?:please|pls|send)\b",
    r"\b(?:what'?s|what\s+are)\s+the\s+next\s+steps\b|\bhow\s+do\s+we\s+(?:get\s+started|move\s+forward)\b",
    r"\bbetter\s+than\s+(?:i\s+)?expected\b|\bgoing\s+(?:well|great)\b|\bfull\s+rollout\b",
    r"\b(?:wants?|ready|like)\s+to\s+move\s+forward\b|\bwe'd\s+like\s+to\s+add\b|\bget\s+a\s+trial\b|\bthe\s+timing\s+is\s+good\b",
    r"\b(?:we'd|we\s+would)\s+want\s+to\s+hear\s+more\b|\bif\s+it's\s+even\s+half\s+true\b",
    r"\bput\s+(?:a|something)\s+(?:line\s+item\s+)?in\s+(?:for|front)\b|\bline\s+item\s+in\b",
    r"\bwhat's\s+the\s+best\s+way\s+to\s+(?:get|see)\b|\bget\s+a\s+look\s+at\b",
    r"\byou've\s+earned\s+it\b",
    r"\bwe\s+should\s+(?:probably\s+|definitely\s+|really\s+)?(?:talk|chat|speak|connect|meet)\b",
    r"\b(?:well|perfectly|nicely)\s+timed\b|\bup\s+for\s+(?:hearing|learning|seeing|a\s+(?:quick\s+)?(?:chat|call|look))\b",
    r"\b(?:we're|we\s+are|i'm|i\s+am)\s+(?:open|not\s+opposed)\s+to\s+(?:it|this|that|the\s+idea|the\s+topic|exploring)\b|\boffen\s+für\b"
    r"|\bouverts?\s+à\b|\babiertos\s+a\b|\babertos\s+a\b|\bstaan\s+(?:er\s+)?open\s+voor\b",
    r"\bklinkt\s+(?:goed|interessant)\b|\bsuena\s+(?:bien|interesante)\b|\bparece\s+(?:bom|interessante|ótimo)\b|\bça\s+a\s+l['’]air\s+intéressant\b"
    r"|\b(?:tenho|tenemos|tengo)\s+(?:interesse|interés)\b|\b(?:pode|poderia)\s+(?:me\s+|nos\s+)?mandar\b",
    r"\b(?:stuur|sturen|kunt\s+u|kun\s+je)\b.{0,30}\b(?:informatie|info|presentatie|documentatie)\b",
    r"(?<!\bi\s)(?<!\bwe\s)\bwould\s+(?:like|love)\s+to\s+(?:see|learn|hear|explore|understand|know\s+more)\b|\btiming\s+(?:isn't|isnt|is\s+not)\s+bad\b",
    r"^\s*(?:very\s+|really\s+|quite\s+)?interesting\b",
    r"\b(?:happy|glad|delighted|keen)\s+to\s+(?:discuss|talk|chat|explore)\b|\b(?:ravie?|heureux|heureuse|content[e]?)\s+d['’](?:en\s+)?(?:discuter|échanger|parler)\b"
    r"|\bencantad[oa]\s+de\s+(?:hablar|conversar)\b|\bfico\s+feliz\s+em\s+conversar\b|\bgerne\s+(?:austauschen|sprechen|unterhalten)\b",
    r"\b(?:been|we're|we\s+are|i've\s+been|we've\s+been)\s+(?:talking|thinking)\s+(?:internally\s+)?about\b|\bif\s+it\s+looks\s+(?:right|good|promising)\b",
    r"\b(?:do|would|could)\s+you\s+have\s+(?:a|an|any)\s+(?:\w+\s+){0,2}(?:video|trial|demo|deck|one-?pager|case\s+stud\w*|brochure"
    r"|sandbox|overview|recording|test\s+account)\b",
    r"お話を(?:伺|お聞き|聞)|詳しく(?:お話|ご説明)|ちょうど(?:困って|検討して|探して)",
    r"\b(?:you(?:'ve)?\s+(?:got|have)\s+my\s+attention|(?:caught|got)\s+my\s+(?:attention|eye)|piqued\s+my\s+(?:interest|curiosity))\b",
    r"\bhappy\s+to\s+(?:have|set\s+up|arrange|book|schedule)\s+(?:a\s+)?(?:quick\s+|short\s+|first\s+)?(?:conversation|chat|call|talk|intro)\b",
    r"\b(?:put|pull)\s+(?:something|a\s+\w+(?:\s+\w+)?)\s+together\b|\bshow(?:ing)?\s+(?:me\s+|us\s+)?how\s+(?:it|this|that)\s+would\s+(?:look|work)\b",
    # German
    r"\b(?:sehr\s+)?interessant\b|\binteressiert\s+(?:uns|mich)\b|\bklingt\s+(?:gut|interessant|spannend)\b",
    r"\b(?:senden|schicken)\s+sie\s+(?:mir|uns)\s+(?:gerne\s+)?(?:unterlagen|informationen|infos|eine\s+präsentation|ein\s+angebot)\b",
    r"\bmehr\s+erfahren\b",
    r"\b(?:schicken|senden|übermitteln|zukommen\s+lassen)\b.{0,40}\b(?:unterlagen|informationen|infos|präsentation|angebot|material)\w*",
    # French
    r"\bintéress(?:ant|és?|ée?s?)\b|\bça\s+m['’]intéresse\b|\ben\s+savoir\s+plus\b",
    r"\b(?:envoyez|pouvez-vous\s+(?:m['’]|nous\s+)?envoyer|merci\s+d['’]envoyer)(?:-moi|-nous)?\b",
    # Spanish
    r"\b(?:sí\s+)?(?:nos|me)\s+interesa\b|\binteresante\b|\b(?:me|nos)\s+(?:puedes|puede|podrías|podría)\s+enviar\b",
    r"\bmás\s+información\b",
    # Portuguese
    r"\b(?:nos|me)\s+interessa\b|\btemos\s+interesse\b|\binteressante\b|\b(?:pode|poderia)\s+(?:me\s+|nos\s+)?enviar\b"
    r"|\bmais\s+informações\b|\bsaber\s+mais\b",
    # Dutch
    r"\binteressant\b|\bgeïnteresseerd\b|\b(?:stuur|kunt\s+u|kun\s+je)\s+(?:me|ons|mij)?\s*(?:meer\s+)?(?:informatie|info|een\s+presentatie|documentatie)\b"
    r"|\bmeer\s+weten\b",
    # Japanese
    r"興味(?:が|を)?(?:あり|持|ござい)|資料を(?:お)?送|資料(?:を)?(?:いただ|頂)|詳しく(?:知りたい|伺いたい|教えて)|検討して(?:おりました|います)|ぜひ",
)
REQUEST_MATERIAL = lexicon(
    r"\bsend\s+(?:me\s+|us\s+|over\s+)?(?:the\s+|a\s+|an\s+|your\s+|some\s+|whatever\s+)?(?:deck|one-?pager|info|information"
    r"|details|materials?|brochure|case\s+stud|video|slides?|presentation|overview|sandbox|trial|ballpark|order\s+form|msa"
    r"|references|offer|two-minute|short)",
    r"\b(?:share|send)\s+(?:a|an|the|some|more|your)?\s*(?:short\s+|quick\s+|brief\s+)?(?:overview|info|information|details|deck"
    r"|materials?|one-?pager|case\s+stud(?:y|ies)|brochure|demo\s+video|pricing\s+(?:info|sheet|details))\b",
    r"\b(?:can|could)\s+you\s+(?:please\s+)?send\b.{0,60}\b(?:deck|one-?pager|info|material|brochure|case\s+stud|video"
    r"|slide|presentation|overview|sandbox|login|ballpark|order\s+form|msa|references|longer\s+version|documentation)",
    r"\bsend\s+(?:over\s+|me\s+|us\s+)?(?:the|a|your)\s+(?:final\s+|updated\s+|revised\s+)?"
    r"(?:contract|agreement|paperwork|order\s+form)\b",
    r"\bsend\s+(?:me\s+|us\s+|over\s+)?something\b",
    r"\bsandbox\s+login\b|\bfree\s+trial\b|\bget\s+a\s+(?:trial|pilot|poc)\s+(?:going|started|set\s+up)\b",
    r"\b(?:put\s+together|prepare|draw\s+up|send)\s+(?:me\s+|us\s+)?(?:a|an)\s+(?:rough\s+|ballpark\s+|formal\s+|quick\s+)?(?:quote|proposal|estimate)\b",
    r"\benvoyer\b.{0,40}\b(?:documentation|présentation|plaquette|brochure)\b|\benviar\b.{0,40}\b(?:presentación|presentação|material|información|casos)\b",
    r"\b(?:unterlagen|informationen|präsentation|übersicht)\b.{0,40}\b(?:senden|schicken|zukommen\s+lassen)\b",
    r"\b(?:schicken|senden|übermitteln)\b.{0,40}\b(?:unterlagen|informationen|infos|präsentation|material)\w*",
    r"\b(?:put|pull)\s+(?:something|a\s+\w+(?:\s+\w+)?)\s+together\b",
    r"\bstuur\b.{0,30}\b(?:informatie|presentatie|documentatie)\b",
    r"資料",
    r"\bsend\s+(?:us\s+)?(?:an?\s+)?offer\b|\bsend\s+deck\b",
    r"\b(?:do|would|could)\s+you\s+have\s+(?:a|an|any)\s+(?:\w+\s+){0,2}(?:video|trial|demo|deck|one-?pager|case\s+stud\w*|brochure"
    r"|sandbox|overview|recording|test\s+account)\b",
)
# "send me some times", "when are you free": interest without a time yet.
TIMES_WANTED = lexicon(
    r"\b(?:your|what's\s+your|what\s+is\s+your)\s+availability\b|\bavailability\s+look\s+like\b|\bwhen\s+(?:works|suits)\s+(?:for\s+)?you\b",
    r"\bsend\s+(?:me|us|over)?\s*(?:some|a\s+few|your)\s+(?:times|slots|availability|options)\b",
    r"\bwhat\s+(?:times?|days?)\s+(?:work|suit|are\s+good)\b|\bwhen\s+(?:are\s+you|would\s+you\s+be)\s+(?:free|available)\b",
    r"\bsuggest\s+(?:a\s+)?(?:few\s+)?times?\b|\bpropose\s+(?:a\s+)?(?:few\s+)?(?:times?|slots)\b",
    r"\b(?:let\s+me\s+know|send\s+(?:me|us)|what)\s+(?:what\s+)?(?:times?|slots|days)\s+(?:you\s+have|work|are\s+open)\b",
    r"候補日|ご都合(?:の)?(?:よい|良い)日時|日程(?:を|の)(?:いくつか|ご提示|ご調整)",
    r"\b(?:ping|send|e-?mail|text)\s+me\s+(?:with\s+)?(?:a\s+couple\s+of|some|a\s+few|two\s+or\s+three)\s+(?:options|times|slots|dates)\b",
    r"\bvos\s+disponibilités\b|\bvotre\s+disponibilité\b|\bsus?\s+disponibilidad(?:es)?\b|\bsua\s+disponibilidade\b|\buw\s+beschikbaarheid\b"
    r"|\bihre\s+verfügbarkeit\b|\bwann\s+(?:passt\s+es\s+ihnen|haben\s+sie\s+zeit)\b",
)

QUESTION_WORDS = lexicon(
    r"\b(?:what|what's|whats|how|does|do\s+you|is\s+there|is\s+it|are\s+you|are\s+there|can\s+(?:you|it|we|approvers|i|users)"
    r"|could\s+you|which|where|when|who|why|would\s+(?:you|it|brennan)|will\s+(?:you|it)|have\s+you|any\s+chance)\b",
    r"\bquick\s+(?:question|one)\b|\bquestions?\b|\bwondering\b|\bcurious\b",
    r"\b(?:wie|was|wo|wann|welche\w*|warum|gibt\s+es|ist|sind|kann|können|haben\s+sie|bieten\s+sie|unterstützt)\b",
    r"\b(?:comment|quel\w*|où|quand|pourquoi|est-ce\s+que|combien|pouvez-vous|avez-vous|proposez-vous)\b",
    r"\b(?:cómo|qué|cuál\w*|dónde|cuándo|cuánto|tienen|pueden|hay|ofrecen)\b",
    r"\b(?:como|qual|quais|onde|quando|quanto|vocês|têm|há|oferecem)\b",
    r"\b(?:hoe|wat|welke|waar|wanneer|is\s+er|kunnen|heeft\s+u|hebben\s+jullie|ondersteunt)\b",
    r"\bfragen?\b|\bquestions?\b|\bpreguntas?\b|\bdúvidas?\b|\bperguntas?\b|\bvragen?\b|質問|でしょうか|ますか",
    r"¿",
)
PRODUCT_TOPIC = lexicon(
    r"\b(?:pric\w*|cost\w*|quote|fee|per\s+(?:user|invoice|seat)|contract|term|minimum|discount|vat|gbp|usd|eur|currency"
    r"|soc\s*2|iso\s*27001|sso|saml|scim|okta|security|gdpr|hipaa|phi|hosted|hosting|data|api|webhooks?|integrat\w*"
    r"|erp|netsuite|sap|quickbooks|xero|sla|uptime|support|implementation|onboarding|features?|workflow|approv\w*"
    r"|routing|mobile|app|teams|language|ui|sandbox|rate\s+limits?|export|customers?\s+in|references?|nonprofit)\b",
    r"\b(?:preis\w*|kosten|vertrag|datenschutz|hosting|schnittstelle|sprache)\b|\b(?:prix|tarif\w*|hébergé\w*|données)\b"
    r"|\b(?:precio|costo|implantação|implementación|prazo|xml|nf-e)\b|\b(?:prijs|kosten|koppeling)\b|価格|料金|費用|連携|対応",
)

# --- not a sales conversation ("other") -----------------------------------------------------------------------------

OTHER_TOPIC = {
    "press": lexicon(
        r"\b(?:reporter|journalist|editor|media\s+inquiry|press\s+inquiry|interview|podcast|writing\s+(?:a|an)\s+"
        r"(?:piece|story|article|feature)|working\s+on\s+(?:a|an)\s+(?:piece|story|article|feature)"
        r"|for\s+(?:our|an?)\s+(?:article|story|feature))\b",
        r"\b(?:a|for\s+a)\s+quote\s+from\s+(?:you|ourco|your)\b",
        r"\b(?:mba|phd|master's|university|college)\s+student\b|\bthesis\b|\bdissertation\b|\bresearch\s+(?:project|study|paper)\b",
    ),
    "job": lexicon(
        r"\b(?:my\s+)?(?:resume|résumé|cv)\s+(?:is\s+)?attached\b|\breferring\s+me\b|\b(?:job|role|position|opening)s?\s+(?:at|on\s+your)\b",
        r"\blooking\s+for\s+(?:a\s+)?(?:job|role|position|new\s+opportunit\w+)\b|\b(?:is|are)\s+\w+\s+hiring\b|\bsend\s+(?:you\s+)?my\s+(?:cv|resume|résumé)\b",
        r"\bhiring\s+(?:sdrs?|aes?|reps?|for\s+the)\b|\bapply(?:ing)?\s+for\b|\bcareer\b|\binternship\b",
    ),
    "legal": lexicon(
        r"\bthis\s+(?:firm|office)\s+represents\b|\bour\s+client\b.{0,60}\b(?:attention|rights)\b|\bcease\s+and\s+desist\b",
        r"\bwe\s+demand\b|\bdefamat\w*\b|\bfalse\s+(?:statements?|claims?)\b|\blegal\s+action\b|\breserves?\s+all\s+rights\b",
        r"\b(?:art\.?|article)\s*15\b|\bsubject\s+access\s+request\b|\b(?:where|how)\s+did\s+you\s+get\s+my\b",
        r"\bwhy\s+(?:are|do)\s+you\s+(?:have|e-?mailing|contacting|writing\s+to)\s+my\s+(?:personal|private|home)\b",
        r"\bwhere\s+(?:you|did\s+you)\s+(?:got|get|found|find|obtained|obtain)\s+my\b|\bwho\s+gave\s+you\s+my\b",
        r"\bwoher\s+haben\s+sie\s+meine\b|\bauskunft\s+(?:gemäß|nach)\b|\bdsgvo\b|\brgpd\b|\blgpd\b|\bd['’]où\s+(?:tenez|avez)-vous\b"
        r"|\bde\s+dónde\s+(?:sacaron|obtuvieron|obtuvo|sacó|consiguió|consiguieron)\b|\bonde\s+(?:conseguiram|obtiveram|conseguiu|obteve)\b"
        r"|\bwaar\s+heeft\s+u\s+mijn\b",
        r"\bacciones\s+legales\b|\bmedidas\s+legales\b|\bpoursuites\b|\brechtliche\s+schritte\b|\bações\s+(?:legais|judiciais)\b"
        r"|\bjuridische\s+stappen\b|\ben\s+nombre\s+de\s+mi\s+cliente\b|\bim\s+auftrag\s+(?:meines|unseres)\s+mandanten\b",
    ),
    "support": lexicon(
        r"\b(?:not|stopped|aren't|isn't|are\s+not|is\s+not)\s+(?:syncing|working|posting|loading|sending)\b",
        r"\b(?:outage|is\s+down|went\s+down|broken\s+since|stuck\s+in|error\s+since)\b",
        r"\bsupport\s+ticket\b|\bticket\s+#?\d+\b.{0,60}\b(?:no\s+response|open|unanswered)\b",
        r"\bsince\s+(?:yesterday's|the\s+(?:latest|last|recent))\s+(?:update|release|upgrade)\b",
        r"\bcan\s+you\s+escalate\b|\bescalat\w+\b",
        r"\b(?:can't|cannot|can\s+not|unable\s+to)\s+(?:log\s*in|sign\s+in|access|post|sync|upload|approve|export)\b",
        r"\berror\s+(?:page|message|code)\b|\bhelp\s+urgently\b|\burgent(?:ly)?\s+help\b|\bsince\s+this\s+morning\b",
        r"\bsomeone\s+from\s+(?:support|your\s+team)\b|\blook\s+into\s+(?:it|this)\s+(?:today|asap|urgently|right\s+away)\b",
        r"\b(?:paid|charged|posted)\s+(?:the\s+same\s+\w+(?:\s+\w+)?\s+)?twice\b|\bduplicate\s+(?:payment|charge)s?\b|\bwe\s+need\s+to\s+stop\b",
        r"\b(?:haven't|hasn't|have\s+not|has\s+not)\s+(?:posted|synced|gone\s+through|updated|arrived|loaded)\b",
        r"\b(?:not|aren't|isn't|are\s+not|is\s+not|stopped)\s+(?:showing\s+up|coming\s+through|appearing|arriving)\b"
        r"|\bnone\s+of\s+the\b.{0,60}\b(?:showing|coming\s+through|appearing|arriving|syncing|posting|working)\b",
        r"\bwho\s+can\s+(?:look\s+(?:at|into)|help\s+(?:with|us\s+with))\s+(?:this|it)\b",
        r"\blook\s+(?:at|into)\s+(?:this|it)\s+(?:urgently|asap|today|right\s+away)\b|\bjust\s+spins\b",
        r"\bsince\s+(?:\w+'s\s+|the\s+(?:latest|last|recent)\s+)(?:update|release|upgrade|deploy\w*)\b",
        r"\bsupport\s+(?:hasn't|has\s+not|didn't|did\s+not)\s+(?:replied|responded|answered|got(?:ten)?\s+back)\b",
        r"\b(?:got|was|were|keeps?\s+getting)\s+declined\b|\bare\s+stuck\b|\bwho\s+can\s+fix\b|\bfix\s+(?:this|it)\s+(?:today|asap|now)\b",
        r"\bfunktioniert\s+nicht\b|\bne\s+fonctionne\s+(?:plus|pas)\b|\bno\s+funciona\b|\bnão\s+funciona\b|\bwerkt\s+niet\b|障害|不具合",
    ),
    "billing": lexicon(
        r"\byour\s+(?:\w+\s+)?invoice\b.{0,80}\b(?:missing|reissue|rejected|wrong|incorrect|paid)\b",
        r"\b(?:reissue|re-issue|credit\s+note|po\s+number|purchase\s+order\s+number)\b",
        r"\bbilling\s+team\b|\brejected\s+your\b",
    ),
    "partner": lexicon(
        r"\b(?:partner|referral|reseller|affiliate|channel)\s+(?:program|programme|agreement|margins?)\b",
        r"\b(?:resell|white[- ]label|implementation\s+partner|certif(?:y|ied)\s+partner)\b",
        r"\b(?:integration|technology|strategic|channel|co-?marketing)\s+partner(?:ship)?s?\b",
    ),
    "wrong_person": lexicon(
        r"\bwrong\s+(?:person|contact|address|e-?mail|guy|lady)\b|\byou\s+have\s+the\s+wrong\b",
        r"\b(?:reached|sent\s+to|came\s+to|got\s+to)\s+me\s+(?:by\s+mistake|in\s+error)\b|\bmeant\s+for\s+(?:someone|somebody|another|a\s+different)\b"
        r"|\b(?:this|it)\s+(?:was|is)\s+(?:sent\s+)?(?:to\s+me\s+)?(?:by\s+mistake|in\s+error)\b",
        r"\b(?:no\s+idea|not\s+sure)\s+how\s+(?:i|we)\s+(?:ended\s+up|got)\s+on\b|\bnot\s+(?:anyone|affiliated)\s+(?:at|with)\b",
        r"\bfalsche\s+(?:person|adresse)\b|\bmauvaise\s+personne\b|\bpersona\s+equivocada\b|\bpessoa\s+errada\b|\bverkeerde\s+persoon\b",
    ),
    "heads_up": lexicon(
        r"\b(?:quick\s+|just\s+a\s+)heads[- ]up\b"
        r"|\bnothing\s+(?:needed|required)\s+(?:right\s+now|from\s+you|for\s+now|at\s+this\s+point)\b"
        r"|\bno\s+action\s+(?:needed|required)\b",
    ),
    "event": lexicon(
        r"\b(?:speak(?:ing|er)?\s+(?:slot|invitation|opportunity)|on\s+(?:a|our)\s+panel|panel(?:ist)?\s+(?:on|about)|keynote|agenda\s+for)\b",
    ),
    "personal": lexicon(
        r"\bcongrat(?:s|ulations)\s+on\s+(?:the|your)\s+(?:new\s+)?(?:role|job|position|promotion|move|gig)\b",
        r"\bsaw\s+(?:on\s+linkedin\s+)?(?:that\s+)?you(?:'ve)?\s+(?:joined|moved\s+to|started\s+at)\b",
    ),
    "mail_merge": lexicon(r"\{\s*(?:first_?name|company|name|firstname|company_?name)\s*\}", r"\bmail\s+merge\b"),
    "internal": lexicon(
        r"\bdon't\s+reply\s+to\s+(?:her|him|them)\b|\bdo\s+not\s+reply\s+to\s+(?:her|him|them)\b",
        r"\b(?:before\s+we\s+reply|hold\s+off\s+(?:on\s+)?(?:replying|responding))\b",
    ),
}
ACKNOWLEDGEMENT = lexicon(
    r"^\s*(?:got\s+it|received|noted|thanks|thank\s+you|many\s+thanks|great,?\s+thanks|ok,?\s+thanks)\b",
    r"\b(?:will|we'll|i'll)\s+(?:review|discuss|look\s+at\s+it|take\s+a\s+look)\b.{0,60}\b(?:come|get)\s+back\s+to\s+you\b",
)

# --- how far along a deal is: late-stage signals make a lead hot ------------------------------------------------------

LATE_STAGE = lexicon(
    r"\b(?:order\s+form|msa|master\s+(?:services\s+)?agreement|redlines?|countersign|purchase\s+order)\b",
    r"\b(?:for|ready\s+for|out\s+for|e-?|docusign\s+for|send\s+(?:it\s+)?for)\s*signature\b|\bsignature\s+(?:page|block)\b",
    r"\b(?:legal|procurement)\s+(?:is\s+|has\s+|can\s+|to\s+)?(?:review|reviewing|start|first\s+pass|came\s+back|back)\b",
    r"\blegal['’]s\s+first\s+pass\b|\bget\s+this\s+to\s+legal\b|\bso\s+legal\s+can\b",
    r"\b(?:the\s+)?pilot\b.{0,80}\b(?:going\s+(?:well|great)|better\s+than|success\w*|results?)\b",
    r"\bfull\s+rollout\b|\broll\s+(?:it\s+)?out\s+(?:to|across)\b",
    r"\b(?:about\s+to|ready\s+to|going\s+to)\s+sign\b|\bdecision\s+is\s+made\b|\bfinal\s+round\b|\bshortlist\b",
    r"\b(?:choosing|deciding)\s+between\b.{0,60}\b(?:this|next)\s+week\b|\bgo-?live\s+by\b",
    r"\b(?:choosing|deciding)\s+between\b.{0,60}\bby\b|\bsigned\s+off\s+on\b|\bkick\s+off\s+onboarding\b",
    r"\b(?:fiscal[- ]year|budget)\s+(?:cutoff|deadline)\b",
    r"\bfinal\s+contract\b|\bso\s+we\s+can\s+sign\b|\bboard\s+approved\b|\bbudget\s+(?:is|was|has\s+been)\s+approved\b",
    r"\bapproved\s+the\s+budget\b|\bcontract\s+by\b|\bmove\s+forward\b.{0,60}\bcontract\b|\bpilot\s+results\b|\badd\s+\d+\s+more\s+(?:seats|users|cardholders|licen[cs]es|entities)\b",
    r"\bcontract\s+with\s+our\s+current\b.{0,40}\bends\b|\b(?:decided\s+)?not\s+to\s+renew\b|\bget\s+us\s+live\b",
    r"\badd\s+(?:them|the\s+\w+)\s+as\s+entities\b|\bpaperwork\s+we\s+need\s+to\s+sign\b|\bexpan(?:d|sion)\b.{0,40}\b(?:seats|entities|licen[cs]es)\b",
    r"\bsoc\s*2\s+report\s+under\s+nda\b",
    r"\bvertrag\s+unterschreiben\b|\bbon\s+de\s+commande\b|\bfirmar\s+el\s+contrato\b|\bassinar\s+o\s+contrato\b|契約書",
)
# An existing customer or a prospect already deep in talks (from the thread or the text).
ENGAGED_CONTEXT = lexicon(
    r"\b(?:proposal|pilot|check-?in|order\s+form|msa|renewal|onboarding|qbr|quarterly|customer|account\s+review"
    r"|security\s+(?:documentation|review|packet)|demo|invitation|calendar|contract|implementation)\b",
)
CUSTOMER_TEXT = lexicon(
    r"\bsupport\s+ticket\b|\bsince\s+(?:yesterday's|the\s+latest|the\s+last)\s+update\b|\bour\s+(?:account|subscription|instance|workspace)\b",
    r"\byour\s+(?:\w+\s+)?invoice\b|\bwe\s+(?:use|pay\s+for)\s+(?:ourco|your\s+(?:product|platform|tool))\b|\b(?:our|in|into)\s+ourco\b",
)

# --- tone -------------------------------------------------------------------------------------------------------------

POSITIVE = lexicon(
    r"\b(?:thanks|thank\s+you|great|good|love|happy|glad|excited|keen|interested|interesting|appreciate\w*|perfect|awesome"
    r"|excellent|helpful|relevant|timely|sounds\s+good|works\s+for\s+me|looking\s+forward|good\s+luck|best\s+of\s+luck"
    r"|cheers|pleasure|impressed|better\s+than|earned\s+it|yes|sure|gladly|wonderful|thrilled|uncanny)\b",
    r"\bdanke\b|\bgerne\b|\bprima\b|\bsuper\b|\bmerci\b|\bavec\s+plaisir\b|\bgracias\b|\bgenial\b|\bme\s+interesa\b"
    r"|\bobrigad[oa]\b|\bótimo\b|\bbedankt\b|\bgraag\b|ありがとう|ぜひ|幸いです|[🎉🙂😊👍]",
)
NEGATIVE = lexicon(
    r"\b(?:annoy\w*|frustrat\w*|disappoint\w*|unacceptable|ridiculous|waste|spam\w*|stop|never|angry|complain\w*|terrible"
    r"|awful|worst|false|demand|blunt|harass\w*|unsolicited|sick\s+of|tired\s+of|oh\s+great|another\s+ai\s+tool"
    r"|out\s+of\s+line|disaster|nightmare|horrible|burn(?:ed|t)|cleaning\s+up|miscoded|broken|urgent|stuck|problem|no\s+response|report\s+your|fifth|robot"
    r"|why\s+am\s+i|still\s+no|i\s+told|blocker|full\s+stop|we're\s+done|shame|non-?negotiable|blunt|waste)\b",
    r"\bärger\w*\b|\bunverschämt\b|\bwünsche\s+keine\b|\binacceptable\b|\binaceptable\b|\binaceitável\b|\bonacceptabel\b|迷惑",
)
FORMAL_GREETING = lexicon(
    r"^\s*(?:dear|sehr\s+geehrte|madame|monsieur|estimad[oa]|prezad[oa]|geachte)\b|\b(?:mr|ms|mrs|dr)\.\s+[A-Z]"
)
FORMAL = lexicon(
    r"^\s*(?:dear|sehr\s+geehrte|madame|monsieur|estimad[oa]|prezad[oa]|geachte)\b|\b(?:mr|ms|mrs|dr)\.\s+[A-Z]",
    r"\bkind\s+regards\b|\bmit\s+freundlichen\s+grüßen\b|\bcordialement\b|\batentamente\b|\bmet\s+vriendelijke\s+groet\b|様",
)

# --- language --------------------------------------------------------------------------------------------------------

LANGUAGE_WORDS: dict[str, frozenset[str]] = {
    "de": frozenset(
        [
            "und",
            "nicht",
            "wir",
            "ich",
            "sie",
            "ihr",
            "ihre",
            "mit",
            "für",
            "bitte",
            "danke",
            "gerne",
            "grüße",
            "bei",
            "uns",
            "ist",
            "der",
            "die",
            "das",
        ]
    ),
    "fr": frozenset(
        [
            "et",
            "nous",
            "vous",
            "je",
            "pas",
            "pour",
            "avec",
            "merci",
            "bonjour",
            "cordialement",
            "est",
            "les",
            "des",
            "une",
            "un",
        ]
    ),
    "es": frozenset(
        [
            "y",
            "nosotros",
            "usted",
            "gracias",
            "hola",
            "saludos",
            "para",
            "con",
            "por",
            "está",
            "las",
            "los",
            "una",
            "un",
            "que",
            "muy",
        ]
    ),
    "pt": frozenset(
        [
            "e",
            "nós",
            "você",
            "vocês",
            "obrigado",
            "obrigada",
            "olá",
            "para",
            "com",
            "não",
            "está",
            "das",
            "dos",
            "uma",
            "um",
            "que",
            "muito",
            "em",
        ]
    ),
    "nl": frozenset(
        [
            "en",
            "wij",
            "we",
            "jij",
            "je",
            "niet",
            "voor",
            "met",
            "bedankt",
            "groet",
            "het",
            "een",
            "van",
            "dat",
            "ons",
            "dit",
        ]
    ),
    "en": frozenset(
        [
            "the",
            "and",
            "you",
            "we",
            "not",
            "for",
            "with",
            "thanks",
            "this",
            "that",
            "is",
            "are",
            "our",
            "your",
            "to",
            "of",
        ]
    ),
}
JAPANESE = re.compile(r"[\u3040-\u30ff]")

# --- scheduling ------------------------------------------------------------------------------------------------------

SCHEDULING = lexicon(
    r"\b(?:call|chat|meet|meeting|talk|speak|catch\s+up|connect|hop\s+on|get\s+on\s+a|jump\s+on|zoom|teams|google\s+meet"
    r"|invite|invitation|calendar|slot|booked|book|schedule|reschedule|push|move|swing\s+by|stop\s+by|come\s+by|join"
    r"|available|availability|free|how\s+about|what\s+about|how's|how\s+is|how\s+does|would\s+\w+(?:\s+\w+)?\s+work"
    r"|does\s+\w+(?:\s+\w+)?\s+work|can\s+we\s+do|could\s+we\s+do"
    r"|let's\s+do|see\s+you|talk\s+then|same\s+time|walk\s+(?:me\s+|us\s+)?through|show\s+me|ops\s+review)\b",
    r"\b(?:i|we)\s+(?:could|can)\s+do\b|\b(?:teams|zoom|meet)\s+(?:please|link|invite)\b",
    r"\b(?:wide\s+open|i'm\s+open|am\s+open|pick\s+(?:whichever|one|a\s+time|any)|whichever\s+(?:suits|works))\b",
    r"\b\d+\s+minutes\b",
    r"\b(?:termin|telefonat|gespräch|treffen|besprechung|passt\s+(?:ihnen|dir|es|mir|uns)|zeit\s+(?:am|hätte)|verfügbar"
    r"|können\s+wir|per\s+teams)\b",
    r"\b(?:appel|réunion|rendez-vous|rdv|disponible|dispo|créneau|échanger|visio|ça\s+me\s+va|vous\s+convient|pouvons-nous)\b",
    r"\b(?:hablar|llamada|reunión|reunion|disponible|me\s+va|me\s+viene|podemos|quedamos|videollamada)\b",
    r"\b(?:conversar|reunião|ligação|chamada|disponível|podemos|pode\s+ser|fica\s+bom|call)\b",
    r"\b(?:bellen|afspraak|gesprek|overleg|beschikbaar|schikt|past\s+(?:het|u|jou|mij)|kunnen\s+we)\b",
    r"打ち合わせ|ミーティング|面談|ご都合|可能です|伺|いかがでしょうか|お時間",
)
MEETING_NOUN = lexicon(
    r"\b(?:demo|meeting|call|session|review|walkthrough|presentation|webinar|termin|réunion|reunión|reunião)\b"
)
BOOKING_LINK = re.compile(
    r"https?://\S*(?:calendly|cal\.|/meet|book|schedul|savvycal|zcal|hubspot\.com/meetings|chilipiper|/\d{2}min)\S*",
    re.IGNORECASE,
)
BOOKED = lexicon(
    r"\bbooked\b.{0,30}\b(?:via|through|using|on)\s+your\s+(?:link|calendar|calendly|page|booking)\b",
    r"\bbooked\s+(?:a\s+|the\s+)?(?:slot|time|meeting|call)\b|\b(?:i've|i\s+have)\s+(?:booked|scheduled|grabbed)\b",
    r"\b(?:grabbed|picked|took|reserved|booked)\s+(?:a|the|one\s+of\s+(?:the|your))\s+(?:slot|time|spot)s?\b",
)
DEADLINE_BEFORE = re.compile(
    r"(?:\b(?:by|before|no\s+later\s+than|until|till|through|bis(?:\s+(?:zum|spätestens))?|avant|antes\s+d[eo]l?|até|voor)"
    r"\s+(?:the\s+|next\s+|this\s+|end\s+of\s+|my\s+deadline\s+|le\s+|el\s+)*$)"
    r"|(?:\b(?:deadline|due|cutoff|cut-off|starts?|back|leave|returns?|returning|since|last|pay)\b[^.!?\n]{0,22}$)",
    re.IGNORECASE,
)
# Saying yes to a time: near the day or time it accepts ("Thu works", "Tuesday at 10 is fine").
ACCEPT_NEAR = re.compile(
    r"^[^.!?\n]{0,25}?\b(?:works|work\s+for\s+(?:me|us)|suits|is\s+(?:fine|good|perfect|great|open|free)|ok\s+for\s+me"
    r"|me\s+funciona|me\s+sirve|klappt|geht\s+(?:bei\s+mir|für\s+mich)|funciona\s+para\s+mim|werkt\s+voor\s+mij"
    r"|good\s+for\s+(?:me|us)|passt|me\s+va|me\s+viene|convient|pode\s+ser|fica\s+bom|schikt|past)\b",
    re.IGNORECASE,
)
DEADLINE_SOON = lexicon(
    r"\bthis\s+week\b|\bend\s+of\s+(?:this|next)\s+week\b|\basap\b|\bas\s+soon\s+as\s+possible\b|\burgent(?:ly)?\b|\bend\s+of\s+(?:the\s+)?day\b|\beod\b",
    r"\bdiese\s+woche\b|\bcette\s+semaine\b|\besta\s+semana\b|\bdeze\s+week\b|\bdringend\b|\burgente\b|至急|今週",
)
BY_DATE = re.compile(
    r"(?:\bby|\bbefore|\bno\s+later\s+than|\bbis|\bavant\s+(?:le)?|\bantes\s+del?|\baté|\bvoor|\bcutoff\s+is|\bcut-off\s+is)"
    r"\s*(?:the\s+|le\s+|el\s+|o\s+dia\s+)?$",
    re.IGNORECASE,
)

# --- text to leave out ------------------------------------------------------------------------------------------------

DISCLAIMER = lexicon(
    r"\bintended\s+(?:solely\s+)?(?:for\s+the\s+|for\s+)?(?:use\s+of\s+the\s+)?(?:addressee|recipient|human\s+recipients)",
    r"\bconfidential(?:ity)?\s+notice\b|\bmay\s+contain\s+(?:confidential|privileged)\b|\bprivileged\s+(?:and|or)\s+confidential\b",
    r"\bif\s+you\s+(?:are\s+not|have\s+received\s+this)\b.{0,60}\b(?:intended|in\s+error)\b",
    r"\bregistered\s+(?:in|office|number)\b|\bmember\s+fdic\b|\bthis\s+e-?mail\s+and\s+any\s+attachments\b",
)
SIGN_OFF = re.compile(
    r"^\s*(?:thanks|thank\s+you|many\s+thanks|thanks\s+so\s+much|best|best\s+regards|kind\s+regards|warm\s+regards|regards"
    r"|cheers|sincerely|all\s+the\s+best|talk\s+soon|mit\s+freundlichen\s+grüßen|freundliche\s+grüße|viele\s+grüße|beste\s+grüße"
    r"|grüße|lg|cordialement|bien\s+à\s+vous|bien\s+cordialement|bonne\s+journée|saludos(?:\s+cordiales)?|un\s+saludo|atentamente"
    r"|att\.?|atenciosamente|abraços?|obrigad[oa]|groet(?:en)?|met\s+vriendelijke\s+groet(?:en)?|hartelijke\s+groet(?:en)?"
    r"|何卒よろしくお願い(?:いた)?(?:し|申し上げ)ます|よろしくお願い(?:いた)?します)[\s,.!。]*(?:/.*)?$",
    re.IGNORECASE,
)
CUT_MARKERS = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded|original)\s+message|-{5,}\s*original|begin\s+forwarded\s+message|from:\s+.+<[^>]+@"
    r"|on\s.{5,80}wrote:\s*$|_{10,})",
    re.IGNORECASE | re.MULTILINE,
)

# --- small cues the rules weigh ---------------------------------------------------------------------------------------

QUESTION_WITHOUT_MARK = lexicon(
    r"でしょうか|ますか|\bquestions?\b|\bfragen\b|\bvragen\b|\bpreguntas\b|\bperguntas\b",
    r"\b(?:i|we)(?:'d|\s+would)?\s+(?:need|like|want|wish)\s+to\s+(?:know|understand|confirm|check|clarify)\b",
    r"(?:^|\n)\s*(?:what\s+(?:does|do|is|are|would|will)|how\s+(?:much|many|long|does|do|would|will)|does\s+(?:it|this|your)"
    r"|do\s+you\s+(?:have|support|offer|integrate|work)|is\s+there|are\s+there|can\s+(?:you|it)|which)\b",
    r"\b(?:i'm|i\s+am|we're|we\s+are)\s+(?:wondering|curious|trying\s+to\s+(?:understand|figure\s+out))\b",
    r"\b(?:curious|wondering)\s+(?:how|what|whether|if)\s+(?:you|your\s+(?:product|tool|platform|system))\s+(?:\w+\s+)?"
    r"(?:handle|support|deal|manage|price|charge|work|integrate|offer|cover|do)\w*\b",
    r"\b(?:please\s+)?(?:let\s+(?:me|us)\s+know|clarify|confirm|advise|tell\s+(?:me|us))\s+(?:if|whether|how|what|which|when|where)\b",
    r"\b(?:j['’]aimerais|je\s+voudrais|nous\s+voudrions)\s+savoir\b|\b(?:würde|möchte|wüsste)\s+(?:ich\s+)?gerne?\s+(?:wissen|erfahren)\b"
    r"|\b(?:quisiera|me\s+gustaría|quería)\s+saber\b|\bgostaria\s+de\s+saber\b|\b(?:wil|zou)\s+(?:ik\s+)?graag\s+(?:willen\s+)?weten\b"
    r"|教えて(?:ください|いただけ)|知りたい",
)
REMOVAL_CONTEXT = lexicon(
    r"\b(?:remove|unsubscribe|delete|erase|entfernen|löschen|streichen|retirer|supprimer|eliminar|borrar|remover"
    r"|verwijder\w*)\b"
)
CC_CUE = lexicon(
    r"\badding\b|\blooping\b|\bloop\s+in\b|\(cc\)|\bcc['’]?(?:ing|d)\b|\bin\s+cc\b|\bcop(?:ied|ying)\b|\bkopie\b"
    r"|\ben\s+copie\b|\ben\s+copia\b|\bem\s+cópia\b|\bin\s+(?:de\s+)?cc\b"
)
RETURN_CUE = lexicon(
    r"\b(?:back|return\w*|leave|away|out|off|zurück|wieder|retour|regreso|retorno|volta|terug|vuelvo)\b|休暇|不在|より"
)
SPAM_PRIZE = lexicon(r"\b(?:congratulations|selected|winner|reward|prize|won)\b|🎁")
SPAM_THREAT = lexicon(
    r"\b(?:password|suspen\w+|lose\s+access|locked|deactivat\w+|compromised|rejected|exceeded|storage\s+limit)\b",
    r"\bwill\s+be\s+(?:deleted|disabled|closed|blocked)\b",
)
FRIENDLY_NO = lexicon(
    r"\bbonne\s+(?:continuation|chance)\b|\bsuerte\b|\bboa\s+sorte\b|\bveel\s+succes\b|\bviel\s+erfolg\b",
    r"\b(?:good\s+luck|best\s+of\s+luck|appreciate\w*|genuinely|interesting|take\s+care|all\s+the\s+best)\b",
)
WARM_PUSHBACK = lexicon(
    r"\b(?:looks?|sounds?|is)\s+(?:\w+\s+)?(?:relevant|interesting|great|slick|good)\b|\bi'd\s+love\b|\bdoes\s+look\s+relevant\b"
)
FRIENDLY_REFERRAL = lexicon(
    r"\b(?:good\s+luck|I\s+sent\s+you|de\s+mi\s+parte|gracias|thanks?\s+for|happy\s+to|glad\s+to|drowning|worth\s+reaching)\b"
)
RESCHEDULE = lexicon(
    r"\b(?:neither|something\s+came\s+up|apolog\w+|sorry|declined|way\s+out\s+of\s+line|needs\s+a\s+conversation|push|move"
    r"|reschedule)\b"
)
SKEPTICAL = lexicon(r"\bmarketing\s+(?:number|claim|speak)\b|\bsk?eptic\w*|\bdoubt\w*|\bif\s+it's\s+even\b")
PRIVACY_DEMAND = lexicon(
    r"\b(?:gdpr|dsgvo|rgpd|lgpd|avg)\b|\bin\s+writing\b|\bpersonal\s+data\b|\berase\b|\barticle\s+\d+",
    r"\bdelete\s+(?:all\s+)?(?:of\s+)?my\b.{0,60}\bconfirm",
)
ESCALATED = lexicon(
    r"\b(?:third|fourth|fifth|sixth|\d+(?:st|nd|rd|th))\s+(?:time|e-?mail|message)\b|\balready\s+(?:asked|told)\b",
    r"\b(?:asked|told\s+you)\s+(?:you\s+)?(?:twice|three\s+times|several\s+times|before|already)\b",
    r"\bimmediately\b|\breport\b",
    r"\b(?:ftc|complaint|counsel|legal|attorney)\b|\bon\s+behalf\s+of\b",
)
SAME_OR_NEXT_DAY = lexicon(
    r"\b(?:today|tomorrow|tmrw|tonight|heute|demain|mañana|amanhã|vandaag)\b|明日|本日|今日",
    r"(?<!guten\s)(?<!guten\s\s)\bmorgen\b",  # "Guten Morgen" is a greeting
)
PARKED = lexicon(r"\b(?:park|shelve)\s+(?:this|it)\b")
CONFIRMATION_ASK = lexicon(
    r"\bconfirm\w*\b|\bin\s+writing\b|\bbestätig\w*\b|\bauskunft\b|\btell\s+me\b|\bconfirme[zr]?\b|\bconfirmar\b"
)
REDIRECT_ONLY = lexicon(
    r"\bdirect\s+(?:any\s+|all\s+)?(?:further\s+)?correspondence\b|\bnot\s+able\s+to\s+evaluate\b|\bmust\s+go\s+through\b",
    r"\b(?:go|goes)\s+through\s+(?:our\s+)?(?:procurement|purchasing|sourcing)\b|\b(?:they|she|he)(?:'ll|\s+will)\s+reach\s+out\s+if\b",
)

# --- weak cues, weighed only when no rule decided ---------------------------------------------------------------------

# Words that lean towards an intent without settling it; :func:`ai.offline.intent.fallback` counts them.
WEAK_CUES: dict[str, Lexicon] = {
    "interested": lexicon(
        r"\b(?:yes|sure|great|good|love|like|keen|curious|happy|glad|sounds|helpful|useful|exactly|definitely|demo|overview"
        r"|forward|share|more|agenda|struggl\w*|pain|headache|manual\w*|spreadsheets?)\b",
        r"\b(?:gerne|ja|prima|super|oui|volontiers|sí|claro|sim|ja\s+graag|graag)\b|ぜひ|是非|興味|検討",
    ),
    "objection": lexicon(
        r"\b(?:but|already|currently|right\s+now|at\s+the\s+moment|budget|expensive|cost|price|later|busy|contract|vendor|locked"
        r"|renewal|freeze|priorit\w*|approval|concern\w*|worried|risk|migration|timing|months?|quarter|year)\b",
        r"\b(?:aber|bereits|derzeit|mais|déjà|actuellement|pero|ya|actualmente|mas|já|atualmente|maar|al|momenteel)\b|ただ|現在|既に|予算",
    ),
    "not_interested": lexicon(
        r"\b(?:no|not|never|none|nothing|don't|doesn't|won't|wouldn't|decline|pass|unnecessary|irrelevant|sorry)\b",
        r"\b(?:nein|kein\w*|non|pas|jamais|nunca|nada|não|nee|geen|niet)\b|ません|不要|結構",
    ),
}
