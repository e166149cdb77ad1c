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

from qa.answer.subject import cut_subject
from qa.versions.dates import without_dates

# The words asking how long, in English and Indonesian ("how many months", "sampai kapan").
_HOW_LONG = (
    r"\b(?:how\s+long|how\s+many\s+(?:days|weeks|months|years|hours)|until\s+when"
    # "How fast will you answer ...?", "How quickly do you notify ...?", "Seberapa cepat ...?"
    r"|how\s+(?:fast|quickly|soon)|(?:se)?berapa\s+cepat|dalam\s+berapa\s+(?:lama|hari|jam)"
    r"|berapa\s+(?:lama|hari|jam|minggu|pekan|bulan|tahun)|(?:sampai|hingga)\s+kapan)\b"
)
# What a question asks for, by its opening words (English and Indonesian).
_ASKS = (
    # "Which company keeps my ride history longer?" compares durations.
    (
        "duration",
        re.compile(_HOW_LONG + r"|\b(?:keeps?|stores?|retains?|holds?)\b.{1,60}?\blonger\b", re.I),
    ),
    (
        "age",
        re.compile(
            r"\bhow\s+old\b|\bat\s+what\s+age\b|\bminimum\s+age\b|\bberapa\s+(?:usia|umur)\b"
            r"|\b(?:usia|umur)\s+(?:berapa|minimal|minimum)\b",
            re.I,
        ),
    ),
    # "How much storage do I get?" asks a quantity of something, any figure: not a price.
    (
        "count",
        re.compile(
            r"\bhow\s+much\s+(?!(?:does|do|did|is|are|was|were|will|would|can|could|money|it"
            r"|to|for|of|i|we|you|they|he|she)\b)[a-z]+",
            re.IGNORECASE,
        ),
    ),
    (
        "amount",
        re.compile(
            r"\bhow\s+much\b|\bwhat\s+(?:is\s+the\s+|was\s+the\s+)?(?:fine|fee|price|cost)\b|"
            r"\bwhat\s+(?:does|do|did|will)\s+(?:\w+\s+){1,4}?cost\b|"
            r"\b(?:is|are)\s+(?:\w+\s+){1,4}?free(?:\s+of\s+charge)?\s*\?|"
            r"\bapakah\s+(?:\w+\s+){1,4}?gratis\b|"
            r"\bberapa\s+(?:biaya|harga|besar|denda|tarif|nilai)\b|"
            # Whether something costs: "Do you charge a fee for ...?", "Is there a joining
            # fee?", "Apakah ada biaya ...?" are answered by a price or by "free".
            r"\b(?:do|does|did|will|would)\s+(?:\w+\s+){1,2}?(?:charge|bill)\b|"
            r"\b(?:does|do|will|would)\s+(?:it|this|that)\s+cost\b|"
            r"\bis\s+there\s+(?:a|an|any)\s+(?:\w+\s+){0,2}?(?:fee|charge|cost|price|penalty)s?\b|"
            r"\bapakah\s+(?:ada\s+|saya\s+)?(?:\w+\s+){0,2}?(?:biaya|dikenakan\s+biaya|berbayar"
            r"|dipungut)\b",
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
        r"\b(?:free|no\s+(?:\w+\s+)?(?:charges?|costs?|fees?)|without\s+charge|at\s+no\s+(?:extra\s+)?"
        r"cost|(?:do|does|will|shall)\s+not\s+charge|gratis|cuma-cuma|tanpa\s+biaya"
        r"|tidak\s+(?:dikenakan\s+biaya|dipungut\s+biaya|berbayar))\b",
        re.IGNORECASE,
    ),
    "age": re.compile(
        r"\b(?:adults?|age\s+of\s+majority|legal\s+age|minors?|dewasa|cukup\s+umur)\b",
        re.IGNORECASE,
    ),
}


# A list item's number ("...; 2. Commit 12 ...; 3. Off-Peak") is no quantity.
# Not after a colon: "Minimum age: 16. Parents must consent." states an age.
_LIST_NUMBER = re.compile(r"(?:^|(?<=[\n;]))\s*\d{1,2}[.)]\s+(?=[A-Z])")


def _beside(words: str) -> str:
    # A figure within three words of one of ``words``, on either side.
    return (
        rf"\b(?:{words})\b\W+(?:\w+\W+){{0,3}}?\d|\d(?:[.,]?\d)*(?:\W+\w+){{0,3}}?\W+(?:{words})\b"
    )


# An amount in figures is money or a share: "a 12-month contract at a lower monthly price"
# states no price, "Rp2.000.000", "$5", "4% of turnover" and "a fee of 10" do.
_MONEY_WORDS = (
    r"usd|eur|gbp|idr|sgd|dollars?|euros?|pounds?|rupiah|percent|persen|fees?|charges?|charged"
    r"|costs?|prices?|priced|fines?|fined|biaya|harga|seharga|senilai|tarif|denda|dolar|bayar"
    r"|dibayar|pay|paid|payable|refund|miliar|juta|million|billion"
)
# An age in figures comes with words of age: "at least 13 years old", "under 16", "aged 17 or
# over", "berusia 17 tahun"; "stored for 12 months" states none.
_AGE_WORDS = (
    r"ages?|aged|old|older|younger|minors?|child(?:ren)?|teens?|teenagers?|usia|umur|berusia"
    r"|anak"
)
# "under 13", "over 16" are ages; "over 12 months", "under Article 6" are not.
_UNDER_OVER = (
    r"\b(?:under|over)\s+\d{1,2}\b(?!\s*(?:%|percent|persen|seconds?|minutes?|hours?|days?|weeks?"
    r"|months?|years?(?!\s+(?:old|of\s+age))|detik|menit|jam|hari|minggu|bulan|tahun))"
)
# What a figure must stand beside to state a quantity of each kind (any figure otherwise).
_MARKS = {
    "amount": re.compile(
        _beside(_MONEY_WORDS) + r"|[$€£¥₹]\s?\d|\d\s?[%€$]|\b(?:rp|usd|eur|gbp|idr|sgd)\.?\s?\d",
        re.IGNORECASE,
    ),
    "age": re.compile(_beside(_AGE_WORDS) + "|" + _UNDER_OVER, re.IGNORECASE),
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
    number in figures that is not a date (for an amount, beside a currency, a share or a word
    for a price; for an age, beside a word of age), a number in words before a unit of
    ``kind`` ("six months", "dua tahun"), or for durations, amounts and ages the words that
    state one without a number.

    Example:
        >>> states_quantity("We keep them for 30 days.", "duration")
        True
        >>> states_quantity("We keep logs until you delete your account.", "duration")
        True
        >>> states_quantity("We collect payment card details.", "duration")
        False
        >>> states_quantity("On 15 January 2021 Signal said it had grown.", "count")
        False
        >>> states_quantity("It cannot be cancelled in its first 12 months.", "amount")
        False
        >>> states_quantity("Logs are stored for 12 months.", "age")
        False
        >>> states_quantity("Minimum age: 16. Parents must consent.", "age")
        True
    """
    # A date is not a quantity: "on 15 January 2021" says nothing of how many users joined
    # (a date that bounds a duration comes with "until", which counts).
    undated = _LIST_NUMBER.sub(" ", without_dates(text))
    if _IN_WORDS[kind].search(undated):
        return True
    if _MARKS[kind].search(undated) if kind in _MARKS else _DIGIT.search(undated):
        return True
    extra = _STATES.get(kind)
    return bool(extra and extra.search(text))


# What a quantity question asks about: the words after "how long do you keep", before "kept"
# or "disimpan", after "berapa biaya" ("How long do you keep my fingerprint scans used for
# club entry?" asks about fingerprint scans). Cut at the first word that starts a condition
# or a clause ("after my membership ends", "lewat transfer bank").
_KEEP_EN = r"(?:keep|store|retain|hold|save|preserve|maintain|archive|log|record)"
_KEPT_EN = r"(?:kept|stored|retained|held|saved|preserved|maintained|archived|logged|recorded)"
_SUBJECT = (
    re.compile(
        _HOW_LONG
        + r"\s+(?:do|does|did|will|would|can|could|should|may|might)\s+(?:\w+\s+){1,3}?"
        + _KEEP_EN
        + r"(?:s|ing)?\s+(?:on\s+to\s+|onto\s+)?(?P<subject>.+)",
        re.IGNORECASE,
    ),
    re.compile(
        _HOW_LONG + r"\s+(?:is|are|was|were|will|would|do|does|can)\s+(?P<subject>.+?)\s+"
        r"(?:be\s+|get\s+|being\s+)?" + _KEPT_EN + r"\b",
        re.IGNORECASE,
    ),
    # The order of a question inside a sentence: "... on how long support chats are kept?"
    re.compile(
        _HOW_LONG
        + r"\s+(?P<subject>.+?)\s+(?:is|are|was|were|will\s+be|gets?)\s+(?:being\s+)?"
        + _KEPT_EN
        + r"\b",
        re.IGNORECASE,
    ),
    # "Which company keeps my ride history longer?"
    re.compile(r"\b" + _KEEP_EN + r"s?\s+(?P<subject>.+?)\s+longer\b", re.IGNORECASE),
    re.compile(
        _HOW_LONG + r"\s+(?:\w+\s+){0,3}?(?:menyimpan|mempertahankan|mengarsipkan|mencatat)"
        r"\s+(?P<subject>.+)",
        re.IGNORECASE,
    ),
    re.compile(
        _HOW_LONG + r"\s+(?P<subject>.+?)\s+(?:akan\s+)?(?:disimpan|dipertahankan|diarsipkan"
        r"|tersimpan|dicatat)\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"\bwhat\s+(?:is|was|are)\s+the\s+(?:\w+\s+)?(?:fee|price|cost|fine|charge)s?\s+"
        r"(?:for|of|to)\s+(?P<subject>.+)",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:how\s+much|what)\s+(?:does|do|is|are|will|would)\s+(?P<subject>.+?)\s+cost\b",
        re.IGNORECASE,
    ),
    re.compile(r"\bberapa\s+(?:biaya|harga|tarif|denda)\s+(?P<subject>.+)", re.IGNORECASE),
    re.compile(
        r"\b(?:fees?|charges?|costs?|charge|bill)\s+(?:\w+\s+)?(?:for|of|to)\s+(?P<subject>.+)"
        r"|\bbiaya\s+(?:untuk|atas)\s+(?P<subject2>.+)",
        re.IGNORECASE,
    ),
)


def asked_subject(question: str) -> str:
    """The words naming what a quantity question asks about, ``""`` when it names nothing
    more specific than data.

    Example:
        >>> asked_subject("How long do you keep my fingerprint scans used for club entry?")
        'my fingerprint scans'
        >>> asked_subject("Berapa lama foto profil saya disimpan setelah akun dihapus?")
        'foto profil saya'
        >>> asked_subject("How long do you keep my personal data?")
        ''

    Ages and counts have no subject pattern: their quotes only need to state one.
    """
    for pattern in _SUBJECT:
        found = pattern.search(question)
        words = (found.group("subject") or found.groupdict().get("subject2") or "") if found else ""
        if subject := cut_subject(words):
            return subject
    return ""
