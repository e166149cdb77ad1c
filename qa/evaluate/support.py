"""The support rule: does a retrieved passage hold a question's gold evidence?

Gold is defined by quotes, not passage ids, so it survives re-chunking and re-indexing. Both
the quote and the passage text are normalised first: typographic quotes and apostrophes become
straight ones, Markdown emphasis and link syntax (``*``, ``_``, ``[``, ``]`` and a link's
``(target)``) is removed, since the loader removes it from indexed text, everything is
casefolded and runs of whitespace become one space.

A passage supports a question when

1. its normalised text contains one of the question's normalised quotes, or
2. for a quote the chunker split between two passages: the passage comes from the quote's
   document (``source.doc_id == evidence.doc``) and holds a contiguous run of at least
   ``SPLIT_MIN_SHARE`` (60 %) of the quote's words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from difflib import SequenceMatcher

from qa.evaluate.questions import EvidenceQuote

SPLIT_MIN_SHARE = 0.6
_TYPOGRAPHIC = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
    }
)
_LINK_TARGET = re.compile(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_MARKUP = re.compile(r"[*_\[\]]")
_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+(?:'\w+)*")


def normalise(text: str) -> str:
    """The form quotes and passages are compared in.

    Example:
        >>> normalise("We **don\u2019t** share  your [contacts](https://x.y)")
        "we don't share your contacts"
    """
    text = text.translate(_TYPOGRAPHIC)
    text = _LINK_TARGET.sub("]", text)
    text = _MARKUP.sub("", text)
    return _WHITESPACE.sub(" ", text.casefold()).strip()


def words(text: str) -> list[str]:
    """The normalised words of ``text``, punctuation dropped.

    Example:
        >>> words("Effective: January 4, 2021.")
        ['effective', 'january', '4', '2021']
    """
    return _WORD.findall(normalise(text))


def longest_run(quote_words: list[str], passage_words: list[str]) -> int:
    """Length of the longest run of consecutive quote words found consecutively in the passage."""
    if not quote_words or not passage_words:
        return 0
    matcher = SequenceMatcher(None, quote_words, passage_words, autojunk=False)
    return matcher.find_longest_match(0, len(quote_words), 0, len(passage_words)).size


def contains_quote(passage_text: str, quote: str) -> bool:
    """Whether the whole ``quote`` occurs in ``passage_text`` after normalisation."""
    needle = normalise(quote)
    return bool(needle) and needle in normalise(passage_text)


def holds_split_quote(passage_text: str, passage_doc: str, evidence: EvidenceQuote) -> bool:
    """Whether a passage of the quote's document holds >= 60 % of the quote's words in a row."""
    if passage_doc != evidence.doc:
        return False
    quote_words = words(evidence.quote)
    if not quote_words:
        return False
    run = longest_run(quote_words, words(passage_text))
    return run >= SPLIT_MIN_SHARE * len(quote_words)


def supports_quote(passage_text: str, passage_doc: str, evidence: EvidenceQuote) -> bool:
    """Whether the passage holds this one quote, whole or (same document) split."""
    return contains_quote(passage_text, evidence.quote) or holds_split_quote(
        passage_text, passage_doc, evidence
    )


def covered(
    passage_text: str,
    passage_doc: str,
    evidence: Iterable[EvidenceQuote],
    *,
    same_document: bool = False,
) -> frozenset[int]:
    """The indexes of the evidence quotes a passage holds.

    With ``same_document`` (a question's ``"match": "document"``), only a passage of the
    quote's own document (that version) counts.

    Example:
        >>> same = "We keep logs."
        >>> gold = [EvidenceQuote("v1.md", same), EvidenceQuote("v2.md", same)]
        >>> sorted(covered("We keep logs.", "v2.md", gold, same_document=True))
        [1]
    """
    return frozenset(
        index
        for index, item in enumerate(evidence)
        if (not same_document or passage_doc == item.doc)
        and supports_quote(passage_text, passage_doc, item)
    )


def supports(passage_text: str, passage_doc: str, evidence: Iterable[EvidenceQuote]) -> bool:
    """Whether a passage supports a question with gold ``evidence`` (the rule above).

    Args:
        passage_text: The passage's text as indexed.
        passage_doc: The passage's document id (``source.doc_id``).
        evidence: The question's evidence quotes; none means nothing supports it.

    Example:
        >>> gold = [EvidenceQuote("a.md", "We keep logs for thirty days.")]
        >>> supports("Our servers record IPs. We keep logs for  thirty days.", "b.md", gold)
        True
    """
    return any(supports_quote(passage_text, passage_doc, item) for item in evidence)
