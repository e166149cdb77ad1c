"""Cleaning a question before it is answered: control and invisible characters out.

A question pasted from a web page or a chat app can carry zero-width spaces, joiners, soft
hyphens or a byte-order mark inside its words ("Sentinel\u200bCheck"), and a question of only
such characters, emoji or punctuation has nothing to search for.
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Unicode "format" characters: zero-width space and joiners, soft hyphen, BOM, direction marks.
_FORMAT_CATEGORY = "Cf"


def clean_question(question: str) -> str:
    """``question`` with control characters as spaces, invisible ones removed, ends stripped.

    Example:
        >>> clean_question(" Sentinel\\u200bCheck\\u00ad?\\x07 ")
        'SentinelCheck?'
    """
    visible = "".join(c for c in question if unicodedata.category(c) != _FORMAT_CATEGORY)
    return _CONTROL.sub(" ", visible).strip()


def has_words(question: str) -> bool:
    """Whether ``question`` holds a letter or a digit in any script (not only emoji or marks).

    Example:
        >>> has_words("🤔?!"), has_words("¿Qué?"), has_words("2021")
        (False, True, True)
    """
    return any(c.isalnum() for c in question)
