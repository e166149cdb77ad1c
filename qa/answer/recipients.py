"""Questions about who receives something, and whether quoted text says it is passed on.

"Who receives my date of birth?" is not answered by "we collect your name, email address, date
of birth and payment card details" (nothing is passed on) nor by "our payment processor receives
your card details" (something else is): a question asking who receives, sees or is given a thing,
or whether it is shared, sold or disclosed, is answered only by a sentence that says something is
passed on and names the thing (``qa.answer.subject``), and the receiver when the question names
one ("with advertisers" is not answered by "with the driver"). The words are the field's plain
ones.
"""

from __future__ import annotations

import re

from qa.answer.subject import cut_subject

_PASS_EN = (
    r"(?:shar(?:e|es|ing)|sell(?:s|ing)?|disclos(?:e|es|ing)|giv(?:e|es|ing)"
    r"|transfer(?:s|ring)?|pass(?:es|ing)?|send(?:s|ing)?|provid(?:e|es|ing)|hand(?:s|ing)?"
    r"|show(?:s|ing)?|mak(?:e|es|ing)\s+available|rent(?:s|ing)?|leas(?:e|es|ing)"
    r"|trad(?:e|es|ing))"
)
_PASSED_EN = (
    r"(?:shared|sold|disclosed|given|transferred|passed\s+on|sent|provided|handed\s+over|shown"
    r"|made\s+available|rented|leased|traded)"
)
_PASS_ID = (
    r"(?:membagikan|berbagi|menjual|mengungkapkan|memberikan|mentransfer|mengirim|menyerahkan)"
)
_PASSED_ID = r"(?:dibagikan|dijual|diungkapkan|diberikan|ditransfer|dikirim|diserahkan|diteruskan)"
# The thing a question asks about, by where the question puts it.
_SUBJECT = (
    re.compile(
        r"\bwho\s+(?:else\s+)?(?:receives?|gets?|sees?|can\s+(?:see|access|get|receive)"
        r"|has\s+access\s+to|have\s+access\s+to|is\s+given|are\s+given)\s+(?P<subject>.+)",
        re.IGNORECASE,
    ),
    re.compile(
        # The company acts, not the asker: "Can I give my consent to ...?" asks no recipient.
        r"\b(?:do|does|did|will|would|can|could|may|are|is)\s+(?!i\s)(?:\w+\s+){1,3}?"
        + _PASS_EN
        + r"\s+(?P<subject>.+?)\s+(?:with|to)(?:\s+(?P<receiver>.+)|\b)",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:is|are|was|were|will|would|can)\s+(?P<subject>.+?)\s+(?:be\s+|being\s+)?"
        + _PASSED_EN
        + r"\s+(?:with|to)(?:\s+(?P<receiver>.+)|\b)",
        re.IGNORECASE,
    ),
    # "Do you sell my location?": selling needs no receiver to be a recipient question.
    re.compile(
        r"\b(?:do|does|did|will|would|can|are|is)\s+(?!i\s)(?:\w+\s+){1,3}?"
        r"(?:sell|rent|trade)(?:s|ing)?\s+"
        r"(?P<subject>.+)",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:kepada|dengan|ke)\s+siapa\s+(?:saja\s+)?(?P<subject>.+?)\s+(?:akan\s+)?"
        + _PASSED_ID,
        re.IGNORECASE,
    ),
    re.compile(
        r"\bsiapa\s+(?:saja\s+)?(?:yang\s+)?(?:menerima|mendapat(?:kan)?|melihat|mengakses"
        r"|bisa\s+(?:melihat|mengakses))\s+(?P<subject>.+)",
        re.IGNORECASE,
    ),
    re.compile(
        r"\bapakah\s+(?:\w+\s+){0,3}?"
        + _PASS_ID
        + r"\s+(?P<subject>.+?)\s+(?:ke|kepada|dengan)(?:\s+(?P<receiver>.+)|\b)",
        re.IGNORECASE,
    ),
    re.compile(
        r"\bapakah\s+(?P<subject>.+?)\s+(?:akan\s+)?"
        + _PASSED_ID
        + r"\s+(?:ke|kepada|dengan)(?:\s+(?P<receiver>.+)|\b)",
        re.IGNORECASE,
    ),
)
# What says a thing is passed on, in English and Indonesian.
_PASSES = re.compile(
    r"\b(?:shar(?:e|es|ed|ing)|sell(?:s|ing)?|sold|disclos(?:e|es|ed|ing|ure)|giv(?:e|es|en|ing)"
    r"|transfer(?:s|red|ring)?|pass(?:es|ed|ing)?\s+(?:on|to|it|them)|sen[dt]s?|provid(?:e|es|ed|ing)"
    r"|receiv(?:e|es|ed|ing)|recipients?|third[\s-]part(?:y|ies)|access(?:es|ed)?|see|sees|view"
    r"|rent(?:s|ed)?|handed|made\s+available|process(?:or|ors)|partners?"
    r"|bagikan|membagikan|dibagikan|berbagi|jual|menjual|dijual|ungkap(?:kan)?"
    r"|mengungkapkan|diungkapkan|berikan|memberikan|diberikan|menerima|diterima|penerima"
    r"|pihak\s+ketiga|mitra|akses|mengakses|diakses|mentransfer|ditransfer|kirim"
    r"|mengirim|dikirim|teruskan|diteruskan|serahkan|diserahkan)\b",
    re.IGNORECASE,
)


