"""The fixed phrases of answers, in the question's language (English or Indonesian)."""

from __future__ import annotations

SUPPORTED = ("en", "id")
LANGUAGE_NAMES = {"en": "English", "id": "Indonesian"}
_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "lead": "{where} addresses this{more}:",
        "lead_more": ", as {count} other document does",
        "lead_more_plural": ", as do {count} other documents",
        "versions": "the same in each version: {dates}",
        "sources": "Sources",
        "abstention": "Fineprint found no passage in the indexed documents that answers "
        "this question.",
        "closest": "Closest passages (not an answer):",
        "empty": "Please type a question.",
        "too_long": "The question is too long ({length} characters); the limit is {limit}. "
        "Please shorten it.",
        "no_documents": "No indexed document matches the filters you chose, so there is "
        "nothing to answer from. Clear or widen the filters.",
        "no_index": "Nothing is indexed yet.",
        "other_language": "Fineprint's fixed phrases are in English and Indonesian; "
        "the search itself is multilingual.",
        "section": "section",
        "spelling": "Searched with the spelling corrected: {words}.",
        "stale_index": "The index was built by an older Fineprint (pipeline v{built}; this one "
        "reads documents as v{current}): answers miss what it now reads better. "
        "'fineprint ingest --rebuild' re-indexes.",
        "newer_index": "The index was built by a newer Fineprint (pipeline v{built}; this one "
        "reads documents as v{current}): update Fineprint to read it as it was built.",
        "scoped": "Searched only {publisher}'s {kind}, which the question names.",
        "compared_none": "Fineprint found no passage in {company}'s documents that answers this.",
        "compared_closest": "Fineprint found no passage in {company}'s documents that answers "
        "this; the closest (not an answer): “{quote}”",
        "kind_policy": "privacy policy",
        "kind_terms": "terms",
        "not_yet": "Fineprint has no version of {series} in force {dates}: the earliest "
        "recorded version took effect on {start}.",
        "none_in_force": "No indexed document was in force {dates}: the earliest took "
        "effect on {start}.",
        "one_version": "Nothing changed in {series} then: one version, in force since {start}, "
        "covers the dates asked about ({count} recorded versions in all).",
        "only_version": "Fineprint has only one version of {series} (in force since {start}), "
        "so it cannot say what changed.",
        "same_document": "another passage of the document cited as [{marker}]",
    },
    "id": {
        "lead": "{where} membahas hal ini{more}:",
        "lead_more": ", begitu pula {count} dokumen lain",
        "lead_more_plural": ", begitu pula {count} dokumen lain",
        "versions": "sama di setiap versi: {dates}",
        "sources": "Sumber",
        "abstention": "Fineprint tidak menemukan bagian dokumen terindeks yang menjawab "
        "pertanyaan ini.",
        "closest": "Bagian yang paling mirip (bukan jawaban):",
        "empty": "Silakan ketik pertanyaan.",
        "too_long": "Pertanyaan terlalu panjang ({length} karakter); batasnya {limit}. "
        "Silakan persingkat.",
        "no_documents": "Tidak ada dokumen terindeks yang cocok dengan filter yang dipilih, "
        "jadi tidak ada yang bisa dijadikan jawaban. Hapus atau perluas filter.",
        "no_index": "Belum ada dokumen yang diindeks.",
        "other_language": "Frasa tetap Fineprint tersedia dalam bahasa Inggris dan "
        "Indonesia; pencariannya sendiri multibahasa.",
        "section": "bagian",
        "spelling": "Dicari dengan ejaan yang dibetulkan: {words}.",
        "stale_index": "Indeks dibangun oleh Fineprint yang lebih lama (pipeline v{built}; versi "
        "ini membaca dokumen sebagai v{current}): jawaban melewatkan apa yang kini terbaca lebih "
        "baik. 'fineprint ingest --rebuild' membangun ulang indeks.",
        "newer_index": "Indeks dibangun oleh Fineprint yang lebih baru (pipeline v{built}; versi "
        "ini membaca dokumen sebagai v{current}): perbarui Fineprint untuk membacanya seperti "
        "saat dibangun.",
        "scoped": "Hanya {kind} {publisher} yang dicari, sesuai yang disebut pertanyaan.",
        "compared_none": "Fineprint tidak menemukan bagian dokumen {company} yang menjawab "
        "hal ini.",
        "compared_closest": "Fineprint tidak menemukan bagian dokumen {company} yang menjawab "
        "hal ini; yang paling mirip (bukan jawaban): “{quote}”",
        "kind_policy": "kebijakan privasi",
        "kind_terms": "ketentuan layanan",
        "not_yet": "Fineprint tidak memiliki versi {series} yang berlaku {dates}: versi "
        "tercatat paling awal berlaku sejak {start}.",
        "none_in_force": "Tidak ada dokumen terindeks yang berlaku {dates}: yang paling "
        "awal berlaku sejak {start}.",
        "one_version": "Tidak ada yang berubah pada {series} saat itu: satu versi, berlaku "
        "sejak {start}, mencakup tanggal yang ditanyakan ({count} versi tercatat seluruhnya).",
        "only_version": "Fineprint hanya memiliki satu versi {series} (berlaku sejak {start}), "
        "jadi tidak dapat mengatakan apa yang berubah.",
        "same_document": "bagian lain dari dokumen yang dikutip sebagai [{marker}]",
    },
}


def phrase(language: str, key: str, **values: object) -> str:
    """The phrase ``key`` in ``language`` (English when the language has no phrases).

    Example:
        >>> phrase("id", "sources")
        'Sumber'
    """
    table = _PHRASES.get(language, _PHRASES["en"])
    return table[key].format(**values)
