"""Statements: which sentences can be quoted as evidence, and which say the same thing.

A quote must state something. Headings, titles, captions, labels ("WhatsApp blog post, 15
January 2021:"), navigation ("Learn more about ...", "Please also read ...") and fragments
match a question's words without answering it. Two sentences say the same thing when their
words match once names are masked: another version of a policy, a copied file, or a template
two companies share with only the name changed.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

# Navigation and link text, in English and Indonesian, at the start of a short sentence.
_NAVIGATION = re.compile(
    r"^\W*(?:learn more|read more|find out more|more info|click (?:here|below)|tap here"
    r"|see (?:our|the|also|more|below|above|here)|please (?:also )?(?:read|see|review|visit"
    r"|refer|check)|for (?:more|further) (?:information|details)|visit (?:our|the)|go to"
    r"|baca (?:juga|selengkapnya)|klik (?:di ?sini|tautan)|ketuk di ?sini"
    r"|pelajari (?:lebih lanjut|selengkapnya)|lihat (?:juga|selengkapnya)"
    r"|informasi (?:lebih lanjut|selengkapnya))\b",
    re.IGNORECASE,
)
# A sentence about the document itself rather than a practice ("This notice explains how Acme
# handles personal data ...", "Kebijakan Privasi ini menjelaskan cara ..."): it shares a
# question's topic words and answers none of its questions but "what does this cover?".
_DOCUMENT_NOUNS = (
    r"(?:privacy\s+)?(?:policy|notice|statement|document|terms(?:\s+of\s+(?:service|use))?"
    r"|agreement|page|section|supplement|addendum)"
)
_ID_DOCUMENT_NOUNS = (
    r"(?:kebijakan(?:\s+privasi)?|pemberitahuan(?:\s+privasi)?|dokumen"
    r"|syarat(?:\s+dan\s+ketentuan)?|ketentuan(?:\s+layanan)?|bagian|halaman)"
)
_DESCRIBES = (
    r"(?:explains?|describes?|sets\s+(?:out|forth)|outlines?|tells\s+you|summari[sz]es?"
    r"|provides\s+(?:information|details|an\s+overview)"
    r"|is\s+(?:designed|intended|meant)\s+to\s+(?:help\s+you\s+understand|explain|describe"
    r"|inform))\b"
    # "This policy explains that we keep your data for 30 days" states a practice.
    r"(?!\s+(?:that|bahwa)\b)"
)
_OVERVIEW = re.compile(
    # "This notice explains ...", "Acme's Privacy Policy describes ...", "It describes ..."
    r"^\W*(?:(?:(?:this|the|our|these)\s+|[\w-]+(?:\s+[\w-]+){0,3}?['’]s\s+)"
    r"(?:[\w-]+\s+){0,4}?"
    + _DOCUMENT_NOUNS
    + r"|it)\s+"
    + _DESCRIBES
    # "In this policy, we explain ...", "Here we explain ..."
    + r"|^\W*(?:in\s+this\s+(?:[\w-]+\s+){0,3}?"
    + _DOCUMENT_NOUNS
    + r"\s*,?|here)\s+we\s+"
    r"(?:explain|describe|set\s+out|outline|tell\s+you)\b"
    # "The purpose of this policy is to explain ..."
    r"|^\W*the\s+purpose\s+of\s+this\s+(?:[\w-]+\s+){0,3}?"
    + _DOCUMENT_NOUNS
    + r"\s+is\s+to\s+(?:explain|describe|inform|set\s+out)\b"
    # "Kebijakan Privasi ini menjelaskan ...", "Dalam kebijakan ini, kami menjelaskan ..."
    r"|^\W*" + _ID_DOCUMENT_NOUNS + r"(?:\s+[\w-]+){0,3}?\s+ini\s+(?:menjelaskan|menguraikan"
    r"|memaparkan|menerangkan|merangkum|memberikan\s+informasi)\b"
    r"|^\W*dalam\s+" + _ID_DOCUMENT_NOUNS + r"(?:\s+[\w-]+){0,3}?\s+ini\s*,?\s+kami\s+"
    r"(?:menjelaskan|menguraikan|memaparkan|menerangkan)\b",
    re.IGNORECASE,
)
_ASKS_OVERVIEW = re.compile(
    # The question ends at the verb: "What does the policy explain about retention?" asks
    # about retention, not about the policy.
    r"\bwhat\b.{0,60}\b" + _DOCUMENT_NOUNS + r"\s+(?:cover|covers|explain|explains|describe"
    r"|describes|say|says|contain|contains)\s*\??\s*$|\bwhat\s+is\s+(?:the|this)\s+.{0,60}?"
    + _DOCUMENT_NOUNS
    + r"\s+(?:for|about)\s*\??\s*$|\bapa\s+(?:isi|cakupan)\b|\btentang\s+apa\b"
    # Whom it is for: "Which customers is the shippers notice meant for?", "Who does this
    # policy apply to?", "Pemberitahuan ini untuk siapa?"
    + r"|\b(?:who|whom|which\s+\w+)\b.{0,60}\b"
    + _DOCUMENT_NOUNS
    + r"\s+(?:(?:meant|intended|written)\s+for|for|apply\s+to|applies\s+to|cover)\s*\??\s*$"
    + r"|\b"
    + _ID_DOCUMENT_NOUNS
    + r"\b.{0,40}\b(?:untuk|berlaku\s+(?:bagi|untuk))\s+siapa\b|\buntuk\s+siapa\s+"
    + _ID_DOCUMENT_NOUNS,
    re.IGNORECASE,
)
# A navigation sentence is short; a long one starting "See ..." usually states something.
NAVIGATION_MAX_WORDS = 25
# Fewer words than this is a label or a fragment, never a statement.
MIN_STATEMENT_WORDS = 4
# Title case: at least this share of the longer words capitalised, in a short sentence.
TITLE_CASE_SHARE = 0.8
TITLE_MAX_WORDS = 12
# Near-duplicates: this share of words in common, in order, once names are masked.
SAME_STATEMENT_RATIO = 0.9
# A line giving the document's date ("Updated May 25, 2018", "Terakhir diperbarui: 4 Januari
# 2021") states when the text took effect: it answers "when was this last updated?" and is what
# changed when only the date moved.
_DATE_LINE = re.compile(
    r"^\W*(?:last\s+)?(?:updated|modified|revised|effective(?:\s+date|\s+as\s+of)?|"
    r"(?:terakhir\s+)?diperbarui|(?:terakhir\s+)?diubah|berlaku\s+(?:sejak|mulai))\b"
    r"\s*(?:on|:|-|—)?\s*(?:[A-Za-z]+\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+[A-Za-z]+\.?,?\s+\d{4}|"
    r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})\W*(?:\([^()\n]{0,40}\))?\W*$",
    re.IGNORECASE,
)
_ENDINGS = (".", "!", "?", ";", '"', "”", "’", "'", ")", "…")
_WORD = re.compile(r"\w[\w'’-]*")
_ROW_PAIR = re.compile(r"\w: \S")
_NAME_RUN = re.compile(r"(?<!\w)[^\W\d_a-z][\w'’-]*(?:[ \t]+[^\W\d_a-z][\w'’-]*)*")


def is_date_line(text: str) -> bool:
    """Whether ``text`` only gives the document's date ("Updated May 25, 2018").

    Example:
        >>> is_date_line("Last modified: December 19, 2019 (archived versions)")
        True
        >>> is_date_line("We updated this policy on May 25, 2018 to explain our practices.")
        False
    """
    return bool(_DATE_LINE.match(text.strip()))


def asks_overview(question: str) -> bool:
    """Whether ``question`` asks what a document covers ("What does this notice explain?").

    Example:
        >>> asks_overview("What does the Lumenhaus privacy policy cover?")
        True
        >>> asks_overview("Does the policy explain how long you keep my data?")
        False
    """
    return bool(_ASKS_OVERVIEW.search(question))


def statement_problem(text: str, *, overview: bool = False) -> str | None:
    """Why ``text`` is not a statement to quote (``None`` when it is one).

    Args:
        text: The sentence.
        overview: Whether a sentence about the document itself may be quoted (the question
            asks what the document covers, or the sentence is compared, not quoted).

    Returns:
        ``"label"`` (ends with a colon, nothing after it), ``"navigation"``, ``"heading"``
        (no closing punctuation, or a short title-cased line), ``"fragment"`` (too few
        words, or a piece starting in lower case), ``"overview"`` (it says what the document
        explains, unless ``overview``) or ``"unbalanced quotes"``.

    Example:
        >>> statement_problem("WhatsApp blog post, 15 January 2021:")
        'label'
        >>> statement_problem("Learn more about end-to-end encryption on WhatsApp.")
        'navigation'
        >>> statement_problem("Deleting Your WhatsApp Account.")
        'heading'
        >>> statement_problem("We never sell your personal data.") is None
        True
        >>> statement_problem("Updated May 25, 2018") is None
        True
        >>> statement_problem("This notice explains how Acme handles personal data.")
        'overview'
    """
    body = text.strip()
    words = _WORD.findall(body)
    if "\n" in body:
        # A lead-in with the items it introduces, or a table row with its headers.
        return None if len(words) >= MIN_STATEMENT_WORDS else "fragment"
    if is_date_line(body):
        return None
    if body.endswith(":"):
        return "label"
    if _NAVIGATION.match(body) and len(words) < NAVIGATION_MAX_WORDS:
        return "navigation"
    if len(words) < MIN_STATEMENT_WORDS:
        return "fragment"
    if body[:1].islower():
        # A sentence starts with a capital (or a digit, a quote): this is a piece of one.
        return "fragment"
    if not body.endswith(_ENDINGS) and len(_ROW_PAIR.findall(body)) < 2:
        return "heading"
    long_words = [w for w in words if len(w) >= 4]
    if (
        len(words) <= TITLE_MAX_WORDS
        and len(long_words) >= 2
        and sum(w[0].isupper() for w in long_words) >= TITLE_CASE_SHARE * len(long_words)
    ):
        return "heading"
    if not overview and _OVERVIEW.match(body):
        return "overview"
    if not quotes_balance(body):
        return "unbalanced quotes"
    return None


def quotes_balance(text: str) -> bool:
    """Whether every quotation mark in ``text`` is closed (straight double quotes in pairs).

    Example:
        >>> quotes_balance('He said "no".'), quotes_balance('Facebook," kata WhatsApp.')
        (True, False)
    """
    # Curly apostrophes double as closing single quotes, so only double quotes are counted.
    return text.count('"') % 2 == 0 and text.count("“") == text.count("”")


def balanced_span(text: str, start: int, end: int, reach: int = 400) -> tuple[int, int] | None:
    """Widen ``text[start:end]`` to the quotation mark it lacks, within ``reach`` characters.

    A sentence inside a quotation ("... dengan Facebook," kata WhatsApp.) is quoted from the
    opening mark, so the quote is whole and its marks balance; ``None`` when no such span is
    found.

    Example:
        >>> text = 'Intro. "We do not share. We never sell," it said. Next.'
        >>> start = text.index("We never")
        >>> s, e = balanced_span(text, start, text.index(" Next"))
        >>> text[s:e]
        '"We do not share. We never sell," it said.'
    """
    if quotes_balance(text[start:end]):
        return start, end
    for new_start in range(start - 1, max(-1, start - reach - 1), -1):
        if text[new_start] in '"“' and quotes_balance(text[new_start:end]):
            return new_start, end
    for new_end in range(end + 1, min(len(text), end + reach) + 1):
        if text[new_end - 1] in '"”' and quotes_balance(text[start:new_end]):
            return start, new_end
    return None


def _masked_words(text: str) -> list[str]:
    # Capitalised words are names (or a sentence's first word): a template differs there.
    return ["<name>" if w[:1].isupper() else w for w in _WORD.findall(text)]


def _names(text: str) -> list[str]:
    """Runs of capitalised words ("WhatsApp Ireland Limited"), in order; punctuation ends one."""
    return [match.group(0) for match in _NAME_RUN.finditer(text)]


def _one_name_swapped(first: str, second: str) -> bool:
    # A template shared by two companies swaps one name (however often it is repeated); two
    # swapped names ("If you live in the UK, WhatsApp LLC ..." against "... in the European
    # Region, WhatsApp Ireland Limited ...") are two facts that differ.
    a, b = _names(first), _names(second)
    if len(a) == len(b):
        return len({x for x, y in zip(a, b, strict=True) if x != y}) <= 1
    return len(set(a) ^ set(b)) <= 2


def same_statement(first: str, second: str) -> bool:
    """Whether two sentences say the same thing: the same words in order, one name swapped at
    most (a template two companies share), numbers kept.

    Example:
        >>> same_statement("Maple Grocer never sells data.", "Birch Foods never sells data.")
        True
        >>> same_statement("We keep logs for 30 days.", "We keep logs for 90 days.")
        False
        >>> same_statement("If you live in the UK, Acme Ltd provides the service.",
        ...                "If you live in Brazil, Acme Inc provides the service.")
        False
    """
    a, b = _masked_words(first), _masked_words(second)
    if not a or not b or not _one_name_swapped(first, second):
        return False
    if a == b:
        return True
    # Numbers carry the meaning of a retention period or an amount: any change is a change.
    if [w for w in a if w[:1].isdigit()] != [w for w in b if w[:1].isdigit()]:
        return False
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= SAME_STATEMENT_RATIO
