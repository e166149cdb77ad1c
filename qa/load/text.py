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
# A line at least this share of the text's usual line length was wrapped, not ended.
WRAP_SHARE = 0.75
MIN_WRAP_WIDTH = 60
_LIST_START = re.compile(r"^\s*(?:[-*•+]|\d{1,3}[.)])\s")
_HYPHEN_END = re.compile(r"[^\W\d_]-$")
_LAST_WORD = re.compile(r"[^\W\d_]+$")
_FIRST_WORD = re.compile(r"[^\W\d_]+")


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


def join_wrapped_lines(text: str, *, hyphens: bool = False) -> str:
    """Join lines a layout wrapped inside a sentence (plain text and PDF pages).

    A line continues on the next unless it ends a sentence or a label (``.!?:;``), is short
    (a title or a label: under ``WRAP_SHARE`` of the text's usual line length, unless the next
    line starts in lower case or with a digit), or the next line is blank or starts a list
    item. With ``hyphens``, a word split by a hyphen at a line end is joined too, unless the
    document writes the hyphenated form elsewhere or its halves are the same word ("pihak-
    pihak"): for PDFs, whose layout hyphenates; a typed text's hyphens are the writer's.

    Example:
        >>> join_wrapped_lines("Heart-rate data is deleted\\n24 months after it was recorded.")
        'Heart-rate data is deleted 24 months after it was recorded.'
        >>> join_wrapped_lines("Retention Notes\\nAcme keeps tickets.")
        'Retention Notes\\nAcme keeps tickets.'
        >>> join_wrapped_lines("This infor-\\nmation is kept.", hyphens=True)
        'This information is kept.'
    """
    lines = text.split("\n")
    lengths = sorted(len(line) for line in lines if line.strip())
    # Layouts wrap at 60 characters or more; below that a short line is a title or a label.
    usual = max(lengths[int(len(lengths) * 0.8)] if lengths else 0, MIN_WRAP_WIDTH)
    out: list[str] = []
    for line in lines:
        previous = out[-1] if out else ""
        if _continues(previous, line, usual):
            if _HYPHEN_END.search(previous) and line[:1].islower() and not hyphens:
                out[-1] = previous.rstrip() + line.lstrip()  # "third-⏎party": the writer's hyphen
            elif hyphens and _HYPHEN_END.search(previous) and line[:1].islower():
                head = previous.rstrip()[:-1]
                word = _LAST_WORD.search(head)
                first = _FIRST_WORD.match(line)
                joined = (word.group(0) if word else "") + "-" + (first.group(0) if first else "")
                # Kept when the halves are one word twice, or the document also writes the
                # hyphenated form elsewhere (a second occurrence once line breaks are ignored).
                same = bool(word and first and word.group(0) == first.group(0))
                if same or text.replace("-\n", "-").count(joined) > 1:
                    out[-1] = f"{head}-{line.lstrip()}"
                else:
                    out[-1] = head + line.lstrip()
            else:
                out[-1] = f"{previous.rstrip()} {line.lstrip()}"
        else:
            out.append(line)
    return "\n".join(out)


def _continues(previous: str, line: str, usual: int) -> bool:
    """Whether ``line`` continues the sentence ``previous`` was wrapped in."""
    last, first = previous.rstrip(), line.lstrip()
    if not last or not first or _LIST_START.match(line) or last[-1] in ".!?:;":
        return False
    if first[0].islower() or first[0].isdigit():
        return True
    return len(last) >= WRAP_SHARE * usual
