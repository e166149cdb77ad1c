"""Cleaning a question before it is answered, with the same normalisation as documents.

A question pasted from a web page or a chat app can carry zero-width spaces, joiners, soft
hyphens or a byte-order mark inside its words ("Sentinel\u200bCheck"), ligatures or full-width
letters; ``qa.load.text.normalise_text`` makes them the characters the documents hold. A
question of only emoji, punctuation or invisible characters has nothing to search for.
"""

from __future__ import annotations

from qa.load.text import normalise_text


def clean_question(question: str) -> str:
    """``question`` normalised like documents, line breaks as spaces, ends stripped.

    Example:
        >>> clean_question(" Sentinel\\u200bCheck\\u00ad ﬁnes?\\x07\\n")
        'SentinelCheck fines?'
    """
    return " ".join(normalise_text(question).split())


def has_words(question: str) -> bool:
    """Whether ``question`` holds a letter or a digit in any script (not only emoji or marks).

    Example:
        >>> has_words("🤔?!"), has_words("¿Qué?"), has_words("2021")
        (False, True, True)
    """
    return any(c.isalnum() for c in question)
