"""Language identification: of documents whose front matter names none, and of questions."""

from __future__ import annotations

import re

UNKNOWN_LANGUAGE = "und"
_SAMPLE_CHARS = 4000
# Words that almost only occur in Indonesian questions; short questions defeat statistical
# language identification, so these decide first.
_INDONESIAN_MARKERS = frozenset(
    [
        "apakah",
        "apa",
        "bagaimana",
        "kapan",
        "siapa",
        "mengapa",
        "kenapa",
        "berapa",
        "dimana",
        "saya",
        "aku",
        "kami",
        "kita",
        "anda",
        "yang",
        "dengan",
        "untuk",
        "tidak",
        "dibagikan",
        "membagikan",
        "berbagi",
        "pribadi",
        "kebijakan",
        "privasi",
        "pesan",
        "kontak",
        "daftar",
        "ke",
        "dari",
        "oleh",
        "akan",
        "sudah",
        "tanggal",
        "mulai",
        "berlaku",
        "pengguna",
        "apakah",
        "ketentuan",
        "layanan",
        "bisa",
        "dapat",
        "juga",
        "atau",
        "dan",
        "di",
    ]
)
_WORD = re.compile(r"[^\W\d_]+")
_LATIN = re.compile(r"[A-Za-zÀ-ɏ]")


def detect_language(text: str) -> str:
    """Return the ISO 639-1 code of ``text``'s language, or ``"und"`` when it cannot tell.

    Example:
        >>> detect_language("Kami tidak membagikan daftar kontak Anda dengan Facebook.")
        'id'
    """
    sample = text[:_SAMPLE_CHARS].strip()
    if not sample:
        return UNKNOWN_LANGUAGE
    from langdetect import DetectorFactory, LangDetectException, detect

    # langdetect samples randomly; a fixed seed keeps a document's language stable between runs.
    DetectorFactory.seed = 0
    try:
        code = detect(sample)
    except LangDetectException:
        return UNKNOWN_LANGUAGE
    return code.split("-")[0].lower()


def normalise_language(value: object) -> str:
    """Turn a front-matter language value (``"EN"``, ``"id-ID"``) into a lower-case 639-1 code."""
    code = str(value).strip().lower().replace("_", "-").split("-")[0]
    return code or UNKNOWN_LANGUAGE


def question_language(question: str) -> str:
    """Guess the question's language: ``"id"``, ``"en"``, or for a non-Latin script its code.

    Short questions defeat statistical identification (langdetect calls "Does Signal store
    IP?" Italian), so Latin-script questions are Indonesian when they use enough Indonesian
    function words and English otherwise.

    Example:
        >>> question_language("Apakah daftar kontak saya dibagikan ke Facebook?")
        'id'
    """
    written = _WORD.findall(question)
    words = [w.casefold() for w in written]
    if not words:
        return "en"
    letters = [c for c in question if c.isalpha()]
    if letters and sum(1 for c in letters if _LATIN.match(c)) / len(letters) < 0.5:
        return detect_language(question)
    indonesian = sum(1 for w in words if w in _INDONESIAN_MARKERS)
    # Names are in no language: "Apa bedanya Nimbus Ride dan Tandem Go soal ...?" has four
    # English-looking words that say nothing of the question's language.
    names = sum(1 for w in written[1:] if w[:1].isupper())
    return "id" if indonesian >= max(1, (len(words) - names) // 4) else "en"
