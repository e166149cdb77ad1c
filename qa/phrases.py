"""The fixed phrases of answers, in the question's language (English or Indonesian)."""

from __future__ import annotations

import re

SUPPORTED = ("en", "id")
LANGUAGE_NAMES = {"en": "English", "id": "Indonesian"}
_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "intro": "Here is what the indexed documents say:",
        "sources": "Sources",
        "refusal": "The indexed documents do not answer this question.",
        "closest": "Closest passages (not an answer):",
        "empty": "Please type a question.",
        "too_long": "The question is too long ({length} characters); the limit is {limit}. "
        "Please shorten it.",
        "no_documents": "No indexed document matches the filters you chose, so there is "
        "nothing to answer from. Clear or widen the filters.",
        "no_index": "Nothing is indexed yet.",
        "other_language": "Note: Fineprint's fixed phrases are in English and Indonesian; "
        "the search itself is multilingual.",
        "section": "section",
        "same_document": "another passage of the document cited as [{marker}]",
    },
    "id": {
        "intro": "Inilah yang dikatakan dokumen yang diindeks:",
        "sources": "Sumber",
        "refusal": "Dokumen yang diindeks tidak menjawab pertanyaan ini.",
        "closest": "Bagian yang paling mirip (bukan jawaban):",
        "empty": "Silakan ketik pertanyaan.",
        "too_long": "Pertanyaan terlalu panjang ({length} karakter); batasnya {limit}. "
        "Silakan persingkat.",
        "no_documents": "Tidak ada dokumen terindeks yang cocok dengan filter yang dipilih, "
        "jadi tidak ada yang bisa dijadikan jawaban. Hapus atau perluas filter.",
        "no_index": "Belum ada dokumen yang diindeks.",
        "other_language": "Catatan: frasa tetap Fineprint tersedia dalam bahasa Inggris dan "
        "Indonesia; pencariannya sendiri multibahasa.",
        "section": "bagian",
        "same_document": "bagian lain dari dokumen yang dikutip sebagai [{marker}]",
    },
}
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


def phrase(language: str, key: str, **values: object) -> str:
    """The phrase ``key`` in ``language`` (English when the language has no phrases).

    Example:
        >>> phrase("id", "sources")
        'Sumber'
    """
    table = _PHRASES.get(language, _PHRASES["en"])
    return table[key].format(**values)


def question_language(question: str) -> str:
    """Guess the question's language: ``"id"``, ``"en"``, or for a non-Latin script its code.

    Short questions defeat statistical identification (langdetect calls "Does Signal store
    IP?" Italian), so Latin-script questions are Indonesian when they use enough Indonesian
    function words and English otherwise.

    Example:
        >>> question_language("Apakah daftar kontak saya dibagikan ke Facebook?")
        'id'
    """
    words = [w.casefold() for w in _WORD.findall(question)]
    if not words:
        return "en"
    letters = [c for c in question if c.isalpha()]
    if letters and sum(1 for c in letters if _LATIN.match(c)) / len(letters) < 0.5:
        from qa.load.language import detect_language

        return detect_language(question)
    indonesian = sum(1 for w in words if w in _INDONESIAN_MARKERS)
    return "id" if indonesian >= max(1, len(words) // 4) else "en"
