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
# What Markdown and HTML read as syntax: NFKC must never produce these from other characters.
_MARKUP = frozenset("<>#|*_[]`&\\")
_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029\x85\x0b\x0c]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# A line break inside a sentence: after a character that does not end a clause, before a
# lower-case letter or a digit ("deleted⏎24 months after"). A capital may start a heading.
_WRAP = re.compile(r"(?<=[^\s.!?:;])\n(?=[^\W_A-Z])")
# A word hyphenated at a line end by a layout: "infor-⏎mation" (lower case on both sides).
_HYPHENATED = re.compile(r"(?<=[a-z])-\n(?=[a-z])")


def _kept_apart(char: str) -> bool:
    """Whether NFKC must leave ``char`` as it is.

    Superscripts and subscripts would fuse with their neighbours ("10⁶" is not "106"), and a
    full-width "＜" or "＃" would turn into markup ("<", "#") that changes how the text parses.
    """
    decomposition = unicodedata.decomposition(char)
    if decomposition.startswith(("<super>", "<sub>")):
        return True
    folded = unicodedata.normalize("NFKC", char)
    return folded != char and any(c in _MARKUP for c in folded)


def _nfkc(text: str) -> str:
    # Split around the characters NFKC must not touch, and normalise the pieces between.
    pieces: list[str] = []
    start = 0
    for index, char in enumerate(text):
        if ord(char) > 127 and _kept_apart(char):
            pieces.append(unicodedata.normalize("NFKC", text[start:index]))
            pieces.append(char)
            start = index + 1
    pieces.append(unicodedata.normalize("NFKC", text[start:]))
    return "".join(pieces)


def normalise_text(text: str) -> str:
    """Unicode NFKC, invisible format characters removed, every line break a ``\\n``.

    NFKC turns compatibility characters into the plain ones a reader sees (ligatures,
    non-breaking and other wide spaces, full-width letters); it keeps accents and every script,
    and leaves superscripts and characters it would turn into markup alone (``_kept_apart``).
    Control characters other than tab and newline become spaces.

    Example:
        >>> normalise_text("ﬁnancial\\u00a0data, Sentinel\\u200bCheck\\u00ad\\u3164\\r\\n")
        'financial data, SentinelCheck\\n'
    """
    text = _LINE_BREAKS.sub("\n", text)
    text = _nfkc(text)
    text = "".join(
        c for c in text if unicodedata.category(c) != _FORMAT and c not in _BLANK_LETTERS
    )
    return _CONTROL.sub(" ", text)


def remove_invisible(text: str) -> str:
    """Every line break a ``\\n`` and invisible characters removed, without NFKC.

    For markup before it is parsed: NFKC is applied to the extracted text afterwards.

    Example:
        >>> remove_invisible("a\\u200bb\\r\\n")
        'ab\\n'
    """
    text = _LINE_BREAKS.sub("\n", text)
    return "".join(
        c for c in text if unicodedata.category(c) != _FORMAT and c not in _BLANK_LETTERS
    )


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