# Receivers that any recipient answers: "Do you share my data with anyone?"
_ANY_RECEIVER = re.compile(
    r"^(?:anyone|anybody|others?|other\s+(?:people|companies|parties)|third[\s-]part(?:y|ies)"
    r"|siapa\s*pun|orang\s+lain|pihak\s+(?:lain|ketiga))\b",
    re.IGNORECASE,
)


def asked_receiver(question: str) -> str:
    """Who a recipient question asks about as the receiver ("advertisers" in "Do you share
    my location with advertisers?"), ``""`` when it names none or anyone at all.

    Example:
        >>> asked_receiver("Is my contact list shared with Facebook for ads?")
        'Facebook'
        >>> asked_receiver("Do you share my data with third parties?")
        ''
    """
    found = _asking(question)
    receiver = (found.groupdict().get("receiver") or "").strip() if found else ""
    return "" if not receiver or _ANY_RECEIVER.match(receiver) else cut_subject(receiver)


def asked_recipient(question: str) -> str:
    """The thing whose recipients ``question`` asks about ("my date of birth" in "Who receives
    my date of birth?"), ``""`` when it asks no such thing or names nothing more specific than
    data.

    Example:
        >>> asked_recipient("Who receives my date of birth?")
        'my date of birth'
        >>> asked_recipient("Do you share my workout history with my employer?")
        'my workout history'
        >>> asked_recipient("Apakah daftar kontak saya dibagikan ke Facebook?")
        'daftar kontak saya'
        >>> asked_recipient("Do you sell my data to advertisers?")
        ''
    """
    found = _asking(question)
    return cut_subject(found.group("subject")) if found else ""


def asks_recipient(question: str) -> bool:
    """Whether ``question`` asks who receives something or whether it is passed on, however
    general what it names ("Do you share my data with insurers?" asks about insurers).

    Example:
        >>> asks_recipient("Do you share my data with insurers?"), asks_recipient("Who am I?")
        (True, False)
    """
    return _asking(question) is not None


def _asking(question: str) -> re.Match[str] | None:
    # The first of the question shapes that ``question`` has.
    return next((m for pattern in _SUBJECT if (m := pattern.search(question))), None)


def states_passing(text: str) -> bool:
    """Whether ``text`` says something is passed on: shared, sold, disclosed, given, sent,
    received, accessed, or handed to a third party or a processor.

    Example:
        >>> states_passing("Our payment processor receives your card details.")
        True
        >>> states_passing("We collect your name and date of birth.")
        False
    """
    return bool(_PASSES.search(text))
