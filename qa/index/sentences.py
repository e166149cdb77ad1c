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
        # Company forms that a further form always follows ("Pte. Ltd.", "Sdn. Bhd.", "Pty. Ltd.").
        "pte",
        "sdn",
        "pty",
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
# A lead-in ("We disclose your booking data to:") and the list items after it are one sentence,
# up to this many characters: an item ("3. Travel insurers") means nothing without it.
LEAD_IN_MAX_CHARS = 700
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
    word before is a known abbreviation. A line ending in ``:`` followed by list items is one
    sentence with its items (up to ``LEAD_IN_MAX_CHARS``).

    Example:
        >>> t = "We keep logs, e.g. IP addresses. Kami tidak berbagi.\\n- Second line"
        >>> [t[a:b] for a, b in sentence_spans(t)]
        ['We keep logs, e.g. IP addresses.', 'Kami tidak berbagi.', 'Second line']
        >>> t = "We share it with:\\n\\n1. Airlines\\n2. Insurers\\n\\nWe never sell it."
        >>> [t[a:b] for a, b in sentence_spans(t)]
        ['We share it with:\\n\\n1. Airlines\\n2. Insurers', 'We never sell it.']
    """
    end = len(text) if end is None else end
    lines: list[tuple[int, int, list[tuple[int, int]]]] = []
    line_start = start
    while line_start < end:
        newline = text.find("\n", line_start, end)
        line_end = end if newline == -1 else newline
        lines.append((line_start, line_end, _line_spans(text, line_start, line_end)))
        line_start = line_end + 1
    return _with_lead_ins(text, lines)


def _is_item(text: str, line_start: int, line_end: int) -> bool:
    return bool(text[line_start:line_end].strip()) and bool(
        _BULLET.match(text, line_start, line_end)
    )


def _with_lead_ins(
    text: str, lines: list[tuple[int, int, list[tuple[int, int]]]]
) -> list[tuple[int, int]]:
    """The lines' sentence spans, a lead-in ending in ``:`` merged with the items after it."""
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(lines):
        _, _, line_spans = lines[index]
        index += 1
        if not line_spans or text[line_spans[-1][1] - 1] != ":":
            spans.extend(line_spans)
            continue
        spans.extend(line_spans[:-1])
        lead_start, merged_end = line_spans[-1]
        while index < len(lines):
            start, stop, item_spans = lines[index]
            if not text[start:stop].strip():
                # A blank line between a lead-in and its items, or between items, is allowed
                # only when an item follows it.
                nxt = next(
                    (line for line in lines[index:] if text[line[0] : line[1]].strip()), None
                )
                if nxt is None or not _is_item(text, nxt[0], nxt[1]):
                    break
                index += 1
                continue
            if not _is_item(text, start, stop) or not item_spans:
                break
            if item_spans[-1][1] - lead_start > LEAD_IN_MAX_CHARS:
                break
            merged_end = item_spans[-1][1]
            index += 1
        spans.append((lead_start, merged_end))
    return spans


def split_sentences(text: str) -> list[str]:
    """Return the sentences of ``text`` as strings (convenience over ``sentence_spans``)."""
    return [text[a:b] for a, b in sentence_spans(text)]
