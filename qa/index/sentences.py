"""Sentence boundaries for English and Indonesian text, as character spans.

Spans, not strings: the chunker and the evidence selector both need to know where a sentence
sits in the indexed text, so a quoted sentence can always be found again at its offsets.
"""

from __future__ import annotations

import re

# Abbreviations after which a full stop does not end a sentence (English and Indonesian).
_ABBREVIATIONS = frozenset(
    {
        "e.g",
        "i.e",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "no",
        "nos",
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "vs",
        "u.s",
        "u.k",
        "e.u",
        "a.k.a",
        "approx",
        "fig",
        "sec",
        "art",
        "para",
        "p",
        "pp",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "dll",
        "dsb",
        "dst",
        "yth",
        "jl",
        "bpk",
        "sdr",
        "tsb",
        "hlm",
        "kab",
        "prof",
    }
)
_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[\w\d])")
_BULLET = re.compile(r"\s*(?:[-*•]|\d{1,3}[.)])\s+")
_WORD_BEFORE = re.compile(r"([\w.]+)[.!?…]*[\"'”’)\]]*$")


def _is_abbreviation(text: str, end: int) -> bool:
    match = _WORD_BEFORE.search(text[max(0, end - 24) : end])
    if not match:
        return False
    word = match.group(1).rstrip(".").lower()
    if text[end - 1] in "!?…" or (end < len(text) and text[end - 1] in "\"'”’)]"):
        return False
    if word in _ABBREVIATIONS:
        return True
    # Single letters are initials ("J. Smith"); a following lower-case word means no new sentence.
    return len(word) == 1 and word.isalpha()


def _line_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    bullet = _BULLET.match(text, start, end) if start < end else None
    cursor = bullet.end() if bullet else start
    for match in _END.finditer(text, cursor, end):
        stop = match.end()
        nxt = text[stop:end].lstrip()
        if _is_abbreviation(text, stop) or (nxt and nxt[0].islower()):
            continue
        spans.append((cursor, stop))
        cursor = stop
    spans.append((cursor, end))
    return [_trim(text, a, b) for a, b in spans if text[a:b].strip()]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Return ``(start, end)`` spans of the sentences in ``text[start:end]``.

    Every line break ends a sentence (policies put one clause per bullet), and within a line a
    sentence ends at ``.``, ``!`` or ``?`` followed by a capital, a digit or a quote, unless the
    word before is a known abbreviation.

    Example:
        >>> t = "We keep logs, e.g. IP addresses. Kami tidak berbagi.\\n- Second line"
        >>> [t[a:b] for a, b in sentence_spans(t)]
        ['We keep logs, e.g. IP addresses.', 'Kami tidak berbagi.', 'Second line']
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    line_start = start
    while line_start < end:
        newline = text.find("\n", line_start, end)
        line_end = end if newline == -1 else newline
        spans.extend(_line_spans(text, line_start, line_end))
        line_start = line_end + 1
    return spans


def split_sentences(text: str) -> list[str]:
    """Return the sentences of ``text`` as strings (convenience over ``sentence_spans``)."""
    return [text[a:b] for a, b in sentence_spans(text)]
