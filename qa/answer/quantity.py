"""Questions that ask for a quantity, and whether quoted text states one.

"How long do you keep my payment card details?" is not answered by a sentence that only lists
payment card details among what is collected, however close its cosine: a question asking how
long, how much, how many or how old is answered only by text that states a duration, amount,
count or age. On the fitting questions every answerable question of this kind was quoted with a
number or a duration, while five unanswerable ones the fitted rule answered were quoted with
neither (``evals/README.md``). The words are the field's plain ones, not fitted.
"""

from __future__ import annotations

import re

from qa.versions.dates import without_dates

# What a question asks for, by its opening words (English and Indonesian).
_ASKS = (
    ("duration", re.compile(r"\bhow\s+long\b|\bberapa\s+lama\b", re.IGNORECASE)),
    ("age", re.compile(r"\bhow\s+old\b|\bat\s+what\s+age\b|\bberapa\s+(?:usia|umur)\b", re.I)),
    (
        "amount",
        re.compile(
            r"\bhow\s+much\b|\bwhat\s+(?:is\s+the\s+|was\s+the\s+)?(?:fine|fee|price|cost)\b|"
            r"\bberapa\s+(?:biaya|harga|besar|denda|tarif|nilai)\b",
            re.IGNORECASE,
        ),
    ),
    ("count", re.compile(r"\bhow\s+many\b|\bberapa\s+(?:banyak|jumlah|kali)\b", re.IGNORECASE)),
)
_DIGIT = re.compile(r"\d")
# A number in words counts only before a unit of the quantity asked: "one or more sectors" and
# "satu tahun terakhir" (the past year) state no fine and no age.
_NUMBER_WORD = (
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty|"
    r"thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|a\s+few|"
    r"several|half\s+an?|an?|satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|"
    r"sebelas|\w+\s+belas|\w+\s+puluh|seratus|ratus|seribu|ribu|juta|miliar|setengah|se)"
    r"(?:[\s-]+\w+)?[\s-]+"
)
_UNITS = {
    "duration": r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|detik|menit|jam|hari|"
    r"minggu|pekan|bulan|tahun)\b",
    # Not "tahun": "satu tahun terakhir" is the past year; Indonesian ages come in figures.
    "age": r"(?:years?\s+old|years?\s+of\s+age)\b",
    "amount": r"(?:dollars?|euros?|pounds?|rupiah|percent|persen)\b",
    "count": r"(?:hundred|thousand|million|billion|ribu|juta|miliar)\b",
}
_IN_WORDS = {kind: re.compile(_NUMBER_WORD + unit, re.IGNORECASE) for kind, unit in _UNITS.items()}
# What else states each kind of quantity: a duration without a number ("until your account is
# deleted"), a price of nothing, an age by name.
_STATES = {
    "duration": re.compile(
        r"\b(?:until|as\s+long\s+as|for\s+the\s+(?:life|duration)|indefinitely|"
        r"permanently|forever|no\s+longer\s+(?:necessary|needed)|selama|hingga|sampai|"
        r"seumur|permanen|tanpa\s+batas)\b",
        re.IGNORECASE,
    ),
    "amount": re.compile(
        r"\b(?:free|no\s+(?:charge|cost|fee)|without\s+charge|gratis|cuma-cuma|tanpa\s+biaya)\b",
        re.IGNORECASE,
    ),
    "age": re.compile(
        r"\b(?:adults?|age\s+of\s+majority|legal\s+age|minors?|dewasa|cukup\s+umur)\b",
        re.IGNORECASE,
    ),
}


def asked_quantity(question: str) -> str | None:
    """The quantity ``question`` asks for: ``"duration"``, ``"age"``, ``"amount"`` or
    ``"count"``; ``None`` when it asks for none.

    Example:
        >>> asked_quantity("How long do you keep logs?"), asked_quantity("Berapa biaya isi ulang?")
        ('duration', 'amount')
        >>> asked_quantity("Do you sell my data?") is None
        True
    """
    for kind, pattern in _ASKS:
        if pattern.search(question):
            return kind
    return None


def without_asking(question: str) -> str:
    """``question`` without the words asking how long ("how long", "berapa lama"): a sentence
    is no closer for repeating "long" or "lama" in "as long as your membership is active" or
    "selama". The words asking the other quantities stay: "how old" is about age.

    Example:
        >>> without_asking("How long do you keep my payment records?")
        'do you keep my payment records?'
    """
    return " ".join(dict(_ASKS)["duration"].sub(" ", question).split())


def states_quantity(text: str, kind: str) -> bool:
    """Whether ``text`` states a quantity of ``kind`` (as ``asked_quantity`` names them): a
    number in figures that is not a date, a number in words before a unit of ``kind`` ("six
    months", "dua tahun"), or for durations, amounts and ages the words that state one
    without a number.

    Example:
        >>> states_quantity("We keep them for 30 days.", "duration")
        True
        >>> states_quantity("We keep logs until you delete your account.", "duration")
        True
        >>> states_quantity("We collect payment card details.", "duration")
        False
        >>> states_quantity("On 15 January 2021 Signal said it had grown.", "count")
        False
    """
    # A date is not a quantity: "on 15 January 2021" says nothing of how many users joined
    # (a date that bounds a duration comes with "until", which counts).
    undated = without_dates(text)
    if _DIGIT.search(undated) or _IN_WORDS[kind].search(undated):
        return True
    extra = _STATES.get(kind)
    return bool(extra and extra.search(text))
