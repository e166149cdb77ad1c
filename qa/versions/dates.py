"""Dates in a question: which versions it asks about ("as of December 2020", "per Maret 2021").

The result is an ``as_of`` value for ``SearchFilters``: periods joined by commas (``2020-12``,
``2019``, ``2020-07-15``), ``<PERIOD`` for "before" a date, or ``previous`` (``versions``) for
"before the update" without a date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# English and Indonesian month names and their usual abbreviations, to month numbers.
_MONTHS = {
    **{
        name: number
        for number, names in enumerate(
            [
                ("january", "jan", "januari"),
                ("february", "feb", "februari", "pebruari"),
                ("march", "mar", "maret"),
                ("april", "apr"),
                ("may", "mei"),
                ("june", "jun", "juni"),
                ("july", "jul", "juli"),
                ("august", "aug", "agustus", "agu", "agt"),
                ("september", "sep", "sept"),
                ("october", "oct", "oktober", "okt"),
                ("november", "nov", "nopember"),
                ("december", "dec", "desember", "des"),
            ],
            start=1,
        )
        for name in names
    }
}
# Every month name and abbreviation the dates understand, in English and Indonesian.
MONTH_NAMES = frozenset(_MONTHS)
_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?:19|20)\d{2}"
_DATE = re.compile(
    rf"\b(?:(?P<iso>{_YEAR}-\d{{2}}(?:-\d{{2}})?)"
    rf"|(?P<d1>\d{{1,2}})\s+(?P<m1>{_MONTH})\s+(?P<y1>{_YEAR})"
    rf"|(?P<m2>{_MONTH})\s+(?:(?P<d2>\d{{1,2}}),?\s+)?(?P<y2>{_YEAR})"
    rf"|(?P<y3>{_YEAR}))\b",
    re.IGNORECASE,
)
# "before the January 2021 update", "sebelum pembaruan Januari 2021", "prior to 2021".
_BEFORE = re.compile(
    r"\b(?:before|prior\s+to|sebelum)(?:\s+(?:the|pembaruan|perubahan|update|adanya))*\s*$",
    re.IGNORECASE,
)
# "before the update", "sebelum pembaruan": the version before the current one.
_BEFORE_UPDATE = re.compile(
    r"\b(?:before\s+the\s+(?:\w+\s+)?(?:update|change)|prior\s+to\s+the\s+update|"
    r"sebelum\s+(?:adanya\s+)?(?:pembaruan|perubahan|update))\b",
    re.IGNORECASE,
)
# "the line Updated May 25, 2018": a date after these words quotes a document's date line; it
# does not ask for the versions of that day.
_DATE_LINE_LEAD = re.compile(
    r"\b(?:updated|last\s+modified|revised|dated|diperbarui|diperbarui\s+pada)\s*:?\s*$",
    re.IGNORECASE,
)
# How far back from a date the word "before" may stand ("sebelum adanya pembaruan Mei 2021").
_BEFORE_REACH = 40
PREVIOUS = "previous"


@dataclass(frozen=True)
class QuestionDates:
    """What a question says about time: ``as_of`` periods, or ``versions`` to search."""

    as_of: str = ""
    versions: str = ""

    @property
    def found(self) -> bool:
        """Whether the question names a date or asks for the version before the update."""
        return bool(self.as_of or self.versions)


def question_dates(question: str) -> QuestionDates:
    """The dates ``question`` asks about.

    Example:
        >>> question_dates("What did it say as of December 2020?").as_of
        '2020-12'
        >>> question_dates("Apa isinya sebelum pembaruan Januari 2021?").as_of
        '<2021-01'
        >>> question_dates("Apa isinya sebelum pembaruan?").versions
        'previous'
        >>> question_dates("How long are messages kept? 30 days?").found
        False
        >>> question_dates("Does it still carry the line Updated May 25, 2018?").found
        False
    """
    parts: list[str] = []
    for match in _DATE.finditer(question):
        value = _period(match)
        lead = question[max(0, match.start() - _BEFORE_REACH) : match.start()]
        if _DATE_LINE_LEAD.search(lead):
            continue
        parts.append(("<" + value) if _BEFORE.search(lead) else value)
    if parts:
        return QuestionDates(as_of=",".join(dict.fromkeys(parts)))
    if _BEFORE_UPDATE.search(question):
        return QuestionDates(versions=PREVIOUS)
    return QuestionDates()


def _period(match: re.Match[str]) -> str:
    if match.group("iso"):
        return match.group("iso")
    year = match.group("y1") or match.group("y2") or match.group("y3")
    month_name = match.group("m1") or match.group("m2")
    if not month_name:
        return year
    month = _MONTHS[month_name.rstrip(".").casefold()]
    day = match.group("d1") or match.group("d2")
    return f"{year}-{month:02d}" + (f"-{int(day):02d}" if day else "")


_DATE_PHRASE = re.compile(
    r"(?:\b(?:as\s+of|as\s+at|in|on|per|pada|sejak|before|prior\s+to|sebelum)\s+(?:the\s+)?"
    r"(?:pembaruan\s+)?)?" + _DATE.pattern + r"(?:\s+(?:update|pembaruan))?,?",
    re.IGNORECASE,
)


def without_dates(question: str) -> str:
    """``question`` without its date phrases, for searching: the words that say when are not
    words a passage says ("As of 15 July 2020, how long ..." searches "how long ...").

    Example:
        >>> without_dates("As of 15 July 2020, how long are messages kept?")
        'how long are messages kept?'
    """
    stripped = " ".join(_DATE_PHRASE.sub(" ", question).split())
    return stripped if any(c.isalpha() for c in stripped) else question
