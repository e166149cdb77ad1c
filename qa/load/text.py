"""One text normalisation for documents and questions alike.

What a reader sees as the same letters must be the same characters, or a word cannot be found,
matched or copied: a PDF's "ﬁ" ligature is "fi", a non-breaking space is a space, a zero-width
space or soft hyphen inside "Sentinel​Check" is nothing. And a sentence wrapped over two lines
by a text editor or a PDF layout is still one sentence.
"""

from __future__ import annotations

import re
import unicodedata

# Unicode "format" characters: zero-width space and joiners, soft hyphen, BOM, direction marks.
_FORMAT = "Cf"
# Letters that are drawn as nothing: the Hangul fillers (NFKC folds U+3164 and U+FFA0 into
# U+1160). Unicode lists them as default-ignorable; Python calls them letters.
_BLANK_LETTERS = frozenset("\u115f\u1160")
_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029\x85\x0b\x0c]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# A line break inside a sentence: after a character that does not end a clause, before a
# lower-case letter or a digit ("deleted⏎24 months after"). A capital may start a heading.
_WRAP = re.compile(r"(?<=[^\s.!?:;])\n(?=[^\W_A-Z])")
# A word hyphenated at a line end by a layout: "infor-⏎mation" (lower case on both sides).
_HYPHENATED = re.compile(r"(?<=[a-z])-\n(?=[a-z])")


def normalise_text(text: str) -> str:
    """Unicode NFKC, invisible format characters removed, every line break a ``\\n``.

    NFKC turns compatibility characters into the plain ones a reader sees (ligatures,
    non-breaking and other wide spaces, full-width letters); it keeps accents and every script.
    Control characters other than tab and newline become spaces.

    Example:
        >>> normalise_text("ﬁnancial\\u00a0data, Sentinel\\u200bCheck\\u00ad\\u3164\\r\\n")
        'financial data, SentinelCheck\\n'
    """
    text = _LINE_BREAKS.sub("\n", text)
    text = unicodedata.normalize("NFKC", text)
    text = "".join(
        c for c in text if unicodedata.category(c) != _FORMAT and c not in _BLANK_LETTERS
    )
    return _CONTROL.sub(" ", text)


def join_wrapped_lines(text: str) -> str:
    """Join lines a layout wrapped inside a sentence, and words it hyphenated at a line end.

    For plain text and PDF pages, where a line break may be only where the line was full.
    Markdown has its own rule (a paragraph's lines are one paragraph).

    Example:
        >>> join_wrapped_lines("Heart-rate data is deleted\\n24 months after it was re-\\ncorded.")
        'Heart-rate data is deleted 24 months after it was recorded.'
        >>> join_wrapped_lines("Retention Notes\\nAcme keeps tickets.")
        'Retention Notes\\nAcme keeps tickets.'
    """
    return _WRAP.sub(" ", _HYPHENATED.sub("", text))
