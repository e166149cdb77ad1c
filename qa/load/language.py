"""Language identification for documents whose front matter does not name a language."""

from __future__ import annotations

UNKNOWN_LANGUAGE = "und"
_SAMPLE_CHARS = 4000


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
