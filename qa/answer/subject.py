"""What a question asks about, and whether a sentence names it.

"How long do you keep my email address?" is not answered by "We keep workout history for 12
months": the sentence states a duration, of something else. A question that asks a quantity
(``qa.answer.quantity``) or who receives something (``qa.answer.recipients``) names its subject
in a fixed place ("keep my email address", "who receives my date of birth"); a quote answers it
only when it names that subject too, in its words or, across languages, the glossary's.
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.retrieve.lexical import tokenize

_SUBJECT_END = re.compile(
    r"[?.!,;:]|\s(?:for|after|when|if|once|before|until|used|that|which|who|from|in|on|at|by|"
    r"about|with|via|through|while|because|since|under|setelah|sesudah|sejak|jika|kalau|ketika|"
    r"saat|untuk|yang|lewat|melalui|dengan|di|ke|dari|oleh|agar|supaya|karena|selama|hingga|"
    r"sampai)\b",
    re.IGNORECASE,
)
# A code: two or more capitals, or letters and digits together ("W-9", "2FA"); a bare number
# ("my 2021 invoices") is no code.
_CODE = re.compile(r"\b(?:[A-Z]{2,}[\w-]*|(?=[\w-]*[^\W\d_])[\w-]*\d[\w-]*)")
# Whose a thing is: an English possessive ("my son's", "Telegram's"), and in Indonesian a person
# after the thing ("foto anak saya", "data keluarga kami").
_POSSESSOR_EN = re.compile(r"\b[\w-]+['’]s?(?<=s|['’])\s+", re.I)
_POSSESSOR_ID = re.compile(
    r"(?<=\w)\s+(?:anak|keluarga|putra|putri|suami|istri|pasangan|orang\s+tua)"
    r"(?:\s+(?:saya|kami|kita|anda|kamu|mereka)|nya)?\b",
    re.I,
)
# "<head> of [my|your|the] <words>" at the end of a subject ("copy of my passport").
_OF_PHRASE = re.compile(r"\b(\w+)\s+of\s+(?:(?:my|your|our|the|a|an)\s+)?([\w\s-]+?)\s*$", re.I)
# Words too general to narrow what is kept: "how long do you keep my data?" is answered by any
# retention sentence.
# A name or a code: capitalised, or holding a digit.
_NAME = re.compile(r"\b(?:[A-Z][\w-]*|[\w-]*\d[\w-]*)")
_GENERIC = (
    "data information info personal details detail content contents stuff things it them "
    # "-nya" ("video les online-nya") is a suffix the tokenizer splits off, not a word.
    "informasi pribadi rincian detail konten nya"
)


def cut_subject(words: str) -> str:
    """``words`` up to the first word that starts a condition or a clause, ``""`` when what is
    left names nothing more specific than data.

    Example:
        >>> cut_subject("my email address after my membership ends?")
        'my email address'
        >>> cut_subject("my personal data?")
        ''
    """
    end = _SUBJECT_END.search(words)
    subject = (words[: end.start()] if end else words).strip()
    return subject if subject_words(subject, "en") or subject_words(subject, "id") else ""


def subject_words(subject: str, language: str) -> list[frozenset[str]]:
    """The tokens of ``subject`` in ``language``, each a group of one, without general words
    (data, information); for a subject in the other language, see ``subject_groups``."""
    generic = _generic(language)
    return [
        frozenset({token})
        for token in dict.fromkeys(tokenize(subject, language))
        if token not in generic
    ]


def subject_groups(subject: str, language: str, text_language: str) -> list[frozenset[str]]:
    """What a sentence in ``text_language`` must say to name ``subject`` (written in
    ``language``): each word's tokens; across languages only its names and codes ("KitaPay",
    "SKCK", "Commit 12"), which are written the same in both; ``names_subject`` weighs them.

    Across languages the glossary's word-by-word translations name too little to refuse on:
    "pemberi kerja" (employer) became "give, provide" and "perjalanan" (trip) "run, operate",
    and a trial's "Apakah riwayat perjalanan saya dibagikan ke pemberi kerja?" was refused
    though the English policy answers it.
    """
    subject = _without_possessor(subject, language)
    if language == "en":
        subject = _head_last(subject)
    if text_language == language or text_language not in ("en", "id"):
        return subject_words(subject, language)
    generic = _generic(text_language)
    names = (tokenize(name, text_language) for name in _NAME.findall(subject))
    groups = (frozenset(tokens) - generic for tokens in names)
    return list(dict.fromkeys(group for group in groups if group))


def says_codes(
    text: str,
    subject: str,
    text_language: str,
    context: str = "",
    acronyms: dict[str, str] | None = None,
) -> bool:
    """Whether ``text`` (or its ``context``) says one of the codes ``subject`` names: words
    in capitals or with a digit ("SIM", "SKCK", "Form W-9"), or an acronym's long form from
    ``acronyms``; true when ``subject`` names none.

    A code names one thing exactly: "data SIM dan SKCK mitra pengemudi" is not named by a
    sentence about driver partners that says neither, however many other words it shares.

    Example:
        >>> says_codes("Kami membagikan lokasi kepada mitra pengemudi.", "SKCK mitra", "id")
        False
    """
    # "12-month", "30-day" are durations, not codes.
    codes = [code for code in _CODE.findall(subject) if not re.fullmatch(r"\d+-[a-z]+", code)]
    if not codes:
        return True
    said = f"{text} {context}"
    tokens = set(tokenize(said, text_language))
    forms = [form for code in codes for form in (code, (acronyms or {}).get(code, "")) if form]

    def found(form: str) -> bool:
        # A code the tokenizer keeps nothing of ("W-9": one letter, one digit) is looked for
        # as written.
        words = set(tokenize(form, text_language))
        return words <= tokens if words else form.casefold() in said.casefold()

    return any(found(form) for form in forms)


def _without_possessor(subject: str, language: str) -> str:
    """``subject`` without whose it is: "our family's personal information" and "data anak
    saya" are personal data, which any sentence about personal data names.

    Example:
        >>> _without_possessor("my child's lesson videos", "en")
        'my lesson videos'
        >>> _without_possessor("foto anak saya", "id")
        'foto'
    """
    if language == "en":
        return _POSSESSOR_EN.sub("", subject)
    return _POSSESSOR_ID.sub("", subject).strip() if language == "id" else subject


def _head_last(subject: str) -> str:
    """An English ``subject`` with its head noun last: "date of birth" is a date (of birth),
    written "birth date", so "the date of your order" does not name it.

    Example:
        >>> _head_last("my date of birth")
        'my birth date'
    """
    return _OF_PHRASE.sub(r"\g<2> \g<1>", subject)


@lru_cache(maxsize=4)
def _generic(language: str) -> frozenset[str]:
    return frozenset(tokenize(_GENERIC, language))


def names_subject(
    text: str,
    groups: list[frozenset[str]],
    text_language: str,
    context: str = "",
    *,
    head_first: bool = False,
    whole: bool = False,
) -> bool:
    """Whether ``text`` (or its ``context``: the document's title and the section's heading,
    which name what a table row or a list item is about) names the subject of ``groups``: a
    token of at least half the groups, rounded up, among them one of the words that qualify
    the subject's head noun (true when there are no groups).

    The groups are in the subject's word order; its head noun is the last word in English
    and the first in Indonesian (``head_first``): "phone number" and "nomor telepon" are
    qualified by phone and telepon, so "card number" does not name them.

    With ``whole``, every group must be said: for a sentence the evidence rule did not
    choose, which has less else speaking for it.

    Half, not all: a sentence may call the subject otherwise ("CCTV footage" is kept as "CCTV
    recordings"), while a sentence about something else shares none of its words ("my
    fingerprint scans" against "workout history is kept 12 months"). On the fitting corpora,
    requiring every word refused three answerable questions.

    Example:
        >>> names_subject("Payment records are kept for 6 years.",
        ...               subject_groups("my payment records", "en", "en"), "en")
        True
        >>> names_subject("Our processor receives your card number.",
        ...               subject_groups("my phone number", "en", "en"), "en")
        False
    """
    if not groups:
        return True
    tokens = set(tokenize(f"{text} {context}", text_language))
    said = [bool(group & tokens) for group in groups]
    if whole:
        return all(said)
    if 2 * sum(said) < len(groups):
        return False
    if len(groups) < 2:
        return True
    qualifiers = said[1:] if head_first else said[:-1]
    return any(qualifiers)
